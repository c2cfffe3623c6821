"""Writing rows into catalog tables, and the column lists of the derived tables."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from modeltrail.store.read import indexer


def _remember_missing(module: str) -> None:
    """Make ``import module`` fail at once when it is not installed: pyarrow tries to
    import ``dateutil`` for every array whose type it infers, and Python does not
    remember a failed import, so each try searched ``sys.path`` again (~0.15 ms of CPU
    an array; a small repository's index makes a hundred)."""
    if module not in sys.modules and importlib.util.find_spec(module) is None:
        sys.modules[module] = None  # type: ignore[assignment]  # Python's "not importable"


_remember_missing("dateutil")

#: ``warnings.path`` of the warnings about tags and labels (rewritten on each run that
#: reads the tags; no declaring file has this path).
TAG_WARNINGS = "tags"
LABEL_COLUMNS = ("model", "commit", "label", "kind", "tag", "rank", "scheme")
WARNING_COLUMNS = ("commit", "path", "model", "message")
STAGE_COLUMNS = ("model", "stage", "version", "commit", "since", "ref")
EVENT_COLUMNS = (
    "model",
    "event",
    "stage",
    "version",
    "commit",
    "ref",
    "counter",
    "timestamp",
    "author_name",
    "author_email",
    "message",
    "rollback_from",
    "reason",
)


#: up to this many rows, columns go to DuckDB as query parameters (a few ms less per
#: table than an Arrow table registered and dropped again: a small repository's index
#: inserts a dozen tiny tables); above, DuckDB's per-value conversion would cost more
SMALL_INSERT = 256


def insert(con: duckdb.DuckDBPyConnection, table: str, cols: indexer.Columns) -> None:
    """Append columns to a table in one transfer: as parameters when few, else Arrow."""
    if len(cols) == 0:
        return
    names = ", ".join(cols.names)
    if len(cols) <= SMALL_INSERT:
        # each list parameter unnested into a column, the lists side by side (zipped)
        picks = ", ".join(f"unnest(${i})" for i in range(1, len(cols.names) + 1))
        con.execute(
            f"INSERT INTO {table} ({names}) SELECT {picks}",
            [cols.cols[n] for n in cols.names],
        )
        return
    pool = pa.system_memory_pool()  # Arrow's default pool keeps what it freed: +50 MB
    con.register(
        "incoming", pa.table({n: pa.array(cols.cols[n], memory_pool=pool) for n in cols.names})
    )
    con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM incoming")
    con.unregister("incoming")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Append row tuples (in ``names`` order) to a table."""
    if not rows:
        return
    cols = indexer.Columns(*names)
    for name, values in zip(names, zip(*rows, strict=True), strict=True):
        cols.cols[name] = list(values)
    insert(con, table, cols)


def register_names(con: duckdb.DuckDBPyConnection, view: str, names: Iterable[str]) -> None:
    """A one-column (``name``) relation ``view`` holding ``names``, for ``IN`` filters."""
    con.register(view, pa.table({"name": pa.array(sorted(set(names)), pa.string())}))
