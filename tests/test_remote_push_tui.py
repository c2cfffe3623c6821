"""The rollback and undo dialogs and the remote: a colleague's stage tag on the remote is
shown before anything is written; the new tag is pushed as ``push`` says (ask: ``p``;
always; never), exactly that ref, never forced; a rejected push keeps the local change.

The remote is a local bare repository (a file path: no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show
from test_rollback_tui import ON_CALL_KEYS
from tui_support import frozen_now, press, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.rollback import RollbackScreen, UndoScreen

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
IDENT = ("-c", "user.name=Colleague", "-c", "user.email=c@example.com")


@pytest.fixture
def with_origin(sample: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The sample repository with a bare clone of itself as ``origin`` (main tracks it)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(sample), str(origin))
    git(sample, "remote", "add", "origin", str(origin))
    git(sample, "fetch", "-q", "origin")
    git(sample, "branch", "-q", "-u", "origin/main", "main")
    return sample, origin


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


def _config(repo: Path, text: str) -> None:
    """A ``.modeltrail.toml`` in the work tree (ignored by git)."""
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(".modeltrail.toml\n")
    (repo / ".modeltrail.toml").write_text(text)


def _flat(app) -> str:
    """The screen's words in order, dialog borders left out (wrapped lines join up)."""
    return " ".join(" ".join(line.strip("┃│ ").split()) for line in screen_text(app).splitlines())


def _remote_tags(origin: Path) -> set[str]:
    return set(git(origin, "tag", "-l", "churn#prod#*").split())


@needs_gto
@run_async
async def test_ask_offers_p_which_pushes_exactly_the_new_tag(with_origin) -> None:
    repo, origin = with_origin
    before = _remote_tags(origin)
    heads = git(origin, "for-each-ref", "refs/heads")
    async with _app(repo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS)
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "done"
        text = screen_text(pilot.app)
        assert "p pushes churn#prod#11 to origin" in text, text
        assert _remote_tags(origin) == before  # nothing pushed without asking
        await pilot.press("p")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "✓ pushed churn#prod#11 to origin" in text, text
        assert "p pushes" not in text
    assert _remote_tags(origin) == before | {"churn#prod#11"}
    assert git(origin, "rev-parse", "churn#prod#11") == git(repo, "rev-parse", "churn#prod#11")
    assert git(origin, "for-each-ref", "refs/heads") == heads  # only that ref


@needs_gto
@run_async
async def test_a_colleagues_stage_tag_is_shown_first_and_numbered_above(with_origin) -> None:
    """A colleague already pushed churn#prod#11: the plan says so and writes churn#prod#12
    (never a name the remote holds), whose push goes through; fetching still works."""
    repo, origin = with_origin
    v100 = git(repo, "rev-parse", "churn@v1.0.0^{commit}")
    git(origin, *IDENT, "tag", "-a", "-m", "theirs", "churn#prod#11", v100)
    theirs = git(origin, "rev-parse", "refs/tags/churn#prod#11")
    async with _app(repo).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "ready"
        text = _flat(pilot.app)
        assert "WARNING: origin: the remote has tags that are not here: churn#prod#11" in text
        assert "someone may have acted already" in text
        assert "writes new annotated GTO tag churn#prod#12" in text, text
        assert "origin already holds churn#prod#11: the new tag is churn#prod#12" in text
        await press(pilot, *ON_CALL_KEYS[4:])
        assert screen.state == "done"
        await pilot.press("p")
        await settle(pilot)
        assert "✓ pushed churn#prod#12 to origin" in _flat(pilot.app)
    assert git(origin, "rev-parse", "refs/tags/churn#prod#11") == theirs  # never forced
    assert git(origin, "rev-parse", "churn#prod#12") == git(repo, "rev-parse", "churn#prod#12")
    assert gto_show(repo)["churn"]["stage"]["prod"] == "v1.2.0"
    assert git(repo, "fetch", "-q", "--tags", "origin") == ""  # not stuck


