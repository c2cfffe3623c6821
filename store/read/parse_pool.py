"""Parsing many blobs on every core: part in this process, part in worker processes.

A full index parses tens of thousands of small documents (metrics, params, ``MLmodel``,
environment and DVC files), each on its own: work that splits cleanly. Where there are
many (:data:`MIN_JOBS`) and the machine has a second core, the documents go in rounds of
:data:`SHARE` per process: this process parses one share (and turns results into
catalog rows as they come) while each worker of a ``ProcessPoolExecutor`` parses
another; the next round goes to the workers before this one's results are collected,
so they keep working while this process writes rows. Results are yielded in order, so
no process holds more than two rounds of documents and rows (parsing 100,000 commits'
worth at once kept ~200 MB of rows in each). Workers run no git and open no catalog.
Anything wrong with them (they cannot start, one dies or is killed) costs time, not
results: the shares they had are parsed here, and so is everything after.

Workers are spawned, not forked: the TUI indexes in a thread, where forking is unsafe.
A spawned interpreter starts in the working directory, often the repository, whose
files it would import first (a ``multiprocessing.py`` there would run); so workers
start with ``PYTHONSAFEPATH`` set (the ``-P`` flag), which modeltrail leaves set for
the Python processes it starts later, and there are none when the interpreter ignores
the environment (``-E`` without ``-P``/``-I``). As everywhere with spawned
``multiprocessing`` workers, each first imports the program's main module unless it was
run as ``python -m package`` (``modeltrail`` imports only ``tui.cli``): a program that
indexes through ``store/`` keeps its own work under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from modeltrail.store.read import blobfacts, heap

if TYPE_CHECKING:  # imported when workers start: a small parse never pays for them
    from concurrent.futures import Future, ProcessPoolExecutor

#: (blob, role, path, content) of one document to parse (content None: git could not
#: give it)
Job = tuple[str, str, str, bytes | None]

#: what the catalog keeps of one parsed blob: its rows (for ``blob_values``,
#: ``blob_mlmodel``, ``blob_packages`` or ``blob_dvc`` by role, without the blob id) and
#: its warnings; plain tuples, which cross between processes cheaply
Parsed = tuple[list[tuple[Any, ...]], list[str]]

#: below this many documents a worker's start-up (~0.3 s) is not worth it
MIN_JOBS = 4000

#: documents a reader of the repository takes at a time (``indexer._documents``)
ROUND = 1000

#: documents per process per round: this process's share; each worker's starts at
#: :data:`WORKER_SHARES` times that (this process also turns every result into rows)
#: and follows what it sees: larger while the workers finish before this process,
#: smaller while it waits for them, within :data:`WORKER_RANGE` times :data:`SHARE`
SHARE = 500
WORKER_SHARES = 2
WORKER_RANGE = (0.5, 8)

#: rounds between two returns of the freed C heap to the system (the documents read and
#: parsed go, but the C library kept ~25 MB of them at 100,000 commits; ~15 ms a time)
TRIM_ROUNDS = 8


def parse(jobs: Sequence[Job]) -> list[Parsed]:
    """The rows and warnings of every job, in order."""
    return list(parse_iter(jobs, len(jobs)))


def parse_iter(jobs: Iterable[Job], count: int) -> Iterator[Parsed]:
    """The rows and warnings of ``count`` jobs, in order, taken and parsed a round at a
    time (so ``jobs`` may read the documents as it goes)."""
    jobs = iter(jobs)
    wanted = workers_for(count)
    if not wanted:
        yield from map(_parse_one, jobs)
        return
    with Workers(wanted) as workers:
        theirs_size = SHARE * WORKER_SHARES
        smallest, largest = (int(SHARE * r) for r in WORKER_RANGE)
        current = _take(workers, jobs, theirs_size)
        rounds = 0
        while current[0] or current[1]:
            mine, theirs = current
            rounds += 1
            if rounds % TRIM_ROUNDS == 0:
                heap.trim()
            yield from map(_parse_one, mine)
            if theirs and all(f is not None and f.done() for _s, f in theirs):
                theirs_size = min(largest, theirs_size * 5 // 4)  # they waited for this one
            current = _take(workers, jobs, theirs_size)  # the next round to the workers first
            for share, future in theirs:
                if future is not None and not future.done():
                    theirs_size = max(smallest, theirs_size * 4 // 5)  # this one waits
                got = workers.result(future, len(share))
                yield from got if got is not None else map(_parse_one, share)


def workers_for(count: int) -> int:
    """How many workers parse ``count`` documents: none for fewer than
    :data:`MIN_JOBS`, on one core, or where they could not start safely; else one per
    core this process may use, but its own."""
    if count < MIN_JOBS or not _safe_to_spawn():
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, count // (SHARE * WORKER_SHARES)))


def _take(
    workers: Workers, jobs: Iterator[Job], theirs_size: int
) -> tuple[list[Job], list[tuple[list[Job], Future[list[Parsed]] | None]]]:
    """The next round: this process's share, and each worker's share (``theirs_size``
    documents) with its future (None: parse it here)."""
    mine = list(itertools.islice(jobs, SHARE))
    theirs = []
    for _ in range(workers.count):
        share = list(itertools.islice(jobs, max(1, theirs_size)))
        if not share:
            break
        theirs.append((share, workers.submit(share)))
    return mine, theirs


def _parse_one(job: Job) -> Parsed:
    _blob, role, path, content = job
    if content is None:
        return [], [f"{path}: not read (the object went missing from the repository)"]
    return as_rows(role, blobfacts.facts_for_role(content, path, role))


def _parse_share(jobs: list[Job]) -> list[Parsed]:
    """A worker's task: one share."""
    return [_parse_one(j) for j in jobs]


