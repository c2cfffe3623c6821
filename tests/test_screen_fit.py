"""Screens a tired person cannot misread, at any size (#28): each screen's help shows its
own keys and glyphs; names are never cut and what wraps stays under what it belongs to;
a narrow terminal keeps the metrics, ``? Help`` and the way back.

Pilot tests on the sample repository (and the tiny one with three stages on a version).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_rollback_support as support
from test_history_screen import _rollback
from tui_support import (
    build_tiny_repo,
    frozen_now,
    index,
    run_async,
    screen_text,
    settle,
    tag,
    wait_for_text,
)

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.screens.flow import FlowScreen
from modeltrail.tui.screens.help import HelpScreen
from modeltrail.tui.screens.history import HistoryScreen
from modeltrail.tui.screens.rollback import RollbackScreen

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

STAGE_GLYPHS = "●◐○◆"


@pytest.fixture(autouse=True)
def unicode_lines(monkeypatch):
    """Box-drawing lines whatever the test runner's encoding."""
    monkeypatch.setenv("MODELTRAIL_ASCII", "0")


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    """The tiny repository with v1.2.0 in prod, staging and dev at once."""
    root = build_tiny_repo(tmp_path_factory.mktemp("fit") / "repo")
    v12 = "churn@v1.2.0^{commit}"
    tag(root, "churn#prod#3", "promote", "2026-03-07T10:00:00Z", v12)
    tag(root, "churn#dev#4", "promote", "2026-03-08T10:00:00Z", v12)
    index(root)
    return root


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


async def _press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def _help(pilot) -> str:
    """The help of the screen on top, as drawn (a tall terminal shows all of it)."""
    await _press(pilot, "question_mark")
    assert isinstance(pilot.app.screen, HelpScreen)
    text = screen_text(pilot.app)
    await _press(pilot, "escape")
    return text


def _footer(pilot) -> str:
    return screen_text(pilot.app).splitlines()[-1]


# --- 2. help and legends per screen -------------------------------------------------------------


@run_async
async def test_each_screens_help_shows_its_own_keys_and_glyphs(sample):
    async with _app(sample).run_test(size=(130, 90)) as pilot:
        await settle(pilot)
        home = await _help(pilot)
        assert "Keys — home" in home
        assert "latest version" in home and "stage: prod, staging, dev, other" in home
        assert "Filter (/)" in home and "filter" in home  # the / key and its language
        assert "R column: reproducible" in home

        await _press(pilot, "f")
        assert isinstance(pilot.app.screen, FlowScreen)
        flow = await _help(pilot)
        assert "Keys — flow" in flow
        assert "a commit that is a model version, or a merge" in flow
        assert "★ beats main" in flow and "an unmerged branch" in flow
        # none of the home screen's meanings, and no / (the flow has no filter)
        assert "latest version" not in flow and "stage: prod" not in flow
        assert "Filter (/)" not in flow and " filter " not in flow
        # ● is a version or merge here: stage badges carry ⚑, never a stage glyph
        graph = screen_text(pilot.app)
        badges = [line for line in graph.splitlines() if "churn:prod" in line]
        assert badges and all("⚑ churn:prod" in line for line in badges)
        assert not any(f"{g} churn:" in graph for g in STAGE_GLYPHS)

        await _press(pilot, "escape", "2", "space", "j", "space", "c")
        assert isinstance(pilot.app.screen, CompareScreen)
        compare = await _help(pilot)
        assert "Keys — compare" in compare
        assert "the best value among the compared versions" in compare
        assert "latest version" not in compare and "Filter (/)" not in compare

        await _press(pilot, "escape", "escape", "h")
        assert isinstance(pilot.app.screen, HistoryScreen)
        history = await _help(pilot)
        assert "Keys — history" in history and "event: rollback" in history
        assert "latest version" not in history and "Filter (/)" not in history


# --- 3. names are never cut -----------------------------------------------------------------------


@run_async
async def test_stage_names_are_whole_and_a_third_badge_stays_under_its_model(staged):
    async with _app(staged).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "● prod ◐ staging ○ dev" in text  # the version list's stages cell, whole
        assert "st…" not in text
        details = next(line for line in text.splitlines() if "★ latest" in line)
        assert details.index("● prod") < details.index("◐ staging") < details.index("○ dev")
        models = text.splitlines()[1:4]  # the models pane, under its border
        # what does not fit goes on an indented line under the model, not at the edge
        assert models[0].startswith("┃churn  v1.2.0")
        assert models[1].startswith("┃  ") and "○ dev" in "".join(models[:2])
        assert not any(line[1] in STAGE_GLYPHS for line in models)


@run_async
async def test_history_shows_the_reason_whole_at_80_columns(sample):
    reason = "AUC regression on the March holdout set, see incident INC-4411"
    _rollback(sample, "churn", "v1.2.0", reason)
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _press(pilot, "h")
        text = await wait_for_text(pilot, "↶ rollback")
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if "↶ rollback" in line)
        why = lines[first].index("AUC regression")
        shown = " ".join(line[why:].strip() for line in lines[first : first + 4])
        assert reason in shown  # wrapped in its column, not cut at the screen's edge
        # continuation lines hold only the reason, under its column
        assert all(not line[:why].strip() for line in lines[first + 1 : first + 3])


@run_async
async def test_rollback_dialog_wraps_long_lines_under_their_value(sample):
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _press(pilot, "r")
        assert isinstance(pilot.app.screen, RollbackScreen)
        lines = (await wait_for_text(pilot, "target")).splitlines()
        at = next(i for i, line in enumerate(lines) if "  target   " in line)
        column = lines[at].index("target") + len("target   ")
        assert lines[at + 1][1:column].strip() == ""  # indented, not at the left edge
        assert lines[at + 1][column] != " "


# --- 4. 60×20 keeps what matters --------------------------------------------------------------


@run_async
async def test_a_narrow_list_keeps_metrics_and_scrolls_to_the_rest(sample):
    async with _app(sample).run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await _press(pilot, "2")
        home = pilot.app.screen
        header = home.version_list.render_line(0).text
        # metrics before branch, date, commit and author; › says more are to the right
        assert "stages" in header and "latency_ms" in header
        assert "date" not in header and "branch" not in header
        assert header.rstrip().endswith("›")
        assert _footer(pilot).strip().startswith("? Help q Quit")
        seen = set(header.split())
        for _ in range(8):  # → scrolls the columns after the version column
            await _press(pilot, "right")
            header = home.version_list.render_line(0).text
            seen |= set(header.split())
        assert header.startswith("‹ version")
        assert {"branch", "date", "commit", "author", "test.auc"} <= seen
        await _press(pilot, "left")
        await _press(pilot, "f")
        assert _footer(pilot).strip().startswith("? Help  esc Back")


@run_async
async def test_columns_give_way_in_order_of_importance(sample):
    async with _app(sample).run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        rows = pilot.app.screen.rows
        every = [c.key for c in rows.columns()]
        assert every[:3] == ["label", "stages", "repro"]
        assert every[-4:] == ["branches", "date", "commit", "author"]
        wide = [c.key for c in rows.layout(200)]
        assert wide == every
        for width in range(120, 30, -1):  # a column is shown only with all before it
            shown = [c.key for c in rows.layout(width)]
            assert shown == every[: len(shown)]
