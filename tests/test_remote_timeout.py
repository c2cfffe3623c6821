"""A remote that accepts connections and never answers: every remote operation
(ls-remote, fetch, push) ends within its time limit, and stopping one stops git *and*
the helper it started (``git-remote-http``), which would otherwise hold the pipe open.

The remote is a TCP server in the test, on 127.0.0.1, that accepts and never writes (no
network). ``MODELTRAIL_REMOTE_TIMEOUT`` shortens every limit so the tests take seconds.
A helper still alive would keep its connection open: each test checks that the server
sees every connection closed."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, frozen_now, git, run_async, screen_text, settle

from modeltrail.store.remote import fetch, remote_stage_tags
from modeltrail.store.write.gitwrite import GitFailed
from modeltrail.store.write.push import push_ref


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never writes a byte."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x.git"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.connected.set()

    def all_closed(self, limit_s: float = 10.0) -> bool:
        """Whether every accepted connection was closed by the other end (its process
        is gone) within ``limit_s`` seconds."""
        for conn in list(self.conns):
            conn.settimeout(limit_s)
            try:
                while conn.recv(65536):  # the request, then EOF
                    pass
            except (TimeoutError, OSError):
                return False
        return bool(self.conns)

    def close(self) -> None:
        # wake the blocked accept() before the descriptor can be reused by another server
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=10)
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def hanging(tmp_path: Path, silent: SilentServer, monkeypatch) -> Path:
    """The tiny repository, its ``origin`` the silent server, main tracking it; every
    remote operation limited to 1 s."""
    monkeypatch.setenv("MODELTRAIL_REMOTE_TIMEOUT", "1")
    repo = build_tiny_repo(tmp_path / "r")
    git(repo, "remote", "add", "origin", silent.url)
    git(repo, "config", "branch.main.remote", "origin")
    git(repo, "config", "branch.main.merge", "refs/heads/main")
    return repo


def test_ls_remote_ends_at_its_limit_and_takes_its_helper_along(hanging, silent) -> None:
    started = time.monotonic()
    with pytest.raises(GitFailed, match="no answer from origin within 1 s"):
        remote_stage_tags(hanging, "origin", "churn")
    assert time.monotonic() - started < 6
    assert silent.all_closed()


def test_ls_remote_is_cancelled_at_once(hanging, silent) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(GitFailed, match="cancelled"):
        remote_stage_tags(hanging, "origin", "churn", timeout=60, cancel=stop)


def test_fetch_and_push_end_at_their_limit(hanging, silent) -> None:
    started = time.monotonic()
    outcome = fetch(hanging, "origin")
    assert outcome.timed_out and "stopped after 1 s" in outcome.message
    with pytest.raises(GitFailed, match="no answer from origin within 1 s"):
        push_ref(hanging, "origin", "refs/tags/churn#prod#1")
    assert time.monotonic() - started < 12
    assert silent.all_closed()


def test_rollback_dry_run_plans_within_the_limit(hanging, silent, capsys) -> None:
    from modeltrail.tui.cli import main

    started = time.monotonic()
    args = ["-C", str(hanging), "rollback", "churn", "--to", "v1.0.0", "--dry-run"]
    assert main(args) == 0
    assert time.monotonic() - started < 20
    out = " ".join(capsys.readouterr().out.split())
    assert "could not compare the stage tags with origin: no answer from origin within 1 s" in out
    assert "the new tag's number was not checked against origin's tags" in out
    assert silent.all_closed()


def test_a_push_without_answer_exits_3_and_says_what_was_written(hanging, silent, capsys):
    from modeltrail.tui.cli import main

    args = ["-C", str(hanging), "rollback", "churn", "--to", "v1.0.0", "--reason", "bad"]
    assert main([*args, "--yes", "--push"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "Rolled back: churn prod is now v1.0.0 (was v1.1.0); tag churn#prod#2 locally" in err
    assert "no answer from origin within 1 s" in err
    assert "git push --atomic origin 'refs/tags/churn#prod#2'" in err
    assert git(hanging, "tag", "-l", "churn#prod#2").strip() == "churn#prod#2"  # it stays
    assert silent.all_closed()


def test_an_interrupted_push_exits_3_and_says_what_was_written(hanging, silent, monkeypatch):
    """Ctrl-C while the push waits (SIGINT to modeltrail alone, as a terminal sends it:
    git runs in its own session) stops the push, keeps the tag, exits 3."""
    monkeypatch.setenv("MODELTRAIL_REMOTE_TIMEOUT", "120")
    cmd = [sys.executable, "-m", "modeltrail.tui.cli", "-C", str(hanging), "rollback", "churn"]
    cmd += ["--to", "v1.0.0", "--reason", "bad", "--yes", "--push", "--offline"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert silent.connected.wait(60), "the push never connected"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - started < 10
    text = " ".join(err.decode().split())
    assert proc.returncode == 3, text
    assert "tag churn#prod#2 locally, but the push was interrupted" in text
    assert "interrupted" in text and "push it yourself" in text
    assert git(hanging, "tag", "-l", "churn#prod#2").strip() == "churn#prod#2"
    assert silent.all_closed()


@run_async
async def test_the_dialog_plans_within_the_limit_and_closing_it_stops_the_wait(
    hanging, silent, monkeypatch
) -> None:
    from modeltrail.tui.app import ModeltrailApp
    from modeltrail.tui.screens.rollback import RollbackScreen

    async with ModeltrailApp(str(hanging), index=False, now=frozen_now).run_test(
        size=(100, 40)
    ) as pilot:
        await settle(pilot)
        v100 = git(hanging, "rev-parse", "churn@v1.0.0^{commit}").strip()
        pilot.app.push_screen(RollbackScreen("churn", v100, "prod", ["prod", "staging"]))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RollbackScreen) and screen.state == "ready"
        text = " ".join(screen_text(pilot.app).split())
        assert "could not compare the stage tags with origin: no answer" in text, text
        await pilot.press("escape")
        await settle(pilot)
        # a dialog that is closed (or the app quit) while the remote does not answer
        monkeypatch.setenv("MODELTRAIL_REMOTE_TIMEOUT", "120")
        silent.connected.clear()
        pilot.app.push_screen(RollbackScreen("churn", v100, "prod", ["prod", "staging"]))
        for _ in range(3000):
            if silent.connected.is_set():
                break
            await pilot.pause(0.02)
        assert silent.connected.is_set() and pilot.app.screen.state == "planning"
        started = time.monotonic()
        await pilot.press("escape")
        await settle(pilot)
        assert time.monotonic() - started < 10
    assert silent.all_closed()


@run_async
async def test_quitting_while_F_waits_on_the_remote_stops_it(hanging, silent, monkeypatch):
    from modeltrail.tui.app import ModeltrailApp

    monkeypatch.setenv("MODELTRAIL_REMOTE_TIMEOUT", "120")
    async with ModeltrailApp(str(hanging), index=False, now=frozen_now).run_test(
        size=(100, 30)
    ) as pilot:
        await settle(pilot)
        await pilot.press("F")
        for _ in range(3000):
            if silent.connected.is_set():
                break
            await pilot.pause(0.02)
        assert silent.connected.is_set() and pilot.app.fetching
        started = time.monotonic()
        pilot.app.exit()
    assert time.monotonic() - started < 10
    assert silent.all_closed()
