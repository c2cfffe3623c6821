"""Lines of development after new commits, without walking the whole history again.

``lines.assign`` gives every commit its line from the whole graph (seconds at 100,000
commits). When an index run only adds commits and every branch that moved only advanced,
the old commits keep their lines and only the new ones need one: ``advance`` assigns
them exactly as ``lines.assign`` would, or answers None when it cannot be sure (a branch
created, deleted or rewound; the priority order of the branches changed; an integration
branch found; the new history reaching a deleted branch's commits), and the caller runs
the full computation.

What makes the shortcut exact is kept in the catalog's meta table (``state_of``): the
heads in claiming priority with their merges since main (the order's sort key), and, when
integration branches are found from the merges, what each local branch received and
whether it was merged into main.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store.catalog import branches, lines
from modeltrail.store.config import Config

if TYPE_CHECKING:
    import duckdb

#: the meta key that holds ``state_of``'s JSON
META_KEY = "lines_state"
_VERSION = 1


class _Unsure(Exception):
    """The shortcut cannot tell what the full computation would: run it."""


def _detecting(cfg: Config, main: str | None) -> bool:
    """Whether integration branches are found from the merges (none configured)."""
    return not cfg.integration and main is not None


def state_of(graph: lines.Graph, assigned: lines.Lines, main: str | None, cfg: Config) -> str:
    """What ``advance`` needs from a full computation, as JSON for the meta table."""
    heads = [
        [h.name, h.kind, h.ref, graph.ids[h.head], n]
        for h, n in zip(assigned.order, assigned.since_main, strict=True)
    ]
    state: dict[str, Any] = {
        "version": _VERSION,
        "main": main,
        "configured": list(cfg.integration or []),
        "integration": assigned.integration,
        "detected": assigned.detected,
        "heads": heads,
    }
    if _detecting(cfg, main) and not assigned.detected:
        lanes = assigned.lanes

        def key(li: int) -> str:
            lane = lanes[lines.canonical(lanes, li)]
            return lane.ref if lane.ref is not None else "orphan:" + graph.ids[lane.head]

        received: dict[str, set[str]] = {}
        into_main: set[str] = set()
        for m in assigned.merges:
            _count(key(m.into), [key(s) for s in m.sources if s >= 0], key(0), received, into_main)
        state["received"] = {k: sorted(v) for k, v in sorted(received.items())}
        state["into_main"] = sorted(into_main)
    return json.dumps(state, sort_keys=True)


def _count(
    into: str,
    sources: list[str],
    main: str | None,
    received: dict[str, set[str]],
    into_main: set[str],
) -> None:
    """One merge's part in finding integration branches (``lines._detect_integration``),
    kept only for local branches, the only ones that can be found."""
    for s in sources:
        if into == main:
            if s.startswith("refs/heads/"):
                into_main.add(s)
        elif s not in (main, into) and into.startswith("refs/heads/"):
            received.setdefault(into, set()).add(s)


@dataclass
class _Lane:
    name: str
    ref: str | None
    note: str = ""
    segment_of: int | None = None
    head: str = ""  # the newest commit of a lane found from a merge


@dataclass
class Advanced:
    """The new commits' rows for ``commit_lines`` and the state to keep."""

    rows: list[tuple[str, str | None, str | None, list[str]]] = field(default_factory=list)
    state: str = ""


@dataclass
class _New:
    """The new commits, parents before children."""

    ids: list[str]
    parents: dict[str, list[str]]
    subjects: dict[str, str | None]


def advance(
    con: duckdb.DuckDBPyConnection, cfg: Config, state_json: str | None, new_ids: list[str]
) -> Advanced | None:
    """The lines of ``new_ids`` (commits just added to the catalog) when the old commits
    keep theirs, as ``lines.assign`` on the whole history would give them; None when
    the full computation is needed (or the state is missing or not understood)."""
    try:
        state = json.loads(state_json) if state_json else None
        if not isinstance(state, dict) or state.get("version") != _VERSION:
            return None
        if state["detected"] or state["configured"] != list(cfg.integration or []):
            return None
        return _advance(con, cfg, state, new_ids)
    except (_Unsure, ValueError, KeyError, TypeError, IndexError):
        return None


