"""``kill -9`` at every git step of a branch rollback, and in the middle of the work-tree
update itself, followed by what the next modeltrail command does first (``recover``):
the repository is exactly as before or exactly as after, no lock is left behind, the
user's other work is intact, ``git fsck`` passes, and recovery says what it did.

The kills come from a ``git`` wrapper first on ``PATH``: armed only once the plan is made,
it counts git invocations and kills the modeltrail process before the Nth one runs, or
right after it ran. For a kill *inside* ``read-tree -u`` it adds a smudge filter (through
``core.attributesFile``) that kills modeltrail and git when git writes the Kth file."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_rollback_support as support
from gitbuilder import GitRepo
from test_rollback_support import snapshot

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import recover

fixed_env = support.fixed_env

N_FILES = 3

_WRAPPER = """#!/bin/sh
if [ -n "$MT_ARMED" ]; then
  n=$(( $(cat "$MT_COUNT" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$MT_COUNT"
  echo "$n $*" >> "$MT_LOG"
  if [ "$n" = "$MT_AT" ]; then
    case "$MT_MODE" in
      before) kill -9 "$PPID"; exit 137 ;;
      inside)
        MT_VICTIM=$PPID MT_GIT=$$
        export MT_VICTIM MT_GIT
        exec "$MT_REAL_GIT" -c "core.attributesFile=$MT_ATTR" \\
          -c "filter.mtkill.smudge=$MT_SMUDGE" "$@" ;;
      after) "$MT_REAL_GIT" "$@"; rc=$?; kill -9 "$PPID"; exit $rc ;;
    esac
  fi
