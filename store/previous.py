"""Which version each version was built on: the nearest earlier version of the same
model along first parents.

Metric deltas compare a version with this one, not with whatever was committed just
before it on another branch: an experiment's commit is compared with the version it
branched from, a merge into main with main's previous version.
"""

from __future__ import annotations

import duckdb


def previous_versions(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, str | None]:
    """``{commit: previous version's commit or None}`` for every version of ``model``."""
    versions = {
        r[0] for r in con.execute("SELECT commit FROM versions WHERE model = ?", [model]).fetchall()
    }
    if not versions:
        return {}
    rows = con.execute(
        """
        SELECT c.commit, c.parents[1] FROM commits c
        WHERE c.topo >= (SELECT min(topo) FROM versions WHERE model = ?)
        ORDER BY c.topo
        """,
        [model],
    ).fetchall()
    nearest: dict[str, str | None] = {}  # commit -> newest version at or before it
    previous: dict[str, str | None] = {}
    for commit, parent in rows:
        before = nearest.get(parent) if parent else None
        if commit in versions:
            previous[commit] = before
            nearest[commit] = commit
        else:
            nearest[commit] = before
    return previous
