"""What every command shares: finding the repository, the catalog, printing."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, Any

from modeltrail.store.repo import open_repo
from modeltrail.tui.safe_text import SafeStream, literal, raw_stream
from rich.text import Text

if TYPE_CHECKING:
    import duckdb
    import git


def repo_of(args: argparse.Namespace) -> git.Repo:
    """The repository; a broken configuration file is a warning on stderr (the TUI
    shows the same warning itself)."""
    repo = open_repo(args.repo_path)
    if getattr(args, "command", None):
        from modeltrail.store.config import load_config
        from modeltrail.store.repo import repo_paths

        for warning in load_config(repo_paths(repo).root).warnings:
            print(f"modeltrail: warning: {warning}", file=sys.stderr)
    return repo


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


# characters JSON leaves raw that a terminal would act on: C1 controls, DEL, bidi controls
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def print_json(data: Any) -> None:
    """JSON on stdout; repository text can't drive the terminal (escaped as \\uXXXX)."""
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n")


def console(*, stderr: bool = False):
    """A Rich console for tables on a terminal (plain text when piped). What it writes
    still goes through ``safe_text.clean``, keeping only Rich's own colours."""
    from rich.console import Console

    stream = raw_stream(sys.stderr if stderr else sys.stdout)
    width = None if stream.isatty() else 200  # piped: don't cut at 80 columns
    return Console(
        file=SafeStream(stream, keep_style=True), highlight=False, soft_wrap=False, width=width
    )


def safe(text: Any, single_line: bool = True) -> Text:
    """Repository text as a literal Rich Text on one line: no markup, no control sequences."""
    return literal(text, single_line=single_line)
