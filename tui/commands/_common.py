"""What every command shares: finding the repository, the catalog, printing."""

from __future__ import annotations

import argparse
import codecs
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from modeltrail.store.remote_repo import open_location
from modeltrail.tui.safe_text import SafeStream, literal, raw_stream

if TYPE_CHECKING:
    import duckdb
    import git
    from rich.text import Text

    from modeltrail.store.config import Config


def repo_of(args: argparse.Namespace) -> git.Repo:
    """The repository (``-C PATH`` or ``-C URL``: a URL's cached clone, fetched unless
    ``--offline``; a copy not fetched this run says how old it is on stderr); a broken
    configuration file is a warning on stderr (the TUI shows the same warning itself)."""
    location = open_location(args.repo_path, offline=getattr(args, "cache_only", False))
    repo = location.repo
    if location.note:
        print(f"modeltrail: warning: {location.note}", file=sys.stderr)
    args.location_note = location.note
    if getattr(args, "command", None):
        for warning in config_of(repo).warnings:
            print(f"modeltrail: warning: {warning}", file=sys.stderr)
    return repo


def config_of(repo: git.Repo) -> Config:
    """The repository's modeltrail configuration (defaults where it has none)."""
    from modeltrail.store.config import load_config
    from modeltrail.store.repo import repo_paths

    return load_config(repo_paths(repo).root)


def catalog(args: argparse.Namespace) -> tuple[git.Repo, duckdb.DuckDBPyConnection]:
    """The repository and its catalog, brought up to date quietly."""
    repo = repo_of(args)
    return repo, catalog_of(repo)


def catalog_of(repo: git.Repo) -> duckdb.DuckDBPyConnection:
    """The repository's catalog, brought up to date; if it cannot be written (read-only
    ``.git``, full disk) the answer comes from what could be read, with a warning."""
    from modeltrail.store.catalog.files import fresh_catalog

    con, summary = fresh_catalog(repo)
    if summary is not None and summary.warning:
        print(f"modeltrail: warning: {summary.warning}", file=sys.stderr)
    return con


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (stable shape)")


# characters JSON leaves raw that a terminal would act on: C1 controls, DEL, bidi controls;
# and lone surrogates (bytes that were not UTF-8), which no encoding can write; and a
# path's stand-ins for such bytes (store/pathtext.py), which would otherwise be shown as
# \xNN inside a JSON string (as a \uXXXX pair they read back as the catalog holds them);
# and the byte-order mark. What is left is text safe_text.clean leaves as it is, so JSON
# is written to the stream directly
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\ud800-\udfff"
    "\U0010ef80-\U0010efff]"
)


def print_json(data: Any) -> None:
    """JSON on stdout (``tui/json_text.py``: standard JSON, floats exact, NaN and
    ±Infinity as null); repository text can't drive the terminal (escaped as \\uXXXX)."""
    if isinstance(data, list):
        print_json_list(data)
        return
    from modeltrail.tui.json_text import dumps

    raw_stream(sys.stdout).write(_escape_unsafe(dumps(data), _narrow_encoding()) + "\n")


def _escape_unsafe(text: str, narrow: str | None = None) -> str:
    """JSON text with the characters that could drive or reorder the terminal as \\uXXXX,
    and, for an output encoding ``narrow`` that lacks some characters (latin-1, ASCII),
    those too: the JSON reads back exactly (not the stand-ins other output gets)."""
    if not text.isascii() or "\x7f" in text:  # (of them, ASCII has DEL only)
        text = _UNSAFE_IN_JSON.sub(_json_unicode_escape, text)
    if narrow is not None:
        text = text.encode(narrow, _JSON_ESCAPES).decode(narrow)
    return text


_JSON_ESCAPES = "modeltrail.json-escape"


def _json_unicode_escape(m: re.Match) -> str:
    """One character as JSON's ``\\uXXXX`` (a pair of them beyond U+FFFF)."""
    o = ord(m.group(0))
    if o > 0xFFFF:
        o -= 0x10000
        return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"
    return f"\\u{o:04x}"


def _json_escape(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: characters the encoding lacks as JSON's ``\\uXXXX`` (a pair
    of them beyond U+FFFF). They only occur inside JSON strings."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        o = ord(ch)
        if o > 0xFFFF:
            o -= 0x10000
            out.append(f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}")
        else:
            out.append(f"\\u{o:04x}")
    return "".join(out), exc.end


