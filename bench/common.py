"""What the benchmarks share: timing a whole ``modeltrail`` command in a fresh process,
and measuring the TUI in a child process of its own.

The scripts run as ``python bench/NAME.py``, so they import this as ``common``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def run_command(repo: Path, *args: str) -> tuple[float, float]:
    """``modeltrail -C REPO ARGS`` in a fresh process: (wall seconds, CPU seconds of it
    and the processes it waited for, git's included; on a busy machine the wall time is
    mostly waiting)."""
    return run_modeltrail("-C", str(repo), *args)


def run_modeltrail(*args: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """``modeltrail ARGS`` in a fresh process (with ``env`` as its environment): (wall
    seconds, CPU seconds) as :func:`run_command` says; its errors printed if it fails."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        done.check_returncode()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def measure_in_child(script: str, repo: Path | str, *args: str) -> dict | None:
    """Run ``SCRIPT --measure REPO ARGS`` in a fresh interpreter with colours allowed
    (NO_COLOR unset) and return the JSON object its last line prints; None (with its
    errors printed) when it fails."""
    env = {**os.environ}
    env.pop("NO_COLOR", None)
    # an index run in this process (building the repository) leaves PYTHONSAFEPATH set
    # for its parse workers; the measured script imports this module from its directory
    env.pop("PYTHONSAFEPATH", None)
    proc = subprocess.run(
        [sys.executable, script, "--measure", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])
