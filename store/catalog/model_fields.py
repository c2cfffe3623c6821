"""Where a model's path, artifact path, type, description and labels (the ``models``
table) come from.

The walk finds the models from the newest blob of every declaring file *in walk order*,
and across branches and DVC experiments that order depends on which refs were read, not
on the history: a full index and one grown run by run could describe a model from
different branches. So, at the end of every run, these fields are read again from one
place the history decides: the model as declared at the tip of the main line
(``branches.main_branch``; what ``gto show`` reads on main), and, for a model the main
line does not declare, as declared at its newest version (by commit date, then commit
id). Which models exist and their files stay the walk's; so do the places the walk
works with: where the table's ``path``/``artifact_path`` differ from the walk's, the
record in ``meta`` keeps the walk's (:func:`walk_places`) for the next incremental run.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store.catalog import branches
from modeltrail.store.read import discovery, gitio, indexer
from modeltrail.store.read.discovery import ModelDef

if TYPE_CHECKING:
    import git

#: meta key: what the fields were last read from, JSON: ``tip``, a digest of the main
#: line's declaring blobs, and ``off``, each model the main line does not declare -> the
#: commit of its newest version; what is the same next run is not read again. ``walk``:
#: model -> [path, artifact_path] as the walk found them, where the table's differ
META_KEY = "model_fields_from"

#: the fields read again
FIELDS = ("path", "artifact_path", "type", "description", "labels")


def walk_places(record: str | None) -> dict[str, tuple[str | None, str | None]]:
    """model -> (path, artifact_path) as the walk found them, for the models whose row in
    the ``models`` table says otherwise (``record``: the :data:`META_KEY` value)."""
    walk = json.loads(record).get("walk", {}) if record else {}
    return {name: (place[0], place[1]) for name, place in walk.items()}


def refresh(
    repo: git.Repo,
    con: duckdb.DuckDBPyConnection,
    configured_main: str | None,
    root_name: str,
    previous: str | None = None,
    fresh: bool = False,
    walked: dict[str, ModelDef] | None = None,
) -> None:
    """Set the models' :data:`FIELDS` as declared on the main line (else at their newest
    version), and record where from in ``meta`` (:data:`META_KEY`). ``previous``: the
    last run's record, when the ``models`` table still holds what that run set (only
    what changed since is read again); ``fresh``: the table was just written from the
    walk's declarations (when the main line has every declaring file as the walk saw it
    last, those are its fields already); ``walked``: the models this run found from the
    walk's declarations, if it found them again (the main line's, when it has those)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'declarations'").fetchone()
    declared: dict[str, str] = json.loads(row[0]) if row and row[0] else {}
    tip = _main_tip(con, configured_main)
    at_tip = _blobs_at(repo, tip, declared) if tip else {}
    digest = hashlib.sha256(json.dumps(sorted(at_tip.items())).encode()).hexdigest()
    rows = [
        r
        for r in con.execute(
            "SELECT name, path, sources, path, artifact_path, type, description, labels FROM models"
        ).fetchall()
        if r[1] is not None  # known from tags only: declared nowhere
    ]
    last = json.loads(previous) if previous and not fresh else {}
    # the walk's places: the table's, unless the last run set them from elsewhere
    walk = {r[0]: tuple(last.get("walk", {}).get(r[0], r[3:5])) for r in rows}
    off: dict[str, str | None]  # the models the main line does not declare: newest version
    found: dict[str, tuple[Any, ...]] = {}
    if last.get("tip") == digest:  # the main line's declarations as last run: same fields
        off = {name: None for name in last.get("off", {})}
    elif fresh and at_tip == declared:  # the walk's models are the main line's
        off = {}
    else:
        if walked is not None and tip and at_tip == declared:
            there = walked  # (found from the very same blobs)
        else:
            there = _declared_at(repo, tip, at_tip, root_name) if tip else {}
        found = _matched(rows, there)
        off = {r[0]: None for r in rows if r[0] not in found}
    newest = _newest_versions(con, sorted(off))
    off = {name: newest.get(name) for name in sorted(off)}
    by_commit: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        commit = off.get(r[0])
        if commit is not None and commit != last.get("off", {}).get(r[0]):
            by_commit.setdefault(commit, []).append(r)
    for commit, its in sorted(by_commit.items()):
        blobs = _blobs_at(repo, commit, declared)
        found.update(_matched(its, _declared_at(repo, commit, blobs, root_name)))
    places = {r[0]: tuple(found[r[0]][:2]) if r[0] in found else tuple(r[3:5]) for r in rows}
    moved = {name: list(walk[name]) for name, p in sorted(places.items()) if p != walk[name]}
    record = json.dumps({"tip": digest, "off": off, "walk": moved}, sort_keys=True)
    con.execute("DELETE FROM meta WHERE key = $1", [META_KEY])
    con.execute("INSERT INTO meta VALUES ($1, $2)", [META_KEY, record])
    changed = [(r[0], *found[r[0]]) for r in rows if r[0] in found and tuple(r[3:]) != found[r[0]]]
    if changed:
        _update(con, changed)


