"""Metrics that ``dvc pull`` brought after they were indexed as unknown.

An index run records a metrics file inside a DVC output whose object is not in the local
cache as unknown (``version_sources`` rows of origin ``dvc-missing``, whose ``blob`` is
the md5 of the object to wait for: the file's, or its directory's manifest). Every later
run, and the "nothing new?" check before every command (``files.catalog.state.json``
keeps the md5s), looks for those objects only: a stat or two each. When some arrived,
the run reads them into the catalog it is writing: the versions' metrics become known,
the model's warning is rewritten or goes, and DVC outputs now in the cache are marked
present. No commit is walked again.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store.read.dvc_objects import any_arrived

if TYPE_CHECKING:
    import git

    from modeltrail.store.read.blobfacts import DvcCache
    from modeltrail.store.read.readers.dvc import DvcLock

MISSING = "dvc-missing"


def awaited(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The md5s of the DVC objects the catalog's unknown metrics wait for."""
    rows = con.execute(
        f"SELECT DISTINCT blob FROM version_sources WHERE origin = '{MISSING}'"
        " AND blob IS NOT NULL ORDER BY blob"
    ).fetchall()
    return [r[0] for r in rows]


def arrived(root: Path | None, md5s: list[str]) -> bool:
    """Has any of these objects come into the local cache since?"""
    return root is not None and any_arrived(root, md5s)


def read_arrived(
    repo: git.Repo, root: Path | None, con: duckdb.DuckDBPyConnection, rewarn: bool = False
) -> set[str]:
    """Read the awaited objects now in the local cache into ``con`` (a catalog being
    written); the models whose metrics changed. ``rewarn``: rewrite the models' warnings
    about unpulled metrics even when nothing arrived (an incremental run added some)."""
    from modeltrail.store.read import blobfacts, gitio, indexer, parse_pool

    rows = con.execute(
        f"SELECT model, commit, path, blob FROM version_sources WHERE origin = '{MISSING}'"
    ).fetchall()
    cache = blobfacts.DvcCache(
        root, indexer.MAX_DOCUMENT, lambda: gitio.index_entries(repo, ".dvc")
    )
    here = {b for *_, b in rows if b and cache.present(b)}
    if not here:
        if rewarn:
            _rewarn(con, indexer.unpulled_warning)
        return set()
    affected = [r for r in rows if r[3] in here]
    locks = _locks(repo, con, affected)
    parsed = _parsed_metrics(con, here)
    done: list[tuple[str, str, str, str | None]] = []  # model, commit, path, new md5 or None
    documents: dict[str, tuple[str, bytes]] = {}  # md5 -> path, content to parse
    warnings: list[tuple[str, str, str, str]] = []
    for model, commit, path, _blob in affected:
        found = None
        for lock_path, lock in locks.get((model, commit), ()):
            found = cache.locate(lock, posixpath.dirname(lock_path), path)
            if found is not None:
                break
        if found is None:
            done.append((model, commit, path, None))
            continue
        md5, legacy = found
        if cache.present(md5, legacy):
            if md5 not in parsed and md5 not in documents:
                content = cache.read(md5)
                if content is None:  # too large to read: as a full index leaves it
                    done.append((model, commit, path, None))
                    continue
                documents[md5] = (path, content)
            done.append((model, commit, path, md5))
        elif cache.refused(md5):
            done.append((model, commit, path, None))
            warnings.append((commit, path, model, f"{path}: {indexer.REFUSED_CACHE_OBJECT}"))
        else:  # a directory's manifest came, the file it lists did not yet
            _set_awaited(con, model, commit, path, md5)
    _insert_values(con, parse_pool, documents, done, warnings)
    _mark_found(con, done)
    if warnings:
        con.executemany("INSERT INTO warnings VALUES (?, ?, ?, ?)", warnings)
    _mark_outs_present(con, cache)
    _rewarn(con, indexer.unpulled_warning)
    return {model for model, _c, _p, md5 in done if md5 is not None}


def _locks(
    repo: git.Repo, con: duckdb.DuckDBPyConnection, affected: list[tuple[Any, ...]]
) -> dict[tuple[str, str], list[tuple[str, DvcLock]]]:
    """Each affected version's ``dvc.lock`` files, parsed: (model, commit) -> [(path, lock)]."""
    import pyarrow as pa  # only when DVC objects arrived

    from modeltrail.store.read import blobfacts, gitio, indexer

    versions = sorted({(m, c) for m, c, _p, _b in affected})
    con.register(
        "pulled_versions",
        pa.table({"model": [m for m, _ in versions], "commit": [c for _, c in versions]}),
    )
    files = con.execute(
        "SELECT f.model, f.commit, f.path, f.blob FROM version_files f"
        " JOIN pulled_versions v USING (model, commit)"
        " WHERE f.path = 'dvc.lock' OR f.path LIKE '%/dvc.lock'"
    ).fetchall()
    con.unregister("pulled_versions")
    data = gitio.read_blobs(repo, {b for *_, b in files}, indexer.MAX_DOCUMENT)
    parsed = {b: blobfacts.parse_dvc_lock(d) for b, d in data.items()}
    out: dict[tuple[str, str], list[tuple[str, DvcLock]]] = {}
    for model, commit, path, blob in files:
        if blob in parsed:
            out.setdefault((model, commit), []).append((path, parsed[blob]))
    return out