def _advance(
    con: duckdb.DuckDBPyConnection, cfg: Config, state: dict[str, Any], new_ids: list[str]
) -> Advanced | None:
    rows = con.execute(
        "SELECT name, short, kind, commit FROM refs "
        "WHERE kind IN ('branch', 'remote', 'exp') ORDER BY name"
    ).fetchall()
    topo = dict(
        con.execute(
            "SELECT commit, topo FROM commits WHERE commit IN (SELECT unnest($1))",
            [sorted({r[3] for r in rows if r[3]})],
        ).fetchall()
    )
    refs = lines.refs_at(topo, rows)
    main = branches.main_branch(con, cfg.main, {s: v[1] for s, v in refs.branches.items()})
    if main != state["main"]:
        return None
    integration = lines._named_integration(cfg, refs.branches, main)
    if integration != state["integration"]:
        return None
    by_topo = {t: c for c, t in topo.items()}
    now = {
        ref: by_topo[t] for ref, t in (*refs.branches.values(), *((r, t) for _s, r, t in refs.exps))
    }
    heads = state["heads"]
    if sorted(now) != sorted(h[2] for h in heads) or len(now) != len(heads):
        return None  # a branch created or deleted

    new = _read_new(con, new_ids)
    lanes = [_Lane(name, ref) for name, _kind, ref, _old, _n in heads]
    lane_of_ref = {lane.ref: li for li, lane in enumerate(lanes)}
    owner: dict[str, int] = {}
    since_main = [h[4] for h in heads]
    for li, (_name, _kind, ref, old, _n) in enumerate(heads):
        if now[ref] == old:
            continue
        merges, c = 0, now[ref]
        while c in new.parents and c not in owner:
            owner[c] = li
            merges += len(new.parents[c]) > 1
            c = new.parents[c][0] if new.parents[c] else None
        if c != old:
            return None  # not a fast-forward along first parents through new commits
        if heads[li][1] != "main":  # main's own line holds no merges "since main"
            since_main[li] += merges
    if not _same_order(heads, since_main, now, topo, main, integration, refs):
        return None

    old = _old_lines(con, new)
    _claim_merged(new, owner, lanes, old)
    heads_at: dict[str, list[int]] = {}
    for li, head in enumerate(heads):  # (lanes[li].ref is head[2])
        heads_at.setdefault(now[head[2]], []).append(li)

    def lane_of(commit: str) -> int | None:
        """The lane of a commit: None for a commit outside the catalog."""
        if commit in owner:
            return owner[commit]
        if commit not in old:
            return None
        li = lane_of_ref.get(old[commit])
        if li is None:
            raise _Unsure  # a deleted branch's commit: its lane is not known here
        return li

    detecting = _detecting(cfg, main)
    out = Advanced()
    received = {k: set(v) for k, v in state.get("received", {}).items()}
    into_main = set(state.get("into_main", []))
    for c in new.ids:
        lane = lanes[owner[c]]
        merged: list[str] = []
        ps = new.parents[c]
        if len(ps) > 1:
            into = owner[c]
            sources = []
            for p in ps[1:]:
                cand = heads_at.get(p, [])
                src = _source(new.subjects[c], lane_of(p), into, cand, lanes, con, detecting)
                sources.append(src)
                merged.append(_source_name(src, lanes, new.subjects[c], p, p in old or p in owner))
            if detecting:
                keys = [_key(lanes, s) for s in sources if s is not None and s >= 0]
                _count(_key(lanes, into), keys, lanes[0].ref, received, into_main)
        branch = None if lane.note == "no branch" else lane.name
        out.rows.append((c, branch, lane.ref, merged))
    _check_old_merges(con, heads, now, lane_of_ref, lanes, new)
    if detecting:
        names = {lane.ref: lane.name for lane in lanes[: len(heads)]}
        found = [names[k] for k, v in received.items() if len(v) >= 2 and k in into_main]
        if any(n not in integration for n in found if n != main):
            return None  # an integration branch found: the order changes
    new_state = {
        **state,
        "heads": [
            [name, kind, ref, now[ref], n]
            for (name, kind, ref, _old, _n), n in zip(heads, since_main, strict=True)
        ],
    }
    if detecting:
        new_state["received"] = {k: sorted(v) for k, v in sorted(received.items())}
        new_state["into_main"] = sorted(into_main)
    out.state = json.dumps(new_state, sort_keys=True)
    return out


