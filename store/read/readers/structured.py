"""JSON, YAML and TOML documents: loading, flattening, metric values, stable JSON text.

Everything here takes hostile input and never raises. Limits, all announced by a
warning when they bite:

- bytes read per document: ``DOCUMENT_LIMITS`` (JSON 5 MiB, YAML and TOML 2 MiB: the
  pure-Python YAML constructor and ``tomllib`` read well under 1 MiB/s on slow boxes);
- YAML nesting: 500 levels, checked before parsing (deeper input crashes libyaml);
- flattening: ``MAX_KEYS`` keys, ``MAX_DEPTH`` levels, ``MAX_NODES`` values and
  ``MAX_TEXT`` characters visited in all (YAML aliases can make a small file describe a
  billion values, or a million copies of a long string).

Value conventions. JSON's non-standard ``NaN``/``Infinity`` are accepted (Python writes
them) with a warning; they are never metrics. Flattened values are plain JSON-like data:
``str``, ``int``, ``float``, ``bool``, ``None`` and lists (of the same, or of mappings
with string keys); dates become ISO 8601 text, ``!!binary`` base64 text, sets sorted
lists. Control characters and escape sequences are kept as data.
"""

from __future__ import annotations

import base64
import json
import math
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from modeltrail.store.read.readers._common import (
    MAX_TEXT,  # noqa: F401 - part of this module's documented limits
    MAX_VALUES,
    MiB,
    OutputBudget,
    Warnings,
    cap_warnings,
    decode_text,
    duplicate_keys_warning,
    never_raise,
    output_budget,
    quote,
)
from modeltrail.store.read.readers._yaml import load_yaml

#: Bytes read at most, per document format.
DOCUMENT_LIMITS: dict[str, int] = {"json": 5 * MiB, "yaml": 2 * MiB, "toml": 2 * MiB}

#: Flattening limits.
MAX_KEYS = 10_000
MAX_DEPTH = 64
MAX_NODES = MAX_VALUES  # values visited, and characters of keys and strings (MAX_TEXT),
# counted each time an alias is reached; shared with the reader call in progress

_FORMAT_NAMES = {"json": "JSON", "yaml": "YAML", "toml": "TOML"}
_EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
_YAML_NAMES = {"mlmodel", "dvc.lock"}
_INT_DIGITS = 4300  # Python refuses to convert longer decimal integers
_INT_BITS = 14000  # ... which is about this many bits
_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?\s*")


def format_for(path: str) -> str | None:
    """``"json"``, ``"yaml"`` or ``"toml"`` by file name (``MLmodel``, ``dvc.lock`` and
    ``*.dvc`` are YAML), else None."""
    if not isinstance(path, str):
        return None
    name = path.rsplit("/", 1)[-1].lower()
    if name in _YAML_NAMES or (name.endswith(".dvc") and len(name) > 4):
        return "yaml"
    dot = name.rfind(".")
    return _EXTENSIONS.get(name[dot:]) if dot > 0 else None


