"""Loaded values as plain JSON-like data (``to_plain``: dates as ISO text, ``!!binary``
as base64, sets as sorted lists, non-string keys as text: ``key_text``) and as stable
JSON text (``to_json_text``), within the readers' output limits. See ``structured.py``
for the value conventions.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime, time
from typing import Any

from modeltrail.store.read.readers._common import (
    MAX_VALUES,
    OutputBudget,
    output_budget,
)

#: Flattening limits.
MAX_KEYS = 10_000
MAX_DEPTH = 64
MAX_NODES = MAX_VALUES  # values visited, and characters of keys and strings (MAX_TEXT),
# counted each time an alias is reached; shared with the reader call in progress
_INT_BITS = 14000  # about the bits of the longest decimal integer Python converts


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
