"""Reading what a rollback plan needs (``rollback.py`` decides it; ``checkout.py`` shares
some): version labels, the files and metrics that differ, whether LFS and DVC objects are
here, the model's directory at a commit, its GTO tags and the next tag name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import git

from modeltrail.store.config import Config
from modeltrail.store.errors import Refused, UnknownVersion
from modeltrail.store.query.diff import difference
from modeltrail.store.query.queries import resolve_version
from modeltrail.store.read import gitio, gto
from modeltrail.store.read.blobfacts import DvcCache
from modeltrail.store.read.readers.lfs import lfs_object_path
from modeltrail.store.repo import repo_paths
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, TreeEntry
from modeltrail.store.write.plans import Availability, FileChange, MetricDelta, VersionRef
from modeltrail.store.write.scope import Scope


def _version_at(con: duckdb.DuckDBPyConnection, model: str, commit: str) -> VersionRef:
    """The version label of ``commit`` for ``model`` (short id when it is not a version)."""
    row = con.execute(
        "SELECT version, label_kind FROM versions WHERE model = $1 AND commit = $2",
        [model, commit],
    ).fetchone()
    label = row[0] if row else commit[:7]
    if row is None or row[1] == "commit":
        # a rollback commit or unlabelled version: name it after a labelled twin if any
        twin = _labelled_twin(con, model, commit)
        if twin:
            label = twin
    return VersionRef(label, commit)


def _labelled_twin(con: duckdb.DuckDBPyConnection, model: str, commit: str) -> str | None:
    """The label of a labelled version whose model files equal ``commit``'s."""
    row = con.execute(
        """
        WITH fp AS (
            SELECT commit, string_agg(path || ' ' || blob, '|' ORDER BY path) AS files
            FROM version_files WHERE model = $1 GROUP BY commit
        )
        SELECT v.version FROM versions v JOIN fp USING (commit)
        WHERE v.model = $1 AND v.label_kind <> 'commit' AND v.commit <> $2
          AND fp.files = (SELECT files FROM fp WHERE commit = $2)
        ORDER BY v.topo DESC LIMIT 1
        """,
        [model, commit],
    ).fetchone()
    return row[0] if row else None


def _file_changes(
    con: duckdb.DuckDBPyConnection, before: dict[str, TreeEntry], after: dict[str, TreeEntry]
) -> tuple[FileChange, ...]:
    """The model's files that differ between two of its file sets (:meth:`Scope.files`)."""
    blobs = sorted({e.oid for e in (*before.values(), *after.values())})
    storage: dict[str, tuple[str, int | None]] = {}
    if blobs:
        for blob, kind, size in con.execute(
            "SELECT blob, storage, object_size FROM blob_storage WHERE blob IN (SELECT unnest($1))",
            [blobs],
        ).fetchall():
            storage[blob] = (kind or "git", size)
    out = []
    for p in sorted(set(before) | set(after)):
        b, a = before.get(p), after.get(p)
        if b is not None and a is not None and (b.oid, b.mode) == (a.oid, a.mode):
            continue
        change = "added" if b is None else "removed" if a is None else "modified"
        entry = a if a is not None else b
        assert entry is not None
        kind, size = storage.get(entry.oid, ("git", None))
        out.append(FileChange(p, change, kind, size))
    return tuple(out)


def _shared_warning(scope: Scope, g: Git, now: str, then: str, target: str) -> tuple[str, ...]:
    """A warning naming the files the model shares with other models that differ at the
    target: a write leaves them as they are."""
    a, b = scope.shared(g, now), scope.shared(g, then)
    differ = sorted(
        p
        for p in set(a) | set(b)
        if p not in a or p not in b or (a[p].oid, a[p].mode) != (b[p].oid, b[p].mode)
    )
    if not differ:
        return ()
    others = sorted({m for p in differ for m in scope.paths.models_for(p)} - {scope.model})
    shown = ", ".join(one_line(p, 120) for p in differ[:3])
    more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
    return (
        f"{shown}{more} also belong{'s' if len(differ) == 1 else ''} to "
        f"{', '.join(one_line(m, 100) for m in others[:3])}: left as "
        f"{'it is' if len(differ) == 1 else 'they are'}, not set to {one_line(target, 100)}'s",
    )


def _metric_deltas(
    con: duckdb.DuckDBPyConnection, config: Config, model: str, current: str, target: str
) -> tuple[MetricDelta, ...]:
    values: dict[str, dict[str, float]] = {current: {}, target: {}}
    for commit, key, value in con.execute(
        "SELECT commit, key, value FROM metrics WHERE model = $1 AND commit IN ($2, $3) "
        "AND value IS NOT NULL ORDER BY key",
        [model, current, target],
    ).fetchall():
        values[commit][key] = value
    out = []
    for key in sorted(set(values[current]) | set(values[target])):
        old, new = values[current].get(key), values[target].get(key)
        diff = difference(old, new) if old is not None and new is not None else None
        out.append(
            MetricDelta(key, old, new, diff, config.better(key, old, new), config.direction(key))
        )
    return tuple(out)


