"""From git to catalog facts: one walk, one read per distinct blob, rows in columns.

The indexer never writes the catalog itself: it returns :class:`Facts` (columns ready
for Arrow) and ``store.catalog`` writes them. For an incremental run it is given the
commits to skip (already indexed) and, for the old commits that new ones build on, the
model files there (``seeds``).
"""

from __future__ import annotations

import functools
import posixpath
from collections import ChainMap, Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern
from typing import TYPE_CHECKING, Any

from modeltrail.store.read import (
    blobfacts,
    discovery,
    gitio,
    heap,
    parse_pool,
    pipelines,
    sources,
)
from modeltrail.store.read.declarations import at_place_now, moved_places

# the catalog's run (store/catalog/index_run.py, pulled.py) reaches these through this
# module; they live in declarations.py and facts.py
from modeltrail.store.read.declarations import declaration_history as declaration_history
from modeltrail.store.read.declarations import declaration_renames as declaration_renames
from modeltrail.store.read.declarations import declarations_in as declarations_in
from modeltrail.store.read.declarations import discover as discover
from modeltrail.store.read.declarations import newest_blobs as newest_blobs
from modeltrail.store.read.declarations import template_warning as template_warning
from modeltrail.store.read.discovery import ModelDef
from modeltrail.store.read.expansions import Expansion, _expand_templated, _expansions
from modeltrail.store.read.facts import MAX_DOCUMENT as MAX_DOCUMENT
from modeltrail.store.read.facts import SPILL_ROWS as SPILL_ROWS
from modeltrail.store.read.facts import Columns as Columns
from modeltrail.store.read.facts import Emitted
from modeltrail.store.read.facts import Facts as Facts
from modeltrail.store.read.facts import FileState as FileState
from modeltrail.store.repo import RepoPaths

if TYPE_CHECKING:
    import git

Progress = Callable[[str, int, int], None]

#: items (versions, documents) between two :meth:`Facts.spill` calls of a loop
SPILL_EVERY = 4096
#: why a declared metrics file is unknown when its DVC cache object is a symlink leading
#: outside the repository (and the user's cache directory): never read
REFUSED_CACHE_OBJECT = (
    "not read (its DVC cache object is a symlink to a file outside the repository and "
    "its DVC cache; metrics unknown)"
)
SUBMODULE = "160000"


def _noop(phase: str, done: int, total: int) -> None:
    pass


ModelPaths = discovery.ModelPaths


def propagate(
    commits: list[gitio.CommitRecord],
    paths: ModelPaths,
    labelled: dict[str, set[str]],
    seeds: dict[str, dict[str, FileState]],
    consume: bool = False,
) -> list[Emitted]:
    """Model files at every commit, from first-parent diffs; the versions found. With
    ``consume``, ``commits`` is emptied as it goes (each record, once followed, makes
    room for the versions: both at once were the peak of a full index)."""
    empty: dict[str, FileState] = {}
    state: dict[str, dict[str, FileState]] = dict(seeds)
    # a commit's state is kept until its last first-parent child has used it
    children: dict[str, int] = {}
    for c in commits:
        if c.parents:
            children[c.parents[0]] = children.get(c.parents[0], 0) + 1
    out: list[Emitted] = []
    placed, placed_files = paths.placed, paths.visible
    for i, c in enumerate(commits):
        if consume:
            commits[i] = None  # type: ignore[call-overload]  # followed: let it go
        base = empty
        if c.parents:
            first = c.parents[0]
            base = state.get(first, empty)
            left = children[first] - 1
            if left:
                children[first] = left
            else:
                del children[first]
                state.pop(first, None)
        touched: dict[str, list[gitio.Change]] = {}
        for ch in c.changes:
            if ch.mode == SUBMODULE:
                continue
            for m in paths.models_for(ch.path):
                touched.setdefault(m, []).append(ch)
        if touched:
            new = dict(base)
            for m, changes in touched.items():
                files = dict(base.get(m, {}))
                for ch in changes:
                    if ch.blob is None:
                        files.pop(ch.path, None)
                    else:
                        files[ch.path] = (ch.blob, ch.mode)
                new[m] = files
        else:
            new = base
        if c.commit in children:
            state[c.commit] = new
        for m in set(touched) | labelled.get(c.commit, set()):
            now: FileState = new.get(m, {})
            before: FileState = base.get(m, {})
            mine = touched.get(m, ())
            if m in placed:  # moved: only the places where it is, here and before
                now, before = placed_files(m, now), placed_files(m, before)
                mine = [ch for ch in mine if ch.path in now or ch.path in before]
            # a change counts where the model exists before or after it (its declaring
            # file, a GTO artifact's own path): never before its file was first added
            changed = bool(mine) and (paths.exists(m, now) or paths.exists(m, before))
            if not changed and m not in labelled.get(c.commit, ()):
                continue
            out.append(
                Emitted(
                    model=m,
                    commit=c.commit,
                    files=now,
                    changed_paths=[ch.path for ch in mine],
                    changed=changed,
                )
            )
    return out


