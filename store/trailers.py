"""The ``Rollback-*`` trailers: written into a rollback's or undo's tag or commit message
(``store.write.rollback``) and read back from it (the undo there, the index's stage
events in ``store.read.derive``), by this one module.

The trailers are ``Rollback-Model``, ``Rollback-Stage`` or ``Rollback-Branch``,
``Rollback-From``, ``Rollback-To``, ``Rollback-Reason``, ``Rollback-Undoes`` (undos
only) and ``Rollback-From-Commit``/``Rollback-To-Commit`` (full ids).

A value is written as it is when a trailer can carry it: one line of printable text,
without control characters (C0, C1, DEL, U+2028/U+2029), bidirectional controls
(U+200E/U+200F, U+061C, U+202A–U+202E, U+2066–U+2069), a byte that is not UTF-8, or
spaces at either end, and not starting with a double quote. Any other value (a model
whose name holds a control character, say) is written as a JSON string literal (RFC
8259: ``"m\\u0007x"``), every such character as a ``\\uXXXX`` escape, so the message
holds none of them and the value reads back exactly. On reading, a value that starts
with ``"`` and parses as a JSON string is that string; any other value is read as it
is, as trailers written before this rule always were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from modeltrail.store import pathtext

TRAILER = re.compile(r"^(Rollback-[A-Za-z-]+):[ \t]*(.*)$", re.MULTILINE)
# what never goes into a message: C0/C1 controls, DEL, line/paragraph separators and the
# bidirectional controls (marks, embeddings, overrides, isolates)
_UNSAFE_CHARS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]+")
# what a trailer value cannot carry as is (the above, lone surrogates: bytes that were not
# UTF-8, and the JSON string escapes' own characters when they could be misread)
_NEEDS_QUOTING = re.compile(f"[{_UNSAFE_CHARS}\ud800-\udfff]")
_ESCAPED = re.compile(f'[{_UNSAFE_CHARS}\ud800-\udfff"\\\\]')
MAX_REASON = 500
MAX_VALUE = 300  # characters kept of a free-text trailer's value (the reason)


def one_line(text: object, limit: int = MAX_REASON) -> str:
    """Text safe for a commit subject or trailer: one line, no control characters and
    no bidirectional controls (each run of them becomes one space)."""
    s = _UNSAFE.sub(" ", "" if text is None else str(text)).strip()
    return s[:limit]


def encode_value(value: object) -> str:
    """A trailer value that reads back as exactly ``value`` (:func:`decode_value`): as
    it is when a trailer can carry it, else a JSON string with every unsafe character
    escaped."""
    s = "" if value is None else str(value)
    if not _NEEDS_QUOTING.search(s) and not s.startswith('"') and s == s.strip():
        return s
    return '"' + _ESCAPED.sub(_escape_char, s) + '"'


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    return "\\" + ch if ch in '"\\' else f"\\u{ord(ch):04x}"


def decode_value(raw: str) -> str:
    """The value a trailer line carries (:func:`encode_value`); a value written before
    values were quoted reads as it is. Bytes that were not UTF-8 (a reason typed in a C
    locale) come back in the catalog's form (``store.pathtext``), which the catalog can
    hold and the screen shows as ``\\xNN``; any other lone surrogate as U+FFFD."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            found = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(found, str):
            return _valid_text(found)
    return raw


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(value: str) -> str:
    if value.isascii():
        return value
    return _LONE_SURROGATE.sub("\ufffd", pathtext.to_catalog(value))


def trailer_lines(pairs: Iterable[tuple[str, object]]) -> list[str]:
    """``Name: value`` lines, each value carried losslessly (:func:`encode_value`)."""
    return [f"{name}: {encode_value(value)}" for name, value in pairs]


def read_trailers(message: str | None) -> dict[str, str]:
    """Every ``Rollback-*`` trailer of a message (the last occurrence wins), decoded."""
    return {k: decode_value(v) for k, v in TRAILER.findall(message or "")}


def rollback_trailers(message: str | None) -> dict[str, str] | None:
    """The ``Rollback-*`` trailers of a rollback's message (``None`` when it is none)."""
    found = read_trailers(message)
    return found if "Rollback-Model" in found else None