def _newest_versions(con: duckdb.DuckDBPyConnection, models: list[str]) -> dict[str, str]:
    """model -> the commit of its newest version (by commit date, then commit id)."""
    if not models:
        return {}
    return dict(
        con.execute(
            "SELECT v.model, v.commit FROM versions v JOIN commits c ON c.commit = v.commit "
            "WHERE v.model IN (SELECT unnest($1)) QUALIFY row_number() OVER "
            "(PARTITION BY v.model ORDER BY c.committer_date DESC, v.commit DESC) = 1",
            [models],
        ).fetchall()
    )


def _main_tip(con: duckdb.DuckDBPyConnection, configured: str | None) -> str | None:
    """The main line's head commit (None: no branch)."""
    heads = gitio.effective_branches(
        con.execute(
            "SELECT kind, short, commit FROM refs WHERE kind IN ('branch', 'remote')"
        ).fetchall()
    )
    branch = branches.main_branch(con, configured, heads)
    return heads.get(branch) if branch is not None else None


def _blobs_at(repo: git.Repo, commit: str, declared: dict[str, str]) -> dict[str, str]:
    """The blob of each of the ``declared`` files that ``commit`` has."""
    tree = gitio.ls_tree(repo, commit, sorted(declared))
    return {p: tree[p][1] for p in declared if p in tree}


def _declared_at(
    repo: git.Repo, commit: str, blobs: dict[str, str], root_name: str
) -> dict[str, ModelDef]:
    """The models the declaring files ``blobs`` make at ``commit`` (a templated
    ``dvc.yaml`` takes its values files as ``commit`` has them)."""

    def values(paths: set[str]) -> dict[str, str | None]:
        tree = gitio.ls_tree(repo, commit, sorted(paths))
        return {p: tree[p][1] if p in tree else None for p in paths}

    scratch = indexer.Facts()  # its warnings were reported by the walk
    return indexer.discover(repo, blobs, scratch, root_name, values=values)


def _gto(sources: list[str] | None) -> bool:
    return bool(set(sources or ()) & set(discovery.GTO_SOURCES))


def _matched(rows: list[tuple[Any, ...]], there: dict[str, ModelDef]) -> dict[str, tuple[Any, ...]]:
    """model -> its :data:`FIELDS` in ``there``: a GTO artifact is its name, any other
    model its place."""
    by_place = {m.path: m for m in there.values() if not _gto(m.sources)}
    out: dict[str, tuple[Any, ...]] = {}
    for name, path, sources, *_ in rows:
        m = there.get(name) if _gto(sources) else by_place.get(path)
        if m is not None and _gto(m.sources) == _gto(sources):
            out[name] = (m.path, m.artifact_path, m.type, m.description, list(m.labels))
    return out


def _update(con: duckdb.DuckDBPyConnection, changed: list[tuple[Any, ...]]) -> None:
    """Write the new fields of ``changed`` (name, then :data:`FIELDS`) in one go."""
    import pyarrow as pa  # only when a field changed: most runs spare its import

    table = pa.table(
        {
            "name": pa.array([c[0] for c in changed], pa.string()),
            "path": pa.array([c[1] for c in changed], pa.string()),
            "artifact_path": pa.array([c[2] for c in changed], pa.string()),
            "type": pa.array([c[3] for c in changed], pa.string()),
            "description": pa.array([c[4] for c in changed], pa.string()),
            "labels": pa.array([c[5] for c in changed], pa.list_(pa.string())),
        }
    )
    con.register("model_fields_new", table)
    try:
        con.execute(
            "UPDATE models SET path = n.path, artifact_path = n.artifact_path, type = n.type, "
            "description = n.description, labels = n.labels "
            "FROM model_fields_new n WHERE models.name = n.name"
        )
    finally:
        con.unregister("model_fields_new")
