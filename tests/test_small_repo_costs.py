"""A small repository's `index --rebuild` pays no fixed cost it does not need: the
processes it starts and the disk syncs it waits for are counted here (not timed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo


@pytest.fixture
def small(tmp_path, monkeypatch) -> GitRepo:
    """An MLflow model with metrics and params over a few commits, an origin, no tag."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "small")
    for i in range(4):
        g.commit(
            f"train {i}",
            {
                "models/clf/MLmodel": "flavors:\n  sklearn: {}\n",
                "models/clf/metrics.json": f'{{"auc": 0.{i + 1}}}\n',
                "models/clf/params.yaml": f"depth: {i + 2}\n",
            },
        )
    g.git("remote", "add", "origin", "https://example.com/team/small.git")
    return g


def _modeltrail(repo: Path, *args: str, prefix: list[str] | None = None) -> None:
    cmd = [*(prefix or []), sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *args]
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ})


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    done = subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True)
    return done.returncode == 0  # a container may forbid ptrace


@pytest.mark.skipif(not _strace_works(), reason="needs a working strace")
def test_a_new_catalog_is_synced_to_disk_once_not_at_every_statement(small, tmp_path):
    """The new generation is a temporary file installed only when complete: DuckDB's
    sync at every statement's commit (23 ``fdatasync`` for this repository, most of a
    small rebuild's wall time on a busy disk) bought nothing; its last checkpoint syncs
    it before it is installed. The same for an incremental run."""
    _modeltrail(small.path, "index")
    log = tmp_path / "syncs"
    traced = ["strace", "-f", "-e", "trace=fsync,fdatasync", "-o", str(log)]
    _modeltrail(small.path, "index", "--rebuild", prefix=traced)
    syncs = [ln for ln in log.read_text().splitlines() if "sync(" in ln and "resumed" not in ln]
    assert 1 <= len(syncs) <= 6, syncs
    _modeltrail(small.path, "models")  # the installed catalog opens
    small.commit("train again", {"models/clf/metrics.json": '{"auc": 0.9}\n'})
    log.unlink()
    _modeltrail(small.path, "index", prefix=traced)  # one new commit: the same
    syncs = [ln for ln in log.read_text().splitlines() if "sync(" in ln and "resumed" not in ln]
    assert 1 <= len(syncs) <= 6, syncs
    _modeltrail(small.path, "models")


def _git_commands(trace: Path) -> list[str]:
    """The git commands a GIT_TRACE file saw start, without git's own options."""
    out = []
    for line in trace.read_text().splitlines():
        if "trace: built-in: git " in line:
            words = line.split("trace: built-in: git ", 1)[1].split()
            out.append(next((w for w in words if not w.startswith("-")), ""))
    return out


def test_a_rebuild_starts_few_git_processes_and_asks_the_config_once(small, tmp_path, monkeypatch):
    """Every git process is a fork of this (large) process and a start of git: the
    origin's URL (a root model's name) and whether it is a partial clone (the blob reads)
    come from one ``git config``, and a small rebuild starts no more than 7 in all."""
    _modeltrail(small.path, "index")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    _modeltrail(small.path, "index", "--rebuild")
    gits = _git_commands(trace)
    assert gits.count("config") == 1, gits
    assert len(gits) <= 7, gits


#: runs the ``modeltrail`` program with an object that says when it is freed at the
#: interpreter's teardown, and an ``atexit`` function that says it ran
_PROGRAM = """
import atexit, os, sys
import modeltrail.tui.cli as cli

class Torn:
    def __del__(self):
        os.write(2, b"torn down\\n")

cli._torn = Torn()
atexit.register(lambda: os.write(2, b"atexit ran\\n"))
sys.argv = ["modeltrail", *sys.argv[1:]]
cli.entry()
"""


def _program(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", _PROGRAM, "-C", str(repo), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})


def test_a_command_ends_without_tearing_the_interpreter_down(small):
    """Freeing every module (DuckDB's and pyarrow's too) at exit cost a small index a
    tenth of its CPU: after a command the process ends once its output is flushed and
    its ``atexit`` functions ran, with the command's exit status."""
    done = _program(small.path, "index", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mode"] == "full"  # all of it, flushed
    assert "atexit ran" in done.stderr
    assert "torn down" not in done.stderr
    done = _program(small.path, "versions", "no-such-model")
    assert done.returncode == 2
    assert "unknown model" in done.stderr and "atexit ran" in done.stderr
    listed = _program(small.path, "models", "--json")
    assert [m["name"] for m in json.loads(listed.stdout)] == ["clf"]
