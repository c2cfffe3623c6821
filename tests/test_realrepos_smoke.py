"""Every real repository indexes without a traceback and lists its models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from realrepos import BUNDLES, clone, needs_realrepos


@needs_realrepos
@pytest.mark.parametrize("name", BUNDLES)
def test_index_and_models_run_cleanly(name: str, tmp_path: Path) -> None:
    repo = clone(name, tmp_path / name)
    cli = [sys.executable, "-m", "modeltrail.tui", "-C", str(repo)]
    index = subprocess.run([*cli, "index"], capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    assert "Traceback" not in index.stderr
    models = subprocess.run([*cli, "models", "--json"], capture_output=True, text=True)
    assert models.returncode == 0, models.stderr
    assert isinstance(json.loads(models.stdout), list)
