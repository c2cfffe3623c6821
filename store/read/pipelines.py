"""What a version's DVC pipelines say beyond its git files: metrics kept in the local DVC
cache, and whether ``dvc.lock`` records them as stale (as ``dvc status`` would say).

:class:`Pipelines` answers for every version of an index run, deciding each distinct
case once: a version's answer depends only on its pipelines' ``dvc.lock`` blobs and
directories, the metrics files declared, which of those are in git, and the blobs of
the files the locks' stages depend on; in a long history those recur version after
version.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from modeltrail.store.read.blobfacts import DvcCache

if TYPE_CHECKING:  # the readers are imported when a document is first read (blobfacts)
    from modeltrail.store.read.readers import dvc

#: a version's files: path -> (blob, mode)
Files = Mapping[str, tuple[str, str]]
#: the answer of :func:`dvc_pipeline`
Answer = tuple[list[tuple[str, str, str]], bool | None, list[str], list[tuple[str, str]]]

FileMd5 = Callable[[str, bool], str | None]


def _joined(base: str, path: str) -> str | None:
    """``dvc.join_dvc_path(base, "", path)``: a lock's path as a repository path."""
    from modeltrail.store.read.readers.dvc import join_dvc_path

    return join_dvc_path(base, "", path)


def lock_stale(
    lock: dvc.DvcLock, base: str, metrics_paths: list[str], file_md5: FileMd5 | None = None
) -> bool | None:
    """Are the metrics stale by what ``dvc.lock`` records, as ``dvc status`` would say?

    A stage is stale when a dependency's recorded hash differs from what the stage that
    produces it recorded for that output, or when that producing stage is itself stale;
    with ``file_md5(path, legacy)`` (the DVC md5 of the version's git file at ``path``,
    None when unknown), also when a dependency kept in git (code, a params-free input)
    differs from what the stage recorded for it.
    The metrics are stale when a stage writing one of ``metrics_paths`` is. None when no
    stage of the lock writes a metrics file (the lock says nothing about them).
    """
    produced: dict[str, tuple[str, str | None]] = {}  # repo path -> (stage, md5)
    writes: dict[str, list[str]] = {}  # stage -> repo paths of its outs
    for name, stage in lock.stages.items():
        for out in stage.outs:
            where = _joined(base, out.path)
            if where is not None:
                produced[where] = (name, out.md5)
                writes.setdefault(name, []).append(where)
    metric_stages = [
        name
        for name, outs in writes.items()
        if any(m == w or m.startswith(w + "/") for m in metrics_paths for w in outs)
    ]
    if not metric_stages:
        return None
    verdict: dict[str, bool] = {}
    return any(
        _stage_stale(name, lock, base, produced, verdict, file_md5) for name in metric_stages
    )


def _stage_stale(
    name: str,
    lock: dvc.DvcLock,
    base: str,
    produced: dict[str, tuple[str, str | None]],
    verdict: dict[str, bool],
    file_md5: FileMd5 | None,
) -> bool:
    """Whether stage ``name`` of ``lock`` is stale (see :func:`lock_stale`); ``verdict``
    remembers the stages decided. A module function, not a recursive closure: that
    would be a reference cycle per call, kept while an index runs with the cyclic
    collector paused."""
    if name in verdict:
        return verdict[name]
    verdict[name] = False  # a cycle is not evidence
    result = False
    for dep in lock.stages[name].deps:
        where = _joined(base, dep.path)
        producer = produced.get(where) if where is not None else None
        if producer is None:
            if file_md5 is not None and where is not None and dep.md5 and not dep.is_dir:
                now = file_md5(where, dep.legacy)
                if now is not None and now != dep.md5:
                    result = True
                    break
            continue
        if producer[0] == name:
            continue
        if (dep.md5 and producer[1] and dep.md5 != producer[1]) or _stage_stale(
            producer[0], lock, base, produced, verdict, file_md5
        ):
            result = True
            break
    verdict[name] = result
    return result


def _locked_pipelines(
    files: Files, declared: Mapping[str, Any], locks: dict[str, Any]
) -> Iterator[tuple[str, str, str, Any]]:
    """Each ``dvc.yaml`` among a version's files that ``declared`` knows and that has a
    parsed ``dvc.lock`` beside it: (its directory, its blob, the lock's blob, the lock)."""
    for path, (blob, _mode) in files.items():
        if not path.endswith("dvc.yaml") or posixpath.basename(path) != "dvc.yaml":
            continue
        if blob not in declared:
            continue
        base = posixpath.dirname(path)
        entry = files.get(posixpath.join(base, "dvc.lock") if base else "dvc.lock")
        lock = locks.get(entry[0]) if entry else None
        if entry is not None and lock is not None:
            yield base, blob, entry[0], lock


