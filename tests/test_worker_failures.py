"""A worker that fails is reported by the one worker-failure handler: one literal line
where the screen shows it (or a notification), never a traceback, and the app goes on."""

from __future__ import annotations

import shutil
from pathlib import Path

import test_rollback_support as support
from tui_support import frozen_now, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.audit import AuditScreen
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.screens.history import HistoryScreen

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

HOSTILE = "v9\x1b]0;pwned\x07\x1b[2J"


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@run_async
async def test_a_compare_of_unknown_versions_is_a_literal_notification(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = CompareScreen("churn", [HOSTILE, "0" * 40])
        await pilot.app.push_screen(screen)
        await settle(pilot)
        assert pilot.app.is_running and pilot.app.screen is screen
        notes = [n for n in pilot.app._notifications if n.title == "Compare"]
        assert notes, "the failure was not reported"
        assert "\x1b" not in notes[-1].message and "\x07" not in notes[-1].message
        assert "pwned" in notes[-1].message  # shown, as text


@run_async
async def test_an_audit_that_cannot_read_the_repository_says_so_in_its_title(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        shutil.rmtree(Path(sample) / ".git" / "refs")  # the repository is gone from under us
        shutil.rmtree(Path(sample) / ".git" / "objects")
        (Path(sample) / ".git" / "HEAD").unlink()
        await pilot.app.push_screen(AuditScreen("churn"))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert pilot.app.is_running
        assert text.splitlines()[0].strip().startswith("Audit: "), text
        assert "Traceback" not in text


@run_async
async def test_history_of_a_catalog_gone_bad_says_so_in_its_title(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.connection().close()  # as a catalog that went away would leave it
        await pilot.app.push_screen(HistoryScreen("churn"))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert pilot.app.is_running
        assert text.splitlines()[0].strip().startswith("History: "), text
