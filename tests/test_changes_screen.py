"""The changes screen (#31.3): what changed lately in the repository, one key from home
(``w``), the window widened with ``d``; at 80x24; repository text shown literally. Over a
workspace (``workspace_support``): every repository's changes, named by repository, and
a repository that cannot be read a warning line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_workspace_tui import SNAPSHOT_WORKSPACE
from tui_support import (
    build_tiny_repo,
    commit,
    index,
    run_async,
    settle,
    wait_for_text,
    write,
)
from workspace_support import NAMES, own_cache_home  # noqa: F401

from modeltrail.store.workspace import load_workspace
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main
from modeltrail.tui.commands.open_tui import workspace_members
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
        # enter on a change: home, on its version (staging's v1.2.0, the second row)
        await pilot.press("w")
        await wait_for_text(pilot, "Changes · last 24 hours")
        screen = pilot.app.screen
        assert isinstance(screen, ChangesScreen)
        await pilot.press("d")
        await wait_for_text(pilot, "Changes · last 7 days · 3 changes")
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert pilot.app.screen.version_list.current_commit == screen.rows[1]["commit"]


@run_async
async def test_the_detail_says_why_first_and_never_splits_a_metric(tmp_path):
    """The on-call question is why: it comes before the metrics, which are packed whole
    on the lines left, the ones that do not fit counted (a retrain with 14 metrics)."""
    root = build_tiny_repo(tmp_path / "repo")
    names = [f"slice_{i:02d}.recall" for i in range(14)]
    for hour, base in ((11, 0.5), (12, 0.6)):
        write(root, "models/churn/metrics.json", {n: base + i / 100 for i, n in enumerate(names)})
        commit(root, f"churn: retrain at {hour}:00 on the March data", f"2026-03-10T{hour}:00:00Z")
    index(root)
    app = ModeltrailApp(str(root), index=False, now=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        text = await wait_for_text(pilot, "why: churn: retrain at 12:00 on the March data")
        lines = text.splitlines()
        why = next(i for i, line in enumerate(lines) if "why: churn: retrain at 12:00" in line)
        assert "slice_00.recall: 0.5 → 0.6 (+0.1)" in lines[why + 1]  # whole, right after
        shown = sum(line.count(".recall: ") for line in lines[why + 1 :])
        assert f"+{14 - shown} more" in text and 4 <= shown < 14


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


# --- over a workspace (#31.3 in the TUI) -------------------------------------------------


def _ws_app(file: Path) -> ModeltrailApp:
    """The TUI as ``modeltrail --workspace FILE`` opens it, the day after alpha's and
    beta's last commit (gamma's are older; broken, gone and remote cannot be read)."""
    members = workspace_members(load_workspace(file))
    return ModeltrailApp(workspace=members, index=False, now=lambda: NOW)


def _table_lines(text: str) -> list[str]:
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if "when (UTC)" in line)
    return [line.strip() for line in lines[head + 1 :] if line.strip()]


@run_async
async def test_over_a_workspace_every_repositorys_changes_are_listed_by_name(ws):
    async with _ws_app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        screen = pilot.app.screen
        assert isinstance(screen, ChangesScreen)
        text = await wait_for_text(pilot, "Changes · 6 repos · last 24 hours · 2 changes")
        text = await wait_for_text(pilot, "beta/churn")  # the table measured: REPO/model
        rows = _table_lines(text)
        assert rows[0].startswith("alpha/churn  2026-03-10 10:00  + version")
        assert rows[1].startswith("beta/churn   2026-03-10 10:00  + version")
        # a repository that cannot be read is a warning line, the others still listed
        assert "⚠ broken: not read: git for-each-ref failed" in text
        assert "⚠ gone: not read: not a git repository" in text
        assert "⚠ remote: not read: cannot clone" in text, text
        assert "+ version  alpha/churn  commit" in text  # the detail names the repository
        await pilot.press("d")  # a week: both repositories' stage assignments, newest first
        await wait_for_text(pilot, "last 7 days · 6 changes")
        text = await wait_for_text(pilot, "beta/churn   2026-03-05")
        found = [(c["repo"], c["timestamp"], c["event"]) for c in screen.rows]
        assert found == [
            ("alpha", "2026-03-10T10:00:00Z", "version"),
            ("beta", "2026-03-10T10:00:00Z", "version"),
            ("alpha", "2026-03-06T10:00:00Z", "assign"),
            ("beta", "2026-03-06T10:00:00Z", "assign"),
            ("alpha", "2026-03-05T10:00:00Z", "assign"),
            ("beta", "2026-03-05T10:00:00Z", "assign"),
        ]
        # enter: home, on that change's model and version, in its repository
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert pilot.app.active_repo == "beta"
        await wait_for_text(pilot, "2 Versions · beta/churn")
        assert pilot.app.screen.version_list.current_commit == screen.rows[1]["commit"]


@run_async
async def test_a_wide_workspace_changes_screen_has_a_repository_column(ws):
    async with _ws_app(ws).run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        text = await wait_for_text(pilot, "beta   churn")
        rows = _table_lines(text)
        assert rows[0].startswith("alpha  churn  2026-03-10 10:00  + version")
        assert rows[1].startswith("beta   churn  2026-03-10 10:00  + version")
        assert "repo   model  when (UTC)" in text
        await pilot.resize_terminal(80, 24)  # narrower: the repository before the model
        text = await wait_for_text(pilot, "beta/churn   2026-03-10")
        assert "repo " not in text


@run_async
async def test_the_workspace_answers_are_kept_for_the_changes_command(ws, capsys):
    """The screen keeps each repository's answer beside its catalog, as the command
    does, and the command then answers from it (the same changes)."""
    base = ws.parent
    kept = [base / name / ".git" / "modeltrail" / "changes.cache.json" for name in NAMES]
    assert not any(path.exists() for path in kept)
    async with _ws_app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await wait_for_text(pilot, "beta/churn")
    assert all(path.exists() for path in kept)
    # a kept answer is what the command prints (the file rewritten with a mark to prove it)
    doc = json.loads(kept[0].read_text())
    doc["changes"][0]["reason"] = "answered from the kept file"
    kept[0].write_text(json.dumps(doc))
    assert main(["--workspace", str(ws), "changes", "--since", "2026-03-10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["reason"] for c in out if c["repo"] == "alpha"] == ["answered from the kept file"]


def test_snapshot_workspace_changes_80x24(ws, snap_compare):
    ws.write_text(SNAPSHOT_WORKSPACE)

    async def run(pilot):
        await settle(pilot)
        await pilot.press("w", "d")
        await settle(pilot)
        await wait_for_text(pilot, "beta/churn   2026-03-05")  # the widened table painted

    assert snap_compare(_ws_app(ws), terminal_size=(80, 24), run_before=run)
