"""The ``index`` command changes the current catalog in place, in one transaction, when
no other process has it open (``generations.sole_user``), instead of copying the whole
file into a new generation: the same catalog as a copy or a rebuild, and the same
guarantees. A reader never sees half a change (opening while the writer has the file, it
waits for the change to end); a reader that has the catalog open keeps its snapshot (the
writer copies then); a writer killed before its commit leaves the old catalog, one killed
after it the new one, and the next run goes on from either, in place or copied.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from test_index_equivalence import _catalog

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.catalog.generations import (
    IN_PLACE_LOCK,
    connect_readonly,
    new_generation,
    sole_user,
    writer_lock,
)
from modeltrail.store.repo import open_repo, repo_paths


def _history(path: Path) -> GitRepo:
    g = GitRepo(path)
    for i in range(4):
        g.commit(
            f"m: {i}",
            {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": json.dumps({"auc": i})},
        )
    g.tag("m@v1.0.0")
    return g


def _index(path: Path, in_place: bool = True, rebuild: bool = False) -> str:
    repo = open_repo(path)
    try:
        if in_place:
            with sole_user():
                return update_catalog(repo, rebuild=rebuild).mode
        return update_catalog(repo, rebuild=rebuild).mode
    finally:
        repo.close()


def _generation(path: Path) -> tuple[str, int]:
    real = os.path.realpath(path / ".git" / "modeltrail" / "catalog.duckdb")
    return os.path.basename(real), os.stat(real).st_ino


def _versions(path: Path) -> int:
    con = connect_readonly(path / ".git" / "modeltrail" / "catalog.duckdb")
    assert con is not None
    try:
        return con.execute("SELECT count(*) FROM versions").fetchone()[0]
    finally:
        con.close()


def _same_as_a_rebuild(path: Path, tmp_path: Path) -> None:
    grown = _catalog(path)
    again = tmp_path / "again" / path.name  # the same name: a root model is named after it
    shutil.copytree(path, again, symlinks=True)
    assert _index(again, in_place=False, rebuild=True) == "full"
    assert grown == _catalog(again)


def test_new_commits_and_tags_change_the_catalog_in_place_as_a_rebuild_makes_it(
    tmp_path: Path,
) -> None:
    g = _history(tmp_path / "src" / "r")
    assert _index(g.path) == "full"
    first = _generation(g.path)
    g.commit("m: 5", {"models/m/metrics.json": '{"auc": 5}'})
    assert _index(g.path) == "incremental"
    g.commit("notes", {"NOTES.md": "not a model's file\n"})
    g.tag("m@v1.1.0")
    assert _index(g.path) == "incremental"
    assert _generation(g.path) == first  # the same file: changed, not copied
    assert not (g.path / ".git" / "modeltrail" / (first[0] + ".wal")).exists()
    assert _versions(g.path) == 5  # the notes' commit, tagged, is no version of m
    _same_as_a_rebuild(g.path, tmp_path)


_READER = """
import sys
from pathlib import Path
from modeltrail.store.catalog.generations import connect_readonly
con = connect_readonly(Path(sys.argv[1]))
print(con.execute("SELECT count(*) FROM versions").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("SELECT count(*) FROM versions").fetchone()[0], flush=True)
"""


def test_a_catalog_another_process_has_open_is_copied_and_its_snapshot_kept(
    tmp_path: Path,
) -> None:
    g = _history(tmp_path / "src" / "r")
    assert _index(g.path) == "full"
    first = _generation(g.path)
    catalog = g.path / ".git" / "modeltrail" / "catalog.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(catalog)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "4"
        g.commit("m: 5", {"models/m/metrics.json": '{"auc": 5}'})
        assert _index(g.path) == "incremental"
        assert _generation(g.path)[0] != first[0]  # a new generation beside the open one
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "4"  # its snapshot, unchanged
    finally:
        reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert _versions(g.path) == 5


_LOCKED_OUT = """
import sys
from pathlib import Path
import duckdb
from modeltrail.store.catalog.generations import connect_readonly
link = Path(sys.argv[1])
try:
    duckdb.connect(str(link.resolve()), read_only=True)
    print("opened", flush=True)
except duckdb.IOException:
    print("locked", flush=True)
con = connect_readonly(link)
print(con.execute("SELECT value FROM meta WHERE key = 'note'").fetchall(), flush=True)
"""


def _blocked_on(lock: Path) -> bool:
    """Whether a process waits for a ``flock`` on ``lock`` (``/proc/locks``: ``->``)."""
    ino = os.stat(lock).st_ino
    with open("/proc/locks") as fh:
        return any("->" in line and f":{ino} " in line for line in fh)


def test_a_reader_opening_while_the_catalog_changes_in_place_waits_for_the_whole_change(
    tmp_path: Path,
) -> None:
    g = _history(tmp_path / "src" / "r")
    assert _index(g.path) == "full"
    paths = repo_paths(open_repo(g.path))
    with writer_lock(paths), sole_user(), new_generation(paths, copy_current=True) as con:
        con.execute("INSERT INTO meta VALUES ('note', 'half')")
        reader = subprocess.Popen(
            [sys.executable, "-c", _LOCKED_OUT, str(paths.catalog_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "locked"
        lock = paths.catalog_dir / IN_PLACE_LOCK
        for _ in range(10**7):  # until the reader waits (no sleep: /proc says when)
            if _blocked_on(lock) or reader.poll() is not None:
                break
        assert _blocked_on(lock)
        con.execute("UPDATE meta SET value = 'whole' WHERE key = 'note'")
    out, _ = reader.communicate(timeout=60)
    assert out.strip() == "[('whole',)]"


_KILLED = """
import os, signal, sys
from modeltrail.store.catalog import generations, incremental
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[2] == "before-commit":
    real = incremental._finish_new_commits
    def finish(*args, **kwargs):
        real(*args, **kwargs)
        killed()
    incremental._finish_new_commits = finish
else:
    generations._checkpoint = killed
with generations.sole_user():
    update_catalog(open_repo(sys.argv[1]))
"""


@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
@pytest.mark.parametrize("next_run", ["in-place", "copied"])
def test_a_writer_killed_in_place_leaves_a_whole_catalog_the_next_run_goes_on_from(
    when: str, next_run: str, tmp_path: Path
) -> None:
    g = _history(tmp_path / "src" / "r")
    assert _index(g.path) == "full"
    g.commit("m: 5", {"models/m/metrics.json": '{"auc": 5}'})
    killed = subprocess.run([sys.executable, "-c", _KILLED, str(g.path), when])
    assert killed.returncode == -9
    # a reader sees the catalog as before the run, or as after it: never half of it
    assert _versions(g.path) == (4 if when == "before-commit" else 5)
    g.commit("m: 6", {"models/m/metrics.json": '{"auc": 6}'})
    assert _index(g.path, in_place=next_run == "in-place") == "incremental"
    assert _versions(g.path) == 6
    _same_as_a_rebuild(g.path, tmp_path)
