"""Public repositories other people wrote, as git bundles in ``../shared/realrepos``.

``clone(name, dest)`` gives a fresh clone (branches as ``origin/*``, as a user's clone has
them); ``expected(file)`` reads what the real ``gto`` / ``dvc`` printed on it. Tests that
need them use the ``realrepo`` marker's skip: the folder is absent on a user's clone.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REALREPOS = Path(__file__).resolve().parents[2] / "shared" / "realrepos"
EXPECTED = REALREPOS / "expected"

needs_realrepos = pytest.mark.skipif(
    not REALREPOS.is_dir(),
    reason=f"the real-repository bundles are not here ({REALREPOS}); they come with shared/",
)

BUNDLES = sorted(p.stem for p in REALREPOS.glob("*.bundle")) if REALREPOS.is_dir() else []


def clone(name: str, dest: Path, exps: bool = False) -> Path:
    """Clone bundle ``name`` into ``dest``; with ``exps``, fetch DVC experiment refs too."""
    subprocess.run(
        ["git", "clone", "-q", str(REALREPOS / f"{name}.bundle"), str(dest)],
        check=True,
        capture_output=True,
    )
    if exps:
        subprocess.run(
            ["git", "fetch", "-q", "origin", "refs/exps/*:refs/exps/*"],
            cwd=dest,
            check=False,
            capture_output=True,
        )
    return dest


def expected(filename: str) -> Any:
    """The JSON the real tool printed (``expected/<filename>``)."""
    return json.loads((EXPECTED / filename).read_text())
