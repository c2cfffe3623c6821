"""The flow of work between branches: experiments → integration → main, with metrics.

Everything comes from the catalog (``commits`` with parents, ``refs``, ``commit_branches``,
``versions``, ``metrics``, ``stages``); no git process runs.

- **Classification, lanes, merges**: ``store/catalog/lines.py``, the rule the index
  also uses for the branch each commit was made on. ``main`` is the configured main
  branch, else ``main``, else ``master``, else the branch holding the most commits; DVC
  experiment refs and branches named ``exp…``/``experiment…`` are experiments; other
  branches are features. Every commit belongs to exactly one lane.
- **One model's version tree** (``build_flow(..., model=M)``): the same lanes, merges and
  labels on the graph collapsed to M's versions (:func:`collapse`): each version's
  parents are the nearest versions behind each of its commit's parents, so forks and
  merges between versions stay and every other commit (another model's) is left out.
- **Metrics.** A model's state at a commit is its newest version along first parents
  (the indexer diffs merges against their first parent, so a merge that brought a model
  in is itself a version). A merge's metrics compare the state at the merge with the
  state at its first parent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from modeltrail.store.catalog.branches import main_branch
from modeltrail.store.catalog.lines import (
    Graph,
    Lane,
    Merge,
    _Refs,
    assign,
    canonical,
    graph_from_arrow,
    refs_on,
)
from modeltrail.store.config import Config
from modeltrail.store.query.browse import key_metrics
from modeltrail.store.query.diff import difference
from modeltrail.store.query.queries import iso

# --------------------------------------------------------------------------- graph


def load_graph(con: duckdb.DuckDBPyConnection) -> Graph:
    """All commits of the catalog, in its parents-before-children order."""
    cur = con.cursor()  # a fresh cursor: the caller may hold a half-read result
    try:
        rel = cur.sql(
            "SELECT commit, parents, author_date, author_name, subject FROM commits ORDER BY topo"
        )
        # DuckDB 2 names it to_arrow_table; 1.x returns a Table from arrow()
        t = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    finally:
        cur.close()
    graph = graph_from_arrow(t)
    graph._dates, graph._authors = t.column("author_date"), t.column("author_name")
    return graph


def collapse(graph: Graph, keep: set[int]) -> tuple[Graph, dict[str, int]]:
    """The graph of the ``keep`` commits only, and where each original commit stands.

    A kept commit's parents are the nearest kept commits behind each of its parents
    (the first parent's first), less any that is an ancestor of another (a branch that
    added nothing of its own does not become a merge). The second value maps every
    original commit id to the new index of the nearest kept commit along its first
    parents (for branch heads; absent when there is none).
    """
    n = len(graph.ids)
    order = sorted(keep)
    new_of = {old: i for i, old in enumerate(order)}
    nearest: list[tuple[int, ...]] = [()] * n  # new indexes of the nearest kept commits
    new_parents: list[tuple[int, ...]] = []

    def behind(c: int) -> list[int]:
        out: list[int] = []
        for p in graph.parents[c]:
            if p >= 0:
                out.extend(r for r in nearest[p] if r not in out)
        return out

    def is_ancestor(a: int, b: int) -> bool:
        """Whether kept ``a`` is behind kept ``b`` (new indexes; ``a < b`` to be one)."""
        todo, seen = [b], set()
        while todo:
            x = todo.pop()
            if x == a:
                return True
            for p in new_parents[x]:
                if p >= a and p not in seen:
                    seen.add(p)
                    todo.append(p)
        return False

    for c in range(n):  # parents before children
        if c in new_of:
            cands = behind(c)
            ps = [
                r
                for k, r in enumerate(cands)
                if k == 0 or not any(is_ancestor(r, o) for o in cands if o != r)
            ]
            new_parents.append(tuple(ps))
            nearest[c] = (new_of[c],)
        else:
            nearest[c] = tuple(behind(c)[:_MAX_NEAREST])
    heads = {graph.ids[c]: nearest[c][0] for c in range(n) if nearest[c]}
    take = pa.array(order, pa.int64())
    return (
        Graph(
            ids=[graph.ids[c] for c in order],
            parents=new_parents,
            subjects=[graph.subjects[c] for c in order],
            index={graph.ids[c]: i for i, c in enumerate(order)},
            _dates=graph._dates.take(take) if graph._dates is not None else None,
            _authors=graph._authors.take(take) if graph._authors is not None else None,
        ),
        heads,
    )


_MAX_NEAREST = 16  # kept commits remembered behind one commit (octopus merges of merges)


# --------------------------------------------------------------------------- lanes


# --------------------------------------------------------------------------- classification


def _load_refs(
    con: duckdb.DuckDBPyConnection, graph: Graph, heads: dict[str, int] | None = None
) -> _Refs:
    """Branches, experiment refs and tags on the graph (``lines.refs_on``)."""
    rows = con.execute(
        "SELECT name, short, kind, commit FROM refs "
        "WHERE kind IN ('branch', 'remote', 'exp', 'tag') ORDER BY name"
    ).fetchall()
    return refs_on(graph, rows, heads)


def _pick_main(con: duckdb.DuckDBPyConnection, config: Config, heads: dict[str, Any]) -> str | None:
    return main_branch(con, config.main, heads)


# --------------------------------------------------------------------------- models


class ModelStates:
    """Which version of a model a commit has: its newest version along first parents."""

    def __init__(self, graph: Graph, versions: dict[str, set[int]]) -> None:
        self._graph = graph
        self._versions = versions
        self._cache: dict[str, dict[int, int]] = {}

    def at(self, model: str, commit: int) -> int | None:
        """The commit (index) of the model's version in effect at ``commit``, or None."""
        vs = self._versions.get(model)
        if not vs or commit < 0:
            return None
        cache = self._cache.setdefault(model, {})
        path: list[int] = []
        c, found = commit, -1
        while c >= 0:
            if c in cache:
                found = cache[c]
                break
            if c in vs:
                found = c
                break
            path.append(c)
            c = self._graph.first_parent(c)
        for p in path:
            cache[p] = found
        return found if found >= 0 else None


