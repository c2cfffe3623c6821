"""``modeltrail sql QUERY``: read-only SQL on the catalog."""

from __future__ import annotations

import argparse

import duckdb
from modeltrail.store.errors import UsageError
from modeltrail.tui.commands._common import add_json, catalog, console, print_json, safe

NAME = "sql"
HELP = "run a read-only SQL query on the catalog"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query")
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    _repo, con = catalog(args)  # a read-only connection: writes fail in DuckDB itself
    try:
        cur = con.execute(args.query)
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise UsageError(f"SQL error: {str(exc).splitlines()[0]}") from None
    if args.json:
        print_json([dict(zip(names, r, strict=True)) for r in rows])
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for n in names:
        table.add_column(safe(n))
    for r in rows:
        table.add_row(*(safe("NULL" if v is None else v) for v in r))
    console().print(table)
    return 0