def as_rows(role: str, facts: Any) -> Parsed:
    """:func:`blobfacts.facts_for_role`'s result for ``role`` as :data:`Parsed`."""
    if role == "mlmodel":
        return [tuple(getattr(facts, f) for f in blobfacts.MLMODEL_FIELDS)], facts.warnings
    if role == "environment":
        packages, warnings = facts
        return packages, warnings
    return facts.rows, facts.warnings


def _safe_to_spawn() -> bool:
    """Whether a spawned interpreter will honour ``PYTHONSAFEPATH`` (or has ``-P``)."""
    flags = sys.flags
    return bool(flags.safe_path or flags.isolated or not flags.ignore_environment)


class Workers:
    """The worker processes of one parse; once one fails, none is used again."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        if not os.environ.get("PYTHONSAFEPATH"):
            os.environ["PYTHONSAFEPATH"] = "1"  # see the module's docstring
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            self._pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
        except (OSError, ValueError):
            self.count = 0

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(wait=kind is None)

    @property
    def failed(self) -> bool:
        return self._pool is None

    def submit(self, share: list[Job]) -> Future[list[Parsed]] | None:
        """``share`` to a worker; None if there is none to take it."""
        if self._pool is None:
            return None
        try:
            return self._pool.submit(_parse_share, share)
        except Exception:  # noqa: BLE001 - a broken pool, no process to start: parse here
            self.close()
            return None

    def result(self, future: Future[list[Parsed]] | None, expected: int) -> list[Parsed] | None:
        """A share's results, or None when its worker failed in any way (the workers are
        then given up)."""
        if future is None:
            return None
        try:
            got = future.result()
        except Exception:  # noqa: BLE001 - a worker died or failed: parse its share here
            got = None
        if not isinstance(got, list) or len(got) != expected:
            self.close()
            return None
        return got

    def close(self, wait: bool = False) -> None:
        """End the workers: waiting for them to exit (``wait``, when every share is in),
        or leaving those still parsing a share to end by themselves."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