def _parsed_metrics(con: duckdb.DuckDBPyConnection, md5s: set[str]) -> set[str]:
    """Which objects the catalog has read as metrics already (another version's)."""
    rows = con.execute(
        "SELECT DISTINCT blob FROM version_sources WHERE origin = 'dvc-cache'"
        " AND blob IN (SELECT unnest($1))",
        [sorted(md5s)],
    ).fetchall()
    return {r[0] for r in rows}


def _insert_values(
    con: duckdb.DuckDBPyConnection,
    parse_pool: ModuleType,
    documents: dict[str, tuple[str, bytes]],
    done: list[tuple[str, str, str, str | None]],
    warnings: list[tuple[str, str, str, str]],
) -> None:
    """Parse the objects that arrived and write their values (``blob_values``)."""
    if not documents:
        return
    jobs = [(md5, "metrics", path, content) for md5, (path, content) in documents.items()]
    first: dict[str, tuple[str, str]] = {}  # md5 -> the first (model, commit) reading it
    for model, commit, _path, md5 in done:
        if md5 is not None:
            first.setdefault(md5, (model, commit))
    values = []
    for (md5, _role, path, _content), (rows, warns) in zip(
        jobs, parse_pool.parse(jobs), strict=True
    ):
        values += [(md5, "metrics", *row) for row in rows]
        model, commit = first[md5]
        warnings += [(commit, path, model, w if path in w else f"{path}: {w}") for w in warns]
    if values:
        con.executemany("INSERT INTO blob_values VALUES (?, ?, ?, ?, ?, ?)", values)


def _mark_found(
    con: duckdb.DuckDBPyConnection, done: list[tuple[str, str, str, str | None]]
) -> None:
    """The rows of metrics now read (origin ``dvc-cache``, their md5) or that have no
    object to wait for any more (gone)."""
    if not done:
        return
    import pyarrow as pa  # only when DVC objects arrived

    con.register(
        "pulled_rows",
        pa.table(
            {
                "model": [d[0] for d in done],
                "commit": [d[1] for d in done],
                "path": [d[2] for d in done],
                "md5": pa.array([d[3] for d in done], pa.string()),
            }
        ),
    )
    # the read rows replace the awaiting ones, keeping their key (a moved model's file)
    con.execute(
        "INSERT INTO version_sources (model, commit, role, path, blob, origin, key_path)"
        " SELECT p.model, p.commit, 'metrics', p.path, p.md5, 'dvc-cache', s.key_path"
        f" FROM pulled_rows p JOIN version_sources s ON s.origin = '{MISSING}'"
        " AND s.model = p.model AND s.commit = p.commit AND s.path = p.path"
        " WHERE p.md5 IS NOT NULL"
    )
    con.execute(
        f"DELETE FROM version_sources s USING pulled_rows p WHERE s.origin = '{MISSING}'"
        " AND s.model = p.model AND s.commit = p.commit AND s.path = p.path"
    )
    con.unregister("pulled_rows")


def _set_awaited(
    con: duckdb.DuckDBPyConnection, model: str, commit: str, path: str, md5: str
) -> None:
    con.execute(
        f"UPDATE version_sources SET blob = $4 WHERE origin = '{MISSING}'"
        " AND model = $1 AND commit = $2 AND path = $3",
        [model, commit, path, md5],
    )


def _mark_outs_present(con: duckdb.DuckDBPyConnection, cache: DvcCache) -> None:
    """DVC outputs recorded as not in the cache that are there now (``dvc pull`` brings
    a model's outputs with its metrics): present."""
    hashes = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT hash FROM blob_dvc WHERE kind = 'out' AND present = false"
            " AND hash IS NOT NULL"
        ).fetchall()
    ]
    here = [h for h in hashes if cache.present(h)]
    if here:
        con.execute(
            "UPDATE blob_dvc SET present = true WHERE kind = 'out' AND hash IN (SELECT unnest($1))",
            [here],
        )


def _rewarn(con: duckdb.DuckDBPyConnection, warning: Callable[[int, str], str]) -> None:
    """One warning per model whose metrics are still unknown, counting its versions."""
    from modeltrail.store.read.indexer import UNPULLED_WARNING

    pattern = UNPULLED_WARNING.format(count="%", s="%") + "%"
    con.execute("DELETE FROM warnings WHERE commit IS NULL AND message LIKE $1", [pattern])
    rows = con.execute(
        f"SELECT model, count(DISTINCT commit), min(path) FROM version_sources"
        f" WHERE origin = '{MISSING}' GROUP BY model ORDER BY model"
    ).fetchall()
    if rows:
        con.executemany(
            "INSERT INTO warnings VALUES (NULL, ?, ?, ?)",
            [(path, model, warning(count, path)) for model, count, path in rows],
        )
