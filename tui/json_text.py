"""The JSON text of every ``--json`` output, by orjson: indented by two, keys in their
order, non-ASCII characters as they are, and floats exactly (the shortest text that reads
back as the same float); NaN and ±Infinity, which standard JSON has no numbers for, as
``null`` (orjson's own rule, and ``format.json_number``'s).

A list is written an item at a time (:func:`list_chunks`), so a listing of 100,000
versions is never one list nor one string. What orjson does not take is written by
``json.dumps`` with the same rules, an item at a time: integers beyond 64 bits and text
holding lone surrogates (a path's bytes that were not UTF-8). Values JSON has no type
for (a date, a ``Decimal``, bytes) are written as their ``str()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from modeltrail.tui.format import json_number

_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_NON_STR_KEYS  # {1: ...} as {"1": ...}, as json.dumps writes it
    | orjson.OPT_PASSTHROUGH_DATETIME  # a date as str() writes it, not RFC 3339
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _default(value: Any) -> Any:
    """What orjson writes for a value it has no rule for."""
    if isinstance(value, float):  # a float subclass: its number
        return float(value)
    return str(value)


def _numbers(data: Any) -> Any:
    """``data`` with every float as ``format.json_number`` writes it (for ``json.dumps``)."""
    if isinstance(data, float):
        return json_number(data)
    if isinstance(data, dict):
        return {k: _numbers(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_numbers(v) for v in data]
    return data


def dumps(value: Any) -> str:
    """``value`` as JSON text, indented by two (no newline at the end)."""
    return _text(value, b"\n", "\n")


def _text(value: Any, newline: bytes, newline_text: str) -> str:
    """:func:`dumps` of ``value`` with every line break as ``newline`` (JSON strings hold
    no raw line break, so this indents the text)."""
    try:
        raw = orjson.dumps(value, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:  # a huge integer, a lone surrogate, a deep nest
        text = json.dumps(_numbers(value), indent=2, default=str, ensure_ascii=False)
        return text.replace("\n", newline_text)
    return raw.replace(b"\n", newline).decode()


def list_chunks(items: Iterable[Any], per_chunk: int = 256) -> Iterator[str]:
    """The JSON text of ``list(items)``, the same as :func:`dumps` of the list when it
    takes every item, in pieces of ``per_chunk`` items (each piece one ``orjson`` call:
    10,000 models' items one call each took a third of ``models --json``'s output)."""
    out: list[str] = []
    batch: list[Any] = []
    count = 0
    for item in items:
        batch.append(item)
        count += 1
        if count % per_chunk == 0:
            out.append(_items(batch, first=count == len(batch)))
            batch.clear()
            yield "".join(out)
            out.clear()
    if batch:
        out.append(_items(batch, first=count == len(batch)))
    out.append("\n]" if count else "[]")
    yield "".join(out)


def _items(batch: list[Any], first: bool) -> str:
    """``batch`` (not empty) as the items of a list: ``[`` and the items when ``first``,
    else ``,`` and the items; indented as :func:`dumps` indents a list's items."""
    try:
        raw = orjson.dumps(batch, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:  # one of them needs json.dumps: an item at a time
        text = ",".join("\n  " + _text(item, b"\n  ", "\n  ") for item in batch)
    else:  # b"[\n  item,\n  item\n]": the items, without the brackets
        text = raw[1:-2].decode()
    return ("[" if first else ",") + text
