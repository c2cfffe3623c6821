"""The TUI over a workspace (#31.4): every repository's models in one pane, grouped by
repository (``REPO/MODEL`` at 80 columns, a repository column in the side pane from 100);
a repository that cannot be read is a warning row, never the end of the others; every
screen opened from home works on the selected model's repository, and a rollback
writes there only. Real repositories (``workspace_support``), real keys."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_rollback_support import snapshot
from test_tmux import Tmux
from tui_support import frozen_now, press, run_async, screen_text, settle, wait_for_text
from workspace_support import own_cache_home  # noqa: F401

from modeltrail.store.workspace import load_workspace
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main
from modeltrail.tui.commands.open_tui import workspace_members
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.screens.flow import FlowScreen
from modeltrail.tui.screens.history import HistoryScreen
from modeltrail.tui.screens.home import HomeScreen
from modeltrail.tui.screens.rollback import RollbackScreen


def _app(file: Path) -> ModeltrailApp:
    """The app as ``modeltrail --workspace FILE`` opens it (every repository indexed
    first, through the command line's own code), with a frozen clock."""
    members = workspace_members(load_workspace(file))
    return ModeltrailApp(workspace=members, index=False, now=frozen_now)


def _model_rows(text: str) -> list[str]:
    """The models pane's lines (80 columns: the pane spans the screen, on top)."""
    lines = text.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith(("┗", "╰")))
    return [line.strip("┃│ ") for line in lines[1:end]]


@run_async
async def test_every_repository_is_listed_and_the_unreadable_ones_are_warning_rows(ws):
    async with _app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "1 Models (3) · 6 repos, ⚠ 3 unread" in text
        rows = _model_rows(text)
        assert rows[0].startswith("alpha/churn  v1.2.0 (6)  ● prod v1.1.0")
        assert rows[1].startswith("beta/churn  v1.2.0 (6)")
        assert rows[2].startswith("gamma/fraud  2.0.0 (2)")
        assert rows[3].startswith("⚠ broken: not read: git for-each-ref failed")
        assert rows[4].startswith("⚠ gone: not read: not a git repository")
        assert rows[5].startswith("⚠ remote: not read: cannot clone")
        assert "2 Versions · alpha/churn · 5" in text
        # the third repository's model: its own versions and details
        await press(pilot, "j", "j")
        text = await wait_for_text(pilot, "2 Versions · gamma/fraud · 2")
        assert "Details · 2.0.0" in text
        # a repository that could not be read: why, in the panes below
        await press(pilot, "j")
        await wait_for_text(pilot, "⚠ repository broken could not be read")
        text = await wait_for_text(pilot, "⚠ broken: git")
        assert "⚠ broken: git for-each-ref failed: fatal: missing object" in text
        assert pilot.app.active_repo == "gamma"  # the screens stay on a readable one


@run_async
async def test_the_side_pane_has_a_repository_column(ws):
    async with _app(ws).run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        lines = screen_text(pilot.app).splitlines()
        pane = [line[1:39] for line in lines[1:]]  # the 40-column models pane, inside
        assert pane[0].startswith("alpha  churn  v1.2.0 · 6 versions")
        assert pane[1].startswith("         ● prod v1.1.0")  # under the model, past the column
        assert pane[3].startswith("beta   churn  v1.2.0 · 6 versions")
        assert pane[6].startswith("gamma  fraud  2.0.0 · 2 versions")
        assert pane[8].startswith("broken ⚠ not read: git for-each-ref")