def _read_new(con: duckdb.DuckDBPyConnection, new_ids: list[str]) -> _New:
    rows = con.execute(
        "SELECT commit, parents, subject FROM commits WHERE commit IN (SELECT unnest($1)) "
        "ORDER BY topo",
        [new_ids],
    ).fetchall()
    return _New(
        [r[0] for r in rows], {r[0]: list(r[1] or []) for r in rows}, {r[0]: r[2] for r in rows}
    )


def _old_lines(con: duckdb.DuckDBPyConnection, new: _New) -> dict[str, str | None]:
    """The line's ref (None: a deleted branch's) of every catalogued commit that a new
    commit names as a parent."""
    parents = sorted({p for ps in new.parents.values() for p in ps if p not in new.parents})
    return dict(
        con.execute(
            "SELECT commit, ref FROM commit_lines WHERE commit IN (SELECT unnest($1))", [parents]
        ).fetchall()
    )


def _same_order(
    heads: list[list[Any]],
    since_main: list[int],
    now: dict[str, str],
    topo: dict[str, int],
    main: str | None,
    integration: list[str],
    refs: lines._Refs,
) -> bool:
    """Whether the heads' priority (``lines._order``) is the one the state was made with."""
    named = [main] if main is not None else []
    exps = [short for short, _ref, _t in refs.exps]
    rest = [
        (lines.rest_key(n, topo[now[ref]], name), name)
        for (name, _kind, ref, _old, _o), n in zip(heads, since_main, strict=True)
        if ref.startswith(("refs/heads/", "refs/remotes/"))
        and name != main
        and name not in integration
    ]
    expected = named + list(integration) + [name for _k, name in sorted(rest)] + exps
    return expected == [h[0] for h in heads]


def _claim_merged(
    new: _New, owner: dict[str, int], lanes: list[_Lane], old: dict[str, Any]
) -> None:
    """Lines for the new commits no branch holds along first parents (merged from a
    branch since deleted, or only tagged), as ``lines._claim`` gives them: newest first,
    named after the first merge that took them."""
    merged_at: dict[str, str] = {}
    for c in new.ids:
        for p in new.parents[c][1:]:
            if p in new.parents:
                merged_at.setdefault(p, c)
    by_name = {lane.name: li for li, lane in enumerate(lanes)}
    for c in reversed(new.ids):
        if c in owner:
            continue
        name = None
        if c in merged_at:
            name, _ = lines.merge_message_names(new.subjects[merged_at[c]])
        li = len(lanes)
        if name and name in by_name:
            lanes.append(_Lane(name, None, "earlier", by_name[name], c))
        else:
            note = "deleted" if name else "no branch"
            name = name or c[:7]
            by_name[name] = li
            lanes.append(_Lane(name, None, note, None, c))
        walk: str | None = c
        while walk is not None and walk in new.parents and walk not in owner:
            owner[walk] = li
            ps = new.parents[walk]
            walk = ps[0] if ps else None
        if walk is not None and walk not in new.parents and walk in old and old[walk] is None:
            # the full computation would go on into a deleted branch's commits, which
            # it gives a line only after the new ones
            raise _Unsure


