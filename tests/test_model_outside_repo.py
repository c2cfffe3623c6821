"""A model whose path leaves the repository (``../``) is ignored, with a warning."""

from __future__ import annotations

import json

from test_cli_hostile import _git

from modeltrail.tui.cli import main

ARTIFACTS = """\
good:
  type: model
  path: models/good/model.pkl
bad:
  type: model
  path: ../outside/model.pkl
sneaky:
  type: model
  path: models/../../elsewhere/model.pkl
"""


def test_a_path_outside_the_repository_warns_and_is_ignored(tmp_path, capsys):
    root = tmp_path / "repo"
    (root / "models" / "good").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "artifacts.yaml").write_text(ARTIFACTS)
    (root / "models" / "good" / "model.pkl").write_text("x")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    assert main(["-C", str(root), "index"]) == 0
    out = capsys.readouterr().out
    assert "bad" in out and "sneaky" in out and "outside the repository" in out
    assert main(["-C", str(root), "models", "--json"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)]
    assert names == ["good"]
