"""Which branch is the main line, one rule for the index, the flow and the version list."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

#: the names tried, after the configured one, for the main branch
MAIN_NAMES = ("main", "master")


def main_branch(
    con: duckdb.DuckDBPyConnection, configured: str | None, heads: Mapping[str, object]
) -> str | None:
    """The configured branch, else ``main``, else ``master`` (each also as ``origin/…``
    in a clone that has no local one), else the branch holding the most commits; None
    when there is no branch. ``heads``: keyed by branch name (only the names are read)."""
    for name in (configured, *MAIN_NAMES):
        for candidate in (name, f"origin/{name}"):
            if name and candidate in heads:
                return candidate
    row = con.execute(
        "SELECT branch FROM commit_branches GROUP BY branch ORDER BY count(*) DESC, branch LIMIT 1"
    ).fetchone()
    if row and row[0] in heads:
        branch: str = row[0]
        return branch
    return min(heads) if heads else None
