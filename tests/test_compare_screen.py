"""The compare screen, driven from the home screen as a user would: mark versions with
``space``, press ``c``, then switch tabs, baselines, targets, metrics and branches.

Pilot tests check what the user sees (table cells, notes, the plot's series); snapshot
tests pin the look at 80×24 (one under ``NO_COLOR``) and of the trend plot.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from tui_support import press, settle

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.query.queries import resolve_version
from modeltrail.store.read.gitdiff import commit_resolver
from modeltrail.store.repo import open_repo
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.widgets.trend_plot import TrendPlot

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CHURN_DIR = "models/churn"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample repository, indexed (fixed dates, so the screens are deterministic)."""
    root = build_sample_repo(tmp_path_factory.mktemp("compare") / "sample")
    update_catalog(open_repo(root))
    return root


def sync(test):
    """Run an async test body with asyncio (no async pytest plugin is installed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


def _app(root: Path) -> ModeltrailApp:
    return ModeltrailApp(str(root), index=False, now=lambda: NOW)


# churn's main line, newest first: v1.3.0, v1.2.0, v1.1.0 ...; space marks in place.
MARK_V13_V12 = ("2", "space", "j", "space")


async def open_from_home(pilot, marks=MARK_V13_V12) -> CompareScreen:
    """Mark versions on the home screen and press c, as a user does."""
    await settle(pilot)
    await press(pilot, *marks, "c")
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def open_compare(pilot, *versions: str, model: str = "churn") -> CompareScreen:
    """Open the compare screen on the named versions directly (faster than marking)."""
    await settle(pilot)
    con = pilot.app.connection().cursor()  # the home screen's workers share the connection
    try:
        commit_of = commit_resolver(pilot.app.repo)
        commits = [
            resolve_version(con, model, v, commit_of=commit_of)["commit"]
            for v in versions or V12_V13
        ]
    finally:
        con.close()
    await pilot.app.push_screen(CompareScreen(model, commits))
    await settle(pilot)
    return pilot.app.screen


V12_V13 = ("v1.2.0", "v1.3.0")
FOCAL = "exp/churn-focal-loss"  # the unmerged experiment beating main (test.auc 0.889)


def row_texts(table: DataTable) -> list[list[str]]:
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


def row_of(table: DataTable, key: str, col: int = 0) -> list[str]:
    for row in row_texts(table):
        if row[col] == key:
            return row
    raise AssertionError(f"no row {key!r} in {[r[col] for r in row_texts(table)]}")


def static_text(screen, selector: str) -> str:
    content = screen.query_one(selector, Static).content
    return content.plain if hasattr(content, "plain") else str(content)


# --- metrics --------------------------------------------------------------------------------


@sync
async def test_compare_from_home_shows_metrics_with_deltas_and_best(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_from_home(pilot)
        assert screen.model == "churn"
        versions = [v["version"] for v in screen.data["versions"]]
        assert versions == ["v1.2.0", "v1.3.0"]  # oldest first
        table = screen.query_one("#metrics-table", DataTable)
        headers = [c.label.plain for c in table.columns.values()]
        assert headers == ["metric", "dir", "v1.2.0 (base)", "v1.3.0"]
        auc = row_of(table, "test.auc")
        assert auc[1] == "↑"
        assert auc[2] == "0.874 ★"  # best: higher is better
        assert auc[3] == "0.851 ▼-0.023"  # worse than the baseline
        loss = row_of(table, "test.loss")
        assert loss[1] == "↓" and loss[2] == "0.372 ★" and loss[3] == "0.405 ▼+0.033"
        assert "baseline v1.2.0" in static_text(screen, "#compare-title")


@sync
async def test_baseline_key_moves_the_deltas(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "b")
        table = screen.query_one("#metrics-table", DataTable)
        assert [c.label.plain for c in table.columns.values()][2:] == ["v1.2.0", "v1.3.0 (base)"]
        auc = row_of(table, "test.auc")
        assert auc[2] == "0.874 ★ ▲+0.023" and auc[3] == "0.851"
        assert "baseline v1.3.0" in static_text(screen, "#compare-title")


@sync
async def test_three_versions_mark_best_of_all(sample):
    async with _app(sample).run_test(size=(120, 30)) as pilot:
        screen = await open_compare(pilot, "v1.2.0", FOCAL, "v1.3.0")
        focal = pilot.app.repo.git.rev_parse("--short=7", "--end-of-options", FOCAL)
        assert [v["version"] for v in screen.data["versions"]] == ["v1.2.0", "v1.3.0", focal]
        auc = row_of(screen.query_one("#metrics-table", DataTable), "test.auc")
        assert auc[2:] == ["0.874", "0.851 ▼-0.023", "0.889 ★ ▲+0.015"]


# --- params, artifacts, files ---------------------------------------------------------------


@sync
async def test_params_changed_only_then_all(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "2")
        table = screen.query_one("#params-table", DataTable)
        changed = [r[1] for r in row_texts(table)]
        assert changed == ["features"]
        features = row_of(table, "features", col=1)
        assert features[0] == "≠" and features[3] == "+tenure_bucket"
        assert "changed params only: 1 of" in static_text(screen, "#params-note")
        await press(pilot, "a")
        keys = [r[1] for r in row_texts(table)]
        assert "model.max_depth" in keys and len(keys) > 5
        assert row_of(table, "model.max_depth", col=1)[0] == ""  # unchanged: no mark
        assert static_text(screen, "#params-note").startswith("all params")


@sync
async def test_artifacts_and_environment(sample):
    async with _app(sample).run_test(size=(120, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "3")
        table = screen.query_one("#artifacts-table", DataTable)
        model = row_of(table, "model.pkl", col=1)
        assert model[0] == "≠" and model[2] == "lfs"
        sized_hash = re.compile(r"\d+\.\d KiB [0-9a-f]{7}( \(missing\))?")
        assert sized_hash.fullmatch(model[3]) and sized_hash.fullmatch(model[4])
        assert model[3] != model[4]
        train = row_of(table, "train.py", col=1)
        assert train[2] == "git" and train[0] == "≠"
        env = screen.query_one("#env-table", DataTable)
        pandas = row_of(env, "pandas", col=1)
        assert pandas[2] == "requirements.txt" and pandas[3].startswith("==")


@sync
async def test_files_list_and_syntax_highlighted_diff(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "4")
        table = screen.query_one("#files-table", DataTable)
        rows = row_texts(table)
        paths = [r[3] for r in rows]
        assert f"{CHURN_DIR}/train.py" in paths and f"{CHURN_DIR}/params.yaml" in paths
        assert all(p.startswith(f"{CHURN_DIR}/") for p in paths)
        params = row_of(table, f"{CHURN_DIR}/params.yaml", col=3)
        assert params[:3] == ["modified", "+1", "-0"]
        assert "files changed from v1.2.0 to v1.3.0" in static_text(screen, "#files-note")
        table.move_cursor(row=paths.index(f"{CHURN_DIR}/params.yaml"))
        await press(pilot, "enter")
        view = screen.query_one("#diff-view")
        assert view.has_class("-open") and screen.focused is view
        code = screen.query_one("#diff-text", Static).content.code
        assert "\n+  - tenure_bucket\n" in code
        await press(pilot, "escape")
        assert not view.has_class("-open") and screen.focused is table
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, CompareScreen)


@sync
async def test_target_key_picks_the_other_version(sample):
    async with _app(sample).run_test(size=(120, 30)) as pilot:
        screen = await open_compare(pilot, "v1.2.0", FOCAL, "v1.3.0")
        focal = screen.data["versions"][2]["version"]
        await press(pilot, "4")
        assert f"from v1.2.0 to {focal}" in static_text(screen, "#files-note")
        await press(pilot, "t")
        assert "from v1.2.0 to v1.3.0" in static_text(screen, "#files-note")


# --- trend ----------------------------------------------------------------------------------


@sync
async def test_trend_plot_metric_and_branch_keys(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "5")
        plot = screen.query_one("#trend-plot", TrendPlot)
        first = plot.series
        assert first.branch is None and first.scope == "the main line"
        assert first.marked == set(screen.commits)
        labels = [p["version"] for p in first.points]
        assert labels[-2:] == ["v1.2.0", "v1.3.0"]
        await press(pilot, "m")
        assert plot.series.metric != first.metric
        assert plot.series.metric == screen.metric_keys[1]
        await press(pilot, "n")  # then the versions each branch holds
        assert plot.series.branch == screen.branches[1] == "main"
        assert len(plot.series.points) > 10  # main holds the merged branches' versions too
        note = static_text(screen, "#trend-note")
        assert "m: metric 2/" in note and "n: versions 2/" in note


@sync
async def test_trend_plots_the_versions_the_list_shows(sample):
    """#28.6: the trend covers the version list's versions (the main line, or every
    branch after b), not every version main's history holds, and its title says which."""
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = pilot.app.screen
        screen = await open_from_home(pilot)
        await press(pilot, "5")
        plot = screen.query_one("#trend-plot", TrendPlot)
        listed = [home.rows.commit_at(r) for r in range(len(home.rows))]
        assert [p["commit"] for p in plot.series.points] == listed[::-1]
        assert len(listed) == 5
        assert "on the main line, as listed" in plot.render().plain
        await press(pilot, "escape", "escape", "b")  # back, clear the marks, every branch
        screen = await open_from_home(pilot, ("space", "j", "space"))
        await press(pilot, "5")
        plot = screen.query_one("#trend-plot", TrendPlot)
        listed = [home.rows.commit_at(r) for r in range(len(home.rows))]
        assert [p["commit"] for p in plot.series.points] == listed[::-1]
        assert len(listed) > 5
        assert "on all branches, as listed" in plot.render().plain


