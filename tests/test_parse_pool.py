"""Blobs parsed half in a helper process give exactly what parsing them here gives, and
a helper that fails costs time, never results."""

from __future__ import annotations

import sys
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


def test_the_helper_parses_exactly_as_this_process(sample) -> None:
    jobs = _jobs(sample)
    roles = {role for _b, role, _p, _c in jobs}
    assert {"metrics", "params", "mlmodel", "environment"} <= roles
    helper = parse_pool._start()
    assert helper is not None
    half = len(jobs) // 2
    for share in (jobs[:half], jobs[half:]):  # one helper, round after round
        assert parse_pool._send(helper, share)
        assert parse_pool._receive(helper, len(share)) == [parse_pool._parse_one(j) for j in share]
    parse_pool._stop(helper, polite=True)
    assert helper.returncode == 0  # it ended because it was told to, not killed


def test_an_index_with_the_helper_equals_one_without(sample, monkeypatch) -> None:
    monkeypatch.setattr(parse_pool, "MIN_JOBS", 10**9)
    index(sample)
    alone = _tables(sample)
    monkeypatch.setattr(parse_pool, "MIN_JOBS", 1)
    monkeypatch.setattr(parse_pool, "ROUND", 16)  # many rounds, the helper in each
    (sample / ".git" / "modeltrail" / "catalog.duckdb").unlink()
    index(sample)
    assert _tables(sample) == alone
    assert alone["blob_values"] and alone["blob_mlmodel"]


_SERVES_ONE_ROUND = (
    "import pickle, sys\n"
    "from modeltrail.store.read import parse_pool\n"
    "jobs = pickle.load(sys.stdin.buffer)\n"
    "pickle.dump([parse_pool._parse_one(j) for j in jobs], sys.stdout.buffer)\n"
    "sys.stdout.buffer.flush()\n"
)


@pytest.mark.parametrize(
    "helper",
    [
        ["/nonexistent/python"],  # cannot start
        [sys.executable, "-c", "import sys; sys.exit(3)"],  # dies without answering
        [sys.executable, "-c", "import pickle, sys; pickle.dump([1], sys.stdout.buffer)"],
        # answers the first round right, then dies
        [sys.executable, "-c", _SERVES_ONE_ROUND],
    ],
    ids=["missing", "dies", "garbage", "dies-later"],
)
def test_a_failing_helper_costs_time_not_results(sample, monkeypatch, helper) -> None:
    jobs = _jobs(sample)
    monkeypatch.setattr(parse_pool, "MIN_JOBS", 1)
    monkeypatch.setattr(parse_pool, "ROUND", max(2, len(jobs) // 3))
    monkeypatch.setattr(parse_pool, "HELPER", helper)
    assert parse_pool.parse(jobs) == [parse_pool._parse_one(j) for j in jobs]
