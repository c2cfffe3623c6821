"""The real ``modeltrail`` in a real 60×20 terminal (tmux): every pane fits the width,
nothing is drawn past the edge, and the keys still work (a small SSH window at 3 a.m.).

``COLUMNS`` and ``LINES`` are exported wrong on purpose, as a shell, a script or a test
runner may leave them: the app must draw for the terminal it is in."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from test_tmux import Tmux
from tui_support import build_tiny_repo, index

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_a_60_by_20_terminal_shows_every_pane_whole(tmp_path: Path):
    repo = build_tiny_repo(tmp_path / "repo")
    index(repo)
    tmux = Tmux(f"modeltrail-small-{os.getpid()}", "mt")
    status = tmp_path / "exit-status"
    command = shlex.join([sys.executable, "-m", "modeltrail.tui", "-C", str(repo)])
    command += f"; echo $? > {shlex.quote(str(status))}"
    unset = ["-u", "NO_COLOR", "COLUMNS=100", "LINES=30"]
    try:
        tmux.run("-f", "/dev/null", "new-session", "-d", "-s", tmux.session, "-x", "60",
                 "-y", "20", "env", *unset, "TERM=xterm-256color", "sh", "-c", command)  # fmt: skip
        screen = tmux.wait_for("2 Versions · churn")
        screen = tmux.wait_for("Details · v1.")
        lines = screen.splitlines()
        assert len(lines) <= 20 and all(len(line) <= 60 for line in lines)
        # each pane's frame closes at the right edge: drawn for this width, not a wider one
        tops = [line for line in lines if line.startswith(("┏", "╭"))]
        assert len(tops) == 3, screen
        assert all(line.rstrip()[-1] in "┓╮" and len(line.rstrip()) == 60 for line in tops)
        assert lines[-1].startswith("? Help") and "q Quit" in lines[-1]
        assert "auc" in screen  # the version list keeps a metric at 60 columns
        tmux.keys("2", "j")  # the versions pane, one down
        tmux.wait_for("▶ 89bc13d")
        tmux.keys("w")  # what changed: its table fits too
        screen = tmux.wait_for("Changes · last 24 hours")
        assert all(len(line) <= 60 for line in screen.splitlines())
        tmux.keys("Escape")
        tmux.wait_for("2 Versions · churn")
        assert tmux.quit(status) == "0"
    finally:
        tmux.kill()
