"""Rendering repository text literally: never markup, never terminal control.

Everything shown that came from a repository (messages, names, metric keys, authors)
goes through :func:`clean` or :func:`literal`. Control characters (C0, C1, DEL), escape
sequences and bidirectional overrides become visible placeholders; Rich/Textual markup
is never interpreted because the result is a ``Text`` built without parsing.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from modeltrail.store.pathtext import byte_of

if TYPE_CHECKING:
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
# ... and a byte of a name that is not UTF-8, shown as \xNN: surrogate-escaped, or the
# catalog's stand-in for it (store/pathtext.py)
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff"
    "\udc80-\udcff\U0010ef80-\U0010efff]"
)

# anything :func:`clean` changes (the controls above, and tab and newline it rewrites)
_ANY_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff"
    "\udc80-\udcff\U0010ef80-\U0010efff]"
)


def _placeholder(match: re.Match) -> str:
    ch = match.group(0)
    byte = byte_of(ch)
    if byte is not None:
        return f"\\x{byte:02x}"
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


# what Rich itself writes on a terminal: colours (SGR), cursor show/hide, erase line,
# cursor up and carriage return for live progress; kept only for text Rich rendered
_STYLE = re.compile(r"(\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\x1b\[[0-9]*[AK]|\r)")


def clean(value: Any, *, single_line: bool = False, keep_style: bool = False) -> str:
    """A plain string safe to put on a terminal: control characters made visible.

    ``keep_style`` keeps the few sequences Rich writes for colours and progress (for a
    stream Rich renders to, where repository text was already cleaned); everything else
    is still made visible.
    """
    text = "" if value is None else str(value)
    if not _ANY_CONTROL.search(text):  # nearly all text: nothing to make visible
        return text
    if keep_style:
        parts = _STYLE.split(text)
        return "".join(
            p if i % 2 else clean(p, single_line=single_line) for i, p in enumerate(parts)
        )
    text = _ESC_SEQ.sub(lambda m: "".join(_placeholder_char(c) for c in m.group(0)), text)
    text = text.replace("\r\n", "\n")  # Windows line ends are line ends; a lone CR is shown
    if single_line:
        text = text.replace("\n", " ⏎ ").replace("\t", " ")
    else:
        text = text.replace("\t", "    ")
    return _CONTROL.sub(_placeholder, text)


def _placeholder_char(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ch in "\x1b\x07\x9b\x9c\x9d" else ch


def literal(value: Any, style: str = "", *, single_line: bool = False) -> Text:
    """Repository text as a Rich ``Text`` that is never parsed as markup."""
    from rich.text import Text  # here: the CLI's plain commands start without Rich

    return Text(clean(value, single_line=single_line), style=style)


class SafeStream:
    """A text stream whose every write goes through :func:`clean` (the CLI's stdout and
    stderr): whatever a command prints, error messages included, cannot drive the terminal."""

    def __init__(self, raw: TextIO, *, keep_style: bool = False) -> None:
        self.raw = raw
        self.keep_style = keep_style

    def write(self, text: str) -> int:
        self.raw.write(clean(text, keep_style=self.keep_style))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding ...
        return getattr(self.raw, name)


def raw_stream(stream: TextIO) -> TextIO:
    """The stream under any :class:`SafeStream` wrapping."""
    while isinstance(stream, SafeStream):
        stream = stream.raw
    return stream


# --- an output encoding that lacks some characters (latin-1, a C locale's ASCII) ---------

#: what stands in for each glyph modeltrail prints where the output encoding lacks it (one
#: character where the glyph sits in a table column, so columns stay aligned)
ASCII_STAND_INS = {
    "✓": "+",
    "✗": "x",
    "▲": "^",
    "▼": "v",
    "↑": "^",
    "↓": "v",
    "→": "->",
    "←": "<-",
    "↶": "<",
    "↷": ">",
    "▶": ">",
    "●": "*",
    "◐": "~",
    "○": "o",
    "◆": "*",
    "★": "*",
    "⚠": "!",
    "⏎": "\\n",
    "…": "...",
    "—": "-",
    "–": "-",
    "−": "-",
    "·": ".",
    "±": "+/-",
    "≥": ">=",
    "≠": "!=",
    "Δ": "d",
    "─": "-",
    "│": "|",
    "▏": "|",
    **dict.fromkeys("╭╮╰╯├┤┬┴┼", "+"),
}
STAND_IN_ERRORS = "modeltrail.stand-in"


def _escape(ch: str) -> str:
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): that byte
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _stand_in(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: an ASCII stand-in for a glyph, a backslash escape otherwise."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    part = exc.object[exc.start : exc.end]
    return "".join(ASCII_STAND_INS.get(ch) or _escape(ch) for ch in part), exc.end


codecs.register_error(STAND_IN_ERRORS, _stand_in)


@contextmanager
def _degrading(stream: TextIO) -> Iterator[None]:
    """Characters ``stream``'s encoding lacks become stand-ins rather than an exception
    (a command that wrote must never then fail on a ``✓``). Only the handler for a failed
    encode changes: output the encoding can carry is written as it is."""
    if not isinstance(stream, io.TextIOWrapper) or stream.errors == STAND_IN_ERRORS:
        yield
        return
    saved = stream.errors
    stream.reconfigure(errors=STAND_IN_ERRORS)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.reconfigure(errors=saved)


@contextmanager
def safe_streams() -> Iterator[None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :func:`clean` for the duration, and
    let both degrade to what their encoding can show (:data:`ASCII_STAND_INS`, else
    backslash escapes) instead of failing."""
    saved = sys.stdout, sys.stderr
    out, err = raw_stream(sys.stdout), raw_stream(sys.stderr)
    with _degrading(out), _degrading(err):
        sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved


# --- a path in a command the user may paste ------------------------------------------


def shell_word(text: str) -> str:
    """``text`` (a path) as one shell word that names the same bytes, safe to show: quoted
    as ``shlex.quote`` does, or, when it holds bytes that are not UTF-8 (either form) or
    control characters, in ANSI-C quotes (``$'m\\xe9dels/a'``, read so by bash, zsh and
    ksh)."""
    import shlex

    if not _ANY_CONTROL.search(text):
        return shlex.quote(text)
    out = []
    for ch in text:
        byte = byte_of(ch)
        if byte is not None:
            out.append(f"\\x{byte:02x}")
        elif ch in "\\'":
            out.append("\\" + ch)
        elif _ANY_CONTROL.match(ch):
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"