def dvc_pipeline(
    files: Files,
    declared: Mapping[str, tuple[list[str], list[str]]],
    locks: dict[str, Any],
    cache: DvcCache,
    blob_md5: Callable[[str, bool], str | None] | None = None,
) -> Answer:
    """What a version's DVC pipelines say beyond its git files.

    ``files``: the version's path -> (blob, mode); ``declared``: dvc.yaml blob ->
    (metrics files, params files); ``locks``: dvc.lock blob -> parsed lock. Returns the
    declared metrics files not in git but in the local DVC cache, as ``("metrics", path,
    md5)``, the staleness ``dvc.lock`` records (None where no lock speaks of them), and
    the declared metrics files whose cache object was refused (a symlink leading out),
    and the declared metrics files inside cached outputs whose objects are not in the
    local cache, as ``(path, md5)``: unknown until ``dvc pull``, not absent (the md5
    of the object to wait for: the file's, or its directory's when that directory's
    manifest is missing).
    ``blob_md5(blob, legacy)`` gives the DVC md5 of a git blob (None when not read).
    """

    def file_md5(path: str, legacy: bool) -> str | None:
        entry = files.get(path)
        return blob_md5(entry[0], legacy) if entry is not None and blob_md5 else None

    cached: list[tuple[str, str, str]] = []
    refused: list[str] = []
    missing: list[tuple[str, str]] = []
    verdicts: list[bool] = []
    for base, blob, _lock_blob, lock in _locked_pipelines(files, declared, locks):
        metrics = declared[blob][0]
        for m in metrics:
            if m not in files:
                found = cache.locate(lock, base, m)
                if found is None:
                    continue
                md5, legacy = found
                if cache.present(md5, legacy):
                    cached.append(("metrics", m, md5))
                elif cache.refused(md5):
                    refused.append(m)
                else:
                    missing.append((m, md5))
        verdict = lock_stale(lock, base, metrics, file_md5 if blob_md5 else None)
        if verdict is not None:
            verdicts.append(verdict)
    return cached, (any(verdicts) if verdicts else None), refused, missing


class Pipelines:
    """:func:`dvc_pipeline` for the versions of one run, each distinct case decided
    once (``locks``: dvc.lock blob -> parsed lock; ``cache`` and ``blob_md5`` as
    :func:`dvc_pipeline` takes them, the same for the whole run). The answers are
    shared between versions: never change them."""

    def __init__(
        self,
        locks: dict[str, Any],
        cache: DvcCache,
        blob_md5: Callable[[str, bool], str | None] | None = None,
    ) -> None:
        self.locks = locks
        self.cache = cache
        self.blob_md5 = blob_md5
        # (lock blob, directory) -> repository paths of its stages' deps: every path
        # (the files whose md5 the verdict may ask), and those with a recorded md5
        self._deps: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._answers: dict[tuple[Any, ...], Answer] = {}

    def _dep_paths(self, lock_blob: str, base: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        found = self._deps.get((lock_blob, base))
        if found is None:
            every: list[str] = []
            hashed: list[str] = []
            for stage in self.locks[lock_blob].stages.values():
                for dep in stage.deps:
                    where = _joined(base, dep.path)
                    if where is not None:
                        every.append(where)
                        if dep.md5:
                            hashed.append(where)
            found = self._deps[(lock_blob, base)] = (tuple(every), tuple(hashed))
        return found

    def _pipelines(
        self, files: Files, declared: Mapping[str, Any]
    ) -> Iterator[tuple[str, str, str]]:
        """(directory, dvc.yaml blob, dvc.lock blob) of each pipeline among ``files``
        that ``declared`` knows, with a parsed lock (as :func:`_locked_pipelines`)."""
        for base, blob, lock_blob, _lock in _locked_pipelines(files, declared, self.locks):
            yield base, blob, lock_blob

    def answer(self, files: Files, declared: Mapping[str, tuple[list[str], list[str]]]) -> Answer:
        """:func:`dvc_pipeline` of a version's ``files``."""
        key: list[tuple[Any, ...]] = []
        for base, blob, lock_blob in self._pipelines(files, declared):
            metrics = tuple(declared[blob][0])
            every = self._dep_paths(lock_blob, base)[0]
            key.append(
                (
                    base,
                    lock_blob,
                    metrics,
                    tuple(m in files for m in metrics),
                    tuple(e[0] if (e := files.get(w)) is not None else None for w in every),
                )
            )
        if not key:
            return _NO_PIPELINE
        whole = tuple(key)
        found = self._answers.get(whole)
        if found is None:
            found = dvc_pipeline(files, declared, self.locks, self.cache, self.blob_md5)
            self._answers[whole] = found
        return found

    def dep_blobs(self, files: Files, declared: Mapping[str, Any]) -> set[str]:
        """Blobs of a version's git files that its dvc.lock stages depend on (with an md5
        recorded: those whose DVC md5 the verdict compares)."""
        out: set[str] = set()
        for base, _blob, lock_blob in self._pipelines(files, declared):
            for where in self._dep_paths(lock_blob, base)[1]:
                entry = files.get(where)
                if entry is not None:
                    out.add(entry[0])
        return out


_NO_PIPELINE: Answer = ([], None, [], [])