def _availability(
    con: duckdb.DuckDBPyConnection, repo: git.Repo, model: str, commit: str
) -> tuple[Availability, ...]:
    """The target's LFS and DVC objects, each re-checked on disk (the catalog may be old)."""
    paths = repo_paths(repo)
    dvc_cache = DvcCache(Path(paths.root), 0, lambda: gitio.index_entries(repo, ".dvc"))
    out = []
    for path, kind, hsh, size in con.execute(
        "SELECT path, storage, hash, size FROM artifacts WHERE model = $1 AND commit = $2 "
        "AND storage IN ('lfs', 'dvc') ORDER BY path",
        [model, commit],
    ).fetchall():
        if kind == "lfs":
            where = lfs_object_path(paths.common_dir, hsh or "")
            present = bool(where and where.is_file())
        else:
            present = dvc_cache.present(hsh or "")  # never through a symlink leading out
        out.append(Availability(path, kind, hsh, size, present))
    return tuple(out)


def model_path_at(
    g: Git, info: dict[str, Any], commit: str, places: tuple[str, ...] = ()
) -> str | None:
    """The model's directory as ``commit`` declares it: a version keeps the path it had.
    Read from that commit's ``artifacts.yaml`` (GTO); for a model moved with its
    directory (several ``places``: ``Scope.places``), the one of them ``commit`` has;
    otherwise the catalog's path."""
    path: str | None = info["path"]
    if "gto" not in (info.get("sources") or []):
        if path is not None and len(places) > 1:
            for place in places:
                done = g.run("cat-file", "-t", f"{commit}:{place}", check=False)
                if done.returncode == 0 and done.stdout.strip() == b"tree":
                    return place
        return path
    done = g.run("cat-file", "blob", f"{commit}:artifacts.yaml", check=False)
    if done.returncode != 0:
        return path
    from modeltrail.store.read.blobfacts import claims_of

    try:
        claims, _ = claims_of("artifacts", "artifacts.yaml", done.stdout)
    except Exception:  # a damaged declaration: fall back to the catalog's path
        return path
    for c in claims:
        if c.name == info["name"]:
            return c.path
    return path


def _newest_rollback_seconds(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(
        "SELECT max(epoch(timestamp)) FROM stage_events WHERE event IN ('rollback', 'undo')"
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _artifact_tags(g: Git, model: str) -> dict[str, str]:
    """The model's GTO tags: tag name → tag object id."""
    out = {}
    for name, oid in g.tags().items():
        if gto.artifact_part(name) != model:  # cheap: most of 100,000 tags stop here
            continue
        parsed = gto.parse_tag(name)
        if parsed is not None and parsed.artifact == model:
            out[name] = oid
    return out


def next_stage_tag(model: str, stage: str, existing: list[str]) -> str:
    """The tag ``gto assign`` would create: ``<model>#<stage>#<max counter + 1>``."""
    counter = 0
    for name in existing:
        parsed = gto.parse_tag(name)
        if parsed and parsed.artifact == model and parsed.counter and parsed.counter > counter:
            counter = parsed.counter
    name = f"{model.replace(':', '=')}#{stage}#{counter + 1}"
    parsed = gto.parse_tag(name)
    if parsed is None or parsed.artifact != model or parsed.stage != stage:
        raise Refused(f"{one_line(model)!r} is not a name GTO can tag; no stage rollback")
    return name


def _resolve_target(
    con: duckdb.DuckDBPyConnection, g: Git, model: str, spec: str
) -> tuple[VersionRef, tuple[str, ...]]:
    """The target version, named by a label or a short id (never ``= abc1234``), and a
    note when ``spec`` was a commit that is not itself a version: the plan says which
    commit, with the same model files, is written on instead."""
    try:
        v = resolve_version(con, model, spec, commit_of=g.resolve_commit)
    except UnknownVersion as exc:
        # exit 2 as in every command (an unknown version is bad usage, not a refusal)
        raise UnknownVersion(f"unknown target: {exc}") from None
    label = v["version"]
    if label.startswith("="):
        label = _labelled_twin(con, model, v["commit"]) or v["commit"][:7]
    target = VersionRef(label, v["commit"])
    stands_for = v.get("stands_for")
    if not stands_for or stands_for == v["commit"]:
        return target, ()
    return target, (
        f"{stands_for[:7]} is not a version of {one_line(model)}: it has the model files of "
        f"{one_line(label, 100)}, so the write goes on {v['commit'][:7]}",
    )
