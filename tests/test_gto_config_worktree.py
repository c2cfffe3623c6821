"""``.gto`` is read from the work tree, as gto reads it: an edit takes effect on the
next command without --rebuild (no commit, no ref moved); a broken one is a warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main

GTO = Path(sys.executable).parent / "gto"


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("m", {"artifacts.yaml": "m:\n  type: model\n  path: models/m.pkl\n",
                   "models/m.pkl": "weights\n"})  # fmt: skip
    g.tag("m@v1.0.0", message="register")
    g.tag("m#prod#1", message="assign prod")
    g.tag("m#staging#2", message="assign staging")
    return g


def _stages(capsys, repo: Path) -> dict:
    capsys.readouterr()
    assert main(["-C", str(repo), "models", "--json"]) == 0
    (m,) = json.loads(capsys.readouterr().out)
    return m["stages"]


def _gto_stages(repo: Path) -> dict:
    out = subprocess.run(
        [str(GTO), "show", "--json"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)["m"]["stage"]


def test_an_edit_of_dot_gto_counts_on_the_next_command(registry, capsys):
    repo = registry.path
    assert set(_stages(capsys, repo)) == {"prod", "staging"}
    (repo / ".gto").write_text("stages: [prod]\n")  # not committed, as gto allows
    assert set(_stages(capsys, repo)) == {"prod"}
    (repo / ".gto").unlink()
    assert set(_stages(capsys, repo)) == {"prod", "staging"}


def test_stages_shown_agree_with_gto_after_the_edit(registry, capsys):
    repo = registry.path
    _stages(capsys, repo)
    (repo / ".gto").write_text("stages: [staging]\n")
    assert _stages(capsys, repo) == _gto_stages(repo) == {"staging": "v1.0.0"}


def test_a_broken_dot_gto_is_a_warning(registry, capsys):
    repo = registry.path
    _stages(capsys, repo)
    (repo / ".gto").write_text("stages: prod\n")  # not a list: gto refuses it
    capsys.readouterr()
    assert main(["-C", str(repo), "index"]) == 0
    out, err = capsys.readouterr()
    assert ".gto" in out + err
    (repo / ".gto").write_text("stages: [prod]\n")  # fixed: the warning goes
    assert main(["-C", str(repo), "index"]) == 0
    out, err = capsys.readouterr()
    assert ".gto" not in out + err
