"""SHA-256 repositories: refused with one clear line on every command, never wrong data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_cli_hostile import _git

from modeltrail.store.errors import UsageError
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sha256") / "repo"
    root.mkdir()
    try:
        _git(root, "init", "-q", "--object-format=sha256", "-b", "main")
    except subprocess.CalledProcessError:
        pytest.skip("this git cannot create SHA-256 repositories")
    (root / "models" / "m").mkdir(parents=True)
    (root / "models" / "m" / "model.yaml").write_text("name: m\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    _git(root, "tag", "m@v1.0.0")
    return root


def test_open_repo_refuses(repo):
    with pytest.raises(UsageError, match="SHA-256"):
        open_repo(repo / "models")


@pytest.mark.parametrize(
    "argv",
    [["index"], ["models"], ["versions", "m"], ["rollback", "m", "--to", "v1.0.0", "--dry-run"]],
)
def test_every_command_says_so_in_one_line(repo, capsys, argv):
    assert main(["-C", str(repo), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "SHA-256" in err
    assert not (repo / ".git" / "modeltrail").exists()  # no catalog of wrong data