@run_async
async def test_a_rollback_on_the_second_repositorys_model_writes_there_only(ws):
    base = ws.parent
    before = {name: snapshot(base / name) for name in ("alpha", "gamma")}
    async with _app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j")  # beta/churn: a model of the same name as alpha's
        await wait_for_text(pilot, "2 Versions · beta/churn · 5")
        await press(pilot, "2", "r")  # roll back to the highlighted version, v1.2.0
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen)
        assert "ROLL BACK churn prod: v1.1.0 → v1.2.0" in screen_text(pilot.app)
        await press(pilot, "bad canary in beta", "enter", "prod", "enter")
        assert screen.state == "done", screen_text(pilot.app)
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, HomeScreen)
        pilot.app.reindex()  # as the index check after a write does (index=False here)
        await settle(pilot)
        rows = _model_rows(screen_text(pilot.app))
        assert "● prod v1.2.0" in rows[1] and rows[1].startswith("beta/churn")
        assert "● prod v1.1.0" in rows[0] and rows[0].startswith("alpha/churn")
        # history reads beta's catalog: the rollback is there ...
        await press(pilot, "h")
        assert isinstance(pilot.app.screen, HistoryScreen)
        await wait_for_text(pilot, "bad canary in beta")
        await press(pilot, "escape", "1", "k")  # ... and not in alpha's
        await wait_for_text(pilot, "2 Versions · alpha/churn")
        await press(pilot, "h")
        await settle(pilot)
        assert "bad canary in beta" not in screen_text(pilot.app)
    tags = subprocess.run(
        ["git", "-C", str(base / "beta"), "tag", "--list", "churn#prod#*"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tags == ["churn#prod#1", "churn#prod#2"]
    body = subprocess.run(
        ["git", "-C", str(base / "beta"), "cat-file", "-p", "refs/tags/churn#prod#2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Rollback-Reason: bad canary in beta" in body
    assert {name: snapshot(base / name) for name in ("alpha", "gamma")} == before


@run_async
async def test_the_palette_jumps_to_a_version_of_another_repository(ws):
    async with _app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", "beta/churn v1.0.0", "enter")
        text = await wait_for_text(pilot, "Details · v1.0.0")
        assert "2 Versions · beta/churn" in text
        assert pilot.app.active_repo == "beta"
        await press(pilot, "w")  # what changed: in every repository
        await wait_for_text(pilot, "Changes · 6 repos · last 24 hours")


@run_async
async def test_flow_and_compare_open_on_the_selected_models_repository(ws):
    async with _app(ws).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j")  # gamma/fraud
        await wait_for_text(pilot, "2 Versions · gamma/fraud · 2")
        await press(pilot, "f")
        assert isinstance(pilot.app.screen, FlowScreen)
        await wait_for_text(pilot, "fraud v2")  # gamma's commits
        await press(pilot, "escape", "2", "space", "j", "space", "c")
        assert isinstance(pilot.app.screen, CompareScreen)
        text = await wait_for_text(pilot, "0.74")
        assert "0.7" in text and "churn" not in text


def test_a_workspace_with_no_readable_repository_is_one_line(tmp_path, capsys):
    file = tmp_path / "workspace.toml"
    file.write_text('[[repo]]\npath = "gone"\n\n[[repo]]\npath = "also-gone"\n')
    assert main(["--workspace", str(file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("modeltrail: no repository of the workspace could be read (gone: ")
    assert "also-gone: not a git repository" in err and "Traceback" not in err


#: a workspace's repositories for the snapshots: errors without temporary paths
SNAPSHOT_WORKSPACE = '[[repo]]\npath = "alpha"\n\n[[repo]]\npath = "beta"\n\n'
SNAPSHOT_WORKSPACE += '[[repo]]\npath = "gamma"\n\n[[repo]]\npath = "broken"\n'


@pytest.mark.parametrize("size", [(80, 24), (120, 30)], ids=["80x24", "120x30"])
def test_snapshot_workspace_home(ws, size, snap_compare):
    ws.write_text(SNAPSHOT_WORKSPACE)

    async def run(pilot):
        await settle(pilot)

    assert snap_compare(_app(ws), terminal_size=size, run_before=run)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("how", ["option", "own file"])
def test_modeltrail_opens_the_tui_over_a_workspace(ws, tmp_path, how):
    """``modeltrail --workspace FILE``, and bare ``modeltrail`` outside a repository with
    the user's own workspace.toml, open the TUI over every repository (they exited 2)."""
    config = tmp_path / "config"
    argv = [sys.executable, "-m", "modeltrail.tui"]
    if how == "option":
        argv += ["--workspace", str(ws)]
    else:
        (config / "modeltrail").mkdir(parents=True)
        text = ws.read_text().replace('path = "', f'path = "{ws.parent}/')
        (config / "modeltrail" / "workspace.toml").write_text(text)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    status = tmp_path / "exit-status"
    command = f"cd {shlex.quote(str(outside))} && {shlex.join(argv)}"
    command += f"; echo $? > {shlex.quote(str(status))}"
    tmux = Tmux(f"modeltrail-ws-{os.getpid()}", "ws")
    try:
        tmux.run(
            "-f", "/dev/null", "new-session", "-d", "-s", tmux.session, "-x", "80", "-y", "24",
            "env", f"XDG_CONFIG_HOME={config}", f"XDG_CACHE_HOME={tmp_path / 'cache'}",
            "TERM=xterm-256color", "sh", "-c", command,
        )  # fmt: skip
        screen = tmux.wait_for("gamma/fraud")
        assert "alpha/churn" in screen and "beta/churn" in screen
        assert "⚠ broken: not read" in screen
        tmux.keys("j")
        tmux.wait_for("2 Versions · beta/churn")
        assert tmux.quit(status) == "0"
    finally:
        tmux.kill()
