"""The remote in the TUI: ahead/behind in the status bar, F fetches (and F again cancels).

The remote is a local bare repository (a file path); the never-answering remote is an
``ext::`` command that waits, so a cancel can be pressed while the fetch runs."""

from __future__ import annotations

from pathlib import Path

import test_remote as rs
from tui_support import frozen_now, git, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp

pair = rs.pair


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


def _status(app) -> str:
    return screen_text(app).splitlines()[-2]  # the status bar, above the footer


@run_async
async def test_the_status_bar_shows_behind_only_after_F_fetched(pair) -> None:
    local, _origin, other = pair
    rs._colleague_commits(other)
    async with _app(local).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = _status(pilot.app)
        assert "= origin/main · fetched" in status, status  # no network before F
        assert "F Fetch" in screen_text(pilot.app).splitlines()[-1]
        await pilot.press("F")
        await settle(pilot)
        status = _status(pilot.app)
        assert "↑0 ↓1 origin/main · fetched just now" in status, status
    assert git(local, "rev-parse", "origin/main").strip() == git(other, "rev-parse", "HEAD").strip()


@run_async
async def test_F_again_cancels_a_fetch_that_does_not_answer(pair) -> None:
    local, _origin, _other = pair
    git(local, "config", "protocol.ext.allow", "always")
    git(local, "remote", "set-url", "origin", "ext::sleep 600")
    before = git(local, "for-each-ref").strip()
    async with _app(local).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        for _ in range(50):
            await pilot.pause(0.02)
        assert pilot.app.fetching
        assert "fetching origin" in _status(pilot.app) and "F cancels" in _status(pilot.app)
        await pilot.press("F")
        await settle(pilot)
        assert not pilot.app.fetching
        assert "= origin/main" in _status(pilot.app)
        notes = [n.message for n in pilot.app._notifications]
        assert any("cancelled" in n for n in notes), notes
    assert git(local, "for-each-ref").strip() == before


@run_async
async def test_no_remote_no_remote_line_and_no_F_in_the_footer(tmp_path: Path) -> None:
    from tui_support import build_tiny_repo

    repo = build_tiny_repo(tmp_path / "r")
    async with _app(repo).run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        assert "origin" not in _status(pilot.app)
        assert "Fetch" not in screen_text(pilot.app).splitlines()[-1]
        await pilot.press("F")
        await settle(pilot)
        assert not pilot.app.fetching
        # a remote appears (added outside): F is offered once the status is read again
        bare = tmp_path / "o.git"
        git(tmp_path, "init", "-q", "--bare", str(bare))
        git(repo, "remote", "add", "origin", str(bare))
        pilot.app.check_remote()
        await settle(pilot)
        assert "F Fetch" in screen_text(pilot.app).splitlines()[-1]
        assert "main: no upstream · never fetched" in _status(pilot.app)


@run_async
async def test_the_palette_fetches_too(pair) -> None:
    local, _origin, other = pair
    rs._colleague_commits(other)
    async with _app(local).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"fetch from the remote")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "↑0 ↓1 origin/main" in _status(pilot.app)
