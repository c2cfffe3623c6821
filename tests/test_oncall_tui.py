"""The on-call path in the TUI (Pilot, the sample repository): ``r`` on a model rolls its
production stage back to the previous holder; the stage can be picked; a version row keeps
its target; a risky target must be typed; ``z`` twice is named a redo."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show, snapshot
from tui_support import frozen_now, press, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.home import HomeScreen
from modeltrail.tui.screens.rollback import RollbackScreen, UndoScreen

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")

#: From opening the app (churn selected): its prod back to the previous holder.
ON_CALL = ["r", "AUC regression in v1.3.0", "enter", "prod", "enter"]


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@needs_gto
@run_async
async def test_r_on_the_model_rolls_prod_back_to_its_previous_holder(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "● prod v1.3.0 ← v1.2.0" in screen_text(pilot.app)
        await press(pilot, "r")
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "ready"
        text = screen_text(pilot.app)
        assert "Roll back churn prod to v1.2.0" in text
        assert "ROLL BACK churn prod: v1.3.0 → v1.2.0" in text
        await press(pilot, *ON_CALL[1:])
        assert screen.state == "done", screen_text(pilot.app)
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, HomeScreen)
        # v1.3.0 was rolled away from: the previous holder is the one before it
        assert "● prod v1.2.0 ← v1.0.0" in screen_text(pilot.app)
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    body = git(sample, "cat-file", "-p", "refs/tags/churn#prod#11")
    assert "Rollback-Reason: AUC regression in v1.3.0" in body


@needs_gto
@run_async
async def test_the_stage_is_picked_in_the_dialog(sample):
    async with _app(sample).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        screen = pilot.app.screen
        assert "Stage: [prod]  staging   dev" in screen_text(pilot.app)
        await press(pilot, "up", "right")
        assert screen.state == "ready"
        text = screen_text(pilot.app)
        assert "ROLL BACK churn staging: v1.2.0 → v1.1.0" in text
        assert "type prod" not in text  # staging needs no typed confirmation
        await press(pilot, "down", "promote failed", "enter", "enter")
        assert screen.state == "done", screen_text(pilot.app)
    assert gto_show(sample)["churn"]["stage"]["staging"] == "v1.1.0"
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"


@run_async
async def test_r_on_a_version_row_targets_that_version_and_a_stage_it_does_not_hold(sample):
    async with _app(sample).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", "churn v1.1.0", "enter", "r")
        assert "ROLL BACK churn prod: v1.3.0 → v1.1.0" in screen_text(pilot.app)
        await press(pilot, "escape", "ctrl+p", "churn v1.3.0", "enter", "r")
        screen = pilot.app.screen
        assert screen.state == "ready", screen_text(pilot.app)
        # v1.3.0 holds prod and dev already: staging is the stage to move
        assert "ROLL BACK churn staging: v1.2.0 → v1.3.0" in screen_text(pilot.app)


@run_async
async def test_a_risky_target_shows_the_risk_and_asks_for_the_version(sample):
    experiment = git(sample, "rev-parse", "--short=7", "exp/churn-focal-loss")
    before = snapshot(sample)
    async with _app(sample).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", experiment, "enter", "r")
        screen = pilot.app.screen
        text = screen_text(pilot.app)
        assert "risky target: " in text and "not on the main line" in text
        assert "forced" not in text.lower()
        assert f"Risky target: confirm by typing {experiment}" in text
        await press(pilot, "why not", "enter", "prod", "enter")
        assert screen.state == "ready" and not screen.form.ready()
        await press(pilot, "escape")
    assert snapshot(sample) == before


@needs_gto
@run_async
async def test_an_undone_risky_rollback_is_never_proposed_again(sample):
    """Prod forced to an experiment (typed out), then undone: the pair cancels out, the
    models pane and ``r`` go back to the holder before, and prod's name suffices again."""
    experiment = git(sample, "rev-parse", "--short=7", "exp/churn-focal-loss")
    async with _app(sample).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", experiment, "enter", "r", "try it", "enter")
        await press(pilot, experiment, "enter")
        assert pilot.app.screen.state == "done", screen_text(pilot.app)
        await press(pilot, "z", "prod", "enter")
        assert pilot.app.screen.state == "done", screen_text(pilot.app)
        await press(pilot, "escape")
        assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
        assert "● prod v1.3.0 ← v1.2.0" in screen_text(pilot.app)
    async with _app(sample).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "ready"
        text = screen_text(pilot.app)
        assert "ROLL BACK churn prod: v1.3.0 → v1.2.0" in text
        assert "Production: confirm by typing prod" in text and "Risky" not in text


@needs_gto
@run_async
async def test_z_twice_is_called_a_redo(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, *ON_CALL, "z", "prod", "enter")
        assert pilot.app.screen.state == "done"
        await press(pilot, "z")
        redo = pilot.app.screen
        assert isinstance(redo, UndoScreen) and redo.state == "ready"
        text = screen_text(pilot.app)
        assert "REDO ROLL BACK churn prod: v1.3.0 → v1.2.0" in text
        assert "UNDO ROLL BACK" not in text
        assert "Redo the rollback" in text
        await press(pilot, "prod", "enter")
        assert redo.state == "done"
        assert "Redid the rollback" in screen_text(pilot.app)
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"


@run_async
async def test_an_empty_repository_says_what_it_reads_not_indexing_forever(tmp_path):
    from tui_support import commit, wait_for_index, write

    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "README.md", "hello\n")
    commit(root, "readme", "2026-01-01T10:00:00Z")
    async with ModeltrailApp(str(root), now=frozen_now).run_test(size=(100, 30)) as pilot:
        await wait_for_index(pilot)
        text = screen_text(pilot.app)
        assert "no models found — modeltrail reads artifacts.yaml" in text
        assert "indexing" not in text


@run_async
async def test_at_80_columns_every_screen_says_how_to_get_help_and_back(sample):
    """A tired engineer on an 80x24 SSH terminal: the footer of each screen shows ``?
    Help``, and every screen but home its way back (the flow screen's footer once filled
    80 columns with its own keys and lost both)."""
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = screen_text(pilot.app).splitlines()[-1]
        assert "? Help" in footer, footer
        for key in ("f", "h"):
            await press(pilot, key)
            assert not isinstance(pilot.app.screen, HomeScreen), key
            footer = screen_text(pilot.app).splitlines()[-1]
            assert "? Help" in footer and "esc Back" in footer, (key, footer)
            await press(pilot, "escape")
            assert isinstance(pilot.app.screen, HomeScreen), key
