"""The on-call rollback through the real ``modeltrail`` in a real terminal (tmux, 80×24).

Starts the installed command on a copy of the sample repository in a private tmux
server and, from a fresh start with churn selected, does the on-call path: ``r`` (prod
back to its previous holder, v1.2.0), a reason, ``enter``, ``prod``, ``enter``; quits,
and checks with git and gto that it happened. Skipped when tmux is not installed; the tmux server
is always killed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
TIMEOUT = 60.0


class Terminal:
    """One tmux session on a private server socket."""

    def __init__(self, socket: Path, name: str = "oncall") -> None:
        self.socket = socket
        self.name = name

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TMUX, "-S", str(self.socket), *args], capture_output=True, text=True, check=check
        )

    def start(self, command: list[str]) -> None:
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", self.name, *command)

    def screen(self) -> str:
        done = self.tmux("capture-pane", "-p", "-t", self.name, check=False)
        return done.stdout

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", self.name, check=False).returncode == 0

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, text: str) -> str:
        """Poll the screen until ``text`` shows (the app runs in another process)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            if not self.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def wait_exit(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.alive(), f"modeltrail did not quit:\n{self.screen()}"

    def kill(self) -> None:
        self.tmux("kill-server", check=False)


def _command(repo: Path) -> list[str]:
    script = Path(sys.executable).parent / "modeltrail"
    if script.exists():
        return [str(script), "-C", str(repo)]
    return [sys.executable, "-m", "modeltrail.tui", "-C", str(repo)]


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_on_call_production_rollback_in_a_real_terminal(sample, tmp_path):
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    term = Terminal(tmp_path / "tmux.sock")
    try:
        term.start(_command(sample))
        shown = term.wait_for("● prod v1.3.0 ← v1.2.0")  # churn selected, prod's previous
        term.keys("r")  # 1: roll the model's prod back to the previous holder
        shown = term.wait_for("churn#prod#11")
        assert "Roll back churn prod to v1.2.0" in shown
        term.type("AUC regression in v1.3.0")  # 2: typed reason
        term.keys("Enter")  # 3
        term.type("prod")  # 4: typed confirmation
        term.keys("Enter")  # 5: write
        shown = term.wait_for("churn prod is now v1.2.0")
        assert "z undoes it" in shown
        term.keys("Escape")
        term.wait_for("● prod v1.2.0 ← v1.0.0")  # v1.3.0 was rolled away from
        term.keys("q")
        term.wait_exit()
    finally:
        term.kill()
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    tag = git(sample, "tag", "--list", "churn#prod#*", "--sort=-creatordate").splitlines()[0]
    assert tag == "churn#prod#11"
    body = git(sample, "cat-file", "-p", f"refs/tags/{tag}")
    assert "Rollback-Reason: AUC regression in v1.3.0" in body
    assert git(sample, "status", "--porcelain") == ""
