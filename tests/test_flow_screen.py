"""The flow screen on the sample repository, driven from the home screen as a user would.

Pilot tests check what the user sees (rows, labels, the metric at each point, the details
panel) and what the keys do (cycle the metric, jump between merges and winners, switch to
ASCII, open a version on the home screen); snapshot tests pin the look at 80×24 (one in
ASCII under ``NO_COLOR``) and at 120×36.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tui_support import (
    build_tiny_repo,
    commit,
    git,
    index,
    press,
    run_async,
    screen_text,
    settle,
    wait_for_index,
    write,
)

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.flow import FlowScreen
from modeltrail.tui.widgets.flow_graph import FlowGraph

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
BOX = set("│─┼┤├╮╭╯╰┴┬●○▶★▲▼")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = build_sample_repo(tmp_path_factory.mktemp("flow-screen") / "sample")
    repo = open_repo(root)
    try:
        update_catalog(repo)
    finally:
        repo.close()
    return root


@pytest.fixture(scope="module")
def ids(sample) -> dict[str, str]:
    """Short ids of the sample's landmarks, looked up by name (the generator fixes them)."""

    def rev(name: str) -> str:
        return git_out(sample, "rev-parse", "--verify", "--end-of-options", name + "^{commit}")

    def subject(text: str) -> str:
        return git_out(sample, "log", "--all", "--format=%H", "-F", f"--grep={text}")

    return {
        # exp/churn-focal-loss: churn test.auc 0.889 against main's 0.851, unmerged
        "focal": rev("exp/churn-focal-loss")[:7],
        # exp/churn-subsample-0.7: test.auc 0.858, unmerged
        "subsample": rev("exp/churn-subsample-0.7")[:7],
        "dedupe_merge": subject("Merge branch 'exp/recsys-dedupe-items' into integration")[:7],
        # the merge of integration into main released as churn v1.3.0 (in prod)
        "v1.3.0": rev("churn@v1.3.0")[:7],
    }


