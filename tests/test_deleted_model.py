"""A model whose files were deleted: the deletion is not a version, latest is the newest
version where the model exists, and the model is marked deleted (JSON and on screen)."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main

MLMODEL = "flavors:\n  sklearn: {}\nrun_id: abc\n"


@pytest.fixture
def deleted(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("add", {"models/mf/MLmodel": MLMODEL, "models/mf/metrics.json": '{"auc": 0.7}\n'})
    better = g.commit("better", {"models/mf/metrics.json": '{"auc": 0.8}\n'})
    g.commit("readme", {"README.md": "x\n"})
    gone = g.commit("delete mf", {"models/mf/MLmodel": None, "models/mf/metrics.json": None})
    return g, better, gone


def _run(capsys, argv):
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_a_deletion_is_no_version_and_the_model_says_deleted(deleted, capsys):
    g, better, gone = deleted
    models = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    (mf,) = models
    assert mf["latest"] == better[:7] and mf["versions"] == 2
    assert mf["deleted"]["commit"] == gone
    assert mf["deleted"]["date"].startswith("2026-01-05")
    versions = json.loads(_run(capsys, ["-C", str(g.path), "versions", "mf", "--json"]))
    assert gone not in [v["commit"] for v in versions]
    table = _run(capsys, ["-C", str(g.path), "models"])
    assert "deleted" in table and gone[:7] in table


def test_a_model_that_exists_is_not_marked_deleted(deleted, capsys):
    g, _, _ = deleted
    g.commit("back", {"models/mf/MLmodel": MLMODEL, "models/mf/metrics.json": '{"auc": 0.9}\n'})
    (mf,) = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    assert mf["deleted"] is None and mf["versions"] == 3