def kind_of(value: Any) -> str:
    """A short description of a value's type, for warnings: 'a list', 'text', ..."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing (null)"
    return f"a {type(value).__name__}"


# --- loading -----------------------------------------------------------------------------


def _load_json(text: str) -> tuple[Any, list[str], bool]:
    constants: set[str] = set()
    long_ints: list[str] = []
    duplicates: list[str] = []

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(pairs)
        if len(d) != len(pairs):  # a key given twice: the last value wins, as in json
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    duplicates.append(k)
                else:
                    seen.add(k)
        return d

    def constant(name: str) -> float:
        constants.add(name)
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]

    def parse_int(digits: str) -> int | str:
        if len(digits) > _INT_DIGITS:
            long_ints.append(digits)
            return digits
        return int(digits)

    try:
        try:
            doc = json.loads(text, strict=False, parse_constant=constant, object_pairs_hook=mapping)
        except ValueError as e:
            if isinstance(e, json.JSONDecodeError) or "digits" not in str(e):
                raise
            # an integer too long for int(): parse again, keeping such integers as text
            # (not the first choice: a Python hook per integer is slow)
            duplicates.clear()
            doc = json.loads(
                text,
                strict=False,
                parse_constant=constant,
                parse_int=parse_int,
                object_pairs_hook=mapping,
            )
    except json.JSONDecodeError as e:
        return None, [f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"], False
    except RecursionError:
        return None, ["JSON nested too deeply; not read"], False
    warnings = []
    if constants:
        names = ", ".join(sorted(constants))
        warnings.append(
            f"uses {names}, which standard JSON does not allow; read as non-finite numbers"
            " (never compared as metrics)"
        )
    if long_ints:
        warnings.append(f"{len(long_ints)} integer(s) with over {_INT_DIGITS} digits kept as text")
    if duplicates:
        warnings.append(duplicate_keys_warning(duplicates))
    return doc, warnings, True


def _load_toml(text: str) -> tuple[Any, list[str], bool]:
    try:
        return tomllib.loads(text), [], True
    except tomllib.TOMLDecodeError as e:
        return None, [f"invalid TOML: {' '.join(str(e).split())}"], False
    except RecursionError:
        return None, ["TOML nested too deeply; not read"], False
    except ValueError as e:  # e.g. an integer too long to convert
        return None, [f"invalid TOML: {quote(e, 160)}"], False


_PARSERS: dict[str, Callable[[str], tuple[Any, list[str], bool]]] = {
    "json": _load_json,
    "yaml": load_yaml,
    "toml": _load_toml,
}


def _normal_format(fmt: Any) -> str | None:
    if not isinstance(fmt, str):
        return None
    fmt = fmt.lower().lstrip(".")
    return "yaml" if fmt == "yml" else fmt if fmt in _PARSERS else None


@never_raise(lambda msg: (None, [f"document {msg}"]))
def load_document(data: bytes, fmt: str) -> tuple[Any, list[str]]:
    """Parse a JSON, YAML or TOML blob. Returns ``(document, warnings)``.

    ``fmt`` is ``"json"``, ``"yaml"`` (or ``"yml"``) or ``"toml"``. The document is
    whatever the file holds (mapping, list, scalar); None when the file is empty, too
    large, binary or broken -- each with a warning saying so.
    """
    name = _normal_format(fmt)
    if name is None:
        return None, cap_warnings([f"unknown document format {quote(fmt)}"])
    label = _FORMAT_NAMES[name]
    text, decoding = decode_text(data, DOCUMENT_LIMITS[name], what=f"{label} file")
    warnings = cap_warnings(decoding)
    if text is None:
        return None, warnings
    if not text.strip():
        warnings.append(f"{label} file is empty")
        return None, warnings
    doc, more, ok = _PARSERS[name](text)
    warnings.extend(more)
    if ok and doc is None:
        warnings.append(f"{label} document is empty")
    return doc, warnings


def load_mapping(data: bytes, fmt: str) -> tuple[dict[Any, Any] | None, list[str]]:
    """Like :func:`load_document`, but the top level must be a mapping (else None and a
    warning naming what was found instead)."""
    doc, warnings = load_document(data, fmt)
    if doc is None or isinstance(doc, dict):
        return doc, warnings
    warnings.append(f"expected a mapping at the top level, found {kind_of(doc)}")
    return None, warnings


@never_raise(lambda msg: ({}, [f"document {msg}"]))
def read_flat(data: bytes, fmt: str, prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """Load a mapping document and :func:`flatten` it: the metrics/params file reader."""
    doc, warnings = load_mapping(data, fmt)
    if doc is None:
        return {}, warnings
    flat, more = flatten(doc, prefix)
    warnings.extend(more)
    return flat, warnings


# --- plain values and keys ---------------------------------------------------------------


class _Stop(Exception):
    """The node budget is spent: stop flattening."""


class _Cycle(Exception):
    """A value contains itself (recursive YAML alias)."""


class _TooDeep(Exception):
    """A value nests deeper than ``MAX_DEPTH``."""


def _float_text(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def _int_text(v: int) -> str:
    if v.bit_length() > _INT_BITS:
        return f"<integer of {v.bit_length()} bits>"
    return str(v)


def key_text(key: Any) -> str:
    """A mapping key as text: strings as they are, ``None`` -> ``null``, booleans ->
    ``true``/``false``, numbers and dates as written in JSON/ISO 8601."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return _int_text(key)
    if isinstance(key, float):
        return _float_text(key)
    if isinstance(key, datetime | date | time):
        return key.isoformat()
    if isinstance(key, bytes):
        return base64.b64encode(key).decode("ascii")
    return to_json_text(key)


