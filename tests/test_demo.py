"""`modeltrail demo DIR --no-tui`: the demo repository, built by the real command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODELTRAIL = [sys.executable, "-m", "modeltrail.tui"]


def _ids(repo: Path) -> str:
    refs = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(refname) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--format=%H"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return refs + log


def test_demo_no_tui_twice_gives_identical_commit_ids(tmp_path: Path) -> None:
    paths = []
    for name in ("one", "two"):
        out = subprocess.run(
            [*MODELTRAIL, "demo", str(tmp_path / name), "--no-tui"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        paths.append(Path(out))
    assert paths[0] != paths[1]
    assert _ids(paths[0]) == _ids(paths[1])
    # the models command works on it straight away (indexing first)
    models = subprocess.run(
        [*MODELTRAIL, "-C", str(paths[0]), "models", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"churn"' in models and '"prod": "v1.3.0"' in models


def test_demo_refuses_a_non_empty_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "stuff.txt").write_text("mine\n")
    proc = subprocess.run(
        [*MODELTRAIL, "demo", str(tmp_path), "--no-tui"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "not empty" in proc.stderr
    assert (tmp_path / "stuff.txt").read_text() == "mine\n"


def test_demo_says_where_the_repository_is_and_that_it_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    done = subprocess.run(
        [*MODELTRAIL, "demo", str(target), "--no-tui"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(target)  # stdout stays the path alone (scripts)
    assert f"the sample repository is in {target} (kept)" in done.stderr