def _numeric_metrics(
    con: duckdb.DuckDBPyConnection, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, float]]:
    """Numeric metrics of the given (model, commit) pairs."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    if not pairs:
        return out
    commits = sorted({c for _, c in pairs})
    for model, commit, key, value in con.execute(
        "SELECT model, commit, key, value FROM metrics "
        "WHERE value IS NOT NULL AND commit IN (SELECT unnest($1::VARCHAR[])) ORDER BY key",
        [commits],
    ).fetchall():
        if (model, commit) in pairs:
            out.setdefault((model, commit), {})[key] = value
    return out


def metric_series(con: duckdb.DuckDBPyConnection, model: str, key: str) -> dict[str, float]:
    """commit -> numeric value of one metric, for every version of ``model`` reporting it."""
    return dict(
        con.execute(
            "SELECT commit, value FROM metrics WHERE model = $1 AND key = $2 AND value IS NOT NULL",
            [model, key],
        ).fetchall()
    )


def compare_metrics(
    config: Config, old: dict[str, float], new: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """``{key: {old, new, diff, better}}`` in ``dvc metrics diff`` terms (all keys)."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        entry: dict[str, Any] = {"old": o, "new": n}
        if o is not None and n is not None:
            entry["diff"] = difference(o, n)
            entry["better"] = config.better(key, o, n)
        out[key] = entry
    return out


# --------------------------------------------------------------------------- the flow


