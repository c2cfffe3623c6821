"""Blobs parsed partly in worker processes give exactly what parsing them here gives; a
worker that fails (killed for real here) costs time, never results; workers never
import the repository's files; small parses start none."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import duckdb
import pytest
from tui_support import index

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.read import parse_pool

TABLES = ("blob_values", "blob_mlmodel", "blob_packages", "blob_dvc", "warnings")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample_repo(tmp_path_factory.mktemp("pool") / "sample")


def _jobs(repo: Path) -> list[parse_pool.Job]:
    """Every document a full index of the sample parses, as the indexer hands them over."""
    (repo / ".git" / "modeltrail" / "catalog.duckdb").unlink(missing_ok=True)  # a full one
    captured: list[parse_pool.Job] = []
    original = parse_pool.parse_iter

    def capture(jobs, count):
        jobs = list(jobs)
        captured.extend(jobs)
        return original(jobs, count)

    parse_pool.parse_iter = capture
    try:
        index(repo)
    finally:
        parse_pool.parse_iter = original
    return captured


def _tables(repo: Path) -> dict[str, list]:
    cat = next((repo / ".git" / "modeltrail").glob("catalog.duckdb"))
    con = duckdb.connect(str(cat), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}
    finally:
        con.close()


def _here(jobs: list[parse_pool.Job]) -> list[parse_pool.Parsed]:
    return [parse_pool._parse_one(j) for j in jobs]


def test_workers_parse_exactly_as_this_process(sample) -> None:
    jobs = _jobs(sample)
    assert len(jobs) > 50
    roles = {role for _b, role, _p, _c in jobs}
    assert {"metrics", "params", "mlmodel", "environment"} <= roles
    half = len(jobs) // 2
    with parse_pool.Workers(1) as workers:
        for share in (jobs[:half], jobs[half:]):  # one worker, share after share
            assert workers.result(workers.submit(share), len(share)) == _here(share)
        assert not workers.failed
    assert not multiprocessing.active_children()  # they ended with the parse


def test_an_index_with_workers_equals_one_without(sample, monkeypatch) -> None:
    monkeypatch.setattr(parse_pool, "MIN_JOBS", 10**9)
    index(sample)
    alone = _tables(sample)
    monkeypatch.setattr(parse_pool, "MIN_JOBS", 1)
    monkeypatch.setattr(parse_pool, "SHARE", 16)  # many rounds, the workers in each
    monkeypatch.setattr(parse_pool, "workers_for", lambda count: 2)
    (sample / ".git" / "modeltrail" / "catalog.duckdb").unlink()
    index(sample)
    assert _tables(sample) == alone
    assert alone["blob_values"] and alone["blob_mlmodel"]


def _kill_workers() -> int:
    children = multiprocessing.active_children()
    for child in children:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    return len(children)


def test_a_killed_worker_costs_its_share_not_results(sample) -> None:
    jobs = _jobs(sample)
    with parse_pool.Workers(2) as workers:
        future = workers.submit(jobs)
        assert _kill_workers() >= 1
        assert workers.result(future, len(jobs)) is None
        assert workers.failed
        assert workers.submit(jobs) is None  # given up: everything after is parsed here


def test_a_parse_whose_workers_are_killed_gives_every_result(sample, monkeypatch) -> None:
    jobs = _jobs(sample)
    monkeypatch.setattr(parse_pool, "SHARE", max(2, len(jobs) // 8))
    monkeypatch.setattr(parse_pool, "workers_for", lambda count: 2)
    results = parse_pool.parse_iter(iter(jobs), len(jobs))
    got = [next(results)]  # the first round is with the workers, the second queued
    assert _kill_workers() >= 1
    got.extend(results)
    assert got == _here(jobs)


def test_workers_do_not_import_the_working_directory(sample, tmp_path, monkeypatch) -> None:
    """A repository is often the working directory: a ``multiprocessing.py`` in it must
    not run in a worker (a spawned interpreter puts the directory first on its path)."""
    jobs = _jobs(sample)
    ran = tmp_path / "ran"
    (tmp_path / "multiprocessing.py").write_text(
        f"open({str(ran)!r}, 'w').close()\nraise SystemExit(9)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONSAFEPATH", "")  # as when the user has not set it
    with parse_pool.Workers(1) as workers:
        assert workers.result(workers.submit(jobs), len(jobs)) == _here(jobs)
        assert not workers.failed
    assert not ran.exists()


def test_small_parses_start_no_worker_and_large_ones_use_every_core(sample, monkeypatch) -> None:
    cores = os.sched_getaffinity(0)
    assert parse_pool.workers_for(parse_pool.MIN_JOBS - 1) == 0
    assert parse_pool.workers_for(10**6) == len(cores) - 1
    jobs = _jobs(sample)
    assert len(jobs) < parse_pool.MIN_JOBS
    results = parse_pool.parse_iter(iter(jobs), len(jobs))
    assert next(results) == _here(jobs[:1])[0]
    assert not multiprocessing.active_children()
    os.sched_setaffinity(0, {min(cores)})
    try:
        assert parse_pool.workers_for(10**6) == 0  # one core: this process alone
    finally:
        os.sched_setaffinity(0, cores)
