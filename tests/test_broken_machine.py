"""A read-only ``.git``, a full disk, a ``catalog.duckdb`` that is a directory: one clear
line, never a traceback; read commands still answer (from the existing catalog, or one
built in memory) with a warning; a failed write leaves no temporary file behind."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_hostile import _git

# root ignores file permissions unless it gives up these capabilities first
AS_MORTAL = ["setpriv", "--bounding-set", "-dac_override,-fowner", "--inh-caps=-all"]


@pytest.fixture
def repo(tmp_path) -> Iterator[Path]:
    root = tmp_path / "repo"
    (root / "models" / "m").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "models" / "m" / "model.yaml").write_text("name: m\n")
    (root / "models" / "m" / "metrics.json").write_text('{"auc": 0.8}')
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    yield root
    subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)


def _second_commit(root: Path) -> None:
    (root / "models" / "m" / "metrics.json").write_text('{"auc": 0.9}')
    _git(root, "commit", "-q", "-am", "two")


def modeltrail(
    root: Path, *args: str, read_only: bool = False, max_file: int | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line in a process of its own, on a read-only ``.git`` (write
    permission removed; when run as root, root's override given up too) or with a cap on
    the size of any file written (as a full disk: writes fail with EFBIG)."""

    def limits() -> None:
        if max_file is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))

    prefix: list[str] = []
    if read_only:
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: cannot make .git read-only")
            prefix = AS_MORTAL
        subprocess.run(["chmod", "-R", "a-w", str(root / ".git")], check=True)
    try:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "modeltrail.tui", "-C", str(root), *args],
            capture_output=True,
            text=True,
            preexec_fn=limits,
            check=False,
            timeout=120,
        )
    finally:
        if read_only:
            subprocess.run(["chmod", "-R", "u+w", str(root / ".git")], check=True)


def _one_clear_line(err: str) -> None:
    assert "Traceback" not in err, err
    assert err.startswith("modeltrail: "), err


def _leftovers(root: Path) -> list[str]:
    d = root / ".git" / "modeltrail"
    return sorted(p.name for p in d.iterdir() if ".tmp." in p.name) if d.is_dir() else []


def test_read_only_git_answers_from_the_existing_catalog(repo):
    assert modeltrail(repo, "index").returncode == 0
    _second_commit(repo)  # the catalog is now behind
    done = modeltrail(repo, "versions", "m", "--json", read_only=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"commit"') == 1  # as last indexed
    _one_clear_line(done.stderr)
    assert "warning" in done.stderr and "as last indexed" in done.stderr


def test_read_only_git_without_a_catalog_indexes_in_memory(repo):
    done = modeltrail(repo, "models", read_only=True)
    assert done.returncode == 0, done.stderr
    assert "m" in done.stdout.split()
    _one_clear_line(done.stderr)
    assert "in memory" in done.stderr
    assert not (repo / ".git" / "modeltrail").exists()


def test_index_on_a_read_only_git_is_one_line(repo):
    done = modeltrail(repo, "index", read_only=True)
    assert done.returncode == 1
    _one_clear_line(done.stderr)
    assert "cannot write the catalog" in done.stderr


def test_catalog_that_is_a_directory(repo):
    (repo / ".git" / "modeltrail" / "catalog.duckdb").mkdir(parents=True)
    done = modeltrail(repo, "models")
    assert done.returncode == 0, done.stderr
    assert "m" in done.stdout.split()
    _one_clear_line(done.stderr)
    done = modeltrail(repo, "index")
    assert done.returncode == 1
    _one_clear_line(done.stderr)
    assert "catalog.duckdb" in done.stderr


def test_full_disk_cleans_up_and_still_answers(repo):
    done = modeltrail(repo, "index", max_file=16 * 1024)
    assert done.returncode == 1, done.stdout
    _one_clear_line(done.stderr)
    assert "cannot write the catalog" in done.stderr
    assert _leftovers(repo) == []
    done = modeltrail(repo, "models", max_file=16 * 1024)
    assert done.returncode == 0, done.stderr
    assert "m" in done.stdout.split()
    assert _leftovers(repo) == []


def test_spill_directory_left_by_a_killed_reader(repo):
    """DuckDB spills a big query of a reader to ``<generation>.tmp/``; a reader killed
    meanwhile leaves it behind. The next index used to install its catalog and then fail
    on it ("cannot write the catalog ... Is a directory"), exit 1, though it had written."""
    assert modeltrail(repo, "index").returncode == 0
    catalog_dir = repo / ".git" / "modeltrail"
    current = (catalog_dir / "catalog.duckdb").resolve()
    orphan = catalog_dir / "catalog-18ec0d845c17e026-31490.duckdb.tmp"  # its generation gone
    orphan.mkdir()
    (orphan / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 64)
    replaced = catalog_dir / f"{current.name}.tmp"  # the current generation's own
    replaced.mkdir()
    _second_commit(repo)
    done = modeltrail(repo, "index")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert not orphan.exists()
    assert not replaced.exists()  # its generation was replaced by this run: gone with it
    done = modeltrail(repo, "versions", "m")
    assert done.returncode == 0 and "0.9" in done.stdout, done.stdout
