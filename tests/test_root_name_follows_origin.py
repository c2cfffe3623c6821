"""A model at the repository root is named after the repository (the origin URL's last
part): when the URL changes (`git remote set-url`), the name follows on the next
command, without --rebuild."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main


def _names(capsys, repo) -> list[str]:
    capsys.readouterr()
    assert main(["-C", str(repo), "models", "--json"]) == 0
    return [m["name"] for m in json.loads(capsys.readouterr().out)]


@pytest.fixture
def g(tmp_path, monkeypatch) -> GitRepo:
    """A root model (an MLflow model at the top) in a repository whose origin is alpha."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "work")
    g.commit("model", {"MLmodel": "flavors:\n  sklearn: {}\n", "metrics.json": '{"auc": 1}\n'})
    g.git("remote", "add", "origin", "https://example.com/team/alpha.git")
    return g


def test_root_model_name_follows_the_origin_url(g, capsys):
    assert _names(capsys, g.path) == ["alpha"]
    g.git("remote", "set-url", "origin", "https://example.com/team/beta.git")
    assert _names(capsys, g.path) == ["beta"]
    g.git("remote", "remove", "origin")
    assert _names(capsys, g.path) == ["work"]


def test_nothing_new_asks_git_for_the_name_only_after_its_config_changed(
    g, tmp_path, monkeypatch, capsys
):
    """The "anything new?" check runs before every command (a workspace: once per
    repository), so it spares the `git config` process while git's config is as it was."""
    assert _names(capsys, g.path) == ["alpha"]
    trace = tmp_path / "trace"

    def asked_config() -> bool:
        trace.unlink(missing_ok=True)
        monkeypatch.setenv("GIT_TRACE", str(trace))
        try:
            assert _names(capsys, g.path)
        finally:
            monkeypatch.delenv("GIT_TRACE")
        # (the URL is asked with the promisor setting: `config --get-regexp remote\.origin\.`)
        asked = [ln for ln in trace.read_text().splitlines() if "built-in: git" in ln]
        return any(" config " in ln and "origin" in ln for ln in asked)

    assert not asked_config()
    g.git("config", "user.name", "Someone Else")  # the config file changed: ask again
    assert asked_config()
    assert not asked_config()
