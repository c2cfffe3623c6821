"""Who held each stage before its current holder (``helm rollback``'s "previous release").

Read from the catalog's ``stage_events``, one stage at a time (:func:`stage_stories`):

- A rollback and the undo that undid it cancel out: neither counts (an undo of an undo,
  a redo, counts as the rollback it puts back).
- A version a standing rollback moved the stage away from is *rolled away from* until
  the stage is given to it again by an assignment or a rollback.
- A commit *held* the stage safely when a standing assignment gave it the stage, or a
  standing rollback whose target was a labelled or registered version or had held it
  safely before. What held the stage only through a forced rollback would need
  ``--force`` again.

The previous holder is the newest standing holder, no later than the current holder's
assignment, that is not the current holder, was not rolled away from, and held safely:
a risky target is never the default. The version is named by its display label (short
commit id when it has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from modeltrail.store.trailers import read_trailers

if TYPE_CHECKING:
    import duckdb

_EVENTS = """
    SELECT e.model, e.stage, e.event, e.commit, e.timestamp, e.ref, e.author_name,
           e.author_email, e.message, e.reason,
           coalesce(v.version, e.version, left(e.commit, 7)) AS version,
           coalesce(v.registered OR v.label_kind <> 'commit', false) AS labelled,
           s.commit AS holder, s.since
    FROM stage_events e
    JOIN stages s ON s.model = e.model AND s.stage = e.stage
    LEFT JOIN versions v ON v.model = e.model AND v.commit = e.commit
    WHERE e.event IN ('assignment', 'rollback', 'undo') AND e.commit IS NOT NULL
      {where}
    ORDER BY e.model, e.stage, e.timestamp, e.counter NULLS FIRST, e.ref
"""


@dataclass(frozen=True)
class Holding:
    """One standing event that gave a stage to a commit."""

    event: str  # assignment | rollback (an undo that redoes a rollback counts as one)
    version: str
    commit: str
    at: datetime | None
    ref: str  # the tag that records it
    by_name: str | None
    by_email: str | None
    reason: str | None = None
    rolled_from: str | None = None  # rollback: the commit it moved the stage away from

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "version": self.version,
            "commit": self.commit,
            "at": self.at.isoformat() if self.at else None,
            "tag": self.ref,
            "by": self.by_name,
            "email": self.by_email,
        }


@dataclass
class StageStory:
    """One stage of one model: its standing events, and what follows from them."""

    holder: str | None = None  # the commit holding the stage now
    since: datetime | None = None
    standing: list[Holding] = field(default_factory=list)  # oldest first
    safe: set[str] = field(default_factory=set)  # commits that held the stage safely
    away: dict[str, Holding] = field(default_factory=dict)  # commit -> rollback away from it
    previous: Holding | None = None

    def holding(self, commit: str) -> Holding | None:
        """The newest standing event that gave ``commit`` the stage."""
        return next((h for h in reversed(self.standing) if h.commit == commit), None)


def stage_stories(
    con: duckdb.DuckDBPyConnection, model: str | None = None, stage: str | None = None
) -> dict[tuple[str, str], StageStory]:
    """(model, stage) → its :class:`StageStory`, for every stage that has a holder."""
    where, params = "", []
    if model is not None:
        where, params = "AND e.model = $1", [model]
        if stage is not None:
            where, params = "AND e.model = $1 AND e.stage = $2", [model, stage]
    rows: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in con.execute(_EVENTS.format(where=where), params).fetchall():
        rows.setdefault((row[0], row[1]), []).append(row)
    return {key: _story(found) for key, found in rows.items()}


def _story(rows: list[tuple[Any, ...]]) -> StageStory:
    story = StageStory(holder=rows[0][12], since=rows[0][13])
    by_ref: dict[str, Holding] = {}  # standing events by their tag
    labelled = set()
    for _m, _s, event, commit, at, ref, name, email, message, reason, version, lab, *_ in rows:
        if lab:
            labelled.add(commit)
        t = read_trailers(message) if event != "assignment" else {}
        undoes = t.get("Rollback-Undoes") if event == "undo" else None
        if undoes is not None and undoes in by_ref:  # the undo cancels what it undid
            story.standing.remove(by_ref.pop(undoes))
            continue
        rolled_from = t.get("Rollback-From-Commit") or None if event != "assignment" else None
        h = Holding(
            "assignment" if event == "assignment" else "rollback",
            version,
            commit,
            at,
            ref,
            name,
            email,
            reason,
            rolled_from,
        )
        story.standing.append(h)
        by_ref[ref] = h
        if h.event == "assignment" or commit in labelled or commit in story.safe:
            story.safe.add(commit)
    seen: set[str] = set()  # commits given the stage by newer standing events
    for h in reversed(story.standing):
        if (
            story.previous is None
            and h.commit != story.holder
            and h.commit not in story.away
            and h.commit in story.safe
            and (story.since is None or h.at is None or h.at <= story.since)
        ):
            story.previous = h
        seen.add(h.commit)
        if h.rolled_from and h.rolled_from not in seen and h.rolled_from not in story.away:
            story.away[h.rolled_from] = h
    return story


def previous_holders(
    con: duckdb.DuckDBPyConnection, model: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """model → stage → {"version", "commit", "at", "tag", "by", "email", "event"} of the
    stage's previous holder (``at``: when it was given the stage)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (name, stage), story in sorted(stage_stories(con, model).items()):
        if story.previous is not None:
            found = story.previous.to_json()
            found["at"] = story.previous.at
            out.setdefault(name, {})[stage] = found
    return out


def previous_holder(
    con: duckdb.DuckDBPyConnection, model: str, stage: str
) -> tuple[str, str] | None:
    """(version, commit) that held ``stage`` before its current holder, if any."""
    story = stage_stories(con, model, stage).get((model, stage))
    if story is None or story.previous is None:
        return None
    return story.previous.version, story.previous.commit


def held_stage(con: duckdb.DuckDBPyConnection, model: str, stage: str, commit: str) -> bool:
    """Whether ``commit`` held ``stage`` of ``model`` safely (see the module's note): a
    standing assignment, or a standing rollback to a version that was safe."""
    story = stage_stories(con, model, stage).get((model, stage))
    return story is not None and commit in story.safe


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
