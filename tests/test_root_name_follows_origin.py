"""A model at the repository root is named after the repository (the origin URL's last
part): when the URL changes (`git remote set-url`), the name follows on the next
command, without --rebuild."""

from __future__ import annotations

import json

from gitbuilder import GitRepo

from modeltrail.tui.cli import main


def _names(capsys, repo) -> list[str]:
    capsys.readouterr()
    assert main(["-C", str(repo), "models", "--json"]) == 0
    return [m["name"] for m in json.loads(capsys.readouterr().out)]


def test_root_model_name_follows_the_origin_url(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "work")
    g.commit("model", {"MLmodel": "flavors:\n  sklearn: {}\n", "metrics.json": '{"auc": 1}\n'})
    g.git("remote", "add", "origin", "https://example.com/team/alpha.git")
    assert _names(capsys, g.path) == ["alpha"]
    g.git("remote", "set-url", "origin", "https://example.com/team/beta.git")
    assert _names(capsys, g.path) == ["beta"]
    g.git("remote", "remove", "origin")
    assert _names(capsys, g.path) == ["work"]
