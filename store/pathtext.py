"""File names as text, byte for byte: the one escape between git's bytes and the catalog.

Git stores a path as bytes, which need not be UTF-8 (``m\\xe9dels/a``, a Latin-1 byte).
Python reads such a name losslessly with ``surrogateescape`` (each undecodable byte a
lone surrogate U+DC80..U+DCFF), and ``os`` functions and ``subprocess`` arguments take
that *OS form* back as the original bytes. Arrow and DuckDB, though, hold only valid
UTF-8, so the catalog (and everything above ``store/read`` and ``store/write/gitwrite``)
keeps paths in *catalog form*: each undecodable byte ``0xNN`` is the private-use
character ``U+10EFNN`` (plane 16), and a real character in that range (whose UTF-8 bytes
are ``F4 8E BE/BF xx``) is written as its four bytes escaped the same way, so every
path round-trips exactly. A path that is valid UTF-8 without those characters (nearly
every path) is the same in all forms, and costs an ``isascii`` test or one regex search.

- :func:`from_bytes` / :func:`to_bytes`: git's bytes ↔ catalog form;
- :func:`to_catalog` / :func:`to_os`: OS form (surrogates) ↔ catalog form.

Text shown to a person is decoded for display only: ``tui/safe_text.py`` shows each such
byte, in either form, as ``\\xNN``.
"""

from __future__ import annotations

import re

#: the catalog's stand-in for byte 0x80..0xFF is U+10EF80..U+10EFFF
BASE = 0x10EF00
FIRST, LAST = BASE + 0x80, BASE + 0xFF

_OS_SPECIAL = re.compile("[\udc80-\udcff\U0010ef80-\U0010efff]")
_CATALOG_SPECIAL = re.compile("[\U0010ef80-\U0010efff]")
#: the bytes of a catalog escape, as UTF-8 (U+10EF80..U+10EFFF = F4 8E BE 80..F4 8E BF BF)
_ESCAPE_BYTES = re.compile(rb"\xf4\x8e[\xbe\xbf][\x80-\xbf]")


def _escape_os(m: re.Match[str]) -> str:
    o = ord(m.group(0))
    if o < 0xE000:  # a byte that was not UTF-8: its stand-in
        return chr(BASE + o - 0xDC00)
    # a real character of the stand-ins' range: each of its four bytes escaped
    return "".join(chr(BASE + b) for b in chr(o).encode("utf-8"))


def to_catalog(text: str) -> str:
    """Catalog form of an OS-form (surrogate-escaped) path."""
    if text.isascii() or not _OS_SPECIAL.search(text):
        return text
    return _OS_SPECIAL.sub(_escape_os, text)


def from_bytes(raw: bytes) -> str:
    """Catalog form of a path as git stores it."""
    if raw.isascii():
        return raw.decode("ascii")
    return to_catalog(raw.decode("utf-8", "surrogateescape"))


def to_bytes(text: str) -> bytes:
    """The exact bytes of a catalog-form path."""
    if text.isascii():
        return text.encode("ascii")
    raw = text.encode("utf-8", "surrogateescape")  # a stray OS-form byte passes as itself
    if not _CATALOG_SPECIAL.search(text):
        return raw
    return _ESCAPE_BYTES.sub(lambda m: bytes([0x80 + ((m[0][2] & 1) << 6) + (m[0][3] & 0x3F)]), raw)


def to_os(text: str) -> str:
    """The OS form of a catalog-form path: what ``os`` functions, git arguments and
    ``gitcmd.run``'s text input take as the original bytes."""
    if text.isascii() or not _CATALOG_SPECIAL.search(text):
        return text
    return to_bytes(text).decode("utf-8", "surrogateescape")


def byte_of(ch: str) -> int | None:
    """The byte a single character stands for (a catalog stand-in or a surrogate-escaped
    byte), or None for any other character."""
    o = ord(ch)
    if FIRST <= o <= LAST:
        return o - BASE
    if 0xDC80 <= o <= 0xDCFF:
        return o - 0xDC00
    return None
