"""Rendering repository text literally: never markup, never terminal control.

Everything shown that came from a repository (messages, names, metric keys, authors)
goes through :func:`clean` or :func:`literal`. Control characters (C0, C1, DEL), escape
sequences and bidirectional overrides become visible placeholders; Rich/Textual markup
is never interpreted because the result is a ``Text`` built without parsing.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

# ESC-introduced sequences (CSI, OSC, DCS ...) are dropped whole, the rest shown as escapes
_ESC_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS/SOS/PM/APC
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
)
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]"
)


def _placeholder(match: re.Match) -> str:
    ch = match.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def clean(value: Any, *, single_line: bool = False) -> str:
    """A plain string safe to put on a terminal: control characters made visible."""
    text = "" if value is None else str(value)
    text = _ESC_SEQ.sub(lambda m: "".join(_placeholder_char(c) for c in m.group(0)), text)
    if single_line:
        text = text.replace("\r\n", "\n").replace("\n", " ⏎ ").replace("\t", " ")
    else:
        text = text.replace("\t", "    ")
    return _CONTROL.sub(_placeholder, text)


def _placeholder_char(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ch in "\x1b\x07\x9b\x9c\x9d" else ch


def literal(value: Any, style: str = "", *, single_line: bool = False) -> Text:
    """Repository text as a Rich ``Text`` that is never parsed as markup."""
    return Text(clean(value, single_line=single_line), style=style)