def _plain(value: Any, depth: int, budget: OutputBudget, enclosing: set[int]) -> Any:
    """A JSON-like copy of ``value`` (see the module docstring), within the budget."""
    if not budget.charge(len(value) if isinstance(value, str) else 0):
        raise _Stop
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= _INT_BITS else _int_text(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        if not budget.charge(len(value) * 4 // 3, 0):
            raise _Stop
        return base64.b64encode(bytes(value)).decode("ascii")
    if not isinstance(value, dict | list | tuple | set | frozenset):
        return str(value)
    if depth >= MAX_DEPTH:
        raise _TooDeep
    if id(value) in enclosing:
        raise _Cycle
    enclosing.add(id(value))
    try:
        if isinstance(value, dict):
            result = {}
            for k, v in value.items():
                key = key_text(k)
                if not budget.charge(len(key), 0):
                    raise _Stop
                result[key] = _plain(v, depth + 1, budget, enclosing)
            return result
        items = [_plain(v, depth + 1, budget, enclosing) for v in value]
        if isinstance(value, set | frozenset):
            items.sort(key=to_json_text)
        return items
    finally:
        enclosing.discard(id(value))


def to_plain(value: Any) -> tuple[Any, list[str]]:
    """A JSON-like copy of any value, bounded like :func:`flatten`. Returns
    ``(copy, warnings)``; the copy is None (with a warning) when it cannot be made."""
    with output_budget() as budget:
        try:
            return _plain(value, 0, budget, set()), []
        except _Stop:
            budget.reported = True
            return None, [f"{budget.problem()} in all (an alias bomb?); value not read"]
        except _Cycle:
            return None, ["value contains itself (a recursive YAML alias); not read"]
        except _TooDeep:
            return None, [f"value nested deeper than {MAX_DEPTH} levels; not read"]
        except RecursionError:
            return None, ["value nested too deeply; not read"]


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=True, sort_keys=True)
_json_string = json.encoder.encode_basestring  # what _JSON.encode does with a str
_FAST_STR = 4096  # longest string leaf the fast paths take
_FAST_KEYS = 2000  # most keys the fast flatten produces


def _fast_scalar(v: Any) -> bool:
    return (
        v is None
        or isinstance(v, bool | float)
        or (isinstance(v, str) and len(v) <= _FAST_STR)
        or (isinstance(v, int) and v.bit_length() < 63)
    )


def _fast_leaf(v: Any) -> bool:
    """A leaf the fast paths handle exactly as the careful ones: a plain scalar, or a
    short list of plain scalars."""
    if isinstance(v, list):
        return len(v) <= 1000 and all(_fast_scalar(x) for x in v)
    return _fast_scalar(v)


def to_json_text(value: Any) -> str:
    """Stable JSON text of any value: sorted keys, ``", "``/``": "`` separators,
    non-ASCII kept, ``NaN``/``Infinity``/``-Infinity`` written as Python's json does.

    Values that cannot be represented (recursive, too large, too deep) give a JSON
    string describing why, e.g. ``"<value contains itself ...>"``.
    """
    kind = type(value)  # the commonest leaves first: the text json would give them
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int and value.bit_length() < 63:
        return int.__repr__(value)
    if kind is str and len(value) <= _FAST_STR:
        return _json_string(value)
    if _fast_leaf(value):  # the same text as below, without the bounded copy
        return _JSON.encode(value)
    try:
        plain, problems = to_plain(value)
        if problems:
            return json.dumps(f"<{problems[0]}>")
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, allow_nan=True)
    except Exception as e:  # noqa: BLE001 - never raise
        return json.dumps(f"<unrepresentable value: {type(e).__name__}>")


# --- flattening --------------------------------------------------------------------------


class _Flattener:
    def __init__(self, budget: OutputBudget) -> None:
        self.out: dict[str, Any] = {}
        self.warnings = Warnings()
        self.budget = budget
        self.deep_warned = False
        self.duplicates = 0

    def mapping(
        self, d: dict[Any, Any], prefix: str | None, depth: int, enclosing: set[int]
    ) -> None:
        if depth >= MAX_DEPTH:
            if not self.deep_warned:
                self.deep_warned = True
                self.warnings.append(
                    f"nested deeper than {MAX_DEPTH} levels under {quote(prefix)}; deeper keys skipped"
                )
            return
        enclosing.add(id(d))
        try:
            for k, v in d.items():
                text = key_text(k)
                key = text if prefix is None else f"{prefix}.{text}"
                if not self.budget.charge(len(key)):
                    raise _Stop
                if isinstance(v, dict):
                    if id(v) in enclosing:
                        self.warnings.append(
                            f"{quote(key)} refers back to a mapping that contains it"
                            " (a recursive YAML alias); not followed"
                        )
                    elif v:
                        self.mapping(v, key, depth + 1, enclosing)
                else:
                    self.leaf(key, v, depth + 1)
        finally:
            enclosing.discard(id(d))

    def leaf(self, key: str, value: Any, depth: int) -> None:
        if key in self.out:
            self.duplicates += 1
            if self.duplicates <= 5:
                self.warnings.append(
                    f"key {quote(key)} appears more than once (a key containing '.'?);"
                    " the first is kept"
                )
            return
        if len(self.out) >= MAX_KEYS:
            self.warnings.append(f"more than {MAX_KEYS} keys; the rest are skipped")
            raise _Stop
        try:
            self.out[key] = _plain(value, depth, self.budget, set())
        except _Cycle:
            self.warnings.append(
                f"value of {quote(key)} contains itself (a recursive YAML alias); skipped"
            )
        except _TooDeep:
            self.warnings.append(
                f"value of {quote(key)} is nested deeper than {MAX_DEPTH} levels; skipped"
            )


