"""``export DIR`` writes into a new or empty directory, or over its own earlier export:
never into the work tree or a folder of the user's, and a target it cannot use is one
line, never a traceback (#27.6). The real command line on a real repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_broken_machine import AS_MORTAL
from tui_support import build_tiny_repo, index

from modeltrail.tui.cli import main

MARKER = ".modeltrail-export.json"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("export") / "repo")
    index(root)
    return root


def _listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("modeltrail: "), err
    return lines[0]


def test_an_empty_name_is_refused_and_writes_nothing_here(tiny, monkeypatch, capsys):
    """``export ''`` wrote 25 Parquet files into the current directory (the work tree)."""
    monkeypatch.chdir(tiny)
    before = _listing(tiny)
    assert main(["-C", str(tiny), "export", ""]) == 2
    assert "needs a directory name" in _one_line(capsys.readouterr().err)
    assert _listing(tiny) == before


@pytest.mark.parametrize("target", ["file", "work tree", "user folder", "under a file"])
def test_a_target_that_is_not_its_own_is_refused(tiny, tmp_path, capsys, target):
    user = tmp_path / "notes"
    user.mkdir()
    (user / "todo.txt").write_text("mine\n")
    (tmp_path / "report.csv").write_text("a,b\n")
    where = {
        "file": tmp_path / "report.csv",
        "work tree": tiny,
        "user folder": user,
        "under a file": tmp_path / "report.csv" / "out",
    }[target]
    before = _listing(tmp_path) + _listing(tiny)
    assert main(["-C", str(tiny), "export", str(where)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "nothing was written" in line or "cannot write the export" in line, line
    assert _listing(tmp_path) + _listing(tiny) == before
    assert (tmp_path / "report.csv").read_text() == "a,b\n"


def test_new_empty_and_its_own_earlier_export(tiny, tmp_path, capsys):
    out = tmp_path / "new" / "export"
    assert main(["-C", str(tiny), "export", str(out)]) == 0
    first = _listing(out)
    assert MARKER in first and "versions.parquet" in first
    assert not [f for f in first if f.endswith(".part")]
    n = duckdb.connect().execute(f"SELECT count(*) FROM '{out / 'versions.parquet'}'").fetchone()
    assert n == (6,)
    # its own earlier export is replaced: a table an older release wrote goes, a file of
    # the user's beside it stays
    marker = json.loads((out / MARKER).read_text())
    (out / "old_table.parquet").write_bytes(b"PAR1")
    (out / MARKER).write_text(
        json.dumps({**marker, "files": [*marker["files"], "old_table.parquet"]})
    )
    (out / "README.txt").write_text("the user's\n")
    assert main(["-C", str(tiny), "export", str(out)]) == 0
    assert _listing(out) == sorted([*first, "README.txt"])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["-C", str(tiny), "export", str(empty)]) == 0
    assert _listing(empty) == first
    capsys.readouterr()


def test_an_unwritable_directory_is_one_line(tiny, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a directory unwritable")
        prefix = AS_MORTAL
    locked.chmod(0o555)
    try:
        done = subprocess.run(
            [
                *prefix,
                sys.executable,
                "-m",
                "modeltrail.tui",
                "-C",
                str(tiny),
                "export",
                str(locked / "out"),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        locked.chmod(0o755)
    assert done.returncode == 1, done.stdout
    line = _one_line(done.stderr)
    assert "cannot write the export" in line and "Permission denied" in line, line
    assert _listing(locked) == []
