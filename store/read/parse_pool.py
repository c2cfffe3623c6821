"""Parsing many blobs on two cores: half in this process, half in a helper process.

A full index parses tens of thousands of small documents (metrics, params, ``MLmodel``,
environment and DVC files), each on its own: work that splits cleanly. Where there are
many and the machine has a second core, the second half goes to a helper interpreter
(``python -m modeltrail.store.read.parse_pool``) started with the documents on its
standard input; it parses them with the same functions while this process parses the
first half, and sends the results back. The helper runs no git and opens no catalog.
Anything wrong with it (it cannot start, dies, answers garbage) costs time, not results:
its half is then parsed here.

A helper process rather than ``multiprocessing``: the TUI indexes in a thread, where
forking is unsafe, and a spawned ``multiprocessing`` worker would import the calling
program's main module (the whole TUI).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from modeltrail.store.read import blobfacts

#: (blob, role, path, content) of one document to parse
Job = tuple[str, str, str, bytes]

#: the helper: this interpreter running this module; -P keeps the working directory (a
#: repository, so untrusted) off its import path
HELPER = [sys.executable, "-P", "-m", __name__]

#: below this many documents the helper's start-up (~0.15 s) is not worth it
MIN_JOBS = 4000


#: what the catalog keeps of one parsed blob: its rows (for ``blob_values``,
#: ``blob_mlmodel``, ``blob_packages`` or ``blob_dvc`` by role, without the blob id) and
#: its warnings; plain tuples, which cross between processes cheaply
Parsed = tuple[list[tuple], list[str]]


def parse(jobs: Sequence[Job]) -> list[Parsed]:
    """The rows and warnings of every job, in order."""
    if len(jobs) < MIN_JOBS or (os.cpu_count() or 1) < 2:
        return [_parse_one(j) for j in jobs]
    half = len(jobs) // 2
    mine, theirs = jobs[:half], jobs[half:]
    helper = _start(theirs)
    out = [_parse_one(j) for j in mine]
    return out + (_collect(helper, len(theirs)) or [_parse_one(j) for j in theirs])


def _parse_one(job: Job) -> Parsed:
    _blob, role, path, content = job
    return as_rows(role, blobfacts.facts_for_role(content, path, role))


def as_rows(role: str, facts: Any) -> Parsed:
    """:func:`blobfacts.facts_for_role`'s result for ``role`` as :data:`Parsed`."""
    if role == "mlmodel":
        return [tuple(getattr(facts, f) for f in blobfacts.MLMODEL_FIELDS)], facts.warnings
    if role == "environment":
        packages, warnings = facts
        return packages, warnings
    return facts.rows, facts.warnings


def _start(jobs: Sequence[Job]) -> subprocess.Popen | None:
    try:
        helper = subprocess.Popen(
            HELPER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        assert helper.stdin is not None
        pickle.dump(list(jobs), helper.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        helper.stdin.close()
    except (OSError, pickle.PicklingError):
        helper.kill()
        helper.wait()
        return None
    return helper


def _collect(helper: subprocess.Popen | None, expected: int) -> list[Parsed] | None:
    """The helper's results, or None when it failed in any way."""
    if helper is None:
        return None
    try:
        assert helper.stdout is not None
        results = pickle.load(helper.stdout)
        helper.wait(timeout=10)
    except Exception:  # noqa: BLE001 - any failure: parse its half here instead
        results = None
    finally:
        if helper.poll() is None:
            helper.kill()
            helper.wait()
    if not isinstance(results, list) or len(results) != expected:
        return None
    return results


def _serve() -> None:
    jobs = pickle.load(sys.stdin.buffer)
    results = [_parse_one(j) for j in jobs]
    pickle.dump(results, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve()
