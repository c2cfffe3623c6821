"""#16.10: exit statuses agree with the README (unknown version: 2 in every command) and
an empty repository says what modeltrail reads. Real repositories, the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, git, index

from modeltrail.tui.cli import main as cli


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("exit") / "repo")
    index(root)
    return root


@pytest.mark.parametrize(
    "argv",
    [
        ["diff", "churn", "v9.9.9", "v1.0.0"],
        ["diff", "churn", "v1.0.0", "v9.9.9"],
        ["checkout", "churn", "v9.9.9"],
        ["rollback", "churn", "--to", "v9.9.9", "--reason", "x", "--yes"],
        ["rollback", "churn", "--to", "v9.9.9", "--branch", "main", "--reason", "x", "--dry-run"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unknown_version_exits_2_in_every_command(tiny, capsys, argv):
    before = git(tiny, "for-each-ref") + git(tiny, "status", "--porcelain")
    assert cli(["-C", str(tiny), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown" in err[0] and "v9.9.9" in err[0]
    assert git(tiny, "for-each-ref") + git(tiny, "status", "--porcelain") == before


def test_an_empty_repository_says_what_modeltrail_reads(tmp_path, capsys):
    root = tmp_path / "empty"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    assert cli(["-C", str(root), "models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no models found — modeltrail reads artifacts.yaml")
    assert "dvc.yaml" in out and "MLmodel" in out
