"""One-pass readers for the common shapes: the catalog's rows of a plain metrics or
params document, of an ``MLmodel`` and of a ``model.yaml``, without the careful path's
Python per value (no flattened dict, no budget, no dataclass per value).

Each function here gives exactly what the careful readers give (``blobfacts`` turns
their results into the same rows) or ``None``: then the caller takes the careful path,
which reads everything and says what is wrong. So anything unusual is refused, never
handled: a document that is not small UTF-8 without a byte-order mark or NUL, that a
native parser might read otherwise than the careful one (``_yaml.load_yaml_native``),
a JSON document with ``NaN``/``Infinity``, an over-long integer or a key given twice
(one ``:`` per key: a count of ``:`` above the keys read is checked again carefully),
a key that is not text, nesting past 30 levels, a value that is not an exact plain
type, a non-finite number, a number written as text among metrics, a flattened key
given twice, more than ``_FAST_KEYS`` keys, anything that would warn. Never raises.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modeltrail.store.read.readers._yaml import NOT_FAST, load_yaml_native
from modeltrail.store.read.readers.plain import _FAST_KEYS, _FAST_STR

#: a row of ``blob_values``: (section, key, number, JSON text)
Row = tuple[str, str, float | None, str]

_LIMIT = 64 * 1024
_DEPTH = 30  # mappings nested deeper go the careful way (``_fast_plain`` takes 32)
_LIST = 1000  # the longest list kept as one value here (``plain._fast_leaf``)
_BIT_LIMIT = 63
# a metric written as text: warned about by ``structured.metric_problem``
_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?%?\s*")
_json_string = json.encoder.encode_basestring  # what _JSON.encode does with a str
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=True, sort_keys=True)


class _NotFast(Exception):
    """The careful path must read this document."""


def _refuse(_name: str) -> Any:
    raise _NotFast


_JSON_DECODER = json.JSONDecoder(strict=False, parse_constant=_refuse)


def text_of(data: bytes) -> str | None:
    """The text of a small UTF-8 blob without BOM or NUL (else None)."""
    if (
        type(data) is not bytes
        or len(data) > _LIMIT
        or b"\x00" in data
        or data[:3] == b"\xef\xbb\xbf"
    ):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _load(text: str, fmt: str) -> tuple[Any, int]:
    """The document and the most keys it may hold (-1: not counted), or raises."""
    if fmt == "json":
        doc = _JSON_DECODER.decode(text)  # ValueError for what the careful path explains
        return doc, text.count(":")
    if fmt == "yaml":
        doc = load_yaml_native(text)
        if doc is NOT_FAST:
            raise _NotFast
        return doc, -1
    raise _NotFast


def document_rows(data: bytes, fmt: str, section: str) -> list[Row] | None:
    """The rows of a metrics (``section`` ``"metrics"``) or params document, as
    ``blobfacts.values_of`` gives them with no warning; None: read it carefully."""
    text = text_of(data)
    if text is None:
        return None
    try:
        doc, colons = _load(text, fmt)
        if type(doc) is not dict or not doc:
            return None
        rows: list[Row] = []
        keys = _rows(doc, None, section, section == "metrics", rows, 0)
    except Exception:  # noqa: BLE001 - refused, or a parse error the careful path explains
        return None
    if colons >= 0 and keys != colons:
        return None  # a ':' that is no key's: maybe a key given twice
    return rows if _distinct(rows) else None


def section_rows(doc: dict[str, Any], section: str) -> list[Row] | None:
    """The rows of an already loaded plain mapping (a manifest's inline ``metrics`` or
    ``params``), or None."""
    rows: list[Row] = []
    try:
        _rows(doc, None, section, section == "metrics", rows, 0)
    except Exception:  # noqa: BLE001 - refused
        return None
    return rows if _distinct(rows) else None


def _distinct(rows: list[Row]) -> bool:
    return len(rows) <= _FAST_KEYS and len({r[1] for r in rows}) == len(rows)


def _rows(
    d: dict[Any, Any], pre: str | None, section: str, metrics: bool, rows: list[Row], depth: int
) -> int:
    """Append the rows of mapping ``d`` (flattened under ``pre``); the number of keys
    of ``d`` and of the mappings in it. A function call per mapping, none per value."""
    if depth >= _DEPTH or len(rows) > _FAST_KEYS:
        raise _NotFast
    keys = len(d)
    append = rows.append
    for k, v in d.items():
        if type(k) is not str or len(k) > _FAST_STR:
            raise _NotFast
        key = k if pre is None else f"{pre}.{k}"
        kind = type(v)
        if kind is float:
            if v - v != 0.0:  # NaN or ±Infinity: never a metric, warned about
                raise _NotFast
            append((section, key, v, float.__repr__(v)))
        elif kind is str:
            if len(v) > _FAST_STR or (metrics and len(v) < 64 and _NUMBER_TEXT.fullmatch(v)):
                raise _NotFast
            append((section, key, None, _json_string(v)))
        elif kind is int:
            if v.bit_length() >= _BIT_LIMIT:
                raise _NotFast
            append((section, key, float(v), int.__repr__(v)))
        elif kind is dict:
            if v:
                keys += _rows(v, key, section, metrics, rows, depth + 1)
        elif kind is bool:
            append((section, key, 1.0 if v else 0.0, "true" if v else "false"))
        elif v is None:
            append((section, key, None, "null"))
        elif kind is list:
            _check_list(v)
            append((section, key, None, _JSON.encode(v)))
        else:
            raise _NotFast
    return keys


def _check_list(items: list[Any]) -> None:
    """A list the fast paths keep as one value: at most ``_LIST`` plain scalars."""
    if len(items) > _LIST:
        raise _NotFast
    for x in items:
        kind = type(x)
        if kind is str:
            if len(x) > _FAST_STR:
                raise _NotFast
        elif kind is int:
            if x.bit_length() >= _BIT_LIMIT:
                raise _NotFast
        elif kind is not float and kind is not bool and x is not None:
            raise _NotFast
