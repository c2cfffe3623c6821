"""Personal settings belong to the person: key bindings and the theme are read from the
user's own ``$XDG_CONFIG_HOME/modeltrail/config.toml`` (a temporary directory in every
test: conftest), never from the repository's ``.modeltrail.toml``, which keeps the
team's facts and warns of a personal section, saying where it belongs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Static
from tui_support import build_tiny_repo, frozen_now, index, run_async, settle, write

from modeltrail.store.config import load_config, load_user_config, user_config_path
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main as cli
from modeltrail.tui.screens.help import HelpScreen
from modeltrail.tui.screens.home import HomeScreen


def _own(text: str) -> Path:
    path = user_config_path()
    assert path == Path(os.environ["XDG_CONFIG_HOME"]) / "modeltrail" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The tiny repository whose own file rebinds keys and sets a theme (ignored), beside
    team facts (kept)."""
    root = build_tiny_repo(tmp_path_factory.mktemp("personal") / "repo")
    write(
        root,
        ".modeltrail.toml",
        'main = "main"\ntheme = "nord"\n[metrics]\nauc = "lower"\n'
        '[keys]\nmark = "m"\ncompare = "x"\n',
    )
    index(root)
    return root


def test_the_repository_file_keeps_team_facts_and_warns_of_personal_ones(repo):
    cfg = load_config(repo)
    assert cfg.main == "main" and cfg.direction("auc") == "lower"  # team facts: read
    assert cfg.keys == {} and cfg.theme is None  # personal: not from a repository
    where = str(user_config_path())
    (keys,) = [w for w in cfg.warnings if "[keys]" in w]
    assert keys.startswith(".modeltrail.toml: [keys] ignored: personal settings")
    assert f"belong in your own {where}" in keys
    (theme,) = [w for w in cfg.warnings if w.startswith(".modeltrail.toml: theme ignored")]
    assert where in theme


def test_pyproject_keys_are_ignored_with_the_same_warning(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.modeltrail.keys]\ncompare = "C"\n')
    cfg = load_config(tmp_path)
    assert cfg.keys == {}
    assert cfg.warnings == [
        f"pyproject.toml: [keys] ignored: personal settings (key bindings, theme) belong "
        f"in your own {user_config_path()}, not in the repository"
    ]


def test_the_users_own_file_holds_keys_and_theme():
    _own('theme = "nord"\npush = "never"\n[keys]\ncompare = "C"\nmark = "m"\n')
    own = load_user_config()
    assert own.keys == {"compare": "C", "mark": "m"} and own.theme == "nord"
    assert own.push == "never" and own.warnings == []
    _own('theme = 3\n[keys]\ncompare = 1\nmark = ""\n[bindings]\nx = "y"\n')
    own = load_user_config()
    assert own.keys == {} and own.theme is None
    assert len(own.warnings) == 4  # each said: the key, the empty key, bindings, theme
    assert any("[bindings] ignored: key bindings go under [keys]" in w for w in own.warnings)


def test_the_cli_says_where_the_repository_s_keys_belong(repo, capsys):
    assert cli(["-C", str(repo), "models"]) == 0
    err = capsys.readouterr().err
    assert "modeltrail: warning: .modeltrail.toml: [keys] ignored: personal settings" in err
    assert str(user_config_path()) in err


class _App(ModeltrailApp):
    """The app, keeping every notification it showed (a loaded machine can be slower
    than a toast's timeout)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path), index=False, now=frozen_now)
        self.said: list[str] = []

    def notify(self, message, *args, **kwargs) -> None:
        self.said.append(str(message))
        super().notify(message, *args, **kwargs)


def _notes(app: _App) -> list[str]:
    return app.said


@run_async
async def test_a_cloned_repository_does_not_rebind_the_users_keys(repo):
    async with _App(repo).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = pilot.app.screen
        assert isinstance(home, HomeScreen)
        await pilot.press("2", "space")  # space still marks: the repository's m is not used
        assert len(home.version_list.marked_commits) == 1
        await pilot.press("m")
        assert len(home.version_list.marked_commits) == 1
        assert pilot.app.theme != "nord"
        notes = _notes(pilot.app)
        assert any("[keys] ignored" in n and str(user_config_path()) in n for n in notes)


@run_async
async def test_the_users_keys_and_theme_apply_and_an_unknown_id_is_a_warning(repo):
    own = _own('theme = "nord"\n[keys]\nmark = "m"\ncompare_versions = "C"\n')
    async with _App(repo).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = pilot.app.screen
        assert pilot.app.theme == "nord"
        await pilot.press("2", "m")
        assert len(home.version_list.marked_commits) == 1
        notes = _notes(pilot.app)
        assert f"[keys] in {own}: no binding has the id compare_versions (? lists the ids)" in (
            notes
        )
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        shown = " ".join(str(w.content) for w in pilot.app.screen.query(Static))
        assert f"Remap any key by id in your own {own}:  [keys]" in shown


@run_async
async def test_an_unknown_theme_is_a_warning(repo):
    _own('theme = "no-such-theme"\n')
    async with _App(repo).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert any("theme 'no-such-theme' ignored" in n for n in _notes(pilot.app))


def test_every_binding_id_in_the_source_is_known():
    """An id a user maps is checked against :func:`known_binding_ids`: it finds every
    binding the source declares (a new screen's too)."""
    import re

    from modeltrail.tui.binding_ids import known_binding_ids

    tui = Path(__file__).resolve().parents[1] / "tui"
    declared = {
        ident
        for source in tui.rglob("*.py")
        for ident in re.findall(
            r"Binding\((?:[^()]|\([^()]*\))*?\bid=\"(\w+)\"", source.read_text(encoding="utf-8")
        )
    }
    assert len(declared) > 50
    assert declared <= known_binding_ids()