#: the roles whose blobs are parsed for the catalog (others are only sized)
_PARSED_ROLES = frozenset(
    ("metrics", "params", "manifest", "mlmodel", "environment", "dvc_lock", "dvc_pointer")
)


def _documents(
    repo: git.Repo, wanted: list[tuple[str, str, str]], have: dict[str, bytes]
) -> Iterator[parse_pool.Job]:
    """The documents to parse, read from git a round of the parse at a time (content
    None: the object went missing since it was sized). A blob read beforehand leaves
    ``have`` with its last use (the small ones: 44 MB at 100,000 commits)."""
    uses = Counter(blob for blob, _r, _p in wanted)
    for first in range(0, len(wanted), parse_pool.ROUND):
        part = wanted[first : first + parse_pool.ROUND]
        got = gitio.read_blobs(repo, [b for b, _r, _p in part if b not in have], MAX_DOCUMENT)
        for blob, role, path in part:
            uses[blob] -= 1
            content = have.pop(blob, None) if uses[blob] == 0 else have.get(blob)
            yield blob, role, path, got.get(blob) if content is None else content


def _add_rows(
    facts: Facts, cache: blobfacts.DvcCache, blob: str, role: str, rows: list[tuple[Any, ...]]
) -> None:
    """A parsed blob's rows into the table of its role."""
    if role in ("metrics", "params", "manifest"):
        blobs, roles, sections, keys, values, texts = facts.blob_values.appenders()
        for section, key, value, text in rows:  # 180,000 values at 20,000 commits
            blobs(blob)
            roles(role)
            sections(intern(section))
            keys(intern(key))
            values(value)
            texts(text)
    elif role == "mlmodel":
        for row in rows:
            facts.blob_mlmodel.add(blob, *row)
    elif role == "environment":
        for package, spec in rows:
            facts.blob_packages.add(blob, package, spec)
    else:  # dvc_lock, dvc_pointer
        for kind, stage, rel, md5, size, nfiles in rows:
            present = cache.present(md5) if kind == "out" and md5 else None
            facts.blob_dvc.add(blob, kind, stage, rel, md5, size, nfiles, present)


#: how the warning about metrics not in the local DVC cache begins (it is rewritten
#: when ``dvc pull`` brings some of them: ``store.catalog.pulled``)
UNPULLED_WARNING = "metrics of {count} version{s} are in DVC outputs not in the local DVC cache"


def unpulled_warning(count: int, path: str) -> str:
    """The one warning of a model whose metrics in ``count`` versions are unknown until
    ``dvc pull`` (``path``: one such metrics file)."""
    begins = UNPULLED_WARNING.format(count=count, s="s" if count != 1 else "")
    return f"{begins} (such as {path}): unknown until `dvc pull` brings them"


