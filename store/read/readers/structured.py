"""JSON, YAML and TOML documents: loading them and reading metric values. Flattening
is in ``flattening.py``, plain values and stable JSON text in ``plain.py``.

Everything here takes hostile input and never raises. Limits, all announced by a
warning when they bite:

- bytes read per document: ``DOCUMENT_LIMITS`` (JSON 5 MiB, YAML and TOML 2 MiB: the
  pure-Python YAML constructor and ``tomllib`` read well under 1 MiB/s on slow boxes);
- YAML nesting: 500 levels, checked before parsing (deeper input crashes libyaml);
- flattening (``flattening.py``): ``MAX_KEYS`` keys, ``MAX_DEPTH`` levels, ``MAX_NODES`` values and
  ``MAX_TEXT`` characters visited in all (YAML aliases can make a small file describe a
  billion values, or a million copies of a long string).

Value conventions. JSON's non-standard ``NaN``/``Infinity`` are accepted (Python writes
them) with a warning; they are never metrics. Flattened values are plain JSON-like data:
``str``, ``int``, ``float``, ``bool``, ``None`` and lists (of the same, or of mappings
with string keys); dates become ISO 8601 text, ``!!binary`` base64 text, sets sorted
lists. Control characters and escape sequences are kept as data.
"""

from __future__ import annotations

import json
import math
import re
import threading
import tomllib
from collections.abc import Callable
from typing import Any

from modeltrail.store.read.readers._common import (
    MAX_TEXT,  # noqa: F401 - part of this module's documented limits
    MiB,
    cap_warnings,
    decode_text,
    duplicate_keys_warning,
    never_raise,
    quote,
)
from modeltrail.store.read.readers._yaml import load_yaml
from modeltrail.store.read.readers.flattening import flatten
from modeltrail.store.read.readers.plain import _float_text, kind_of

#: Bytes read at most, per document format.
DOCUMENT_LIMITS: dict[str, int] = {"json": 5 * MiB, "yaml": 2 * MiB, "toml": 2 * MiB}


_FORMAT_NAMES = {"json": "JSON", "yaml": "YAML", "toml": "TOML"}
_EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
_YAML_NAMES = {"mlmodel", "dvc.lock"}
_INT_DIGITS = 4300  # Python refuses to convert longer decimal integers
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


# --- loading -----------------------------------------------------------------------------


class _JsonHooks:
    """What the hooks of one thread's JSON decoders saw in the document being parsed."""

    def __init__(self) -> None:
        self.constants: set[str] = set()
        self.long_ints: list[str] = []
        self.duplicates: list[str] = []

    def clear(self) -> None:
        self.constants.clear()
        self.long_ints.clear()
        self.duplicates.clear()


def _json_decoders() -> tuple[json.JSONDecoder, json.JSONDecoder, _JsonHooks]:
    """A JSON decoder (and one keeping over-long integers as text) whose hooks note
    constants, long integers and repeated keys in the returned state; made once per
    thread (``json.loads`` with hooks builds a decoder on every call). The hooks are
    closures over the state, never over the decoders: no reference cycle."""
    hooks = _JsonHooks()
    constants, long_ints, duplicates = hooks.constants, hooks.long_ints, hooks.duplicates

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

    plain = json.JSONDecoder(strict=False, parse_constant=constant, object_pairs_hook=mapping)
    long = json.JSONDecoder(
        strict=False, parse_constant=constant, parse_int=parse_int, object_pairs_hook=mapping
    )
    return plain, long, hooks


_JSON_DECODERS = threading.local()


def _decode_json(decoder: json.JSONDecoder, text: str) -> Any:
    """``json.loads(text)`` with ``decoder``, as ``json.loads`` checks it first."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return decoder.decode(text)


def _load_json(text: str) -> tuple[Any, list[str], bool]:
    decoders = getattr(_JSON_DECODERS, "decoders", None)
    if decoders is None:
        decoders = _JSON_DECODERS.decoders = _json_decoders()
    plain, long, hooks = decoders
    hooks.clear()
    try:
        try:
            doc = _decode_json(plain, text)
        except ValueError as e:
            if isinstance(e, json.JSONDecodeError) or "digits" not in str(e):
                raise
            # an integer too long for int(): parse again, keeping such integers as text
            # (not the first choice: a Python hook per integer is slow)
            hooks.clear()
            doc = _decode_json(long, text)
    except json.JSONDecodeError as e:
        return None, [f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"], False
    except RecursionError:
        return None, ["JSON nested too deeply; not read"], False
    warnings = []
    if hooks.constants:
        names = ", ".join(sorted(hooks.constants))
        warnings.append(
            f"uses {names}, which standard JSON does not allow; read as non-finite numbers"
            " (never compared as metrics)"
        )
    if hooks.long_ints:
        warnings.append(
            f"{len(hooks.long_ints)} integer(s) with over {_INT_DIGITS} digits kept as text"
        )
    if hooks.duplicates:
        warnings.append(duplicate_keys_warning(list(hooks.duplicates)))
    hooks.clear()
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