@dataclass
class FlowData:
    """The classified graph, for ``flow --json`` and for the flow screen."""

    graph: Graph
    lanes: list[Lane]
    owner: list[int]  # commit -> lane
    main: int | None  # lane index of main
    integration: list[int]  # lane indexes
    merges: list[Merge]  # oldest first
    merge_at: dict[int, Merge]
    heads_at: dict[int, list[int]]  # commit -> lanes whose ref points there
    tags_at: dict[int, list[str]]
    stages_at: dict[int, list[tuple[str, str]]]  # commit -> (model, stage)
    versions_at: dict[int, list[tuple[str, str, bool]]]  # commit -> (model, label, changed)
    states: ModelStates
    main_set: set[int]  # commits in main's history
    branch_info: dict[int, dict[str, Any]]  # lane -> merged_into, merged, ahead, behind, ...
    merge_metrics: dict[int, dict[str, dict[str, Any]]]  # merge commit -> model -> comparison
    metric_choices: list[tuple[str, str]]  # (model, metric key) the screen can show
    config: Config
    model: str | None = None  # one model's version tree (the graph holds its versions only)

    def label_of(self, model: str, commit: int) -> str | None:
        for m, label, _changed in self.versions_at.get(commit, ()):
            if m == model:
                return label
        return None

    def is_unmerged(self, lane: int) -> bool:
        info = self.branch_info.get(lane)
        if not info:
            return False
        return not info["merged"] and lane != self.main

    def beats_main(
        self, lane: int, model: str, key: str, values: dict[str, float]
    ) -> tuple[float, float] | None:
        """(lane's value, main's value) when the lane's own version beats main's on ``key``."""
        if self.main is None or lane == self.main:
            return None
        own = self.states.at(model, self.lanes[lane].head)
        base = self.states.at(model, self.lanes[self.main].head)
        if own is None or base is None or own in self.main_set or self.owner[own] != lane:
            return None
        new = values.get(self.graph.ids[own])
        old = values.get(self.graph.ids[base])
        if new is None or old is None or not self.config.better(key, old, new):
            return None
        return new, old

    def to_json(self) -> dict[str, Any]:
        """The ``flow`` JSON shape of docs/CLI.md."""
        g = self.graph
        branches = []
        for li in self._listed_lanes():
            lane = self.lanes[li]
            branches.append(
                {
                    "name": lane.name,
                    "kind": lane.kind,
                    "head": g.ids[lane.head],
                    **self.branch_info[li],
                    "ref": lane.ref,
                }
            )
        merges = []
        for m in reversed(self.merges):
            into = self.lanes[m.into] if m.into >= 0 else None
            metrics = self.merge_metrics.get(m.commit, {})
            merges.append(
                {
                    "commit": g.ids[m.commit],
                    "from": m.source_names[0],
                    "into": into.name if into else None,
                    "date": iso(g.date(m.commit)),
                    "metrics": {model: d["metrics"] for model, d in metrics.items()},
                    "versions": {
                        model: {k: d[k] for k in ("version", "base_version", "base_commit")}
                        for model, d in metrics.items()
                    },
                    "from_kind": self._kind(m.sources[0]),
                    "into_kind": into.kind if into else None,
                    "sources": m.source_names,
                    "subject": g.subjects[m.commit],
                }
            )
        return {
            "main": self.lanes[self.main].name if self.main is not None else None,
            "integration": [self.lanes[li].name for li in self.integration],
            "branches": branches,
            "merges": merges,
            "key_metrics": self.key_metrics(),
        }

    def key_metrics(self) -> dict[str, list[str]]:
        """model -> the metrics worth showing first (most often reported)."""
        out: dict[str, list[str]] = {}
        for model, key in self.metric_choices:
            out.setdefault(model, []).append(key)
        return out

    def _kind(self, lane: int) -> str | None:
        return self.lanes[lane].kind if lane >= 0 else None

    def _listed_lanes(self) -> list[int]:
        """Lanes with a ref: main, integration, then the rest by name (exp refs last)."""
        first = ([self.main] if self.main is not None else []) + self.integration
        rest = [
            li for li, lane in enumerate(self.lanes) if lane.ref is not None and li not in first
        ]
        rest.sort(
            key=lambda li: (
                (self.lanes[li].ref or "").startswith("refs/exps/"),
                self.lanes[li].name,
            )
        )
        return first + rest