@functools.lru_cache(maxsize=65536)  # the same paths change version after version
def _counts_for_staleness(path: str) -> bool:
    """Whether changing ``path`` can leave metrics stale: not documentation, not hidden
    files or directories (``.vscode/``, ``.gitignore``, ``.dvc/``)."""
    if path.lower().endswith((".md", ".rst")):
        return False
    return not any(part.startswith(".") for part in path.split("/"))


@dataclass
class Walk:
    """What :func:`fill_facts` walks: ``commits`` (parents first) of ``repo``, the
    ``models`` found, the commits each model has a label on (``labelled``), and for the
    old commits new ones build on, the model files there (``seeds``)."""

    repo: git.Repo
    paths: RepoPaths
    commits: list[gitio.CommitRecord]
    models: dict[str, ModelDef]
    labelled: dict[str, set[str]]
    seeds: dict[str, dict[str, FileState]]


def fill_facts(
    walk: Walk,
    facts: Facts,
    *,
    known_blobs: set[str] | None = None,
    topo_start: int = 0,
    progress: Progress = _noop,
    consume: bool = False,
    commits_added: bool = False,
) -> Facts:
    """Fill ``facts`` with the rows for ``walk.commits`` (parents first).

    With ``consume``, ``walk.commits`` is emptied once its files are followed (in a full
    index of 100,000 commits the records are the largest thing held); with
    ``commits_added``, the commits' own rows are in ``facts`` already (the records may
    hold no more than their ids, parents and changes)."""
    repo, commits, models = walk.repo, walk.commits, walk.models
    cache = blobfacts.DvcCache(
        walk.paths.root, MAX_DOCUMENT, lambda: gitio.index_entries(repo, ".dvc")
    )
    total = len(commits)
    progress("commits", 0, total)
    if not commits_added:
        for _c in add_commits(facts, commits, topo_start):
            pass
    model_paths = ModelPaths(models)
    emitted = propagate(commits, model_paths, walk.labelled, walk.seeds, consume)
    if consume:
        commits.clear()
    progress("commits", total, total)

    all_blobs, sizes = _blob_sizes(repo, emitted, progress)
    known = known_blobs or set()
    decl = _read_declarations(repo, facts, cache, emitted, sizes, known)

    # a templated dvc.yaml declares what its expansion with the params (and vars files)
    # of the same version says: one expansion per distinct (dvc.yaml, their blobs)
    expanded = _expand_templated(repo, facts, emitted, decl.templated, model_paths)
    pipes = pipelines.Pipelines(decl.locks, cache)
    pipes.blob_md5 = _lock_dep_md5s(repo, emitted, decl, model_paths, expanded, sizes, pipes)
    roles, cached = _add_versions(
        facts, cache, emitted, models, decl, model_paths, expanded, pipes, known
    )
    del emitted  # every version's files are rows now

    have = _add_blob_storage(
        repo, facts, all_blobs, sizes, known, decl.data, cached, walk.paths.common_dir, progress
    )
    plan, wanted = _parse_plan(facts, roles, sizes, have, known, decl)
    blob_count = len(all_blobs)
    del roles, sizes, all_blobs  # the plan says all that is left to do
    heap.trim()
    _add_parsed(repo, facts, cache, plan, wanted, have)
    progress("blobs", blob_count, blob_count)
    return facts


def add_commits(
    facts: Facts, commits: Iterable[gitio.CommitRecord], topo_start: int
) -> Iterator[gitio.CommitRecord]:
    """The commits' own rows, handed over as they fill (100,000 at once held their
    Python and Arrow copies together); yields each commit once its row is made. Only
    this generator spills ``facts`` while it runs (its appenders hold the columns)."""
    for i, c in enumerate(commits):
        if i % SPILL_EVERY == 0:
            facts.spill()  # the appenders are valid until the next spill
            a_id, a_par, a_tree, a_name, a_email, a_adate, a_cdate, a_subj, a_msg, a_topo = (
                facts.commits.appenders()
            )
        a_id(c.commit)
        a_par(c.parents)
        a_tree(c.tree)
        a_name(c.author_name)
        a_email(c.author_email)
        a_adate(c.author_date)
        a_cdate(c.committer_date)
        a_subj(c.subject)
        a_msg(c.message)
        a_topo(topo_start + i)
        yield c
    facts.spill()