@never_raise(lambda msg: ({}, [f"flattening: value {msg}"]))
def flatten(doc: Any, prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """Flatten nested mappings into ``{"test.auc": 0.9}``. Returns ``(flat, warnings)``.

    Keys join with ``.``; non-string keys are stringified (:func:`key_text`); a key that
    arrives twice (``{"a.b": 1, "a": {"b": 2}}``) keeps the first. Lists are leaf
    values, kept as (plain) lists; empty mappings yield no keys. ``prefix`` is prepended
    to every key; a non-mapping ``doc`` becomes the single key ``prefix`` (or, without a
    prefix, nothing and a warning). Recursive aliases are skipped; work stops at
    ``MAX_KEYS`` keys / ``MAX_NODES`` values; deeper than ``MAX_DEPTH`` is skipped.
    """
    fast = _fast_flatten(doc, prefix)
    if fast is not None:
        return fast, []
    with output_budget() as budget:
        return _flatten(doc, prefix, budget)


class _NotFast(Exception):
    """The document needs the careful flatten."""


def _fast_flatten(doc: Any, prefix: str) -> dict[str, Any] | None:
    """:func:`flatten` for small plain trees (string keys, plain leaves, no repeated
    keys, shallow); None whenever anything would need the careful path's rules."""
    if not isinstance(doc, dict) or not isinstance(prefix, str):
        return None
    out: dict[str, Any] = {}
    try:
        _fast_walk(out, doc, prefix or None, 0)
    except (_NotFast, RecursionError):
        return None
    return out


def _fast_walk(out: dict[str, Any], d: dict[str, Any], pre: str | None, depth: int) -> None:
    # a module function, not a closure that calls itself (a cycle per document that
    # only the cyclic collector would free)
    if depth >= 32:
        raise _NotFast
    for k, v in d.items():
        if not isinstance(k, str) or len(k) > _FAST_STR:
            raise _NotFast
        key = k if pre is None else f"{pre}.{k}"
        if isinstance(v, dict):
            if v:
                _fast_walk(out, v, key, depth + 1)
        elif key in out or not _fast_leaf(v) or len(out) >= _FAST_KEYS:
            raise _NotFast
        else:
            out[key] = list(v) if isinstance(v, list) else v


def _flatten(doc: Any, prefix: str, budget: OutputBudget) -> tuple[dict[str, Any], list[str]]:
    f = _Flattener(budget)
    top = prefix if isinstance(prefix, str) and prefix else None
    try:
        if isinstance(doc, dict):
            f.mapping(doc, top, 0, set())
        elif top is not None:
            f.leaf(top, doc, 0)
        else:
            f.warnings.append(f"expected a mapping at the top level, found {kind_of(doc)}")
    except _Stop:
        if budget.spent and not budget.reported:
            budget.reported = True
            f.warnings.append(
                f"{budget.problem()} to flatten (an alias bomb?); the rest are skipped"
            )
    except RecursionError:
        f.warnings.append("nested too deeply to flatten; the rest is skipped")
    if f.duplicates > 5:
        f.warnings.append(f"{f.duplicates} duplicate keys in all")
    return f.out, cap_warnings(f.warnings)


# --- metrics -----------------------------------------------------------------------------


def metric_value(v: Any) -> float | None:
    """The number a value stands for as a metric: numbers, booleans as 1.0/0.0.

    None for anything else, and for NaN, ±Infinity and integers beyond float range
    (:func:`metric_problem` says why, for a warning).
    """
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int):
        try:
            return float(v)
        except OverflowError:
            return None
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return None


def metric_problem(key: str, v: Any) -> str | None:
    """A warning for a value that looks meant as a metric but is not comparable, else None.

    Covers NaN, ±Infinity, integers too large for a float, and numbers written as text.
    """
    if isinstance(v, float) and not math.isfinite(v):
        return f"metric {quote(key)} is {_float_text(v)}; not compared"
    if isinstance(v, int) and not isinstance(v, bool) and metric_value(v) is None:
        return f"metric {quote(key)} is too large for a number; not compared"
    if isinstance(v, str) and len(v) < 64 and _NUMBER_TEXT.fullmatch(v):
        return f"metric {quote(key)} is the text {quote(v)}, not a number; not compared"
    return None


def metrics_of(flat: dict[str, Any]) -> tuple[dict[str, float | None], list[str]]:
    """:func:`metric_value` of every flattened value, with :func:`metric_problem` warnings."""
    values: dict[str, float | None] = {}
    warnings: list[str] = []
    for key, v in flat.items():
        values[key] = metric_value(v)
        problem = metric_problem(key, v)
        if problem:
            warnings.append(problem)
    return values, cap_warnings(warnings)
