"""Writing rows into catalog tables, and the column lists of the derived tables."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from modeltrail.store.read import indexer

if TYPE_CHECKING:
    import duckdb


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
    import pyarrow as pa  # only for many rows: one new commit's run spares its import

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
    register_columns(con, view, {"name": sorted(set(names))})


#: up to this many rows, ``register_columns`` makes a temporary table from query
#: parameters (10,000 refs' names and ids: ~17 ms; as Arrow ~9 ms, after pyarrow's
#: ~60 ms import, which a run that registers only a few things never pays)
SMALL_REGISTER = 20_000


def register_columns(
    con: duckdb.DuckDBPyConnection,
    view: str,
    cols: dict[str, list[Any]],
    lists: tuple[str, ...] = (),
) -> None:
    """A relation ``view`` holding these text columns (``lists``: lists of text), until
    ``unregister_columns`` or the next relation of that name: a temporary table when
    the rows are few, else an Arrow table."""
    unregister_columns(con, view)
    rows = len(next(iter(cols.values())))
    if rows <= SMALL_REGISTER:
        picks = ", ".join(
            f"unnest(${i}::VARCHAR{'[]' if name in lists else ''}[]) AS {name}"
            for i, name in enumerate(cols, 1)
        )
        con.execute(f"CREATE TEMP TABLE {view} AS SELECT {picks}", list(cols.values()))
        return
    import pyarrow as pa

    con.register(
        view,
        pa.table(
            {
                name: pa.array(values, pa.list_(pa.string()) if name in lists else pa.string())
                for name, values in cols.items()
            }
        ),
    )


def unregister_columns(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Drop what ``register_columns`` made under ``view`` (either kind)."""
    con.unregister(view)
    con.execute(f"DROP TABLE IF EXISTS temp.{view}")