def _blob_sizes(
    repo: git.Repo, emitted: list[Emitted], progress: Progress
) -> tuple[dict[str, str], dict[str, int]]:
    """Every blob of every version (blob -> a path it has) and the sizes of those."""
    all_blobs: dict[str, str] = {}
    for e in emitted:
        for path, (blob, _m) in e.files.items():
            all_blobs.setdefault(blob, path)
    progress("blobs", 0, len(all_blobs))
    return all_blobs, gitio.blob_sizes(repo, all_blobs)


@dataclass
class _Declared:
    """What the declaring files of the versions themselves (dvc.yaml, dvc.lock and
    manifests) say, by blob."""

    data: dict[str, bytes]  # their contents
    dvc: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    manifest_files: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    manifest_version: dict[str, str | None] = field(default_factory=dict)
    # a manifest's values become rows as it is parsed (20,000 parsed manifests held until
    # the end took ~60 MB); its warnings wait for the version that names its path
    manifest_warnings: dict[str, list[str]] = field(default_factory=dict)
    manifest_mlmodel: dict[str, blobfacts.MlmodelFacts] = field(default_factory=dict)
    locks: dict[str, object] = field(default_factory=dict)
    # dvc.yaml blob -> path, data, vars
    templated: dict[str, tuple[str, bytes, list[str]]] = field(default_factory=dict)


def _read_declarations(
    repo: git.Repo,
    facts: Facts,
    cache: blobfacts.DvcCache,
    emitted: list[Emitted],
    sizes: dict[str, int],
    known: set[str],
) -> _Declared:
    """Read and parse the declaring files of the versions themselves: dvc.yaml, dvc.lock
    and manifests (whose values become rows now)."""
    decl_blobs: dict[str, str] = {}  # blob -> the first declaring path it has
    declaring: dict[str, bool] = {}  # path -> whether it is a declaring file's
    for e in emitted:
        for path, (blob, _m) in e.files.items():
            if blob in decl_blobs:
                continue
            named = declaring.get(path)
            if named is None:
                base = posixpath.basename(path)
                named = declaring[path] = base in ("dvc.yaml", "model.yaml", "dvc.lock")
            if named:
                decl_blobs[blob] = path
    decl_data = gitio.read_blobs(
        repo, [b for b in decl_blobs if sizes.get(b, 0) <= MAX_DOCUMENT], MAX_DOCUMENT
    )
    out = _Declared(decl_data)
    for blob, path in decl_blobs.items():
        data = decl_data.get(blob)
        if data is None:
            continue
        if posixpath.basename(path) == "dvc.lock":
            out.locks[blob] = blobfacts.parse_dvc_lock(data)
        elif posixpath.basename(path) == "dvc.yaml":
            # repository paths: the same dvc.yaml blob always sits in the same directory
            base = posixpath.dirname(path)
            doc, _w = blobfacts.parse_dvc_yaml(data)
            out.dvc[blob] = (
                blobfacts.dvc_metrics_files(doc, base),
                blobfacts.dvc_params_files(doc, base),
            )
            if doc.var_files:  # templated: expanded below with the values of each version
                out.templated[blob] = (path, data, doc.var_files)
        else:
            mf = blobfacts.read_manifest(data, path)
            out.manifest_files[blob] = (mf.metrics_file, mf.params_file)
            out.manifest_version[blob] = mf.version
            if mf.mlmodel is not None:
                out.manifest_mlmodel[blob] = mf.mlmodel
            if blob not in known:
                rows, out.manifest_warnings[blob] = parse_pool.as_rows("manifest", mf.values)
                _add_rows(facts, cache, blob, "manifest", rows)
    return out


