"""#16.8: after a branch rollback the new commit reads as the version whose content it
restores (``= v1.1.0, rolled back from v1.2.0``), in ``versions``, the details and the
version list, and ``models`` (and the TUI's models pane) say main holds v1.1.0's content.

Real git repositories (gitbuilder), the real rollback command, real catalogs, the real app.
"""

from __future__ import annotations

import json
from pathlib import Path

from gitbuilder import GitRepo
from tui_support import frozen_now, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main as cli
from modeltrail.tui.screens.home import HomeScreen

DECL = "m:\n  type: model\n  path: models/m\n"


def run(capsys, repo: Path, *args: str) -> str:
    capsys.readouterr()
    assert cli(["-C", str(repo), *args]) == 0
    return capsys.readouterr().out


def build(root: Path) -> tuple[GitRepo, dict[str, str]]:
    """v1.1.0 is a merge of an experiment (whose commit has the same content, unlabelled
    and older), then v1.2.0 on main; no stages, so a rollback moves the branch."""
    r = GitRepo(root)
    c = {
        "v1.0.0": r.commit("v1", {"artifacts.yaml": DECL, "models/m/metrics.json": '{"auc": 0.8}'})
    }
    r.tag("m@v1.0.0", message="v1.0.0")
    r.branch("exp")
    r.checkout("exp")
    c["exp"] = r.commit("exp: better", {"models/m/metrics.json": '{"auc": 0.85}'})
    r.checkout("main")
    c["v1.1.0"] = r.merge("exp", "Merge branch 'exp'")
    r.tag("m@v1.1.0", message="v1.1.0")
    c["v1.2.0"] = r.commit("v1.2", {"models/m/metrics.json": '{"auc": 0.7}'})
    r.tag("m@v1.2.0", message="v1.2.0")
    return r, c


def rolled_back(tmp_path: Path, capsys) -> tuple[GitRepo, dict[str, str]]:
    r, c = build(tmp_path / "repo")
    run(capsys, r.path, "rollback", "m", "--to", "v1.1.0", "--reason", "auc fell", "--yes")
    c["rollback"] = r.git("rev-parse", "HEAD").strip()
    return r, c


def test_versions_show_the_rollback_commit_as_the_version_it_restores(tmp_path, capsys):
    r, c = rolled_back(tmp_path, capsys)
    versions = json.loads(run(capsys, r.path, "versions", "m", "--json"))
    newest = versions[0]
    assert newest["commit"] == c["rollback"]
    # the labelled v1.1.0, not the older unlabelled experiment commit with equal content
    assert newest["version"] == "= v1.1.0"
    assert newest["same_as"] == c["v1.1.0"]
    assert newest["rolled_back_from"] == "v1.2.0"
    assert "= v1.1.0, rolled back from v1.2.0" in run(capsys, r.path, "versions", "m")


def test_models_say_main_holds_the_restored_versions_content(tmp_path, capsys):
    r, _c = rolled_back(tmp_path, capsys)
    (model,) = json.loads(run(capsys, r.path, "models", "--json"))
    assert model["latest"] == "v1.2.0"
    assert model["main"]["content_of"] == "v1.1.0"
    assert model["main"]["rolled_back_from"] == "v1.2.0"
    assert "main = v1.1.0, rolled back from v1.2.0" in run(capsys, r.path, "models")


def test_models_say_nothing_of_main_before_a_rollback(tmp_path, capsys):
    r, _c = build(tmp_path / "repo")
    (model,) = json.loads(run(capsys, r.path, "models", "--json"))
    assert model["main"]["content_of"] == "v1.2.0"
    assert "main" not in run(capsys, r.path, "models").split("\n", 1)[1]


@run_async
async def test_tui_shows_the_rollback_as_the_restored_version(tmp_path, capsys):
    r, _c = rolled_back(tmp_path, capsys)
    app = ModeltrailApp(str(r.path), index=False, now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        text = screen_text(pilot.app)
        assert "main = v1.1.0,  " in text  # the models pane (a side column: two lines)
        assert "    rolled back from v1.2.0  " in text
        first = pilot.app.screen.version_list.render_line(1).text
        assert "= v1.1.0 ↶" in first
        assert "= v1.1.0, rolled back from v1.2.0" in text  # the details' first line
