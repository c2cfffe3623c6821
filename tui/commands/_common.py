"""What every command shares: finding the repository, the catalog, printing."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import duckdb
import git
from rich.text import Text

from store.catalog import open_catalog
from store.repo import open_repo
from tui.safe_text import literal


def repo_of(args: argparse.Namespace) -> git.Repo:
    return open_repo(args.repo_path)


def catalog(args: argparse.Namespace) -> tuple[git.Repo, duckdb.DuckDBPyConnection]:
    """The repository and its catalog, brought up to date quietly."""
    repo = repo_of(args)
    return repo, open_catalog(repo)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (stable shape)")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def console():
    """A Rich console for tables on a terminal (plain text when piped)."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 200  # piped: don't cut at 80 columns
    return Console(highlight=False, soft_wrap=False, width=width)


def safe(text: Any, single_line: bool = True) -> Text:
    """Repository text as a literal Rich Text on one line: no markup, no control sequences."""
    return literal(text, single_line=single_line)
