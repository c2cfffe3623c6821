"""A metric across a model's versions, for the compare screen's plot: the versions the
version list shows (:func:`list_trend`: the main line, or every branch), or those one
branch holds (:func:`metric_trend`)."""

from __future__ import annotations

from typing import Any

import duckdb

from modeltrail.store.query.browse import versions_table
from modeltrail.store.query.diff import json_value, number
from modeltrail.store.query.mainline import MainLine
from modeltrail.store.query.queries import iso

MAIN_NAMES = ("main", "master", "trunk")


def trend_metrics(con: duckdb.DuckDBPyConnection, model: str) -> list[str]:
    """The model's numeric metric keys, the most widely reported first."""
    rows = con.execute(
        "SELECT key FROM metrics WHERE model = $1 AND value IS NOT NULL "
        "GROUP BY key ORDER BY count(DISTINCT commit) DESC, key",
        [model],
    ).fetchall()
    return [r[0] for r in rows]


def trend_branches(
    con: duckdb.DuckDBPyConnection, model: str, main: str | None = None
) -> list[str]:
    """Local branches holding versions of the model: the main branch first, then by
    how many versions they hold, then by name."""
    rows = con.execute(
        """
        SELECT cb.branch, count(*) AS n
        FROM versions v JOIN commit_branches cb ON cb.commit = v.commit
        WHERE v.model = $1
        GROUP BY cb.branch
        """,
        [model],
    ).fetchall()
    mains = [main] if main else []
    mains += [m for m in MAIN_NAMES if m not in mains]

    def rank(row: tuple[str, int]) -> tuple[Any, ...]:
        name, n = row
        first = mains.index(name) if name in mains else len(mains)
        return (first, -n, name)

    return [name for name, _ in sorted(rows, key=rank)]


def metric_trend(
    con: duckdb.DuckDBPyConnection, model: str, metric: str, branch: str | None
) -> list[dict[str, Any]]:
    """The versions of ``model`` that ``branch`` contains (all versions when None),
    oldest first: ``{"version", "commit", "seq", "date", "value"}``; ``value`` is the
    metric as a number (booleans 0/1) or None where the version does not report it."""
    sql = """
        SELECT v.version, v.commit, v.seq, v.date, m.value, m.text
        FROM versions v
        LEFT JOIN (SELECT commit, min(value) AS value, min(text) AS text FROM metrics
                   WHERE model = $1 AND key = $2 GROUP BY commit) m ON m.commit = v.commit
        WHERE v.model = $1
    """
    params: list[Any] = [model, metric]
    if branch is not None:
        sql += " AND v.commit IN (SELECT commit FROM commit_branches WHERE branch = $3)"
        params.append(branch)
    sql += " ORDER BY v.topo"
    out = []
    for version, commit, seq, date, value, text in con.execute(sql, params).fetchall():
        out.append(
            {
                "version": version,
                "commit": commit,
                "seq": seq,
                "date": iso(date),
                "value": number(json_value(value, text)) if text is not None else value,
            }
        )
    return out


def list_trend(
    con: duckdb.DuckDBPyConnection,
    model: str,
    metric: str,
    main: MainLine | None,
    all_branches: bool,
) -> list[dict[str, Any]]:
    """The versions the version list shows (``browse.versions_table`` with the same
    ``main`` and ``all_branches``: the main line and the labelled or staged versions, or
    every branch's), oldest first, with ``metric``: ``{"version", "commit", "seq", "date",
    "value"}`` as :func:`metric_trend` gives them (``value`` None where not reported)."""
    table = versions_table(con, model, [metric], main=main, all_branches=all_branches)
    wanted = set(table.column("commit").to_pylist())
    return [p for p in metric_trend(con, model, metric, None) if p["commit"] in wanted]
