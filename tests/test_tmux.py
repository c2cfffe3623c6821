"""The real ``modeltrail`` in a real terminal (tmux, 80×24): opens, navigates, quits.

The repository's commit messages and tags carry an OSC "set title" sequence; the pane's
title must not change. tmux runs on a private socket; the session is always killed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_support import build_hostile_repo

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

DEADLINE = 30.0  # seconds to wait for the app to draw something (a slow, shared machine)


class Tmux:
    """A tmux server on its own socket, holding one session."""

    def __init__(self, socket: str, session: str) -> None:
        self.socket = socket
        self.session = session

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )
        return out.stdout

    def capture(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def title(self) -> str:
        return self.run("display-message", "-p", "-t", self.session, "#{pane_title}").strip()

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.session, key)

    def wait_for(self, text: str) -> str:
        """Poll the pane until ``text`` shows (or fail after DEADLINE seconds)."""
        end = time.monotonic() + DEADLINE
        screen = ""
        while time.monotonic() < end:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the pane shows:\n{screen}")

    def quit(self, status: Path) -> str:
        """Press ``q`` and wait for the shell to write the app's exit status to ``status``
        (or fail after DEADLINE seconds); the status written."""
        self.keys("q")
        end = time.monotonic() + DEADLINE
        while not status.exists() and time.monotonic() < end:
            time.sleep(0.1)
        assert status.exists(), "the app did not quit on q"
        return status.read_text().strip()

    def kill(self) -> None:
        self.run("kill-server")


def test_real_app_in_tmux_navigates_quits_and_keeps_the_title(tmp_path: Path):
    repo = build_hostile_repo(tmp_path / "repo")
    tmux = Tmux(f"modeltrail-test-{os.getpid()}", "mt")
    status = tmp_path / "exit-status"  # the shell writes the app's exit status here
    command = shlex.join([sys.executable, "-m", "modeltrail.tui", "-C", str(repo)])
    command += f"; echo $? > {shlex.quote(str(status))}"
    env_unset = ["-u", "NO_COLOR"]
    try:
        tmux.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            tmux.session,
            "-x",
            "80",
            "-y",
            "24",
            "env",
            *env_unset,
            "TERM=xterm-256color",
            "sh",
            "-c",
            command,
        )
        before = tmux.title()
        screen = tmux.wait_for("Models")
        screen = tmux.wait_for("● prod v1.0.0")  # indexed in the background, then painted
        assert "indexed" in screen
        assert "[@click=app.quit]odd[/]" in screen
        tmux.keys("j")  # the second model: evil
        # evil's own two rows (the title names a model at once; its rows follow the load)
        screen = tmux.wait_for("2 Versions · evil · 2 ·")
        tmux.keys("2", "j", "Enter")
        screen = tmux.wait_for("first [bold]x[/]")  # details of the first commit, literally
        assert "\\x1b]0;pwned\\x07" in screen
        tmux.keys("Escape")  # back to the versions (alone: ESC + key would read as alt+key)
        tmux.wait_for("┏━ 2 Versions")
        tmux.keys("/", "l", "o", "s", "s", "<", "0", ".", "2", "5")
        screen = tmux.wait_for("filter loss<0.25 → 1 of 2")
        tmux.keys("Escape")
        screen = tmux.wait_for("2 Versions · evil · 2")
        tmux.keys("?")
        tmux.wait_for("Keys — home")
        tmux.keys("Escape")
        tmux.wait_for("2 Versions · evil · 2")
        after = tmux.title()
        assert "pwned" not in after
        assert after == before
        assert tmux.quit(status) == "0"
        assert "pwned" not in tmux.title()
    finally:
        tmux.kill()