fi
exec "$MT_REAL_GIT" "$@"
"""

_SMUDGE = """#!/bin/sh
n=$(( $(cat "$MT_SMUDGE_COUNT" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$MT_SMUDGE_COUNT"
if [ "$n" -ge "$MT_SMUDGE_AT" ]; then
  kill -9 "$MT_VICTIM" "$MT_GIT"
  exit 1
fi
exec cat
"""

_CHILD = """
import os, pickle, sys
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback_apply import apply_plan
repo = open_repo(sys.argv[1])
with open(sys.argv[2], "rb") as fh:
    plan = pickle.load(fh)
os.environ["MT_ARMED"] = "1"
apply_plan(repo, plan, update_catalog=False)
"""


def _files(version: str) -> dict[str, str]:
    out = {"m/model.yaml": f"name: m\nversion: {version}\n"}
    for i in range(N_FILES):
        out[f"m/part{i}.bin"] = f"{version} part {i}\n" * 50
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    g = GitRepo(tmp_path_factory.mktemp("kill") / "repo")
    g.commit("v1", {**_files("1.0.0"), "other.txt": "o\n"})
    g.commit("v2", _files("2.0.0"))
    v3 = _files("3.0.0")
    v3["m/only-in-v3.txt"] = "new\n"
    g.commit("v3", v3)
    update_catalog(open_repo(g.path))
    # the user's uncommitted work elsewhere: must survive every kill
    (g.path / "other.txt").write_text("edited\n")
    (g.path / "scratch.txt").write_text("notes\n")
    # the plan, made once (ids are the same in every copy): the children only write it
    r = open_repo(g.path)
    con = open_catalog(r)
    plan = plan_rollback(r, con, "m", "1.0.0", reason="kill")
    con.close()
    (g.path.parent / "plan.pickle").write_bytes(pickle.dumps(plan))
    return g.path


@pytest.fixture
def tools(tmp_path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(_WRAPPER)
    wrapper.chmod(0o755)
    smudge = tmp_path / "smudge.sh"
    smudge.write_text(_SMUDGE)
    smudge.chmod(0o755)
    attr = tmp_path / "attributes"
    attr.write_text("* filter=mtkill\n")
    real = shutil.which("git")
    assert real
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "MT_REAL_GIT": real,
        "MT_SMUDGE": str(smudge),
        "MT_ATTR": str(attr),
    }


def _run(repo: Path, tools: dict, tmp: Path, **kill) -> tuple[int, list[str]]:
    log = tmp / "log"
    for name in ("count", "log", "smudge-count"):
        (tmp / name).unlink(missing_ok=True)
    env = {
        **os.environ,
        **tools,
        "MT_COUNT": str(tmp / "count"),
        "MT_LOG": str(log),
        "MT_SMUDGE_COUNT": str(tmp / "smudge-count"),
        **{k: str(v) for k, v in kill.items()},
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(repo), str(PLAN)],
        env=env,
        capture_output=True,
        check=False,
    )
    lines = log.read_text().splitlines() if log.exists() else []
    return done.returncode, lines


PLAN = Path()


def _fresh(template: Path, where: Path) -> Path:
    global PLAN
    PLAN = template.parent / "plan.pickle"
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(template, where, symlinks=True)
    return where


def _check(repo: Path, before: dict, after: dict, what: str) -> str | None:
    killed = snapshot(repo)
    note = recover(open_repo(repo))
    state = snapshot(repo)
    assert state in (before, after), f"half-done state after a kill {what}"
    if state != killed:
        assert note, f"recovery changed the repository without saying so ({what})"
    assert not state["locks"], f"a lock was left behind after a kill {what}"
    assert not list((repo / ".git").glob("modeltrail-index-*"))
    assert (repo / "scratch.txt").read_text() == "notes\n"
    assert (repo / "other.txt").read_text() == "edited\n"
    done = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--no-progress"], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert recover(open_repo(repo)) is None  # nothing left to do
    return note


def test_kill_before_or_after_every_git_step_and_inside_the_work_tree_update(
    template, tools, tmp_path, fixed_env
):
    reference = _fresh(template, tmp_path / "reference")
    before = snapshot(reference)
    rc, steps = _run(reference, tools, tmp_path)
    assert rc == 0
    after = snapshot(reference)
    assert after != before
    update = [i for i, s in enumerate(steps, 1) if " read-tree -m -u " in f" {s} "]
    assert len(update) == 1, steps
    print(f"{len(steps)} git steps; the work-tree update is step {update[0]}")
    repo = tmp_path / "repo"

    for n in range(1, len(steps) + 1):
        _fresh(template, repo)
        rc, _ = _run(repo, tools, tmp_path, MT_AT=n, MT_MODE="before")
        assert rc == -9, f"not killed before step {n}: {steps[n - 1]}"
        _check(repo, before, after, f"before step {n} ({steps[n - 1]})")

    _fresh(template, repo)
    rc, _ = _run(repo, tools, tmp_path, MT_AT=update[0], MT_MODE="after")
    assert rc == -9
    note = _check(repo, before, after, "right after read-tree -u")
    assert note and "restored" in note

    written = N_FILES + 1  # files v1 and v3 both have, that differ (a removal writes none)
    for k in range(1, written + 1):
        _fresh(template, repo)
        rc, _ = _run(repo, tools, tmp_path, MT_AT=update[0], MT_MODE="inside", MT_SMUDGE_AT=k)
        assert rc == -9, f"not killed at file {k}"
        assert (repo / ".git" / "index.lock").exists()  # git's own lock... or ours
        note = _check(repo, before, after, f"inside read-tree -u, at file {k}")
        assert note and "undone" in note and "index.lock" in note, note


def test_recovery_leaves_a_lock_it_does_not_own(template, tools, tmp_path, fixed_env):
    repo = _fresh(template, tmp_path / "repo")
    before = snapshot(repo)
    rc, steps = _run(repo, tools, tmp_path)
    assert rc == 0
    _fresh(template, repo)
    update = next(i for i, s in enumerate(steps, 1) if "read-tree -m -u" in s)
    rc, _ = _run(repo, tools, tmp_path, MT_AT=update, MT_MODE="before")
    assert rc == -9
    lock = repo / ".git" / "index.lock"
    lock.write_text("another git process's lock\n")  # not ours: someone else's now
    killed = snapshot(repo)
    note = recover(open_repo(repo))
    assert note and "another git process" in note and "nothing was touched" in note
    assert lock.read_text() == "another git process's lock\n"
    assert snapshot(repo) == killed
    lock.unlink()  # that process finished
    assert "undone" in (recover(open_repo(repo)) or "")
    assert snapshot(repo) == before