@sync
async def test_trend_plot_marks_versions_by_shape(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot)
        await press(pilot, "5")
        while screen.query_one("#trend-plot", TrendPlot).series.metric != "test.auc":
            await press(pilot, "m")
        plot = screen.query_one("#trend-plot", TrendPlot)
        drawn = plot.render().plain
        assert "test.auc on the main line, as listed (higher is better)" in drawn
        assert drawn.count("●") >= 2 + 2  # two marked points and the legend's two
        assert "○" in drawn and "v1.2.0" in drawn and "v1.3.0" in drawn


# --- hostile text and stale metrics ---------------------------------------------------------


def _git(root: Path, *args: str, date: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A model whose metric keys, params and tags carry markup and escape sequences;
    its second version changes params and code but not the metrics (stale)."""
    root = tmp_path_factory.mktemp("hostile") / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main", date="2026-01-01T00:00:00Z")
    d = root / "models" / "evil"
    d.mkdir(parents=True)
    (d / "model.yaml").write_text("name: evil\n")
    metrics = {"[bold red]auc[/]": 0.5, "esc\x1b[31m": 1.0}
    (d / "metrics.json").write_text(json.dumps(metrics))
    (d / "params.yaml").write_text('lr: "[link=http://x]click[/link]"\n')
    (d / "train.py").write_text("print('\x1b[2J')\n")  # a real escape character
    _git(root, "add", "-A", date="2026-01-01T00:00:00Z")
    _git(root, "commit", "-q", "-m", "one", date="2026-01-01T00:00:00Z")
    _git(root, "tag", "evil-v1.0.0", date="2026-01-01T00:00:00Z")
    (d / "params.yaml").write_text('lr: "[/]\\x1b]8;;http://x\\x07"\n')  # YAML escapes
    (d / "train.py").write_text("print(2)\n")
    _git(root, "commit", "-qam", "two", date="2026-01-02T00:00:00Z")
    _git(root, "tag", "evil-v1.1.0", date="2026-01-02T00:00:00Z")
    update_catalog(open_repo(root))
    return root


@sync
async def test_repository_text_is_shown_literally_and_stale_is_flagged(hostile):
    async with _app(hostile).run_test(size=(100, 30)) as pilot:
        screen = await open_from_home(pilot, ("2", "space", "j", "space"))
        table = screen.query_one("#metrics-table", DataTable)
        keys = [r[0] for r in row_texts(table)]
        assert "[bold red]auc[/]" in keys
        assert "esc\\x1b[31m" in keys  # the escape is made visible, not sent
        title = static_text(screen, "#compare-title")
        assert "~ stale metrics: v1.1.0" in title
        assert "v1.1.0 ~stale" in [c.label.plain for c in table.columns.values()]
        await press(pilot, "2")
        lr = row_of(screen.query_one("#params-table", DataTable), "lr", col=1)
        assert lr[2] == "[link=http://x]click[/link]"
        assert "\x1b" not in lr[3] and "\x07" not in lr[3]
        await press(pilot, "4")
        files = screen.query_one("#files-table", DataTable)
        paths = [r[3] for r in row_texts(files)]
        files.move_cursor(row=paths.index("models/evil/train.py"))
        await press(pilot, "enter")
        syntax = screen.query_one("#diff-text", Static).content
        assert "-print('\\x1b[2J')" in syntax.code  # the file's text, literally
        assert "\x1b" not in syntax.code


# --- snapshots ------------------------------------------------------------------------------


async def _to_compare(pilot, *after: str) -> None:
    await open_compare(pilot)
    await press(pilot, *after)


def test_snapshot_metrics_80x24(sample, snap_compare):
    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=_to_compare)


def test_snapshot_metrics_no_color(sample, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=_to_compare)


def test_snapshot_params_80x24(sample, snap_compare):
    async def run(pilot):
        await _to_compare(pilot, "2", "a")

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


def test_snapshot_file_diff_80x24(sample, snap_compare):
    async def run(pilot):
        await _to_compare(pilot, "4")
        table = pilot.app.screen.query_one("#files-table", DataTable)
        paths = [r[3] for r in row_texts(table)]
        table.move_cursor(row=paths.index(f"{CHURN_DIR}/train.py"))
        await press(pilot, "enter")

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


def test_snapshot_trend_plot(sample, snap_compare):
    async def run(pilot):
        await _to_compare(pilot, "5")
        screen = pilot.app.screen
        while screen.query_one("#trend-plot", TrendPlot).series.metric != "test.auc":
            await press(pilot, "m")

    assert snap_compare(_app(sample), terminal_size=(100, 30), run_before=run)


@sync
async def test_a_metrics_table_painted_before_it_is_idle_shows_its_columns_whole(sample):
    """A compare table painted right after its rows arrive (a loaded machine paints before
    the table is next idle) shows each column at its widest cell, not at its header's width."""
    from tui_support import screen_text, wait_for_text

    async with _app(sample).run_test(size=(120, 30)) as pilot:
        screen = await open_from_home(pilot)
        await settle(pilot)
        long_key = "a_metric_with_a_long_name_nobody_cuts"
        screen.loaded["metrics"][0]["key"] = long_key
        screen._fill_metrics()
        screen_text(pilot.app)  # painted at once, before the table is idle
        await settle(pilot)
        assert long_key in await wait_for_text(pilot, long_key, limit_s=5)
