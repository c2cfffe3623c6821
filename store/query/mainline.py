"""The main line: the first-parent history of the main branch.

The version list and ``versions`` show by default the versions on the main line plus
every labelled or staged version; this module says which commits those are. Read-only;
one pass over the ``commits`` table (a fraction of a second for 200,000 commits).
"""

from __future__ import annotations

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


def main_branch(con: duckdb.DuckDBPyConnection, configured: str | None = None) -> str | None:
    """The main line's branch (``store.catalog.branches.main_branch``) by the catalog's refs."""
    heads = effective_branches(con.execute("SELECT kind, short, commit FROM refs").fetchall())
    return branches.main_branch(con, configured, heads)


def main_line(con: duckdb.DuckDBPyConnection, configured: str | None = None) -> MainLine:
    """The main branch and its first-parent history (empty when there is no branch)."""
    branch = main_branch(con, configured)
    head = None
    if branch is not None:
        heads = effective_branches(con.execute("SELECT kind, short, commit FROM refs").fetchall())
        head = heads.get(branch)
    sizes = dict(
        con.execute("SELECT branch, count(*) FROM commit_branches GROUP BY branch").fetchall()
    )
    if head is None:
        return MainLine(branch, pa.array([], pa.string()), sizes)
    t = con.sql("SELECT commit, parents[1] AS parent FROM commits").to_arrow_table()
    parent_of = dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))
    line: list[str] = []
    seen: set[str] = set()
    commit: str | None = head
    while commit is not None and commit not in seen and commit in parent_of:
        seen.add(commit)
        line.append(commit)
        commit = parent_of[commit]
    return MainLine(branch, pa.array(line, pa.string()), sizes)
