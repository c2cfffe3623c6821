"""The TUI and the command line allocate Arrow buffers from the system allocator, which
gives freed memory back (Arrow's default pool kept 15-20 MB resident for nothing after a
100,000-version list was built; bench/bench_tui.py measures it)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_arrow_uses_the_system_allocator_once_the_app_is_imported() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    code = "import modeltrail.tui.app, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "system"


def test_a_pool_the_user_chose_is_kept() -> None:
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    code = "import modeltrail.tui.cli, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "mimalloc"