@needs_gto
@run_async
async def test_a_tag_pushed_meanwhile_is_rejected_and_the_result_says_how_to_unstick(
    with_origin,
) -> None:
    """Someone pushes the very name after the plan was made: the push is rejected, the
    local change stays, and the dialog names the command that keeps fetch working."""
    repo, origin = with_origin
    v100 = git(repo, "rev-parse", "churn@v1.0.0^{commit}")
    async with _app(repo).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        assert "churn#prod#11" in _flat(pilot.app)
        git(origin, *IDENT, "tag", "-a", "-m", "theirs", "churn#prod#11", v100)
        theirs = git(origin, "rev-parse", "refs/tags/churn#prod#11")
        await press(pilot, *ON_CALL_KEYS[4:])
        await pilot.press("p")
        await settle(pilot)
        text = _flat(pilot.app)
        assert "✗ NOT pushed" in text and "rejected" in text, text
        assert "git tag -d 'churn#prod#11'" in text
        assert "p pushes churn#prod#11 to origin again" in text
    assert git(origin, "rev-parse", "refs/tags/churn#prod#11") == theirs  # never forced
    assert gto_show(repo)["churn"]["stage"]["prod"] == "v1.2.0"  # the local change stays


def _own_config(text: str) -> Path:
    """The user's own configuration file (the test's $XDG_CONFIG_HOME)."""
    import os

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "modeltrail" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@needs_gto
@run_async
async def test_push_always_pushes_and_undo_is_pushed_too(with_origin) -> None:
    repo, origin = with_origin
    own = _own_config('push = "always"\n')
    async with _app(repo).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        text = _flat(pilot.app)
        assert "push pushes churn#prod#11 to origin" in text, text
        assert f'push = "always" in {own}' in text
        await press(pilot, *ON_CALL_KEYS[4:])
        assert "✓ pushed churn#prod#11 to origin" in screen_text(pilot.app)
        await press(pilot, "z")
        undo = pilot.app.screen
        assert isinstance(undo, UndoScreen)
        await press(pilot, "prod", "enter")
        assert undo.state == "done"
        assert "✓ pushed churn#prod#12 to origin" in screen_text(pilot.app)
    assert {"churn#prod#11", "churn#prod#12"} <= _remote_tags(origin)


@needs_gto
@run_async
async def test_a_repositorys_push_always_is_shown_and_pushes_nothing_unasked(
    with_origin,
) -> None:
    """A cloned repository's .modeltrail.toml says push = "always": the plan says so and
    that it does not apply; nothing is pushed until p (or the user's own config)."""
    repo, origin = with_origin
    _config(repo, 'push = "always"\n')
    before = _remote_tags(origin)
    async with _app(repo).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        text = _flat(pilot.app)
        assert "push not unless you press p once written: churn#prod#11 to origin" in text, text
        assert '.modeltrail.toml says push = "always"; a repository cannot push for you' in text
        await press(pilot, *ON_CALL_KEYS[4:])
        assert pilot.app.screen.state == "done"
        assert _remote_tags(origin) == before  # not pushed for the repository's config
        assert "p pushes churn#prod#11 to origin" in screen_text(pilot.app)
        await pilot.press("p")
        await settle(pilot)
    assert _remote_tags(origin) == before | {"churn#prod#11"}


@needs_gto
@run_async
async def test_push_never_offers_nothing(with_origin) -> None:
    repo, origin = with_origin
    _config(repo, 'push = "never"\n')
    before = _remote_tags(origin)
    async with _app(repo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS)
        text = screen_text(pilot.app)
        assert 'not pushed (push = "never"' in text and "p pushes" not in text
        await pilot.press("p")
        await settle(pilot)
    assert _remote_tags(origin) == before


@needs_gto
@run_async
async def test_a_push_that_raises_says_not_pushed_and_keeps_the_dialog(with_origin) -> None:
    repo, origin = with_origin
    before = _remote_tags(origin)
    async with _app(repo).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS)
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "done"
        head = (repo / ".git" / "HEAD").read_bytes()
        (repo / ".git" / "HEAD").unlink()  # git no longer sees a repository here
        await pilot.press("p")
        await settle(pilot)
        (repo / ".git" / "HEAD").write_bytes(head)
        text = _flat(pilot.app)
        assert pilot.app.is_running and pilot.app.screen is screen
        assert screen.state == "done" and screen.result is not None
        assert "✗ NOT pushed" in text, text
        assert "p pushes churn#prod#11 to origin again" in text
        assert not pilot.app._notifications  # in the dialog, not a notification
    assert _remote_tags(origin) == before
