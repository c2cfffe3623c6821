"""Output piped into a reader that stops early (``modeltrail flow | head -1``): the
command stops quietly and exits 0, as ``git log | head`` does, whatever it was printing
(a Rich table, a plain table, JSON)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, index


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("pipe") / "repo")
    index(root)
    return root


@pytest.mark.parametrize(
    "argv",
    [
        ["flow"],
        ["models"],
        ["versions", "churn"],
        ["audit"],
        ["history"],
        ["models", "--json"],
        ["diff", "churn", "v1.0.0", "v1.1.0"],
    ],
    ids=" ".join,
)
def test_a_reader_that_stopped_early_ends_the_command_quietly(repo, argv):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode()) == (0, "")
