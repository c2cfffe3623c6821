"""The changes screen (#31.3): what changed lately in the repository, one key from home
(``w``), the window widened with ``d``; at 80x24; repository text shown literally."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, index, run_async, settle, wait_for_text

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.changes import ChangesScreen
from modeltrail.tui.screens.home import HomeScreen

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # the day after the tiny repo's last commit


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("changes-tui") / "repo")
    index(root)
    return root


@run_async
async def test_w_opens_what_changed_and_d_widens_the_window(tiny):
    app = ModeltrailApp(str(tiny), index=False, now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChangesScreen)
        await wait_for_text(pilot, "Changes · last 24 hours · 1 change")
        text = await wait_for_text(pilot, "+ version")
        assert "v1.2.0 →" in text  # from what it replaced
        assert "auc: 0.88 → 0.9 (+0.02)" in text  # the detail: metrics against it
        await pilot.press("d")
        await wait_for_text(pilot, "Changes · last 7 days · 3 changes")
        text = await wait_for_text(pilot, "● assign")
        row = next(line for line in text.splitlines() if "staging" in line and "● assign" in line)
        assert "2026-03-06 10:00" in row
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)


def test_snapshot_changes_80x24(tiny, snap_compare):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("w", "d")
        await settle(pilot)
        await wait_for_text(pilot, "● assign")  # the widened table painted

    app = ModeltrailApp(str(tiny), index=False, now=lambda: NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run)
