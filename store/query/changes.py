"""What changed since a time (``modeltrail changes``): stage assignments and
unassignments, rollbacks, undos and new versions, newest first, each with who, why and
its metrics against what it replaced.

Stage events and what held the stage before each come from
:func:`audit.stage_transitions` (the audit's own reading of ``stage_events``, rollback
trailers and tag messages included); a new version is compared with the model's
version before it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from modeltrail.store.errors import UsageError
from modeltrail.store.query.audit import stage_transitions
from modeltrail.store.query.queries import iso

_RELATIVE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

#: the ``changes --json`` keys of one change, in order (keys may be added, never renamed)
KEYS = (
    "timestamp",
    "model",
    "event",
    "stage",
    "version",
    "commit",
    "from",
    "from_commit",
    "author",
    "author_email",
    "reason",
    "ref",
    "metrics",
)


def parse_since(text: str, now: datetime) -> datetime:
    """``24h``, ``90m``, ``7d``, ``2w`` before ``now``; or a date (``2026-12-01``, UTC
    midnight) or an ISO time. UsageError (one line) otherwise."""
    text = text.strip()
    if m := _RELATIVE.fullmatch(text):
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give a duration (30m, 24h, 7d, 2w) or a date (2026-12-01)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def changes(con: duckdb.DuckDBPyConnection, since: datetime) -> list[dict[str, Any]]:
    """Every change at or after ``since``, newest first (the ``changes --json`` shape:
    :data:`KEYS`; ``metrics`` maps each metric both sides report as numbers to
    ``{"from", "to", "delta"}``)."""
    found: list[dict[str, Any]] = []
    for t in stage_transitions(con):
        if t["timestamp"] is None or t["timestamp"] < since:
            continue
        to_commit = None if t["event"] == "unassignment" else t["commit"]
        found.append(
            {
                **{k: t.get(k) for k in KEYS},
                "timestamp": t["timestamp"],
                "reason": t["reason"] or _first_line(t["message"]),
                "metrics": {},
                "_pair": (t["from_commit"], to_commit),
            }
        )
    rows = con.execute(
        """
        SELECT v.model, v.commit, v.version, v.date, v.author_name, v.author_email,
               v.subject, p.version, p.commit
        FROM versions v
        LEFT JOIN versions p ON p.model = v.model AND p.seq = v.seq - 1
        WHERE v.changed AND v.date >= $1
        """,
        [since],
    ).fetchall()
    for model, commit, version, date, name, email, subject, prev, prev_commit in rows:
        found.append(
            {
                "timestamp": date,
                "model": model,
                "event": "version",
                "stage": None,
                "version": version,
                "commit": commit,
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
        c["timestamp"] = iso(c["timestamp"])
    return found


def _first_line(message: str | None) -> str | None:
    if not message:
        return None
    return message.strip().split("\n", 1)[0].rstrip("\r") or None


def _attach_deltas(con: duckdb.DuckDBPyConnection, found: list[dict[str, Any]]) -> None:
    """Each change's ``metrics``: metric → {"from", "to", "delta"} for the metrics both
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
        found[i]["metrics"][key] = {"from": a, "to": b, "delta": round(b - a, 12)}