def _lock_dep_md5s(
    repo: git.Repo,
    emitted: list[Emitted],
    decl: _Declared,
    paths: ModelPaths,
    expanded: dict[Expansion, tuple[list[str], list[str]]],
    sizes: dict[str, int],
    pipes: pipelines.Pipelines,
) -> Callable[[str, bool], str | None]:
    """The DVC md5 of each git file that dvc.lock stages depend on (code, inputs), as a
    function of (blob, legacy), computed once each."""
    dep_blobs: set[str] = set()
    if decl.locks:
        for e in emitted:
            own = _expansions(e, decl.templated, paths, expanded) if expanded else None
            dvc_decl: Mapping[str, tuple[list[str], list[str]]] = (
                ChainMap(own, decl.dvc) if own else decl.dvc
            )
            dep_blobs |= pipes.dep_blobs(e.files, dvc_decl)
    dep_data = gitio.read_blobs(
        repo, [b for b in dep_blobs if sizes.get(b, 0) <= MAX_DOCUMENT], MAX_DOCUMENT
    )
    md5s: dict[tuple[str, bool], str | None] = {}

    def blob_md5(blob: str, legacy: bool) -> str | None:
        if (blob, legacy) not in md5s:
            data = dep_data.get(blob)
            md5s[(blob, legacy)] = None if data is None else blobfacts.dvc_file_md5(data, legacy)
        return md5s[(blob, legacy)]

    return blob_md5


def _source_dirs(
    models: dict[str, ModelDef],
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, tuple[str, ...]]]]:
    """Where each model's conventional metrics and params files are, and a moved model's
    earlier places (its files there are keyed as at its place now)."""
    source_dirs: dict[str, tuple[str, ...]] = {}
    for m in models.values():
        dirs = [m.path] if m.path is not None else []
        apath = discovery.in_repository(m.artifact_path)
        if apath:
            dirs.append(apath)
        dirs += [d for d in m.content.trees if d not in dirs]  # earlier paths too
        source_dirs[m.name] = tuple(dirs)
    places = {m.name: p for m in models.values() if (p := moved_places(m))}
    return source_dirs, places


