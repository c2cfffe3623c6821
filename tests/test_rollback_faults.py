"""Fault injection: an exception or a kill between any two steps of a write leaves the
repository exactly as before or exactly as after the complete operation, never half,
and the user's uncommitted work elsewhere is never lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import git, snapshot

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.write import checkout as checkout_mod
from modeltrail.store.write.rollback import plan_rollback, plan_undo
from modeltrail.store.write.rollback_apply import BRANCH_STEPS, STAGE_STEPS, apply_plan, recover

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


class Boom(Exception):
    pass


def _user_work(repo: Path) -> None:
    """Uncommitted work outside the models being rolled back; must survive everything."""
    (repo / "models" / "fraud" / "params.yaml").write_text("wip: true\n")
    (repo / "scratch.txt").write_text("notes\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")


def _setup(repo: Path, scenario: str) -> None:
    r = open_repo(repo)
    if scenario.endswith("-undo"):
        model, to = ("churn", "v1.2.0") if scenario.startswith("stage") else ("ranker", "2.1.0")
        con = open_catalog(r)
        plan = plan_rollback(r, con, model, to, reason="first")
        con.close()
        apply_plan(r, plan)
    _user_work(repo)


def _plan(repo: Path, scenario: str):
    r = open_repo(repo)
    con = open_catalog(r)
    try:
        if scenario.endswith("-undo"):
            return plan_undo(r, con, reason="fault")
        if scenario == "stage":
            return plan_rollback(r, con, "churn", "v1.2.0", reason="fault")
        return plan_rollback(r, con, "ranker", "2.1.0", reason="fault")
    finally:
        con.close()


def _copy(template: Path, where: Path) -> Path:
    shutil.copytree(template, where, symlinks=True)
    return where


_PREPARED: dict[str, Path] = {}
_AFTER: dict[str, dict] = {}


@pytest.fixture
def prepared(sample_template, tmp_path_factory, tmp_path, fixed_env):
    """``prepared(scenario)``: a private copy of the sample, set up for the scenario
    (prepared once per session), and the state after the whole operation (from a
    reference run on another copy; the clock and identities are fixed, so ids agree)."""

    def make(scenario: str) -> tuple[Path, dict]:
        if scenario not in _PREPARED:
            base = tmp_path_factory.mktemp(f"prepared-{scenario}")
            template = _copy(sample_template, base / "template")
            _setup(template, scenario)
            _PREPARED[scenario] = template
            reference = _copy(template, base / "reference")
            apply_plan(open_repo(reference), _plan(reference, scenario))
            _AFTER[scenario] = snapshot(reference)
        repo = _copy(_PREPARED[scenario], tmp_path / "repo")
        return repo, _AFTER[scenario]

    return make


def _steps(scenario: str) -> tuple[str, ...]:
    return STAGE_STEPS if scenario.startswith("stage") else BRANCH_STEPS


CASES = [(s, step) for s in ("stage", "branch", "stage-undo", "branch-undo") for step in _steps(s)]


@pytest.mark.parametrize(("scenario", "step"), CASES)
def test_exception_between_steps(prepared, scenario, step):
    sample, after = prepared(scenario)
    before = snapshot(sample)
    assert before != after
    plan = _plan(sample, scenario)

    def fail(at: str) -> None:
        if at == step:
            raise Boom(at)

    with pytest.raises(Boom):
        apply_plan(open_repo(sample), plan, checkpoint=fail)
    recover(open_repo(sample))
    state = snapshot(sample)
    assert state in (before, after), f"half-done state after a failure at {step!r}"
    assert (sample / "scratch.txt").read_text() == "notes\n"
    assert (sample / "models" / "fraud" / "params.yaml").read_text() == "wip: true\n"


_KILL = """
import os, signal, sys
from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import apply_plan
repo = open_repo(sys.argv[1])
con = open_catalog(repo)
model, to = sys.argv[3], sys.argv[4]
plan = plan_rollback(repo, con, model, to, reason="fault")
con.close()
def kill(at):
    if at == sys.argv[2]:
        os.kill(os.getpid(), signal.SIGKILL)
apply_plan(repo, plan, checkpoint=kill)
"""


@pytest.mark.parametrize(
    ("scenario", "step"), [(s, step) for s in ("stage", "branch") for step in _steps(s)]
)
def test_kill_between_steps(prepared, scenario, step):
    sample, after = prepared(scenario)
    before = snapshot(sample)
    model, to = ("churn", "v1.2.0") if scenario == "stage" else ("ranker", "2.1.0")
    done = subprocess.run(
        [sys.executable, "-c", _KILL, str(sample), step, model, to],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == -9, done.stderr
    recover(open_repo(sample))  # what the next modeltrail command does first
    state = snapshot(sample)
    assert state in (before, after), f"half-done state after a kill at {step!r}"
    assert (sample / "scratch.txt").read_text() == "notes\n"
    assert "A  staged.txt" in state["status"].splitlines()


def test_recovery_puts_the_branch_back_when_the_files_did_not_follow(sample, tmp_path):
    _user_work(sample)
    before = snapshot(sample)
    done = subprocess.run(
        [sys.executable, "-c", _KILL, str(sample), "ref", "ranker", "2.1.0"],
        capture_output=True,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == -9
    assert snapshot(sample) != before  # the branch moved, the files did not: half done...
    note = recover(open_repo(sample))
    assert note and "undone" in note  # ...until the next command puts it back
    assert snapshot(sample) == before
    assert recover(open_repo(sample)) is None


@pytest.mark.parametrize("step", checkout_mod.STEPS)
def test_checkout_exception_between_steps(sample, step):
    _user_work(sample)
    before = snapshot(sample)

    def fail(at: str) -> None:
        if at == step:
            raise Boom(at)

    r = open_repo(sample)
    con = open_catalog(r)
    with pytest.raises(Boom):
        checkout_mod.checkout(r, con, "ranker", "2.0.0", checkpoint=fail)
    con.close()
    # even after the files moved, the failure puts every file back (the index was not
    # published yet): nothing is ever half checked out
    assert snapshot(sample) == before
    assert (sample / "scratch.txt").read_text() == "notes\n"
