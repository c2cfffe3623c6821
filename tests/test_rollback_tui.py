"""The rollback and undo dialogs, driven by keys through the real app on the sample repo."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show, snapshot
from tui_support import frozen_now, press, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.home import HomeScreen
from modeltrail.tui.screens.rollback import RollbackScreen, UndoScreen

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")

#: From opening the app to a committed production rollback of churn to v1.2.0 (the bar: fewer than 10).
ON_CALL_KEYS = [
    "ctrl+p",  # command palette
    "churn v1.2.0",  # typed: jump to the version
    "enter",
    "r",  # rollback dialog: plan shown, Cancel focused
    "AUC regression in v1.3.0",  # typed: the reason (typing starts the reason field)
    "enter",  # on to the confirmation
    "prod",  # typed: the production stage's name
    "enter",  # write
]


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@needs_gto
@run_async
async def test_on_call_production_rollback_in_under_ten_key_presses(sample):
    assert len(ON_CALL_KEYS) < 10
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen)
        text = screen_text(pilot.app)
        assert "churn#prod#11" in text and "v1.3.0 → v1.2.0" in text
        assert "better" in text  # metric deltas with words
        assert "confirm by typing prod" in text
        await press(pilot, *ON_CALL_KEYS[4:])
        assert screen.state == "done", screen_text(pilot.app)
        text = screen_text(pilot.app)
        assert "churn prod is now v1.2.0" in text
        assert "z undoes it" in text
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    body = git(sample, "cat-file", "-p", "refs/tags/churn#prod#11")
    assert "Rollback-Reason: AUC regression in v1.3.0" in body


@run_async
async def test_enter_on_an_empty_reason_says_one_is_needed_and_writes_nothing(sample):
    before = snapshot(sample)
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        screen = pilot.app.screen
        assert screen.form.selected == "reason"
        await press(pilot, "enter", "enter")
        assert pilot.app.screen is screen and screen.state == "ready"
        assert "a reason is needed" in screen_text(pilot.app)
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, HomeScreen)
    assert snapshot(sample) == before


@run_async
async def test_a_wrong_confirmation_writes_nothing(sample):
    before = snapshot(sample)
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4], "flaky", "enter", "production", "enter")
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "ready"
        assert not screen.form.ready()
        assert "type prod exactly" in screen_text(pilot.app)
        await press(pilot, "escape")
    assert snapshot(sample) == before


@run_async
async def test_missing_lfs_object_is_a_loud_warning(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", "churn v1.0.0", "enter", "r")
        assert "WARNING" in screen_text(pilot.app)
        assert "NOT available locally" in screen_text(pilot.app)


@run_async
async def test_a_refusal_is_shown_and_nothing_changes(sample):
    (sample / "models" / "ranker" / "rank.py").write_text("# local work\n")
    before = snapshot(sample)
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", "ranker 2.0.0", "enter", "r")
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "failed"
        text = screen_text(pilot.app)
        assert "Refused" in text and "uncommitted changes under models/ranker/" in text
        assert "Nothing was changed" in text
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, HomeScreen)
    assert snapshot(sample) == before


@needs_gto
@run_async
async def test_z_after_the_rollback_undoes_it_after_confirming(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS)
        await press(pilot, "z")
        undo = pilot.app.screen
        assert isinstance(undo, UndoScreen) and undo.state == "ready"
        text = screen_text(pilot.app)
        assert "UNDO ROLL BACK churn prod: v1.2.0 → v1.3.0" in text
        assert "churn#prod#11" in text  # what it undoes
        assert undo.form.selected == "confirm"  # the reason is optional for an undo
        await press(pilot, "prod", "enter")
        assert undo.state == "done", screen_text(pilot.app)
        await press(pilot, "escape")
        home = pilot.app.screen
        assert isinstance(home, HomeScreen)
        assert "● prod v1.3.0" in screen_text(pilot.app)
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    assert "Rollback-Undoes: churn#prod#11" in git(
        sample, "cat-file", "-p", "refs/tags/churn#prod#12"
    )


@run_async
async def test_home_screen_shows_the_new_stage_holder_after_the_rollback(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS, "escape")
        assert isinstance(pilot.app.screen, HomeScreen)
        assert "● prod v1.2.0" in screen_text(pilot.app)


@run_async
async def test_reason_with_markup_is_recorded_and_shown_literally(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])
        await press(pilot, "[bold]x[/] [link=file:///etc]y", "enter", "prod", "enter")
        assert pilot.app.screen.state == "done"
    body = git(sample, "cat-file", "-p", "refs/tags/churn#prod#11")
    assert "Rollback-Reason: [bold]x[/] [link=file:///etc]y" in body


def test_snapshot_rollback_dialog_80x24(sample, snap_compare):
    async def run(pilot):
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4])

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


def test_snapshot_rollback_dialog_no_color(sample, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run(pilot):
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS[:4], "AUC regression", "enter")

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


def test_snapshot_rollback_done_80x24(sample, snap_compare):
    async def run(pilot):
        await settle(pilot)
        await press(pilot, *ON_CALL_KEYS)

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)
