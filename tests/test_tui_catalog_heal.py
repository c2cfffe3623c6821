"""A TUI left open while its catalog is damaged on disk, or rebuilt by another
``modeltrail index``, notices, reopens the current catalog, and rebuilds it when it cannot
be opened: it never stays on a dead snapshot showing IO errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import (
    build_tiny_repo,
    frozen_now,
    index,
    run_async,
    screen_text,
    settle,
    wait_for_index,
)

from modeltrail.store.repo import open_repo, repo_paths
from modeltrail.tui.app import ModeltrailApp


@pytest.fixture
def tiny(tmp_path) -> Path:
    root = build_tiny_repo(tmp_path / "repo")
    index(root)
    return root


def _catalog(root: Path) -> Path:
    return Path(os.path.realpath(repo_paths(open_repo(root)).catalog_file))


def _damage(root: Path) -> None:
    """Overwrite the open catalog file in place (same inode): a disk or a bad copy."""
    path = _catalog(root)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(b"\0" * size)
        fh.truncate(4096)


async def _browse(pilot) -> str:
    """Look at the history screen (tables the home screen has not read yet), come back,
    move around so every pane loads again; what the screens showed."""
    seen = []
    for key in ("h", "escape", "j", "k", "2", "j", "k"):
        await pilot.press(key)
        await settle(pilot)
        seen.append(screen_text(pilot.app))
    return "\n".join(seen)


@run_async
async def test_a_catalog_rebuilt_by_another_process_is_reopened(tiny):
    app = ModeltrailApp(str(tiny), index=False, now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "v1.2.0" in screen_text(app)
        _damage(tiny)
        done = subprocess.run(
            [sys.executable, "-m", "modeltrail.tui.cli", "-C", str(tiny), "index", "--rebuild"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        text = await _browse(pilot)
        assert "Error" not in text, text
        assert "v1.2.0" in text and "v1.1.0" in text


@run_async
async def test_a_catalog_damaged_in_place_is_rebuilt(tiny):
    app = ModeltrailApp(str(tiny), index=False, now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "v1.2.0" in screen_text(app)
        _damage(tiny)
        await _browse(pilot)
        await wait_for_index(pilot)  # the rebuild runs in the background
        text = await _browse(pilot)
        assert "Error" not in text, text
        assert "v1.2.0" in text and "v1.1.0" in text