def git_out(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(autouse=True)
def unicode_lines(monkeypatch):
    """Box-drawing lines whatever the test runner's encoding (tests that want ASCII say so)."""
    monkeypatch.setenv("MODELTRAIL_ASCII", "0")


def _app(root: Path) -> ModeltrailApp:
    return ModeltrailApp(str(root), index=False, now=lambda: NOW)


async def open_flow(pilot) -> FlowScreen:
    await settle(pilot)
    await press(pilot, "f")
    screen = pilot.app.screen
    assert isinstance(screen, FlowScreen)
    return screen


def graph_lines(app) -> list[str]:
    """The graph rows on screen (between the header and the details panel)."""
    graph = app.screen.query_one(FlowGraph)
    region = graph.content_region
    lines = screen_text(app).splitlines()
    return [line[region.x : region.right] for line in lines[region.y : region.bottom]]


def line_with(app, short: str) -> str:
    matches = [line for line in graph_lines(app) if short in line]
    assert matches, f"{short} not on screen"
    return matches[0]


def current_short(screen: FlowScreen) -> str:
    return screen.data.graph.ids[screen.graph.current_commit][:7]


@run_async
async def test_rows_show_lanes_metric_labels_and_winners(sample, ids):
    app = _app(sample)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_flow(pilot)
        text = screen_text(app)
        assert "churn test.auc ↑" in text.splitlines()[0]
        top = graph_lines(app)[0]
        # newest first: the unmerged focal-loss experiment, beating main's 0.851
        assert top.startswith("▶") and ids["focal"] in top
        assert "0.889" in top and "[exp/churn-focal-loss]" in top
        assert "★ beats main 0.889 vs 0.851" in top
        release = line_with(app, ids["v1.3.0"])
        assert "(churn@v1.3.0)" in release and "⚑ churn:prod" in release
        assert "0.851 ▼-0.023" in release  # v1.2.0 (0.874) → v1.3.0: worse
        merge = line_with(app, ids["dedupe_merge"])
        assert "╮" in merge and "Merge branch 'exp/recsys-dedupe-items' into integration" in merge
        assert "[integration]" in text and "[main]" in text
        # the parked subsample experiment also beats main, a merged one does not
        assert "[exp/churn-tenure-buckets] ★" not in text


@run_async
async def test_metric_cycles_and_details_follow_the_cursor(sample, ids):
    app = _app(sample)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_flow(pilot)
        await press(pilot, "m")
        assert "churn test.f1 ↑ (2/" in screen_text(app).splitlines()[0]
        await press(pilot, "m")
        assert "churn latency_ms ↓ (3/" in screen_text(app).splitlines()[0]
        assert "10.2 ▼+0.4" in graph_lines(app)[0]  # latency: higher is worse
        await press(pilot, "M", "M")
        assert "churn test.auc ↑ (1/" in screen_text(app).splitlines()[0]
        await press(pilot, "n")  # the next merge down the history
        assert current_short(screen) == ids["dedupe_merge"]
        details = screen_text(app)
        assert "merge exp/recsys-dedupe-items → integration" in details
        assert "recsys" in details and "better" in details
        await press(pilot, "n")
        assert current_short(screen) == ids["v1.3.0"]
        details = screen_text(app)
        assert "merge integration → main" in details
        assert "churn v1.3.0 (was v1.2.0): test.auc 0.851 ▼-0.023 worse" in details
        await press(pilot, "N")
        assert current_short(screen) == ids["dedupe_merge"]


@run_async
async def test_beats_main_jumps_between_unmerged_winners(sample, ids):
    app = _app(sample)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_flow(pilot)
        await press(pilot, "j", "b")
        assert current_short(screen) == ids["subsample"]
        assert "exp/churn-subsample-0.7: unmerged" in screen_text(app)
        assert "★ beats main on test.auc: 0.858 vs 0.851" in screen_text(app)
        await press(pilot, "b")  # wraps around to the newest winner
        assert current_short(screen) == ids["focal"]


@run_async
async def test_ascii_fallback_by_key_and_by_environment(sample, ids, monkeypatch):
    app = _app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_flow(pilot)
        assert BOX & set("".join(graph_lines(app)))
        await press(pilot, "a")
        lines = graph_lines(app)
        assert not BOX & set("".join(lines))
        assert "! beats main 0.889 vs 0.851" in lines[0]
        assert "*-+-+" in line_with(app, ids["dedupe_merge"])  # was ●─┼─╮
    monkeypatch.setenv("MODELTRAIL_ASCII", "1")
    app = _app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_flow(pilot)
        assert not BOX & set("".join(graph_lines(app)))


@run_async
async def test_enter_opens_the_version_on_the_home_screen(sample, ids):
    app = _app(sample)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_flow(pilot)
        await press(pilot, "n", "n")
        assert current_short(screen) == ids["v1.3.0"]
        await press(pilot, "enter")
        await settle(pilot)
        home = app.screen
        assert not isinstance(home, FlowScreen)
        assert home.model == "churn"
        assert home.version_list.current_commit.startswith(ids["v1.3.0"])


@run_async
async def test_small_terminal_scrolls_to_the_first_commit(sample):
    app = _app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flow(pilot)
        rows = screen.graph.rows
        assert len(graph_lines(app)) < rows  # more history than fits
        await press(pilot, "G")
        bottom = graph_lines(app)[-1]
        assert bottom.startswith("▶") and "Initial commit" in bottom
        await press(pilot, "escape")
        assert not isinstance(app.screen, FlowScreen)


@run_async
async def test_only_visible_rows_are_drawn(sample, monkeypatch):
    drawn: set[int] = set()
    original = FlowGraph.row_text

    def counting(self, row):
        drawn.add(row)
        return original(self, row)

    monkeypatch.setattr(FlowGraph, "row_text", counting)
    app = _app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flow(pilot)
        height = screen.graph.scrollable_content_region.height
        assert drawn and max(drawn) < height < screen.graph.rows
        drawn.clear()
        await press(pilot, "G")  # the far end: only the last screenful is drawn
        assert drawn and min(drawn) >= screen.graph.rows - height


@run_async
async def test_catalog_update_reloads_and_keeps_the_cursor(tmp_path):
    root = build_tiny_repo(tmp_path / "tiny")
    index(root)
    app = _app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_flow(pilot)
        await press(pilot, "j")
        kept = current_short(screen)
        git(root, "checkout", "-q", "-b", "exp/wider", "main")
        write(root, "models/churn/metrics.json", {"auc": 0.93, "loss": 0.2})
        commit(root, "churn: wider trees", "2026-03-12T10:00:00Z")
        app.reindex()
        await wait_for_index(pilot)
        await settle(pilot)
        text = screen_text(app)
        assert "[exp/wider] ★ beats main 0.93 vs 0.88" in text
        assert current_short(screen) == kept


# --- snapshots ------------------------------------------------------------------------------


async def _to_flow(pilot, *after: str) -> None:
    await open_flow(pilot)
    await press(pilot, *after)


def test_snapshot_flow_80x24(sample, snap_compare):
    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=_to_flow)


def test_snapshot_flow_ascii_no_color(sample, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("MODELTRAIL_ASCII", "1")
    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=_to_flow)


def test_snapshot_flow_release_merge_120x36(sample, snap_compare):
    async def run(pilot):
        await _to_flow(pilot, "n", "n")

    assert snap_compare(_app(sample), terminal_size=(120, 36), run_before=run)
