"""``modeltrail sql QUERY``: read-only SQL on the catalog, with no file access."""

from __future__ import annotations

import argparse

import duckdb

from modeltrail.store.errors import UsageError
from modeltrail.tui.commands._common import add_json, catalog, print_json, print_table

NAME = "sql"
HELP = (
    "run a read-only SQL query on the catalog (no file access: COPY TO, read_csv, "
    "read_text, ATTACH and extensions are refused)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query")
    add_json(parser)


def sandboxed(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A connection that sees the catalog read-only and can touch no other file.

    The catalog file is attached read-only to a private in-memory database, then
    ``enable_external_access`` is turned off and the configuration locked, so a query
    can neither turn it back on nor read or write files (DuckDB's own sandbox). Setting
    it on a private instance leaves the process's other catalog connections alone.
    """
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    path = row[0] if row else None
    if path:
        con.close()
        con = duckdb.connect(":memory:")
        escaped = str(path).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS catalog (READ_ONLY)")
        con.execute("USE catalog")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run(args: argparse.Namespace) -> int:
    _repo, con = catalog(args)
    con = sandboxed(con)
    try:
        cur = con.execute(args.query)
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.PermissionException as exc:
        raise UsageError(
            f"refused: sql reads the catalog only, no file access ({str(exc).splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        raise UsageError(f"SQL error: {str(exc).splitlines()[0]}") from None
    if args.json:
        print_json([dict(zip(names, r, strict=True)) for r in rows])
        return 0
    # piped: every value whole, one row per line; on a terminal the last columns give
    # way first
    print_table(names, [["NULL" if v is None else str(v) for v in r] for r in rows], [])
    return 0