def _add_versions(
    facts: Facts,
    cache: blobfacts.DvcCache,
    emitted: list[Emitted],
    models: dict[str, ModelDef],
    decl: _Declared,
    paths: ModelPaths,
    expanded: dict[Expansion, tuple[list[str], list[str]]],
    pipes: pipelines.Pipelines,
    known: set[str],
) -> tuple[dict[tuple[str, str], tuple[str, str, str]], dict[str, bytes]]:
    """Each version's rows (its files, sources, model_commits row); ``emitted`` is emptied
    as it goes. Returns which blobs feed what ((blob, role) -> (path, model, commit)) and
    the metrics read from the DVC cache (md5 -> content)."""
    source_dirs, places = _source_dirs(models)
    roles: dict[tuple[str, str], tuple[str, str, str]] = {}  # (blob, role) -> (path, model, commit)
    sourcing = sources.Sources(decl.dvc, decl.manifest_files)
    cached: dict[str, bytes] = {}  # md5 -> content of metrics read from the DVC cache
    unpulled: dict[str, list[Any]] = {}  # model -> [versions, paths] of metrics not in the cache
    manifest_version = decl.manifest_version
    for i, e in enumerate(emitted):
        emitted[i] = None  # type: ignore[call-overload]  # its files go once its rows are made
        if i % SPILL_EVERY == 0:
            facts.spill()  # the columns' appenders are valid until the next spill
            f_model, f_commit, f_path, f_blob, f_mode = facts.version_files.appenders()
            v_model, v_commit, v_role, v_path, v_blob, v_origin, v_key = (
                facts.version_sources.appenders()
            )
            c_row = facts.model_commits.appenders()
        model, commit, files = e.model, e.commit, e.files
        dvc_decl: Mapping[str, tuple[list[str], list[str]]] = decl.dvc
        own = _expansions(e, decl.templated, paths, expanded) if expanded else None
        if own:
            dvc_decl = ChainMap(own, decl.dvc)
        srcs = sourcing.of(model, files, source_dirs.get(model, ()), dvc_decl if own else None)
        from_cache, lock_stale, refused, not_cached = pipes.answer(files, dvc_decl)
        for path in refused:
            facts.warnings.add(commit, path, model, f"{path}: {REFUSED_CACHE_OBJECT}")
        if from_cache:
            for _role, _path, md5 in from_cache:
                if md5 not in cached and md5 not in known:
                    content = cache.read(md5)
                    if content is not None:
                        cached[md5] = content
            from_cache = [s for s in from_cache if s[2] in cached or s[2] in known]
        for path, (blob, mode) in files.items():
            f_model(model)
            f_commit(commit)
            f_path(path)
            f_blob(blob)
            f_mode(mode)
        mversion = None
        metric_paths = set()
        moved = places.get(model)
        for origin, found in (("git", srcs), ("dvc-cache", from_cache)):
            for role, path, blob in found:
                v_model(model)
                v_commit(commit)
                v_role(role)
                v_path(path)
                v_blob(blob)
                v_origin(origin)
                v_key(at_place_now(path, moved) if moved is not None else None)
                if (blob, role) not in roles:
                    roles[(blob, role)] = (path, model, commit)
                if role == "metrics":
                    metric_paths.add(path)
                elif role == "manifest" and mversion is None:
                    mversion = manifest_version.get(blob)
        for path, md5 in not_cached:  # unknown until `dvc pull`: not absent, not parsed
            key_path = at_place_now(path, moved) if moved is not None else None
            facts.version_sources.add(model, commit, "metrics", path, md5, "dvc-missing", key_path)
        if not_cached:
            counts = unpulled.setdefault(model, [0, set()])
            counts[0] += 1
            counts[1].update(p for p, _md5 in not_cached)
        changed_set = set(e.changed_paths)
        touched = any(map(_counts_for_staleness, changed_set))
        if lock_stale is not None:  # a DVC pipeline: as dvc.lock records it
            stale = bool(e.changed and touched and lock_stale)
        else:
            stale = bool(
                e.changed and metric_paths and not (changed_set & metric_paths) and touched
            )
        # the content digest is the catalog's (derive_versions.fill_content)
        for append, value in zip(
            c_row, (model, commit, e.changed, mversion, stale, len(changed_set), None), strict=True
        ):
            append(value)
    for model, (count, unknown) in unpulled.items():  # one warning per model, not per version
        path = min(unknown)
        facts.warnings.add(None, path, model, unpulled_warning(count, path))
    return roles, cached


