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
        # wait for the table's text itself: the detail pane below says "+ version" as soon
        # as the rows arrive, while the table measures its columns only when idle
        text = await wait_for_text(pilot, "v1.2.0 →")
        assert "v1.2.0 →" in text  # from what it replaced
        assert "auc: 0.88 → 0.9 (+0.02)" in text  # the detail: metrics against it
        await pilot.press("d")
        await wait_for_text(pilot, "Changes · last 7 days · 3 changes")
        text = await wait_for_text(pilot, "2026-03-06 10:00")  # a row of the table, not the detail
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


@run_async
async def test_a_table_painted_before_it_measured_its_columns_still_shows_them_whole(tiny):
    """A loaded machine can paint a table between its rows arriving and the table measuring
    them (when it is next idle); the columns must not stay at the headers' widths."""
    from rich.text import Text
    from tui_support import screen_text

    app = ModeltrailApp(str(tiny), index=False, now=lambda: NOW)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChangesScreen)
        rows = [dict(screen.rows[0], model="a-model-with-a-long-name")]
        cells = [[Text("a-long-event-word"), Text("the-version-cell")]]
        screen.fill(None, rows, ["event", "version"], cells, Text("refilled"))
        screen_text(pilot.app)  # painted at once, before the table is idle
        await settle(pilot)
        text = await wait_for_text(pilot, "the-version-cell")
        assert "a-model-with-a-long-name" in text
        assert "a-long-event-word" in text and "the-version-cell" in text
