"""Which files a write of one model may touch: the model's own content at a commit.

Checkout, rollback and undo all ask :meth:`Scope.files` "which paths does model M own at
commit C", and the answer is the one the index gives for reads
(:class:`store.read.discovery.ModelPaths`, over every model of the catalog): the model's
declared path, the files its declarations name, and the directory it alone claims, less
any model nested in it. Any other file that belongs to several models (a ``params.yaml``
two artifacts' ``dvc.yaml`` names, say) belongs to none of them alone and is left as it
is (:meth:`Scope.shared`). A version keeps the paths it had: an artifact whose directory
was renamed owns its earlier places too, unless another model holds them now.

A write replaces exactly these files: the new tree is the old one without the model's
files at the old commit, plus its files at the source commit (:func:`new_tree`), and it
is checked to differ from the old tree in nothing else.

A write between two commits uses only the places the model has at one of them
(:func:`model_scope`'s ``at``): a directory the model had only on a line neither commit
holds (an experiment or an unmerged branch moved it) is someone else's there, and
whatever sits in it now is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from modeltrail.store.errors import Refused
from modeltrail.store.read.discovery import Content, ModelDef, ModelPaths, in_repository
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, TreeEntry


@dataclass(frozen=True)
class Scope:
    """One model's share of every tree, as the index decides it."""

    model: str
    paths: ModelPaths
    roots: tuple[str, ...]  # pathspecs that cover every place the model can have files
    declared: tuple[str, ...] = ()  # its declared artifact path (a file or a directory)

    @property
    def places(self) -> tuple[str, ...]:
        """The directories the model alone claims: its own first, then the ones it was
        moved from (a version keeps the directory it had)."""
        return tuple(d for d, names in self.paths.trees.items() if self.model in names)

    def owns(self, path: str) -> bool:
        """Whether a write of this model may change ``path``: a file of this model and no
        other, or a file of its declared path (which it holds even where another model
        reads the same directory; a model nested deeper keeps its own)."""
        owners = self.paths.models_for(path)
        if owners == (self.model,):
            return True
        return self.model in owners and self._declared(path)

    def _declared(self, path: str) -> bool:
        return any(path == d or path.startswith(f"{d}/") for d in self.declared)

    def files(self, g: Git, commit: str) -> dict[str, TreeEntry]:
        """The model's own files in ``commit``: path → entry (a moved model's only in
        the places where it is there: ``ModelPaths.visible``, as the index reads them)."""
        own = {e.path: e for e in self._listed(g, commit) if self.owns(e.path)}
        return self.paths.visible(self.model, own)

    def shared(self, g: Git, commit: str) -> dict[str, TreeEntry]:
        """Files of ``commit`` that belong to this model and to others too."""
        out = {}
        for e in self._listed(g, commit):
            owners = self.paths.models_for(e.path)
            if self.model in owners and len(owners) > 1 and not self._declared(e.path):
                out[e.path] = e
        return out

    def _listed(self, g: Git, commit: str) -> list[TreeEntry]:
        if not self.roots:
            return []
        return g.ls_tree(commit, *self.roots)


def model_scope(
    con: duckdb.DuckDBPyConnection, model: str, g: Git | None = None, at: tuple[str, ...] = ()
) -> Scope:
    """The scope of ``model`` among every model the catalog knows; with ``g`` and the
    commits a write goes between (``at``), only the places the model has in one of them
    (:func:`places_at`)."""
    models: dict[str, ModelDef] = {}
    for name, path, artifact_path, content in con.execute(
        "SELECT name, path, artifact_path, content FROM models WHERE content IS NOT NULL"
    ).fetchall():
        models[name] = ModelDef(
            name, path, artifact_path, content=Content.from_json(json.loads(content))
        )
    everyone = ModelPaths(models)
    mine = models.get(model)
    if mine is None:
        return Scope(model, everyone, ())
    if (
        g is not None
        and at
        and (here := places_at(g, everyone, model, mine.content, at)) is not None
    ):
        mine.content = here
        everyone = ModelPaths(models)
    c = mine.content
    places = {*c.trees, *c.paths, *c.level}
    # '' (a model at the root): everything, filtered by owns(); else the places, less
    # those inside another of them (git lists each file once either way)
    roots = ("",) if "" in places else tuple(sorted(places))
    declared = in_repository(mine.artifact_path)
    return Scope(model, everyone, roots, (declared,) if declared else ())


def places_at(
    g: Git, paths: ModelPaths, model: str, content: Content, at: tuple[str, ...]
) -> Content | None:
    """``content`` of a moved ``model`` less the directories it does not have in any of
    the commits ``at`` (``ModelPaths.gone_places``: none of its marks there); None when
    it keeps them all. The index keeps every place a model ever had, on every line."""
    marked = paths.placed.get(model)
    if marked is None:
        return None
    asked = sorted({x for _t, ks in marked for k in ks for x in (k, f"{k}.dvc")})
    present: set[str] = set()  # the files there, and every directory above them
    for commit in dict.fromkeys(at):
        for e in g.ls_tree(commit, *asked):
            path = e.path
            while path not in present:
                present.add(path)
                path = path.rpartition("/")[0]
    gone = paths.gone_places(model, present.__contains__)
    if not gone:
        return None

    def dropped(path: str) -> bool:
        return paths.nearest_place(model, path) in gone

    return Content(
        tuple(t for t in content.trees if t not in gone),
        tuple(p for p in content.paths if not dropped(p)),
        tuple(t for t in content.level if t not in gone),
        tuple(m for m in content.marks if not dropped(m)),
    )


def same_files(a: dict[str, TreeEntry], b: dict[str, TreeEntry]) -> bool:
    """Equal content: the same paths with the same blobs and modes."""
    return {p: (e.mode, e.oid) for p, e in a.items()} == {p: (e.mode, e.oid) for p, e in b.items()}


def new_tree(
    g: Git, base: str, drop: tuple[str, ...], add: tuple[TreeEntry, ...], model: str
) -> str:
    """``base``'s tree without ``drop`` and with ``add``; Refused if it would differ from
    ``base`` anywhere else (a file of the model where another's directory is, or the
    other way round): nothing but the model's files ever changes."""
    tree = g.tree_for(base, drop, add)
    allowed = set(drop) | {e.path for e in add}
    other = [p for p in g.changed_paths(base, tree) if p not in allowed]
    if other:
        raise Refused(
            f"writing the files of {one_line(model)} would also change "
            f"{one_line(other[0], 200)}, which is not its own; nothing was changed"
        )
    return tree
