"""What changed since a time (``modeltrail changes``): stage assignments and
unassignments, rollbacks, undos and new versions, newest first, each with who, why and
its metrics against what it replaced.

Stage events and what held the stage before each come from
:func:`audit.stage_transitions` (the audit's own reading of ``stage_events``, rollback
trailers and tag messages included); a new version is compared with the model's
version before it. :mod:`changes_cache` keeps the answers beside each catalog: bump
its ``VERSION`` when a change of this module changes what an answer holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from modeltrail.store.query.audit import stage_transitions
from modeltrail.store.query.changes_cache import KEYS, parse_since
from modeltrail.store.query.queries import iso

__all__ = ["KEYS", "changes", "judge", "parse_since"]

#: the audit's name of a stage event -> the change's ``event``
_EVENT = {"assignment": "assign", "unassignment": "unassign"}

#: whether a metric's new value is better than its old (``Config.better``)
Better = Callable[[str, float, float], "bool | None"]


def _replaced(
    con: duckdb.DuckDBPyConnection, wanted: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """For each (model, commit) of a new version, the version it replaced as (version,
    commit): the nearest version of that model along its first-parent line. Not the
    index's own numbering, which interleaves branches (an experiment's version made
    meanwhile is not what main's next version replaced). Walked in Python over one read
    of the first parents: a recursive query joins the whole commits table at each step."""
    if not wanted:
        return {}
    models = sorted({model for model, _ in wanted})
    versions = {
        (model, commit): version
        for model, commit, version in con.execute(
            "SELECT model, commit, version FROM versions WHERE list_contains($1, model)",
            [models],
        ).fetchall()
    }
    first_parent = dict(con.execute("SELECT commit, parents[1] FROM commits").fetchall())
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for model, commit in wanted:
        at = first_parent.get(commit)
        while at is not None and (model, at) not in versions:
            at = first_parent.get(at)
        if at is not None:
            found[(model, commit)] = (versions[(model, at)], at)
    return found


def changes(
    con: duckdb.DuckDBPyConnection, since: datetime, better: Better | None = None
) -> list[dict[str, Any]]:
    """Every change at or after ``since``, newest first (the ``changes --json`` shape:
    :data:`KEYS`; ``metrics`` maps each metric both sides report as numbers to
    ``{"old", "new", "diff"}``, also under their first names ``from``, ``to``,
    ``delta``, and ``better`` as :func:`judge` says with ``better``)."""
    found: list[dict[str, Any]] = []
    for t in stage_transitions(con):
        if t["timestamp"] is None or t["timestamp"] < since:
            continue
        to_commit = None if t["event"] == "unassignment" else t["commit"]
        found.append(
            {
                **{k: t.get(k) for k in KEYS},
                "timestamp": t["timestamp"],
                "event": _EVENT.get(t["event"], t["event"]),
                "previous": t["from"],
                "reason": t["reason"] or _first_line(t["message"]),
                "metrics": {},
                "_pair": (t["from_commit"], to_commit),
            }
        )
    rows = con.execute(
        """
        SELECT model, commit, version, date, author_name, author_email, subject
        FROM versions WHERE changed AND date >= $1
        """,
        [since],
    ).fetchall()
    replaced = _replaced(con, [(row[0], row[1]) for row in rows])
    rows = [(*row, *replaced.get((row[0], row[1]), (None, None))) for row in rows]
    for model, commit, version, date, name, email, subject, prev, prev_commit in rows:
        found.append(
            {
                "timestamp": date,
                "date": None,  # (below)
                "model": model,
                "event": "version",
                "stage": None,
                "version": version,
                "commit": commit,
                "previous": prev,
                "from": prev,
                "from_commit": prev_commit,
                "author": name,
                "author_email": email,
                "reason": subject,
                "ref": None,
                "metrics": {},
                "_pair": (prev_commit, commit),
            }
        )
    # newest first; at the same second, stage events after versions, and in their own
    # order (a rollback, its undo and a rollback again, all in one second)
    order = {id(c): n for n, c in enumerate(found)}
    found.sort(key=lambda c: (c["timestamp"], c["event"] != "version", order[id(c)]), reverse=True)
    _attach_deltas(con, found)
    for c in found:
        c["timestamp"] = c["date"] = iso(c["timestamp"])
    return judge(found, better)


def judge(found: list[dict[str, Any]], better: Better | None) -> list[dict[str, Any]]:
    """``found`` with each metric's ``better``: whether its new value beats the old one
    for that repository's metric directions (None: equal, or no ``better`` given). Kept
    answers are judged when read, so a changed ``.modeltrail.toml`` counts at once."""
    for c in found:
        for key, d in c["metrics"].items():
            d["better"] = better(key, d["old"], d["new"]) if better is not None else None
    return found


def _first_line(message: str | None) -> str | None:
    if not message:
        return None
    return message.strip().split("\n", 1)[0].rstrip("\r") or None


def _attach_deltas(con: duckdb.DuckDBPyConnection, found: list[dict[str, Any]]) -> None:
    """Each change's ``metrics``: metric → {"old", "new", "diff"} (and the same as
    "from", "to", "delta") for the metrics both
    sides of its ``_pair`` of commits report as numbers (one query for all of them)."""
    pairs = [(i, c["model"], *c.pop("_pair")) for i, c in enumerate(found)]
    pairs = [p for p in pairs if p[2] is not None and p[3] is not None]
    if not pairs:
        return
    index, models, olds, news = (list(col) for col in zip(*pairs, strict=True))
    rows = con.execute(
        """
        WITH p AS (SELECT unnest($1) AS i, unnest($2) AS model, unnest($3) AS a,
                          unnest($4) AS b),
             m AS (SELECT model, commit, key, value FROM metrics
                   WHERE value IS NOT NULL AND commit IN (SELECT a FROM p UNION SELECT b FROM p))
        SELECT p.i, x.key, x.value, y.value
        FROM p
        JOIN m x ON x.model = p.model AND x.commit = p.a
        JOIN m y ON y.model = p.model AND y.commit = p.b AND y.key = x.key
        ORDER BY p.i, x.key
        """,
        [index, models, olds, news],
    ).fetchall()
    for i, key, a, b in rows:
        diff = round(b - a, 12)
        found[i]["metrics"][key] = {
            "old": a,
            "new": b,
            "diff": diff,
            "from": a,
            "to": b,
            "delta": diff,
        }