def _source(
    subject: str | None,
    owner_p: int | None,
    into: int,
    cand: list[int],
    lanes: list[_Lane],
    con: duckdb.DuckDBPyConnection,
    detecting: bool,
) -> int | None:
    """``lines._source_lane`` for a new merge; -1 when unknown (``owner_p`` None: a
    parent outside the catalog)."""
    if owner_p is None:
        return -1
    cand = [li for li in cand if li != into]
    if owner_p in cand:
        return owner_p
    if cand:
        return cand[0]
    if owner_p != into:
        return owner_p
    said, _ = lines.merge_message_names(subject)
    named = next((li for li, lane in enumerate(lanes) if lane.name == said), None) if said else None
    if said and named is None and detecting and _old_lane_named(con, said):
        raise _Unsure  # the source is a deleted branch's lane: which one is not known here
    return named if named is not None and named != into else -1


def _old_lane_named(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM commit_lines WHERE ref IS NULL AND branch = $1 LIMIT 1", [name]
        ).fetchall()
    )


def _source_name(
    src: int | None, lanes: list[_Lane], subject: str | None, p: str, catalogued: bool
) -> str:
    if src is not None and src >= 0:
        return lanes[src].name
    said, _ = lines.merge_message_names(subject)
    return said or (p[:7] if catalogued else "?")


def _key(lanes: list[_Lane], li: int) -> str:
    """The lane a merge counts for when finding integration branches (``state_of``)."""
    while (up := lanes[li].segment_of) is not None:
        li = up
    lane = lanes[li]
    return lane.ref if lane.ref is not None else "orphan:" + lane.head


def _check_old_merges(
    con: duckdb.DuckDBPyConnection,
    heads: list[list[Any]],
    now: dict[str, str],
    lane_of_ref: dict[str | None, int],
    lanes: list[_Lane],
    new: _New,
) -> None:
    """A merge already catalogued that merged a branch's old head names that branch
    while its head is there; once the head moves on, the full computation names the
    merge's source from the lines instead. Unsure unless that gives the same lane."""
    moved = {old: li for li, (_n, _k, ref, old, _s) in enumerate(heads) if now[ref] != old}
    if not moved:
        return
    rows = con.execute(
        """
        SELECT c.commit, c.parents, c.subject, cl.ref FROM commits c
        JOIN commit_lines cl USING (commit)
        WHERE len(c.parents) > 1 AND list_has_any(c.parents[2:], $1)
        """,
        [sorted(moved)],
    ).fetchall()
    if not rows:
        return
    old_heads_at: dict[str, list[int]] = {}
    new_heads_at: dict[str, list[int]] = {}
    for li, (_n, _k, ref, old, _s) in enumerate(heads):
        old_heads_at.setdefault(old, []).append(li)
        new_heads_at.setdefault(now[ref], []).append(li)
    owners = dict(
        con.execute(
            "SELECT commit, ref FROM commit_lines WHERE commit IN (SELECT unnest($1))",
            [sorted(moved)],
        ).fetchall()
    )
    for _c, ps, _subject, into_ref in rows:
        into = lane_of_ref.get(into_ref, "deleted")  # a deleted branch's lane: no head's
        for p in ps[1:]:
            if p not in moved:
                continue
            owner_p = lane_of_ref.get(owners.get(p))
            before = _old_source(owner_p, into, old_heads_at.get(p, []))
            after = _old_source(owner_p, into, new_heads_at.get(p, []))
            if before is None or before != after:
                raise _Unsure


def _old_source(owner_p: int | None, into: int | str, cand: list[int]) -> int | str | None:
    """``lines._source_lane`` for a merge already catalogued, as far as the branch heads
    decide it; None when the lines alone cannot tell."""
    cand = [li for li in cand if li != into]
    if owner_p is not None and owner_p in cand:
        return owner_p
    if cand:
        return cand[0]
    if owner_p is None:  # a deleted branch's lane: equal to ``into`` or not, unknown
        return None
    if owner_p != into:
        return owner_p
    return "said"  # named after the merge message, the same before and after
