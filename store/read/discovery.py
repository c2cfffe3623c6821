"""Finding models: which declarations make which models, their names and their content.

Input is what the newest version of every declaring file claims (files deleted since
still count: their models keep their history).

Identity: a GTO artifact (``artifacts.yaml`` or a ``dvc.yaml``'s ``artifacts:``) is its
name, as GTO writes it. Every other declaring location (a ``model.yaml``, ``MLmodel``,
Modelbit ``metadata.yaml`` or metrics-declaring ``dvc.yaml``) is its own model, named by
the manifest or after its directory; a name two locations would share gets the shortest
path suffix that makes it unique (``a/model``, ``b/model``), whatever else exists, and a
warning says so once. Several conventions in one directory describe one model (GTO >
model.yaml > Modelbit > MLflow > DVC pipeline names it). A model at the repository root
is named after the repository.

Content (:class:`Content`): a model's files are its declared path (a file, or everything
under a directory), the files its declaration names (a ``dvc.yaml`` pipeline's metrics,
params, outs, its ``dvc.lock``), and, when it alone claims its directory, that directory:
all of it below the root, the files directly in it at the root. Files of a directory that
several models share belong only to the models whose declarations name them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from modeltrail.store.read.filenames import describes_model

# the order in which conventions get to name a directory
PRIORITY = {"gto": 0, "dvc-artifact": 0, "manifest": 1, "modelbit": 2, "mlflow": 3, "dvc": 4}
GTO_SOURCES = ("gto", "dvc-artifact")
ROOT_NAME = "root"  # a root model's name when the repository has none


#: how the path of every file :func:`manifest_kind` knows ends (a cheap first test)
DECLARING_ENDS = ("artifacts.yaml", "dvc.yaml", "model.yaml", "MLmodel", "metadata.yaml")


def manifest_kind(path: str) -> str | None:
    """What kind of declaration a file path could hold, from its name alone."""
    if not path.endswith(DECLARING_ENDS):  # most paths: one test
        return None
    base = posixpath.basename(path)
    if path == "artifacts.yaml":
        return "artifacts"
    if base == "dvc.yaml":
        return "dvc_yaml"
    if base == "model.yaml":
        return "model_yaml"
    if base == "MLmodel":
        return "mlmodel"
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "deployments" and parts[2] == "metadata.yaml":
        return "modelbit"
    return None


@dataclass(frozen=True)
class Content:
    """Which repository paths belong to a model.

    ``trees``: every file under these directories; ``paths``: these files, or every file
    under them when they are directories; ``level``: the files directly in these
    directories that describe a model (``filenames.describes_model``). ``marks``: the
    paths whose presence says the model exists at a commit (its declaring files; a GTO
    artifact's own path, its ``.dvc`` pointer or anything under it): a commit where none
    is there changes nothing of the model (empty: wherever it has files).
    """

    trees: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()

    def as_json(self) -> list[list[str]]:
        return [list(self.trees), list(self.paths), list(self.level), list(self.marks)]

    @classmethod
    def from_json(cls, data: list[list[str]]) -> Content:
        """From :meth:`as_json`'s list (or the three lists written before ``marks``)."""
        trees, paths, level, *rest = data
        marks = rest[0] if rest else ()
        return cls(tuple(trees), tuple(paths), tuple(level), tuple(marks))


@dataclass
class Claim:
    """One convention's statement that a model lives somewhere."""

    name: str
    source: str  # gto | dvc-artifact | manifest | modelbit | mlflow | dvc
    path: str | None  # the model's directory (None: declared without a path in the repo)
    artifact_path: str | None = None
    type: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    named_by_directory: bool = False  # the name is the directory's (or the repository's)
    declared: list[str] = field(default_factory=list)  # files the declaration names
    declaring_file: str | None = None


@dataclass
class ModelDef:
    name: str
    path: str | None
    artifact_path: str | None = None
    type: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    content: Content = field(default_factory=Content)


@dataclass
class Resolved:
    models: dict[str, ModelDef]
    warnings: list[tuple[str | None, str]]  # (path, message)


def directory_of(artifact_path: str) -> str:
    """The model directory for a GTO artifact path (the directory of the path)."""
    norm = posixpath.normpath(artifact_path.strip("/")) if artifact_path else ""
    if norm in (".", ""):
        return ""
    return posixpath.dirname(norm)


def in_repository(artifact_path: str | None) -> str | None:
    """A GTO ``path`` as a repository path; None when empty, external or outside."""
    if not artifact_path or not isinstance(artifact_path, str) or "://" in artifact_path:
        return None
    norm = posixpath.normpath(artifact_path.strip("/"))
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        return None
    return norm


def _suffix(directory: str, k: int) -> str:
    return "/".join(directory.split("/")[-k:])


def _unique_names(group: list[tuple[str, Claim]], taken: set[str]) -> dict[str, str]:
    """Location -> name for locations whose names clash: the shortest path suffix that no
    other location of the group shares (``dir:name`` when the name is not the directory's)."""

    def candidate(loc: str, claim: Claim, k: int) -> str:
        suffix = _suffix(loc, k)
        return suffix if claim.named_by_directory else f"{suffix}:{claim.name}"

    depth = {loc: len(loc.split("/")) if loc else 0 for loc, _ in group}
    out: dict[str, str] = {}
    for loc, claim in group:
        others = {
            candidate(o, oc, k) for o, oc in group if o != loc for k in range(1, depth[o] + 1)
        }
        chosen = None
        for k in range(1, depth[loc] + 1):
            c = candidate(loc, claim, k)
            if c not in others and c not in taken and (k > 1 or not claim.named_by_directory):
                chosen = c
                break
        if chosen is None:
            chosen = f"{claim.name} ({loc or '.'})"
        out[loc] = chosen
    return out


def resolve(claims_by_file: dict[str, list[Claim]]) -> Resolved:
    """Models from the latest claims of every declaring file."""
    claims = [c for cs in claims_by_file.values() for c in cs]
    claims.sort(key=lambda c: (PRIORITY.get(c.source, 9), c.name, c.path or "", c.source))
    models: dict[str, ModelDef] = {}
    declared: dict[str, list[str]] = {}
    marks: dict[str, list[str]] = {}  # a model's declaring files that say it exists
    owner_of_dir: dict[str, str] = {}
    # GTO artifacts: one model per name
    for c in claims:
        if c.source not in GTO_SOURCES:
            continue
        m = models.get(c.name)
        if m is None:
            m = models[c.name] = ModelDef(
                name=c.name,
                path=c.path,
                artifact_path=c.artifact_path,
                type=c.type,
                description=c.description,
                labels=list(c.labels),
                sources=[c.source],
            )
            if c.path is not None:
                owner_of_dir.setdefault(c.path, c.name)
        elif c.source not in m.sources:
            m.sources.append(c.source)
        declared.setdefault(c.name, []).extend(c.declared)
        if c.source == "dvc-artifact" and c.declaring_file:  # its path: often a DVC output
            marks.setdefault(c.name, []).append(c.declaring_file)
        if c.declared and "dvc" not in m.sources and c.source == "dvc-artifact":
            m.sources.append("dvc")  # its pipeline's metrics and params are its own
    # a pipeline whose outputs include a GTO artifact's path gives that artifact its
    # metrics, params and lock outputs, wherever the artifact is declared
    fed = _pipelines_feeding(claims, models)
    fed_ids = {id(c) for c, _ in fed}
    for c, owners in fed:
        for name in owners:
            m = models[name]
            declared[name].extend(c.declared)
            if c.declaring_file:  # the artifact is that pipeline's output
                marks.setdefault(name, []).append(c.declaring_file)
            if "dvc" not in m.sources:
                m.sources.append("dvc")
    # other conventions: one model per location (several conventions there: one model)
    by_location: dict[str, list[Claim]] = {}
    for c in claims:
        if c.source in GTO_SOURCES or c.path is None or id(c) in fed_ids:
            continue
        by_location.setdefault(c.path, []).append(c)
    located: list[tuple[str, Claim]] = []
    for loc in sorted(by_location):
        group = by_location[loc]
        owner = owner_of_dir.get(loc)
        if owner is not None:  # a GTO artifact's directory: describes that artifact
            m = models[owner]
            for c in group:
                if c.source not in m.sources:
                    m.sources.append(c.source)
                m.description = m.description or c.description
                declared[owner].extend(c.declared)
            continue
        located.append((loc, group[0]))
    base_names: dict[str, list[tuple[str, Claim]]] = {}
    for loc, c in located:
        base_names.setdefault(c.name, []).append((loc, c))
    warnings: list[tuple[str | None, str]] = []
    names: dict[str, str] = {}
    for base, same in sorted(base_names.items()):
        if len(same) == 1 and base not in models:
            names[same[0][0]] = base
            continue
        unique = _unique_names(same, set(models))
        names.update(unique)
        shown = ", ".join(unique[loc] for loc, _ in same)
        where = "directories" if len(same) > 1 else "a directory and a GTO artifact"
        warnings.append(
            (None, f"{where} with the same name {base!r}: shown as {shown}"),
        )
    for loc, _first in located:
        group = by_location[loc]
        first = group[0]
        name = names[loc]
        m = models[name] = ModelDef(
            name=name,
            path=loc,
            type=first.type,
            description=next((c.description for c in group if c.description), None),
            labels=list(first.labels),
            sources=list(dict.fromkeys(c.source for c in group)),
        )
        declared[name] = [p for c in group for p in c.declared]
        marks[name] = [c.declaring_file for c in group if c.declaring_file]
    # content
    models_at: dict[str, int] = {}
    for m in models.values():
        if m.path is not None:
            models_at[m.path] = models_at.get(m.path, 0) + 1
    for m in models.values():
        paths = list(declared.get(m.name, []))
        apath = in_repository(m.artifact_path)
        own = list(marks.get(m.name, []))
        if apath:
            paths += [apath, f"{apath}.dvc"]
            own.append(apath)
        elif m.artifact_path is not None:
            own = []  # kept elsewhere (a URL): no file of the repository says it exists
        trees: tuple[str, ...] = ()
        level: tuple[str, ...] = ()
        if m.path is not None and models_at.get(m.path) == 1:
            if m.path:
                trees = (m.path,)
            else:
                level = ("",)
        m.content = Content(trees, tuple(sorted(set(paths))), level, tuple(sorted(set(own))))
    return Resolved(models, warnings)


def _pipelines_feeding(
    claims: list[Claim], models: dict[str, ModelDef]
) -> list[tuple[Claim, list[str]]]:
    """DVC pipeline claims (``dvc.yaml`` without ``artifacts:``) whose declared outputs
    are, or contain, the path of a GTO artifact, each with the artifacts it feeds."""
    artifacts = [
        (m.name, p) for m in models.values() if (p := in_repository(m.artifact_path)) is not None
    ]
    fed: list[tuple[Claim, list[str]]] = []
    for c in claims if artifacts else ():
        if c.source != "dvc":
            continue
        outs = set(c.declared)
        owners = [n for n, p in artifacts if p in outs or any(p.startswith(f"{o}/") for o in outs)]
        if owners:
            fed.append((c, owners))
    return fed


def _dirname(path: str) -> str:
    """``posixpath.dirname`` for a ``str`` path, without its per-call overhead (called
    for every directory above every changed path)."""
    head = path[: path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def _inside(path: str, place: str) -> bool:
    return place == "" or path == place or path.startswith(f"{place}/")


FileT = TypeVar("FileT")


class ModelPaths:
    """Which models a path belongs to: the models whose declarations name it (the file,
    or a directory above it up to the nearest model directory); else the files directly
    in a ``level`` directory that describe a model (metadata, metrics, params,
    environment: a README or a Dockerfile at the root is no part of a root model) and
    the files under the nearest ``trees`` directory above the path. A model nested in
    another's directory is its own. Reads (the index) and writes (checkout, rollback,
    undo: ``store.write.scope``) ask this one question."""

    def __init__(self, models: dict[str, ModelDef]) -> None:
        self.trees: dict[str, list[str]] = {}
        self.paths: dict[str, list[str]] = {}
        self.level: dict[str, list[str]] = {}
        for m in models.values():
            for d in m.content.trees:
                self.trees.setdefault(d, []).append(m.name)
            for p in m.content.paths:
                self.paths.setdefault(p, []).append(m.name)
            for d in m.content.level:
                self.level.setdefault(d, []).append(m.name)
        self.dirs = {m.name: m.path for m in models.values() if m.path is not None}
        # every model's own directory (and earlier ones): what is below one is that
        # model's, never an outer declared directory's
        self.model_dirs = set(self.dirs.values()) | set(self.trees)
        self.roots = sorted(
            {d for m in models.values() for d in (*m.content.trees, *m.content.level)}
            | {p for m in models.values() for p in m.content.paths}
        )
        self._cache: dict[str, tuple[str, ...]] = {}
        # the marks that are the model's own files (a mark it does not own says nothing)
        self.marks: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
        for m in models.values():
            own = [
                p
                for p in m.content.marks
                if any(m.name in self.models_for(q) for q in (p, f"{p}.dvc", f"{p}/_"))
            ]
            if own:
                exact = frozenset(x for p in own for x in (p, f"{p}.dvc"))
                self.marks[m.name] = (exact, tuple(f"{p}/" for p in own))

        # a moved model (several directories, each with marks): at each commit only the
        # directories where one of its marks is are its own (see :meth:`visible`)
        self.placed: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        for m in models.values():
            places = (*m.content.trees, *m.content.level)
            if len(places) < 2 or not m.content.marks:
                continue
            marked = tuple((t, tuple(k for k in m.content.marks if _inside(k, t))) for t in places)
            if sum(1 for _t, ks in marked if ks) > 1:
                self.placed[m.name] = marked

    def gone_places(self, model: str, present: Callable[[str], bool]) -> list[str]:
        """The directories of a moved ``model`` where none of its marks is at a commit
        (``present(path)``: whether that file or directory is there): a model an
        experiment moved to ``exp/`` does not own, on main, the files main keeps in
        ``exp/``. Empty for a model with one place, or found in none of its places."""
        marked = self.placed.get(model)
        if marked is None:
            return []
        gone = [
            t for t, ks in marked if ks and not any(present(k) or present(f"{k}.dvc") for k in ks)
        ]
        return [] if len(gone) == sum(1 for _t, ks in marked if ks) else gone

    def nearest_place(self, model: str, path: str) -> str | None:
        """The directory of a moved ``model`` that ``path`` is in, the innermost one."""
        places = [t for t, _ks in self.placed.get(model, ())]
        return max((t for t in places if _inside(path, t)), key=len, default=None)

    def visible(self, model: str, files: dict[str, FileT]) -> dict[str, FileT]:
        """``files`` (the model's files at a commit, as the walk follows them) less those
        in a directory of it that is gone there (:meth:`gone_places`)."""
        if model not in self.placed or not files:
            return files

        def present(k: str) -> bool:
            return k in files or any(p.startswith(f"{k}/") for p in files)

        gone = self.gone_places(model, present)
        if not gone:
            return files
        return {p: f for p, f in files.items() if self.nearest_place(model, p) not in gone}

    def exists(self, model: str, files: Mapping[str, object]) -> bool:
        """Whether ``model`` exists where its files are ``files`` (a declaring file, its
        artifact's path, its pointer or a file under it is there)."""
        marks = self.marks.get(model)
        if marks is None:
            return bool(files)
        exact, under = marks
        if any(p in files for p in exact):
            return True
        return any(path.startswith(under) for path in files)

    def models_for(self, path: str) -> tuple[str, ...]:
        hit = self._cache.get(path)
        if hit is not None:
            return hit
        found: list[str] = []
        if self.paths:
            found.extend(self.paths.get(path, ()))
        d = _dirname(path)
        if self.level and d in self.level and describes_model(path):
            found.extend(self.level[d])
        # a file a declaration names is that model's, not also any directory owner's; else
        # the nearest model directory's (``trees``). A directory a declaration names
        # (a GTO artifact's path) covers the files below it up to the first model
        # directory: a model nested deeper keeps its files (and labels) to itself
        nearest_tree = not found
        inner = False  # passed a model's own directory: outer declarations stop there
        while True:
            if nearest_tree and d in self.trees:
                found.extend(self.trees[d])
                nearest_tree = False
            if self.paths and d and not inner:
                found.extend(self.paths.get(d, ()))
            if d == "":
                break
            inner = inner or d in self.model_dirs
            d = _dirname(d)
        result = tuple(dict.fromkeys(found)) if len(found) > 1 else tuple(found)
        if len(self._cache) < 200_000:
            self._cache[path] = result
        return result
