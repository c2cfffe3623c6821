"""Parsing many blobs on two cores: part in this process, part in a helper process.

A full index parses tens of thousands of small documents (metrics, params, ``MLmodel``,
environment and DVC files), each on its own: work that splits cleanly. Where there are
many and the machine has a second core, the documents go in rounds: of each round the
helper interpreter (``python -m modeltrail.store.read.parse_pool``) parses one share while
this process parses the other and turns results into rows, and the helper's results come
back at the end of the round. Results are yielded in order, a round at a time, so neither
process holds more than one round of documents and rows (parsing 100,000 commits' worth
at once kept ~200 MB of rows in each). The helper runs no git and opens no catalog.
Anything wrong with it (it cannot start, dies, answers garbage) costs time, not results:
its share is then parsed here, and so is everything after.

A helper process rather than ``multiprocessing``: the TUI indexes in a thread, where
forking is unsafe, and a spawned ``multiprocessing`` worker would import the calling
program's main module (the whole TUI).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from modeltrail.store.read import blobfacts

#: (blob, role, path, content) of one document to parse (content None: git could not
#: give it)
Job = tuple[str, str, str, bytes | None]

#: the helper: this interpreter running this module; -P keeps the working directory (a
#: repository, so untrusted) off its import path
HELPER = [sys.executable, "-P", "-m", __name__]

#: below this many documents the helper's start-up (~0.15 s) is not worth it
MIN_JOBS = 4000


#: what the catalog keeps of one parsed blob: its rows (for ``blob_values``,
#: ``blob_mlmodel``, ``blob_packages`` or ``blob_dvc`` by role, without the blob id) and
#: its warnings; plain tuples, which cross between processes cheaply
Parsed = tuple[list[tuple], list[str]]


#: documents per round: this process's share, then the helper's
ROUND = 1000
#: the helper's part of a round (this process also turns every result into rows)
HELPER_SHARE = 0.5


def parse(jobs: Sequence[Job]) -> list[Parsed]:
    """The rows and warnings of every job, in order."""
    return list(parse_iter(jobs, len(jobs)))


def parse_iter(jobs: Iterable[Job], count: int) -> Iterator[Parsed]:
    """The rows and warnings of ``count`` jobs, in order, taken and parsed a round at a
    time (so ``jobs`` may read the documents as it goes)."""
    jobs = iter(jobs)
    if count < MIN_JOBS or (os.cpu_count() or 1) < 2:
        yield from map(_parse_one, jobs)
        return
    helper = _start()
    try:
        while batch := list(itertools.islice(jobs, ROUND)):
            split = len(batch) - int(len(batch) * HELPER_SHARE)
            mine, theirs = batch[:split], batch[split:]
            sent = helper is not None and _send(helper, theirs)
            yield from map(_parse_one, mine)
            got = _receive(helper, len(theirs)) if helper is not None and sent else None
            if got is None and helper is not None:
                _stop(helper)
                helper = None
            yield from got if got is not None else map(_parse_one, theirs)
    finally:
        if helper is not None:
            _stop(helper, polite=True)


def _parse_one(job: Job) -> Parsed:
    _blob, role, path, content = job
    if content is None:
        return [], [f"{path}: not read (the object went missing from the repository)"]
    return as_rows(role, blobfacts.facts_for_role(content, path, role))


def as_rows(role: str, facts: Any) -> Parsed:
    """:func:`blobfacts.facts_for_role`'s result for ``role`` as :data:`Parsed`."""
    if role == "mlmodel":
        return [tuple(getattr(facts, f) for f in blobfacts.MLMODEL_FIELDS)], facts.warnings
    if role == "environment":
        packages, warnings = facts
        return packages, warnings
    return facts.rows, facts.warnings


def _start() -> subprocess.Popen | None:
    try:
        return subprocess.Popen(
            HELPER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _send(helper: subprocess.Popen, jobs: Sequence[Job]) -> bool:
    """Hand the helper a round's share; False if it cannot take it."""
    try:
        assert helper.stdin is not None
        pickle.dump(list(jobs), helper.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        helper.stdin.flush()
    except (OSError, ValueError, pickle.PicklingError):
        return False
    return True


def _receive(helper: subprocess.Popen, expected: int) -> list[Parsed] | None:
    """The helper's results for its share, or None when it failed in any way."""
    try:
        assert helper.stdout is not None
        results = pickle.load(helper.stdout)
    except Exception:  # noqa: BLE001 - any failure: parse its share here instead
        return None
    if not isinstance(results, list) or len(results) != expected:
        return None
    return results


def _stop(helper: subprocess.Popen, polite: bool = False) -> None:
    """End the helper: asked to (no more rounds) or killed (it failed)."""
    if polite:
        try:
            assert helper.stdin is not None
            helper.stdin.close()
            helper.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
    if helper.poll() is None:
        helper.kill()
        helper.wait()
    for pipe in (helper.stdin, helper.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _serve() -> None:
    """The helper: a round's share in, its results out, until this process closes the pipe."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            jobs = pickle.load(source)
        except EOFError:
            return
        pickle.dump([_parse_one(j) for j in jobs], sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    _serve()