codecs.register_error(_JSON_ESCAPES, _json_escape)


def _narrow_encoding() -> str | None:
    """stdout's encoding when it cannot carry every character (not a UTF), else None."""
    encoding = getattr(raw_stream(sys.stdout), "encoding", None)
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return None if name.startswith("utf") else name


def print_json_list(items: Iterable[Any]) -> None:
    """:func:`print_json` of ``list(items)``, the same text, written as the items come
    (a listing of 100,000 versions is never one list, nor one string)."""
    from modeltrail.tui.json_text import list_chunks

    # escaped already (JSON's own escapes, and _escape_unsafe): straight to the stream,
    # not again through safe_text.clean (0.1 s of 10,000 models' 4 MB)
    out = raw_stream(sys.stdout)
    narrow = _narrow_encoding()
    for chunk in list_chunks(items):
        out.write(_escape_unsafe(chunk, narrow))
    out.write("\n")


class _TrimmedLines:
    """A stream that drops the spaces a table pads its lines with (piped output is not
    columns of trailing blanks)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw
        self._pending = ""

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        if lines:
            self.raw.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.raw.write(self._pending.rstrip(" "))
            self._pending = ""
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def console(*, stderr: bool = False):
    """A Rich console for tables on a terminal (plain text when piped: not cut at 80
    columns, and without trailing padding). What it writes still goes through
    ``safe_text.clean``, keeping only Rich's own colours."""
    from rich.console import Console

    class _PipeEndingConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # the reader stopped early: ``cli.main`` ends quietly

    stream = raw_stream(sys.stderr if stderr else sys.stdout)
    tty = stream.isatty()
    out = stream if tty else _TrimmedLines(stream)
    return _PipeEndingConsole(
        # SafeStream and _TrimmedLines are text streams by duck typing (write, flush)
        file=SafeStream(out, keep_style=True),  # type: ignore[arg-type]
        highlight=False,
        soft_wrap=False,
        width=None if tty else 1_000_000,  # piped: never cut nor wrap (one row per line)
    )


def output_width() -> int | None:
    """The width tables must fit on a terminal (``COLUMNS`` if exported, else the
    terminal's); None when piped: nothing is dropped or cut."""
    import shutil

    if raw_stream(sys.stdout).isatty():
        return shutil.get_terminal_size().columns
    return None


def print_table(
    titles: list[str],
    rows: list[list[str]],
    drop_first: list[int],
    flex: int | None = None,
    flex_min: int = 12,
    cut: dict[int, int] | None = None,
    whole: tuple[int, ...] = (),
) -> None:
    """Print a plain table of repository text (each cell shown literally on one line).
    Piped: every column, every value whole, one row per line. On a terminal: sized by
    importance (``plain_table.layout``: ``cut`` columns give way first, then the
    ``drop_first`` ones go; ``flex`` takes what is left; ``whole`` ones are never cut),
    the header in bold."""
    from modeltrail.tui.plain_table import (
        body_lines,
        cell_text,
        columns_of,
        layout,
        line,
        width_of,
    )

    width = output_width()
    heads = [cell_text(t) for t in titles]
    # a column at a time: each cell cleaned and measured once, a plain column in one pass
    columns, natural = columns_of(rows, len(titles))
    natural = [max(w, width_of(h)) for w, h in zip(natural, heads, strict=True)]
    keep, widths = layout(natural, width, drop_first, flex, flex_min, cut, whole)
    stream = raw_stream(sys.stdout)
    header = line(heads, keep, widths)
    if width is None:
        stream.write(header + "\n")
    else:
        from rich.text import Text

        console().print(Text(header, style="bold"), soft_wrap=True)
    batch: list[str] = []
    for text in body_lines(columns, keep, widths):
        batch.append(text)
        if len(batch) >= 1024:
            stream.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        stream.write("\n".join(batch) + "\n")
    stream.flush()


def safe(text: Any, single_line: bool = True) -> Text:
    """Repository text as a literal Rich Text on one line: no markup, no control sequences."""
    return literal(text, single_line=single_line)
