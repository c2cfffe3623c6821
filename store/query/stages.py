"""Who held each stage before its current holder (``helm rollback``'s "previous release").

Read from the catalog's ``stage_events``: for each stage the newest assignment, rollback or
undo of a *different* commit, made no later than the current holder took the stage. The
version is named by its display label (short commit id when it has none).
"""

from __future__ import annotations

import duckdb

_PREVIOUS = """
    WITH ev AS (
        SELECT e.model, e.stage, e.commit, e.timestamp, e.counter,
               coalesce(v.version, e.version, left(e.commit, 7)) AS version,
               row_number() OVER (
                   PARTITION BY e.model, e.stage
                   ORDER BY e.timestamp DESC, e.counter DESC NULLS LAST, e.ref DESC
               ) AS n
        FROM stage_events e
        JOIN stages s ON s.model = e.model AND s.stage = e.stage
        LEFT JOIN versions v ON v.model = e.model AND v.commit = e.commit
        WHERE e.event IN ('assignment', 'rollback', 'undo')
          AND e.commit IS NOT NULL AND e.commit <> s.commit
          AND (s.since IS NULL OR e.timestamp <= s.since)
          {where}
    )
    SELECT model, stage, version, commit, timestamp FROM ev WHERE n = 1
    ORDER BY model, stage
"""


def previous_holders(
    con: duckdb.DuckDBPyConnection, model: str | None = None
) -> dict[str, dict[str, dict]]:
    """model → stage → {"version", "commit", "at"} (``at``: when it was given the stage) of the stage's previous holder."""
    where, params = ("AND e.model = $1", [model]) if model is not None else ("", [])
    out: dict[str, dict[str, dict]] = {}
    for name, stage, version, commit, when in con.execute(
        _PREVIOUS.format(where=where), params
    ).fetchall():
        out.setdefault(name, {})[stage] = {"version": version, "commit": commit, "at": when}
    return out


def previous_holder(
    con: duckdb.DuckDBPyConnection, model: str, stage: str
) -> tuple[str, str] | None:
    """(version, commit) that held ``stage`` before its current holder, if any."""
    found = previous_holders(con, model).get(model, {}).get(stage)
    return (found["version"], found["commit"]) if found else None


def held_stage(con: duckdb.DuckDBPyConnection, model: str, stage: str, commit: str) -> bool:
    """Whether ``commit`` ever held ``stage`` of ``model`` (assigned, rolled back to, undone to)."""
    row = con.execute(
        "SELECT 1 FROM stage_events WHERE model = $1 AND stage = $2 AND commit = $3 "
        "AND event IN ('assignment', 'rollback', 'undo') LIMIT 1",
        [model, stage, commit],
    ).fetchone()
    return row is not None


def stage_holders(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, tuple[str, str]]:
    """stage → (version, commit) holding it now."""
    return {
        s: (v, c)
        for s, v, c in con.execute(
            "SELECT stage, version, commit FROM stages WHERE model = $1 ORDER BY stage", [model]
        ).fetchall()
    }


def stage_order(stage: str) -> tuple[int, str]:
    """prod first, then staging, dev, the rest by name."""
    order = {"prod": 0, "production": 0, "staging": 1, "stage": 1, "dev": 2}
    return order.get(stage.lower(), 3), stage


def default_stage(
    con: duckdb.DuckDBPyConnection, model: str, commit: str | None = None
) -> str | None:
    """The stage ``r`` moves: production first; for a version, the first stage (prod,
    staging, dev, …) that it does not hold already. None when the model has no stage."""
    holders = stage_holders(con, model)
    ordered = sorted(holders, key=stage_order)
    if commit is not None:
        ordered = [s for s in ordered if holders[s][1] != commit] or ordered
    return ordered[0] if ordered else None