def build_flow(
    con: duckdb.DuckDBPyConnection, config: Config, model: str | None = None
) -> FlowData:
    """Classify branches, assign lanes, find merges and their metrics; with ``model``,
    on the graph collapsed to that model's versions (its version tree)."""
    graph = load_graph(con)
    heads = None
    if model is not None:
        keep = {
            graph.index[c]
            for (c,) in con.execute(
                "SELECT commit FROM versions WHERE model = $1", [model]
            ).fetchall()
            if c in graph.index
        }
        graph, heads = collapse(graph, keep)
    refs = _load_refs(con, graph, heads)
    main_name = _pick_main(con, config, refs.branches)
    lines = assign(graph, refs, main_name, config)
    owner, lanes, merges, main = lines.owner, lines.lanes, lines.merges, lines.main
    integration = lines.integration
    n_integ = len(integration)
    first = 1 if main is not None else 0
    integ_lanes = list(range(first, first + n_integ))

    versions: dict[str, set[int]] = defaultdict(set)
    versions_at: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    only = model
    for name, commit, label, changed in con.execute(
        "SELECT model, commit, version, changed FROM versions ORDER BY model"
    ).fetchall():
        idx = graph.index.get(commit, -1)
        if idx >= 0 and (only is None or name == only):
            versions[name].add(idx)
            versions_at[idx].append((name, label, bool(changed)))
    stages_at: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for name, stage, commit in con.execute(
        "SELECT model, stage, commit FROM stages ORDER BY model, stage"
    ).fetchall():
        idx = graph.index.get(commit or "", -1)
        if idx >= 0 and (only is None or name == only):
            stages_at[idx].append((name, stage))
    heads_at: dict[int, list[int]] = defaultdict(list)
    for li, lane in enumerate(lanes):
        # a version tree names only the branches that hold versions of their own
        if lane.ref is not None and (model is None or lane.commits or li == main):
            heads_at[lane.head].append(li)

    data = FlowData(
        graph=graph,
        lanes=lanes,
        owner=owner,
        main=main,
        integration=integ_lanes,
        merges=merges,
        merge_at={m.commit: m for m in merges},
        heads_at=dict(heads_at),
        tags_at=refs.tags_at if model is None else _model_tags(con, graph, model),
        stages_at=dict(stages_at),
        versions_at=dict(versions_at),
        states=ModelStates(graph, versions),
        main_set=graph.ancestors(lanes[main].head) if main is not None else set(),
        branch_info={},
        merge_metrics={},
        metric_choices=[],
        config=config,
        model=model,
    )
    _fill_branch_info(con, data)
    _fill_metrics(con, data)
    data.metric_choices = _metric_choices(con, data, sorted(versions))
    return data


def _model_tags(con: duckdb.DuckDBPyConnection, graph: Graph, model: str) -> dict[int, list[str]]:
    """commit -> the tags that label ``model``'s versions there (not other models' tags)."""
    out: dict[int, list[str]] = defaultdict(list)
    for commit, tag in con.execute(
        "SELECT DISTINCT commit, tag FROM labels WHERE model = $1 AND tag IS NOT NULL ORDER BY tag",
        [model],
    ).fetchall():
        idx = graph.index.get(commit, -1)
        if idx >= 0:
            out[idx].append(tag)
    return dict(out)