def _add_blob_storage(
    repo: git.Repo,
    facts: Facts,
    all_blobs: dict[str, str],
    sizes: dict[str, int],
    known: set[str],
    decl_data: dict[str, bytes],
    cached: dict[str, bytes],
    common_dir: Path,
    progress: Progress,
) -> dict[str, bytes]:
    """How each new blob is stored (git, or a Git LFS pointer and whether its object is
    here). Returns what is read now: the declaring files (read already), metrics from the
    DVC cache, and every blob small enough to be a Git LFS pointer; the documents to
    parse are read a round at a time as they are parsed."""
    small = gitio.read_blobs(
        repo,
        [
            b
            for b, size in sizes.items()
            if size < blobfacts.LFS_MAX_POINTER
            and b not in known
            and b not in decl_data
            and b not in cached
        ],
        MAX_DOCUMENT,
    )
    have = {**small, **decl_data, **cached}
    del small
    progress("blobs", len(all_blobs) // 2, len(all_blobs))

    bs = facts.blob_storage
    lfs_present: dict[str, bool] = {}
    for blob in all_blobs:
        if blob in known:
            continue
        size = sizes.get(blob)
        ptr = None
        if size is not None and size < blobfacts.LFS_MAX_POINTER and blob in have:
            ptr = blobfacts.lfs_pointer(have[blob])
        if ptr is not None:
            present = lfs_present.get(ptr.oid)
            if present is None:
                present = blobfacts.lfs_present(common_dir, ptr)
                lfs_present[ptr.oid] = present
            bs.add(blob, size, "lfs", ptr.size, ptr.oid, present)
        else:
            bs.add(blob, size, "git", size, blob, True)
    return have


#: what is left to do for one (blob, role): (blob, role, path, model, commit, rows and
#: warnings, or None for the next parsed document's)
_Step = tuple[str, str, str, str, str, parse_pool.Parsed | None]


def _parse_plan(
    facts: Facts,
    roles: dict[tuple[str, str], tuple[str, str, str]],
    sizes: dict[str, int],
    have: dict[str, bytes],
    known: set[str],
    decl: _Declared,
) -> tuple[list[_Step], list[tuple[str, str, str]]]:
    """Each (blob, role)'s rows and warnings, in the order of ``roles``: manifests' rows
    are written already (only their warnings are left), every other document is to be
    read and parsed (many of them in a helper), a round at a time. Returns the plan and
    the documents to parse, (blob, role, path) each."""
    plan: list[_Step] = []
    wanted: list[tuple[str, str, str]] = []
    for (blob, role), (path, model, commit) in roles.items():
        if blob in known:
            continue
        size = sizes.get(blob)
        if blob not in have and (size is None or size > MAX_DOCUMENT):
            why = (
                "the object is not in this clone"
                if size is None
                else f"{size} bytes is over the {MAX_DOCUMENT}-byte limit"
            )
            facts.warnings.add(commit, path, model, f"{path}: not read ({why})")
        elif role == "manifest" and blob in decl.manifest_warnings:
            plan.append((blob, role, path, model, commit, ([], decl.manifest_warnings[blob])))
        elif role == "mlmodel" and blob in decl.manifest_mlmodel:
            parsed = parse_pool.as_rows(role, decl.manifest_mlmodel[blob])
            plan.append((blob, role, path, model, commit, parsed))
        elif role in _PARSED_ROLES:
            wanted.append((blob, role, path))
            plan.append((blob, role, path, model, commit, None))
    return plan, wanted


def _add_parsed(
    repo: git.Repo,
    facts: Facts,
    cache: blobfacts.DvcCache,
    plan: list[_Step],
    wanted: list[tuple[str, str, str]],
    have: dict[str, bytes],
) -> None:
    """Carry out the plan: parse the wanted documents and add every step's rows and
    warnings."""
    results = parse_pool.parse_iter(_documents(repo, wanted, have), len(wanted))
    for i, (blob, role, path, model, commit, parsed) in enumerate(plan):
        if i % SPILL_EVERY == 0:
            facts.spill()
        rows, warns = parsed if parsed is not None else next(results)
        _add_rows(facts, cache, blob, role, rows)
        for w in warns:
            facts.warnings.add(commit, path, model, w if path in w else f"{path}: {w}")


def branch_membership(
    commits: list[tuple[str, list[str]]], heads: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(commit, branch) pairs: which branches contain each commit.

    ``commits`` must be parents-first; ``heads`` maps branch name -> head commit.
    """
    names = sorted(heads)
    masks: dict[str, int] = defaultdict(int)
    for bit, name in enumerate(names):
        masks[heads[name]] |= 1 << bit
    for commit, parents in reversed(commits):
        m = masks.get(commit, 0)
        if m:
            for p in parents:
                masks[p] |= m
    out_c: list[str] = []
    out_b: list[str] = []
    for commit, _ in commits:
        m = masks.get(commit, 0)
        bit = 0
        while m:
            if m & 1:
                out_c.append(commit)
                out_b.append(names[bit])
            m >>= 1
            bit += 1
    return out_c, out_b
