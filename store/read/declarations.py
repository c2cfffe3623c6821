"""Which models a repository's history declares: the declaring files (artifacts.yaml,
dvc.yaml, model.yaml, ...) at their newest, the ones that moved (renames, with the
models' earlier places), and :func:`discover`, which turns them into models. The walk
that finds their versions is ``indexer.py``.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from modeltrail.store.read import blobfacts, discovery, gitio
from modeltrail.store.read.discovery import Claim, ModelDef
from modeltrail.store.read.facts import MAX_DOCUMENT, Facts

if TYPE_CHECKING:
    import git


def declarations_in(commits: Iterable[gitio.CommitRecord], known: dict[str, str]) -> dict[str, str]:
    """Newest blob of every declaring file (artifacts.yaml, dvc.yaml, model.yaml, ...)."""
    decl = dict(known)
    for c in commits:
        for ch in c.changes:
            if ch.blob and discovery.manifest_kind(ch.path):
                decl[ch.path] = ch.blob
    return decl


def newest_blobs(
    commits: Iterable[gitio.CommitRecord], paths: Iterable[str], known: dict[str, str | None]
) -> tuple[dict[str, str | None], set[str]]:
    """The newest blob of each of ``paths`` in walk order (None: deleted, or never seen),
    starting from ``known``; and which of them ``commits`` changed."""
    wanted = set(paths)
    out = {p: known.get(p) for p in wanted}
    seen: set[str] = set()
    if wanted:
        for c in commits:
            for ch in c.changes:
                if ch.path in wanted:
                    out[ch.path] = ch.blob
                    seen.add(ch.path)
    return out, seen


#: newest blobs of the files templated declarations take values from (:func:`discover`)
TemplateValues = Callable[[set[str]], dict[str, str | None]]


#: the declaring files that can name a GTO artifact (whose path may change over time)
_GTO_DECLARING = ("artifacts", "dvc_yaml")


def declaration_history(commits: Iterable[gitio.CommitRecord]) -> dict[str, list[str]]:
    """Every blob each file that can declare a GTO artifact ever had, oldest first."""
    history: dict[str, list[str]] = {}
    for c in commits:
        for ch in c.changes:
            if ch.blob and discovery.manifest_kind(ch.path) in _GTO_DECLARING:
                blobs = history.setdefault(ch.path, [])
                if ch.blob not in blobs:
                    blobs.append(ch.blob)
    return history


#: the declaring files whose model is its directory (named after it, or by the manifest)
_DIRECTORY_DECLARING = ("mlmodel", "model_yaml", "dvc_yaml", "modelbit")


#: a declaring file edited as it moved still moved when at least this share of it is
#: unchanged (``git log -M``'s default similarity); larger files must be the same blob
RENAME_SIMILARITY = 0.5
MAX_RENAME_COMPARE = 256 * 1024


def declaration_renames(
    commits: Iterable[gitio.CommitRecord],
    known: dict[str, str] | None = None,
    renames: dict[str, str] | None = None,
    repo: git.Repo | None = None,
) -> dict[str, str]:
    """Declaring files moved with a rename git sees: ``old path -> new path``.

    A commit that deletes a declaring file and adds one of the same kind elsewhere moved
    that declaration when the two are the same blob (an exact rename: ``git mv`` of a
    model's directory) or, given ``repo``, at least half alike, as ``git log -M`` pairs
    them (the few blobs compared are read in one ``cat-file --batch``, never one git call
    per commit). When one commit moves several alike (``a/ -> x/a/``, ``b/ -> x/b/``),
    each new place takes the old one it is most alike (:func:`_pair_moves`). A place
    declared again later is no longer moved (a new model lives there). ``known``: the
    newest blob of every declaring file before ``commits`` (an incremental run's),
    ``renames``: the moves found before them."""
    last = dict(known or {})
    alive = set(last) - set(renames or {})
    # in walk order: ("moved", commit, first parent, [(old, old blob, new, new blob)])
    # (every candidate pair of one commit) or ("declared", path)
    events: list[tuple[Any, ...]] = []
    for c in commits:
        declaring = [
            (ch, kind)
            for ch in c.changes
            if ch.path.endswith(discovery.DECLARING_ENDS)
            and (kind := discovery.manifest_kind(ch.path))
        ]
        if not declaring:
            continue
        gone: dict[str, list[tuple[str, str]]] = {}
        added: list[tuple[str, str, str]] = []
        for ch, kind in declaring:
            if kind not in _DIRECTORY_DECLARING:
                continue
            if ch.blob is None:
                if ch.path in last:
                    gone.setdefault(kind, []).append((ch.path, last[ch.path]))
            elif ch.path not in alive:
                added.append((kind, ch.path, ch.blob))
        candidates = [
            (old, old_blob, path, blob)
            for kind, path, blob in added
            for old, old_blob in gone.get(kind, ())
            if old_blob == blob or repo is not None  # alike: only with the blobs to compare
        ]
        if candidates:
            parent = c.parents[0] if c.parents else ""
            events.append(("moved", c.commit, parent, candidates))
        for ch, _kind in declaring:
            if ch.blob is None:
                alive.discard(ch.path)
            else:
                last[ch.path] = ch.blob
                alive.add(ch.path)
                events.append(("declared", ch.path))
    moves = [e for e in events if e[0] == "moved"]
    compare = {b for e in moves for o, ob, _, nb in e[3] if ob != nb for b in (ob, nb)}
    data = gitio.read_blobs(repo, compare, MAX_RENAME_COMPARE + 1) if compare and repo else {}
    # a commit with a choice to make: its other files say which directory went where
    ambiguous = [(e[1], e[2]) for e in moves if _has_choice(e[3])]
    files = gitio.removed_and_added(repo, ambiguous) if ambiguous and repo else {}
    out = dict(renames or {})
    for e in events:
        if e[0] == "declared":
            out.pop(e[1], None)  # declared here again: a model of its own
            continue
        for old, new in _pair_moves(e[3], data, files.get(e[1])):
            out[old] = new
    return out


def _has_choice(candidates: list[tuple[str, str, str, str]]) -> bool:
    """Whether an old or a new declaring file has more than one possible partner."""
    olds = [c[0] for c in candidates]
    news = [c[2] for c in candidates]
    return len(set(olds)) < len(olds) or len(set(news)) < len(news)


def _pair_moves(
    candidates: list[tuple[str, str, str, str]],
    data: dict[str, bytes],
    files: tuple[dict[str, str], dict[str, str]] | None,
) -> list[tuple[str, str]]:
    """``(old, new)`` declaring files one commit moved, from its candidate pairs ``(old,
    old blob, new, new blob)``: the pairs that are alike (the same blob, or
    :data:`RENAME_SIMILARITY`), best first, each file in one pair only. Best: the most
    other files that moved from the old directory to the same place in the new one with
    their content (``files``: the commit's removed and added files, ``path -> blob``),
    then the most alike declaring files, then a new directory named as the old one."""
    scored = []
    for n, (old, old_blob, new, blob) in enumerate(candidates):
        alike = 1.0 if old_blob == blob else _similarity(data.get(old_blob), data.get(blob))
        if alike < RENAME_SIMILARITY:
            continue
        old_dir, new_dir = posixpath.dirname(old), posixpath.dirname(new)
        along = _moved_along(old_dir, new_dir, files) if files else 0
        same_name = posixpath.basename(old_dir) == posixpath.basename(new_dir)
        scored.append(((-along, -alike, not same_name, n), old, new))
    pairs, taken = [], set()
    for _score, old, new in sorted(scored):
        if old not in taken and new not in taken:
            taken |= {old, new}
            pairs.append((old, new))
    return pairs


def _moved_along(old_dir: str, new_dir: str, files: tuple[dict[str, str], dict[str, str]]) -> int:
    """How many files the commit removed under ``old_dir`` and added with the same
    content at the same place under ``new_dir``."""
    removed, added = files
    start = f"{old_dir}/" if old_dir else ""
    into = f"{new_dir}/" if new_dir else ""
    return sum(
        1
        for path, blob in removed.items()
        if path.startswith(start) and added.get(into + path[len(start) :]) == blob
    )


def _similarity(a: bytes | None, b: bytes | None) -> float:
    """The share of the larger text that is lines the two share (git's rename score, on
    lines); 0 when either is missing or too large to compare."""
    if a is None or b is None or max(len(a), len(b)) > MAX_RENAME_COMPARE:
        return 0.0
    if not a or not b:
        return 0.0
    x, y = a.splitlines(True), b.splitlines(True)
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    same = sum(len(line) for i, _j, n in matcher.get_matching_blocks() for line in x[i : i + n])
    return same / max(len(a), len(b))


def _moved_to(renames: dict[str, str], path: str) -> str:
    """Where a moved declaring file is now (following moves of moves)."""
    seen = {path}
    while path in renames and renames[path] not in seen:
        path = renames[path]
        seen.add(path)
    return path


def discover(
    repo: git.Repo,
    declarations: dict[str, str],
    facts: Facts,
    root_name: str = "root",
    history: dict[str, list[str]] | None = None,
    renames: dict[str, str] | None = None,
    values: TemplateValues | None = None,
) -> dict[str, ModelDef]:
    """Models declared by the newest version of every declaring file. With ``history``
    (every blob of each declaring file), a GTO artifact whose path was changed also owns
    the files at its earlier paths, so its versions there keep their files and metrics.
    With ``renames`` (:func:`declaration_renames`), a model whose directory was moved
    is the model at its new place, which also owns its earlier places. With ``values``
    (the newest blob of each path asked), a templated ``dvc.yaml`` is expanded with its
    newest ``params.yaml`` and ``vars`` files (``facts.template_values`` records them),
    so the outputs and artifacts it names are the ones DVC names."""
    blobs = gitio.read_blobs(repo, declarations.values(), MAX_DOCUMENT)
    var_files = _template_files(repo, declarations, blobs, values, facts)
    claims: dict[str, list[Claim]] = {}
    for path, blob in sorted(declarations.items()):
        data = blobs.get(blob)
        if data is None:
            continue
        kind = discovery.manifest_kind(path)
        if kind is None:  # (never: declarations are the files manifest_kind names)
            continue
        found, warns = blobfacts.claims_of(kind, path, data, root_name, var_files.get(path))
        if path in var_files:  # its templating's problems are reported version by version
            warns = [w for w in warns if not template_warning(w)]
        claims[path] = [c for c in found if not _outside(c)]
        for c in found:
            if _outside(c):
                warns.append(
                    f"model {c.name!r}: path {c.artifact_path or c.path!r} is outside the "
                    "repository; ignored"
                )
        for w in warns:
            facts.warnings.add(None, path, None, w)
    moved = _moved_claims(claims, renames or {})
    resolved = discovery.resolve(claims)
    for where, message in resolved.warnings:
        facts.warnings.add(None, where, None, message)
    if moved:
        _add_moved_places(resolved.models, moved)
    if history:
        _add_earlier_paths(repo, resolved.models, declarations, history, root_name)
    return resolved.models


def moved_places(m: ModelDef) -> tuple[str, tuple[str, ...]] | None:
    """``(place now, earlier places)`` of a model whose directory was moved (the
    earlier places deepest first), or None. A GTO artifact is its name wherever it
    lives: its earlier paths are never mapped."""
    if not m.path or set(m.sources) & set(discovery.GTO_SOURCES):
        return None
    olds = [t for t in m.content.trees if t and t != m.path]
    if not olds:
        return None
    return m.path, tuple(sorted(olds, key=len, reverse=True))


def at_place_now(path: str, places: tuple[str, tuple[str, ...]]) -> str | None:
    """Where ``path`` (a file at one of a moved model's earlier places) is at the
    model's place now (the same path under the new directory); None when it is not
    under an earlier place (already at the place now, or outside the model)."""
    now, olds = places
    if path.startswith(f"{now}/"):
        return None
    for old in olds:
        if path.startswith(f"{old}/"):
            return f"{now}/{path[len(old) + 1 :]}"
    return None


def template_warning(message: str) -> bool:
    """A warning about a templated dvc.yaml's values (reported at the versions that
    have them, not where the models are found)."""
    return "not defined by" in message or message.startswith(("vars file", "vars:"))


def _template_files(
    repo: git.Repo,
    declarations: dict[str, str],
    blobs: dict[str, bytes],
    values: TemplateValues | None,
    facts: Facts,
) -> dict[str, dict[str, bytes | str | None]]:
    """Each templated dvc.yaml declaration's values files (relative to it -> bytes, None
    where the file does not exist, ``OUTSIDE`` where it leaves the repository), their
    newest blobs recorded in ``facts.template_values``."""
    if values is None:
        return {}
    wanted: dict[str, list[tuple[str, str | None]]] = {}
    for path, blob in declarations.items():
        if discovery.manifest_kind(path) != "dvc_yaml" or blob not in blobs:
            continue
        rels = blobfacts.dvc_var_files(blobs[blob])
        if rels:
            base = posixpath.dirname(path)
            wanted[path] = [(rel, blobfacts.var_file_path(base, rel)) for rel in rels]
    if not wanted:
        return {}
    newest = values({where for pairs in wanted.values() for _rel, where in pairs if where})
    facts.template_values = dict(sorted(newest.items()))
    data = gitio.read_blobs(repo, {b for b in newest.values() if b}, MAX_DOCUMENT)
    out: dict[str, dict[str, bytes | str | None]] = {}
    for path, pairs in wanted.items():
        files: dict[str, bytes | str | None] = {}
        for rel, where in pairs:
            if where is None:
                files[rel] = blobfacts.OUTSIDE
            elif (held := newest.get(where)) is None:
                files[rel] = None
            elif held in data:
                files[rel] = data[held]  # (unreadable: unknown, left out)
        out[path] = files
    return out


def _moved_claims(
    claims: dict[str, list[Claim]], renames: dict[str, str]
) -> list[tuple[list[Claim], str]]:
    """Take the claims of moved declaring files out of ``claims`` (they name no model of
    their own): each with the directory of the declaring file it became. A GTO
    artifact is its name wherever it lives: never taken out."""
    out = []
    for old in sorted(renames):
        new = _moved_to(renames, old)
        before, after = claims.get(old), claims.get(new)
        if not before or not after or new in renames:
            continue
        if any(c.source in discovery.GTO_SOURCES for c in (*before, *after)):
            continue
        out.append((claims.pop(old), after[0].path or ""))
    return out


def _owners(models: dict[str, ModelDef]) -> dict[str, str]:
    """Each place (tree, path, level directory) of the models -> the model owning it."""
    return {
        place: m.name
        for m in models.values()
        for place in (*m.content.trees, *m.content.paths, *m.content.level)
    }


def _with_free_places(
    content: discovery.Content,
    old: discovery.Content,
    taken: dict[str, str],
    name: str,
) -> discovery.Content:
    """``content`` with the places of ``old`` that no model but ``name`` owns in
    ``taken``, and their marks (which say where the model is at each commit:
    ``ModelPaths.visible``)."""

    def free(places: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in places if taken.get(p, name) == name)

    return discovery.Content(
        tuple(dict.fromkeys((*content.trees, *free(old.trees)))),
        tuple(sorted(set(content.paths) | set(free(old.paths)))),
        tuple(dict.fromkeys((*content.level, *free(old.level)))),
        tuple(sorted(set(content.marks) | set(free(old.marks)))),
    )


def _add_moved_places(models: dict[str, ModelDef], moved: list[tuple[list[Claim], str]]) -> None:
    """Give the model at each new place the content of its earlier places, unless
    another model owns that place now."""
    taken = _owners(models)
    at = {
        m.path: m
        for m in models.values()
        if m.path is not None and not set(m.sources) & set(discovery.GTO_SOURCES)
    }
    for before, new_dir in moved:
        m = at.get(new_dir)
        if m is None:
            continue
        then = discovery.resolve({"": before}).models
        for old in then.values():
            m.content = _with_free_places(m.content, old.content, taken, m.name)


def _add_earlier_paths(
    repo: git.Repo,
    models: dict[str, ModelDef],
    declarations: dict[str, str],
    history: dict[str, list[str]],
    root_name: str,
) -> None:
    """Give each GTO artifact the content of its earlier paths (a renamed directory, a
    moved file), unless another model owns that place now."""
    older = {
        path: [b for b in blobs if b != declarations.get(path)] for path, blobs in history.items()
    }
    wanted = [b for blobs in older.values() for b in blobs]
    if not wanted:
        return
    data = gitio.read_blobs(repo, wanted, MAX_DOCUMENT)
    taken = _owners(models)
    for path, blobs in sorted(older.items()):
        kind = discovery.manifest_kind(path)
        if kind is None:  # (never: declarations are the files manifest_kind names)
            continue
        for blob in blobs:
            if blob not in data:
                continue
            found, _warns = blobfacts.claims_of(kind, path, data[blob], root_name)
            # resolved with everything that file declared then, so a directory it shared
            # between artifacts stays shared (each keeps only its own files)
            then = discovery.resolve({path: [c for c in found if not _outside(c)]}).models
            for name, old in then.items():
                m = models.get(name)
                if m is None or not set(m.sources) & set(discovery.GTO_SOURCES):
                    continue
                if (old.path, old.artifact_path) == (m.path, m.artifact_path):
                    continue
                m.content = _with_free_places(m.content, old.content, taken, name)


def _outside(claim: Claim) -> bool:
    """A claim whose directory leaves the repository (``../``, after normalising)."""
    for p in (claim.path, claim.artifact_path):
        norm = posixpath.normpath(p) if p else ""
        if norm == ".." or norm.startswith("../"):
            return True
    return False
