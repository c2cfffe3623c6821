"""Lines of development: which branch each commit was made on, one rule for the index,
the flow and the version list.

Every commit belongs to exactly one line: walking first parents from each head in
priority order (main, integration branches, the other branches, DVC experiment refs), a
line claims the commits no earlier line claimed. Commits reachable only through merges
(deleted branches) form lines of their own, named after the merge message when it names
them. A merge goes *into* the line owning it and comes *from* the branch whose head is
its second parent, else the line owning that parent, else the name in the merge message
(repository text: used as data only, never given to git).

Integration branches are the configured names/globs; without configuration, the names
``integration``, ``develop``, ``release/*`` and any branch that receives merges from two
or more branches and is itself merged into main. No SQL here: the index and the flow
give the graph and the refs.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from modeltrail.store.config import Config
from modeltrail.store.read import gitio

if TYPE_CHECKING:
    import pyarrow as pa

INTEGRATION_NAMES = ("integration", "develop", "release/*")

_EXPERIMENT = re.compile(r"^(?:exp|exps|experiment|experiments)(?:[/_.-]|$)", re.IGNORECASE)
_MERGE_BRANCH = re.compile(
    r"^Merge (?:remote-tracking )?branch '([^'\x00-\x1f\x7f]{1,200})'"
    r"(?: of \S{1,500})?(?: into (\S{1,200}))?"
)
_MERGE_PR = re.compile(r"^Merge pull request #\d{1,12} from [^/\s]{1,200}/(\S{1,200})")


def merge_message_names(subject: str | None) -> tuple[str | None, str | None]:
    """(source, target) branch names a merge's subject line gives, as git or GitHub word it.

    Either may be None. The names are repository text: data to compare, never commands.
    """
    text = (subject or "")[:1000]
    m = _MERGE_BRANCH.match(text)
    if m:
        return m.group(1), m.group(2)
    m = _MERGE_PR.match(text)
    if m:
        return m.group(1), None
    return None, None


@dataclass
class Graph:
    """Every catalogued commit, parents before children; commits are named by index.

    ``parents[i]`` holds indexes (-1 for a parent outside the catalog, e.g. shallow).
    Dates and authors stay in Arrow until asked for (``date(i)``, ``author(i)``).
    """

    ids: list[str]
    parents: list[tuple[int, ...]]
    subjects: list[str | None]
    index: dict[str, int]
    _dates: pa.ChunkedArray | None = None
    _authors: pa.ChunkedArray | None = None

    def date(self, c: int) -> datetime | None:
        return self._dates[c].as_py() if self._dates is not None else None

    def author(self, c: int) -> str | None:
        return self._authors[c].as_py() if self._authors is not None else None

    def first_parent(self, c: int) -> int:
        ps = self.parents[c]
        return ps[0] if ps else -1

    def ancestors(self, head: int, stop: set[int] | frozenset[int] = frozenset()) -> set[int]:
        """``head`` and everything reachable from it, not walking into ``stop``."""
        seen: set[int] = set()
        todo = [head] if head >= 0 and head not in stop else []
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            todo.extend(p for p in self.parents[c] if p >= 0 and p not in seen and p not in stop)
        return seen


@dataclass
class Lane:
    """A line of development: a branch, a DVC experiment ref, or a deleted branch's commits.

    ``commits`` are the commits it owns, newest first (empty when its ref points at a
    commit another lane owns); ``fork`` is the commit, in another lane, that its oldest
    commit's first parent is (None at a root).
    """

    name: str
    kind: str
    ref: str | None  # full ref name; None for a branch known only through a merge
    head: int
    commits: list[int] = field(default_factory=list)
    fork: int | None = None
    segment_of: int | None = None  # an earlier stretch of this lane's branch (same name)
    note: str = ""  # "earlier" | "deleted" | "no branch" for lanes without their own ref

    @property
    def title(self) -> str:
        """The name to show, with what kind of stretch it is when it has no ref."""
        return f"{self.name} ({self.note})" if self.note else self.name


@dataclass
class Merge:
    """A merge commit: the lane it went into and, per merged parent, where it came from."""

    commit: int
    into: int
    sources: list[int]  # lane per merged parent (parents[1:]); -1 when unknown
    source_names: list[str]


@dataclass(frozen=True)
class _Head:
    name: str
    kind: str
    ref: str | None
    head: int


def _kind_by_name(name: str) -> str:
    return "experiment" if _EXPERIMENT.match(name) else "feature"


def _claim(graph: Graph, order: list[_Head]) -> tuple[list[int], list[Lane]]:
    """Give every commit to one lane: heads in priority order, then orphaned commits."""
    owner = [-1] * len(graph.ids)
    lanes: list[Lane] = []
    by_name = {h.name: i for i, h in enumerate(order)}

    def walk(lane: Lane) -> None:
        li = len(lanes)
        c = lane.head
        while c >= 0 and owner[c] < 0:
            owner[c] = li
            lane.commits.append(c)
            c = graph.first_parent(c)
        if lane.commits and c >= 0:
            lane.fork = c
        lanes.append(lane)

    for h in order:
        walk(Lane(h.name, h.kind, h.ref, h.head))
    merged_at: dict[int, int] = {}
    for c, ps in enumerate(graph.parents):
        for p in ps[1:]:
            if p >= 0:
                merged_at.setdefault(p, c)
    for c in range(len(graph.ids) - 1, -1, -1):
        if owner[c] >= 0:
            continue
        name = None
        if c in merged_at:
            name, _ = merge_message_names(graph.subjects[merged_at[c]])
        if name and name in by_name:  # a branch merged, then reset or fast-forwarded
            same = by_name[name]
            walk(Lane(name, lanes[same].kind, None, c, segment_of=same, note="earlier"))
            continue
        note = "deleted" if name else "no branch"
        name = name or graph.ids[c][:7]
        by_name[name] = len(lanes)
        walk(Lane(name, _kind_by_name(name), None, c, note=note))
    return owner, lanes


def _merges(graph: Graph, owner: list[int], lanes: list[Lane]) -> list[Merge]:
    """Every merge commit, oldest first, with the lanes it joined."""
    heads_at: dict[int, list[int]] = defaultdict(list)
    by_name: dict[str, int] = {}
    for li, lane in enumerate(lanes):
        by_name.setdefault(lane.name, li)
        if lane.ref is not None:
            heads_at[lane.head].append(li)
    out: list[Merge] = []
    for c, ps in enumerate(graph.parents):
        if len(ps) < 2:
            continue
        into = owner[c]
        sources, names = [], []
        for p in ps[1:]:
            src = _source_lane(graph, owner, heads_at, by_name, c, p, into)
            sources.append(src)
            if src >= 0:
                names.append(lanes[src].name)
            else:
                said, _ = merge_message_names(graph.subjects[c])
                names.append(said or (graph.ids[p][:7] if p >= 0 else "?"))
        out.append(Merge(c, into, sources, names))
    return out


def _source_lane(
    graph: Graph,
    owner: list[int],
    heads_at: dict[int, list[int]],
    by_name: dict[str, int],
    c: int,
    p: int,
    into: int,
) -> int:
    if p < 0:
        return -1
    candidates = [li for li in heads_at.get(p, ()) if li != into]
    if owner[p] in candidates:
        return owner[p]
    if candidates:
        return candidates[0]
    if owner[p] != into:
        return owner[p]
    said, _ = merge_message_names(graph.subjects[c])
    named = by_name.get(said) if said else None
    return named if named is not None and named != into else -1


@dataclass
class _Refs:
    branches: dict[str, tuple[str, int]]  # short -> (full ref, head index)
    exps: list[tuple[str, str, int]]  # (short, full ref, head index)
    tags_at: dict[int, list[str]]


def _local_name(name: str, ref: str) -> str:
    """``integration`` for the remote-tracking ``origin/integration``."""
    return name.split("/", 1)[1] if ref.startswith("refs/remotes/") and "/" in name else name


def _named_integration(config: Config, branches: dict[str, Any], main: str | None) -> list[str]:
    patterns = config.integration or list(INTEGRATION_NAMES)
    out = []
    for pattern in patterns:
        for name in sorted(branches):
            bare = _local_name(name, branches[name][0])
            if name != main and name not in out and fnmatch.fnmatchcase(bare, pattern):
                out.append(name)
    return out


def _order(
    graph: Graph, refs: _Refs, main: str | None, integration: list[str]
) -> tuple[list[_Head], list[int]]:
    """Heads in claiming priority: main, integration, branches, experiment refs, with
    each head's count of merges since main (first parents down to main's line).

    Among the other branches, the one whose history since main holds more merges goes
    first (then the older head), so a branch forked from an integration branch does not
    claim its merges.
    """
    order: list[_Head] = []
    main_fp: set[int] = set()
    if main is not None:
        ref, head = refs.branches[main]
        order.append(_Head(main, "main", ref, head))
        c = head
        while c >= 0 and c not in main_fp:
            main_fp.add(c)
            c = graph.first_parent(c)
    for name in integration:
        ref, head = refs.branches[name]
        order.append(_Head(name, "integration", ref, head))
    merges_since_main = [0] * len(graph.ids)
    for c, ps in enumerate(graph.parents):
        if c in main_fp:
            continue
        below = merges_since_main[ps[0]] if ps and ps[0] >= 0 else 0
        merges_since_main[c] = below + (len(ps) > 1)
    rest = [n for n in refs.branches if n != main and n not in integration]
    # on a tie the older head first: a branch forked from another's head leaves it its merges
    rest.sort(
        key=lambda n: rest_key(merges_since_main[refs.branches[n][1]], refs.branches[n][1], n)
    )
    for name in rest:
        ref, head = refs.branches[name]
        order.append(_Head(name, _kind_by_name(name), ref, head))
    for short, ref, head in refs.exps:
        order.append(_Head(short, "experiment", ref, head))
    return order, [merges_since_main[h.head] for h in order]


def rest_key(since_main: int, head: int, name: str) -> tuple[int, int, str]:
    """The order of the branches after main and the integration branches (``_order``):
    more merges since main first, then the older head (its position in the history)."""
    return (-since_main, head, name)


def canonical(lanes: list[Lane], li: int) -> int:
    """The lane of the branch itself for an earlier stretch of it (else ``li``)."""
    if li < 0:
        return li
    seg = lanes[li].segment_of
    return seg if seg is not None else li


def _detect_integration(lanes: list[Lane], merges: list[Merge], main: int) -> list[str]:
    """Branches that collect merges from ≥2 others and are merged into main."""
    sources: dict[int, set[int]] = defaultdict(set)
    into_main: set[int] = set()
    for m in merges:
        into = canonical(lanes, m.into)
        for s in m.sources:
            s = canonical(lanes, s)
            if s < 0:
                continue
            if into == main:
                into_main.add(s)
            elif s not in (main, into):
                sources[into].add(s)
    found = []
    for li, srcs in sources.items():
        lane = lanes[li]
        if len(srcs) >= 2 and li in into_main and (lane.ref or "").startswith("refs/heads/"):
            found.append(lane.name)
    return sorted(found)


def refs_on(
    graph: Graph,
    rows: Iterable[tuple[str, str, str, str | None]],
    heads: dict[str, int] | None = None,
) -> _Refs:
    """Branches, DVC experiments and tags on the graph, from (name, short, kind, commit)
    ref rows sorted by name; ``heads`` places a branch head that is not in the graph (a
    collapsed one) on the commit it stands on."""
    return refs_at(graph.index, rows, heads)


def refs_at(
    index: dict[str, int],
    rows: Iterable[tuple[str, str, str, str | None]],
    heads: dict[str, int] | None = None,
) -> _Refs:
    """``refs_on`` with commits placed by ``index`` (commit -> position in the history)."""
    rows = list(rows)
    branches: dict[str, tuple[str, int]] = {}
    exps: list[tuple[str, str, int]] = []
    tags_at: dict[int, list[str]] = defaultdict(list)
    effective = gitio.effective_branches((k, s, c) for _n, s, k, c in rows)
    local = {s for _n, s, k, _c in rows if k == "branch"}
    for name, short, kind, commit in rows:
        idx = index.get(commit or "", -1)
        if idx < 0 and heads is not None and kind != "tag":
            idx = heads.get(commit or "", -1)
        if idx < 0:
            continue
        if kind in ("branch", "remote"):
            # local branches, and remote-tracking ones where no local branch has the name
            if short in effective and (kind == "branch" or short not in local):
                branches[short] = (name, idx)
        elif kind == "exp":
            if gitio.experiment_name(name) is not None:  # not DVC's stash or queue refs
                exps.append((short, name, idx))
        elif kind == "tag":
            tags_at[idx].append(short)
    return _Refs(branches, exps, dict(tags_at))


@dataclass
class Lines:
    """Every commit's line (``owner[c]``: an index into ``lanes``, -1 for none), the
    merges, and the branches taken as integration branches (configured or detected)."""

    owner: list[int]
    lanes: list[Lane]
    merges: list[Merge]
    main: int | None  # the main branch's lane (always 0), None without a main branch
    integration: list[str]
    order: list[_Head] = field(default_factory=list)  # the heads, in claiming priority
    since_main: list[int] = field(default_factory=list)  # per head: merges since main
    detected: list[str] = field(default_factory=list)  # integration branches found, not named


def assign(graph: Graph, refs: _Refs, main_name: str | None, config: Config) -> Lines:
    """Classify the branches and give every commit its line; without configured
    integration branches, those detected from the merges are added and the commits
    claimed again with them."""
    integration = _named_integration(config, refs.branches, main_name)
    order, since_main = _order(graph, refs, main_name, integration)
    owner, lanes = _claim(graph, order)
    merges = _merges(graph, owner, lanes)
    main = 0 if main_name is not None else None
    detected: list[str] = []
    if not config.integration and main is not None:
        detected = [n for n in _detect_integration(lanes, merges, main) if n not in integration]
        if detected:
            integration = integration + detected
            order, since_main = _order(graph, refs, main_name, integration)
            owner, lanes = _claim(graph, order)
            merges = _merges(graph, owner, lanes)
    return Lines(owner, lanes, merges, main, integration, order, since_main, detected)


def made_on(lines: Lines) -> tuple[list[str | None], list[list[str]]]:
    """Per commit (in the graph's order): the branch it was made on (None for commits on
    no named line), and for a merge the branches it merged (else empty)."""
    names: list[str | None] = [
        None if lane.note == "no branch" else lane.name for lane in lines.lanes
    ]
    branch = [names[li] if li >= 0 else None for li in lines.owner]
    merged: list[list[str]] = [[] for _ in lines.owner]
    for m in lines.merges:
        merged[m.commit] = list(m.source_names)
    return branch, merged


def graph_from_arrow(t: pa.Table) -> Graph:
    """The graph of an Arrow table of ``commit``, ``parents`` and ``subject``, parents
    first (as the catalog's ``commits`` in ``topo`` order); parents become indexes in
    one vectorised lookup, then are cut back into per-commit tuples."""
    ids: list[str] = t.column("commit").to_pylist()
    index = {c: i for i, c in enumerate(ids)}
    if len(ids) < VECTORISED_FROM:  # a dictionary each: cheaper than importing the kernel
        parents = [tuple(index.get(p, -1) for p in ps) for ps in t.column("parents").to_pylist()]
    else:
        import pyarrow.compute as pc  # ~0.15 s to import: only a long history needs it

        lists = t.column("parents").combine_chunks()
        flat = pc.index_in(lists.flatten(), value_set=t.column("commit"))
        flat = flat.fill_null(-1).to_pylist()
        offsets = lists.offsets.to_pylist()
        parents = [tuple(flat[offsets[i] : offsets[i + 1]]) for i in range(len(ids))]
    return Graph(ids=ids, parents=parents, subjects=t.column("subject").to_pylist(), index=index)


#: commits from which :func:`graph_from_arrow` looks parents up in one vectorised call
#: (below, importing ``pyarrow.compute`` costs more than a dictionary lookup per parent)
VECTORISED_FROM = 20_000