def flow(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """``modeltrail flow --json``: branches with their kind, merges with their metrics."""
    return build_flow(con, config).to_json()


def _fill_branch_info(con: duckdb.DuckDBPyConnection, data: FlowData) -> None:
    g, lanes = data.graph, data.lanes
    main_name = lanes[data.main].name if data.main is not None else None
    last_merge_into: dict[int, int] = {}
    for m in data.merges:
        into = canonical(lanes, m.into)
        for s in m.sources:
            s = canonical(lanes, s)
            if s >= 0 and into >= 0 and s != into:
                last_merge_into[s] = into
    branch_ahead: dict[str, tuple[int, int]] = {}
    if main_name is not None:
        for branch, ahead, behind in con.execute(
            """
            WITH m AS (SELECT commit FROM commit_branches WHERE branch = $1)
            SELECT b.branch, count(*) FILTER (WHERE m.commit IS NULL),
                   (SELECT count(*) FROM m) - count(m.commit)
            FROM commit_branches b LEFT JOIN m USING (commit) GROUP BY b.branch
            """,
            [main_name],
        ).fetchall():
            branch_ahead[branch] = (int(ahead), int(behind))
    listed = [li for li, lane in enumerate(lanes) if lane.ref is not None]
    heads = sorted({g.ids[lanes[li].head] for li in listed})
    containers: dict[str, set[str]] = {
        commit: set(branches)
        for commit, branches in con.execute(
            "SELECT commit, list(branch) FROM commit_branches "
            "WHERE commit IN (SELECT unnest($1::VARCHAR[])) GROUP BY commit",
            [heads],
        ).fetchall()
    }
    targets = [lanes[li].name for li in data.integration] + ([main_name] if main_name else [])
    models = sorted({m for entries in data.versions_at.values() for m, _, _ in entries})
    for li in listed:
        lane = lanes[li]
        head_id = g.ids[lane.head]
        if li == data.main:
            merged_into, ahead, behind = None, 0, 0
        else:
            merged_into = lanes[last_merge_into[li]].name if li in last_merge_into else None
            if merged_into is None:
                inside = containers.get(head_id, set())
                merged_into = next((t for t in targets if t != lane.name and t in inside), None)
            if lane.ref and lane.ref.startswith("refs/heads/"):
                ahead, behind = branch_ahead.get(lane.name, (0, 0))
            else:
                ahead, behind = _ahead_behind(g, lane.head, data.main_set)
        data.branch_info[li] = {
            "merged_into": merged_into,
            "merged": merged_into is not None,
            "ahead": ahead,
            "behind": behind,
            "commits": len(lane.commits),
            "beats_main": [],
        }
    _fill_beats_main(con, data, listed, models)


def _ahead_behind(g: Graph, head: int, main_set: set[int]) -> tuple[int, int]:
    if not main_set:
        return 0, 0
    ahead = len(g.ancestors(head, stop=main_set))
    shared = len(g.ancestors(head) & main_set)
    return ahead, len(main_set) - shared


def _fill_beats_main(
    con: duckdb.DuckDBPyConnection, data: FlowData, listed: list[int], models: list[str]
) -> None:
    """For each lane, the metrics on which its own model versions beat main's."""
    if data.main is None:
        return
    g = data.graph
    main_head = data.lanes[data.main].head
    wanted: list[tuple[int, str, int, int]] = []
    for li in listed:
        if li == data.main:
            continue
        for model in models:
            own = data.states.at(model, data.lanes[li].head)
            base = data.states.at(model, main_head)
            if own is None or base is None or own in data.main_set or data.owner[own] != li:
                continue
            wanted.append((li, model, own, base))
    pairs = {(m, g.ids[c]) for _, m, own, base in wanted for c in (own, base)}
    values = _numeric_metrics(con, pairs)
    for li, model, own, base in wanted:
        new = values.get((model, g.ids[own]), {})
        old = values.get((model, g.ids[base]), {})
        for key, entry in compare_metrics(data.config, old, new).items():
            if entry.get("better"):
                data.branch_info[li]["beats_main"].append(
                    {
                        "model": model,
                        "metric": key,
                        "value": entry["new"],
                        "main": entry["old"],
                        "diff": entry["diff"],
                        "version": data.label_of(model, own),
                    }
                )


def _fill_metrics(con: duckdb.DuckDBPyConnection, data: FlowData) -> None:
    """Each merge's changed models: metrics at the merge vs at its first parent."""
    g = data.graph
    wanted: list[tuple[int, str, int | None]] = []
    for m in data.merges:
        for model, _label, changed in data.versions_at.get(m.commit, ()):
            if changed:
                wanted.append((m.commit, model, data.states.at(model, g.first_parent(m.commit))))
    pairs = set()
    for c, model, base in wanted:
        pairs.add((model, g.ids[c]))
        if base is not None:
            pairs.add((model, g.ids[base]))
    values = _numeric_metrics(con, pairs)
    for c, model, base in wanted:
        new = values.get((model, g.ids[c]), {})
        old = values.get((model, g.ids[base]), {}) if base is not None else {}
        data.merge_metrics.setdefault(c, {})[model] = {
            "version": data.label_of(model, c),
            "base_version": data.label_of(model, base) if base is not None else None,
            "base_commit": g.ids[base] if base is not None else None,
            "metrics": compare_metrics(data.config, old, new),
        }


def _metric_choices(
    con: duckdb.DuckDBPyConnection, data: FlowData, models: list[str]
) -> list[tuple[str, str]]:
    """(model, key) pairs to show, the models most merges changed first."""
    merged: dict[str, int] = defaultdict(int)
    for per_model in data.merge_metrics.values():
        for model in per_model:
            merged[model] += 1
    ordered = sorted(models, key=lambda m: (-merged[m], m))
    out = []
    for model in ordered:
        keys = key_metrics(con, model, limit=3)
        # quality metrics (higher is better) before costs such as loss or latency
        keys.sort(key=lambda k: data.config.direction(k) == "lower")
        out += [(model, key) for key in keys]
    return out
