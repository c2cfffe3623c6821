"""The main line: the first-parent history of the main branch.

The version list and ``versions`` show by default the versions on the main line plus
every labelled or staged version; this module says which commits those are. Read-only;
one pass over the ``commits`` table (a fraction of a second for 200,000 commits).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from modeltrail.store.catalog import branches
from modeltrail.store.read.gitio import effective_branches


@dataclass(frozen=True)
class MainLine:
    """The main branch's name (None: the repository has no branch), the commits of its
    first-parent history (newest first), and how many commits each branch holds."""

    branch: str | None
    commits: pa.Array
    sizes: dict[str, int]


def _branch_heads(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Branch name -> head commit (``effective_branches``), reading only branch refs (a
    repository with 20,000 tags paid 0.1 s to read and sort them all)."""
    rows = con.execute(
        "SELECT kind, short, commit FROM refs WHERE kind IN ('branch', 'remote')"
    ).fetchall()
    return effective_branches(rows)


def main_branch(
    con: duckdb.DuckDBPyConnection,
    configured: str | None = None,
    heads: dict[str, str] | None = None,
) -> str | None:
    """The main line's branch (``store.catalog.branches.main_branch``) by the catalog's refs."""
    return branches.main_branch(con, configured, _branch_heads(con) if heads is None else heads)


def main_line(con: duckdb.DuckDBPyConnection, configured: str | None = None) -> MainLine:
    """The main branch and its first-parent history (empty when there is no branch)."""
    heads = _branch_heads(con)
    branch = main_branch(con, configured, heads)
    head = heads.get(branch) if branch is not None else None
    sizes = dict(
        con.execute("SELECT branch, count(*) FROM commit_branches GROUP BY branch").fetchall()
    )
    if head is None:
        return MainLine(branch, pa.array([], pa.string()), sizes)
    # each commit's first parent as a row number (-1: none, or not in the catalog): the
    # walk follows integers, not 100,000 Python strings (and DuckDB does the lookup, so
    # no command pays pyarrow.compute's import for it)
    t = con.sql(
        """
        WITH c AS (
            SELECT row_number() OVER (ORDER BY topo, commit) - 1 AS row, commit,
                   parents[1] AS parent
            FROM commits
        )
        SELECT c.commit, coalesce(p.row, -1) AS parent_row, c.commit = $head AS is_head
        FROM c LEFT JOIN c AS p ON p.commit = c.parent
        ORDER BY c.row
        """,
        params={"head": head},
    ).to_arrow_table()
    commits = t.column(0).combine_chunks()
    parent_row = t.column(1).to_pylist()
    try:
        start = t.column(2).to_pylist().index(True)
    except ValueError:  # the branch's commit is not in the catalog
        start = -1
    line: list[int] = []
    seen = bytearray(len(commits))
    row = start
    while row >= 0 and not seen[row]:
        seen[row] = 1
        line.append(row)
        row = parent_row[row]
    # (Array.take would import pyarrow.compute: 0.06 s of every command's start-up)
    names = commits.to_pylist()
    return MainLine(branch, pa.array([names[r] for r in line], pa.string()), sizes)


_NAMES = itertools.count()


@contextmanager
def line_relation(con: duckdb.DuckDBPyConnection, main: MainLine) -> Iterator[str]:
    """The main line's commits as a relation (one ``commit`` column) named by the yielded
    name, for ``commit IN (SELECT commit FROM <name>)``.

    DuckDB scans the Arrow column in place; passing the commits as a list parameter
    instead made a value per commit, which cost 60 MB and 80 ms at 100,000 commits."""
    name = f"main_line_{next(_NAMES)}"
    con.register(name, pa.table({"commit": main.commits}))
    try:
        yield name
    finally:
        con.unregister(name)
