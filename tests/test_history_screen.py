"""The history screen: stage events, rollbacks and undos; undo from there."""

from __future__ import annotations

from pathlib import Path

import test_rollback_support as support
from tui_support import frozen_now, run_async, screen_text, settle, wait_for_text

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback, plan_undo
from modeltrail.store.write.rollback_apply import apply_plan
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.history import HistoryScreen
from modeltrail.tui.screens.home import HomeScreen
from modeltrail.tui.screens.rollback import UndoScreen

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


def _rollback(repo: Path, model: str, to: str, reason: str) -> None:
    r = open_repo(repo)
    con = open_catalog(r)
    plan = plan_rollback(r, con, model, to, reason=reason)
    con.close()
    apply_plan(r, plan)


def _undo(repo: Path) -> None:
    r = open_repo(repo)
    con = open_catalog(r)
    plan = plan_undo(r, con)
    con.close()
    apply_plan(r, plan)


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@run_async
async def test_history_shows_rollbacks_with_who_and_why_and_toggles_to_all_models(sample):
    _rollback(sample, "churn", "v1.2.0", "AUC regression [bold]x[/]")
    _rollback(sample, "ranker", "2.1.0", "ndcg drop")
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        text = await wait_for_text(pilot, "v1.3.0 → v1.2.0")
        assert "History · churn" in text
        lines = text.splitlines()
        first = next(line for line in lines if "↶ rollback" in line)
        assert "prod" in first and "v1.3.0 → v1.2.0" in first
        assert "AUC regression [bold]x[/]" in first  # literal, never markup
        assert "Sam Rivera" in first
        assert "ndcg drop" not in text  # another model's rollback
        assert "● assign" in text and "+ register" in text
        # the highlighted event's full message, below
        assert "ref churn#prod#11" in text and "Rollback-Model: churn" not in first
        await pilot.press("a")
        await settle(pilot)
        text = await wait_for_text(pilot, "2.2.0 → 2.1.0")
        assert "History · all models" in text
        top = next(line for line in text.splitlines() if "↶ rollback" in line)
        assert "ranker" in top and "2.2.0 → 2.1.0" in top and "ndcg drop" in top
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)


@run_async
async def test_undo_from_the_history_screen(sample):
    _rollback(sample, "ranker", "2.1.0", "ndcg drop")
    head = support.git(sample, "rev-parse", "HEAD")
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        undo = pilot.app.screen
        assert isinstance(undo, UndoScreen) and undo.state == "ready"
        assert "UNDO ROLL BACK ranker branch main: 2.1.0 → 2.2.0" in screen_text(pilot.app)
        await pilot.press("enter", "enter")  # the optional reason left empty, then Undo
        await settle(pilot)
        assert undo.state == "done", screen_text(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        history = pilot.app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.press("a")  # it opened on churn, the selected model: show all
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "↷ undo" in text and "2.1.0 → 2.2.0" in text
    assert support.git(sample, "rev-parse", "HEAD~1") == head


@run_async
async def test_history_of_a_repository_without_events(tmp_path, fixed_env):
    from gitbuilder import GitRepo

    g = GitRepo(tmp_path / "r")
    g.commit("m", {"m/model.yaml": "name: m\nversion: 1.0.0\n"})
    async with ModeltrailApp(str(g.path), index=True, now=frozen_now).run_test(
        size=(80, 24)
    ) as pilot:
        from tui_support import wait_for_index

        await wait_for_index(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert "no stage events, rollbacks or undos yet" in screen_text(pilot.app)


def test_snapshot_history_80x24(sample, snap_compare):
    _rollback(sample, "churn", "v1.2.0", "AUC regression in v1.3.0")
    _undo(sample)
    _rollback(sample, "churn", "v1.2.0", "confirmed: v1.3.0 is worse")

    async def run(pilot):
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await wait_for_text(pilot, "confirmed: v1.3.0")  # the table painted

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)
