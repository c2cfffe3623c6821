"""A read-only ``.git``, a full disk, a ``catalog.duckdb`` that is a directory: one clear
line, never a traceback; read commands still answer (from the existing catalog, or one
built in memory) with a warning; a failed write leaves no temporary file behind."""

from __future__ import annotations

import errno
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
from tui_support import (
    build_tiny_repo,
    commit,
    frozen_now,
    git,
    index,
    run_async,
    wait_for_index,
    write,
)

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


# a read-only bind mount of .git in a mount namespace of its own (EROFS, as a read-only
# disk gives), where user namespaces allow it
MOUNT_RO = [
    "unshare",
    "--map-root-user",
    "--mount",
    "sh",
    "-c",
    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
    "sh",
]


def _mount_ro_works(where: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [*MOUNT_RO, str(where), "sh", "-c", '! touch "$0/probe" 2>/dev/null', str(where)],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def modeltrail(
    root: Path,
    *args: str,
    read_only: bool | str = False,
    max_file: int | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run the real command line in a process of its own, on a read-only ``.git`` (write
    permission removed; when run as root, root's override given up too; ``"mount"``: a
    read-only mount instead) or with a cap on the size of any file written (as a full
    disk: writes fail with EFBIG)."""

    def limits() -> None:
        if max_file is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))

    prefix: list[str] = []
    chmod = read_only is True
    if read_only == "mount":
        if not _mount_ro_works(root / ".git"):
            pytest.skip("no read-only mount here (unshare --map-root-user --mount refused)")
        prefix = [*MOUNT_RO, str(root / ".git")]
    elif read_only:
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
            cwd=cwd,
        )
    finally:
        if chmod:
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


# --- writes on a read-only .git (#27.4) ---------------------------------------------------


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("broken") / "repo")
    index(root)
    return root


@pytest.fixture
def tiny(tiny_template, tmp_path) -> Iterator[Path]:
    root = Path(shutil.copytree(tiny_template, tmp_path / "tiny", symlinks=True))
    index(root)  # the copy's own catalog, up to date: a write has nothing else to say
    yield root
    subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)


def _state(root: Path) -> str:
    """Refs, index and work tree: what a refused write must leave as it was."""
    return (
        git(root, "for-each-ref", "--format=%(refname) %(objectname)")
        + git(root, "ls-files", "-s")
        + git(root, "status", "--porcelain", "--untracked-files=all")
        + "\n".join(sorted(p.name for p in (root / ".git").iterdir()))
    )


WRITES = {
    "stage": ["rollback", "churn", "--to", "v1.0.0", "--stage", "prod"],
    "branch": ["rollback", "churn", "--to", "v1.0.0", "--branch", "main"],
    "checkout": ["checkout", "churn", "v1.0.0"],
}
ROLLBACK_ARGS = ["--reason", "hostile", "--yes", "--offline"]


def _write_args(kind: str) -> list[str]:
    return WRITES[kind] + (ROLLBACK_ARGS if kind != "checkout" else [])


@pytest.mark.parametrize("how", [True, "mount"], ids=["permissions", "mount"])
@pytest.mark.parametrize("kind", WRITES)
def test_a_write_on_a_read_only_git_is_one_line(tiny, kind, how):
    before = _state(tiny)
    done = modeltrail(tiny, *_write_args(kind), read_only=how)
    assert done.returncode == 1, done.stdout
    _one_clear_line(done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "modeltrail: the repository is read-only: cannot write in" in done.stderr
    assert "nothing was changed" in done.stderr
    assert _state(tiny) == before


def test_the_read_only_line_for_a_read_only_file_system():
    """What a read-only disk says (EROFS), wherever a mount cannot be made for a test."""
    from modeltrail.store.repo import read_only_message

    exc = OSError(errno.EROFS, os.strerror(errno.EROFS), "/srv/models/.git/x")
    assert read_only_message(exc, "/srv/models/.git") == (
        "the repository is read-only: cannot write in /srv/models/.git "
        "(Read-only file system); nothing was changed"
    )


# --- a git killed mid-write leaves index.lock (#27.5) --------------------------------------


@pytest.fixture
def crowded(tiny) -> Path:
    """The tiny repository with an index too big to write under a 20 KB file size limit,
    and every file's stat information out of date (git status would write a fresh index)."""
    for i in range(600):
        write(tiny, f"data/sample_{i:04d}_with_a_fairly_long_name.txt", f"{i}\n")
    commit(tiny, "data", "2026-03-11T10:00:00Z")
    index(tiny)
    assert (tiny / ".git" / "index").stat().st_size > 40 * 1024
    for p in [*(tiny / "data").iterdir(), *(tiny / "models" / "churn").iterdir()]:
        os.utime(p, (1_800_000_000, 1_800_000_000))
    return tiny


def _kill_git_writing_the_index(root: Path) -> Path:
    """``git status`` under ``ulimit -f 20``: killed by SIGXFSZ while writing the
    refreshed index, it leaves ``index.lock`` behind (made three hours ago, for a fixed age)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 * 1024, 20 * 1024))

    done = subprocess.run(["git", "status"], cwd=root, capture_output=True, preexec_fn=limit)
    assert done.returncode == -signal.SIGXFSZ
    lock = root / ".git" / "index.lock"
    assert lock.exists()
    past = lock.stat().st_mtime - 3 * 3600 - 30
    os.utime(lock, (past, past))
    return lock


def test_reads_take_no_optional_lock(crowded):
    """modeltrail's own git status (the rollback's clean check) used to take index.lock to
    write a refreshed index; under a file size limit it was killed, said ``git status
    failed: -25`` and left the lock, blocking every later write."""
    done = modeltrail(
        crowded, *WRITES["branch"], "--reason", "x", "--dry-run", "--offline", max_file=20 * 1024
    )
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing was written" in done.stdout
    assert not (crowded / ".git" / "index.lock").exists()


def test_a_lock_left_by_a_killed_git_is_named_with_its_age_and_remedy(crowded):
    _kill_git_writing_the_index(crowded)
    remedy = "if no git command is running, remove it: rm .git/index.lock"
    done = modeltrail(crowded, "index", cwd=crowded)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("modeltrail: warning: .git/index.lock exists (made 3 h ago)")
    assert remedy in done.stderr
    for kind in ("branch", "checkout"):
        before = _state(crowded)
        done = modeltrail(crowded, *_write_args(kind), cwd=crowded)
        assert done.returncode == 1, done.stdout
        _one_clear_line(done.stderr)
        assert done.stderr.startswith(
            "modeltrail: nothing was changed: .git/index.lock exists (made 3 h ago)"
        ), done.stderr
        assert done.stderr.rstrip().endswith(remedy)
        assert _state(crowded) == before
    # a stage rollback writes no index: done, with the lock named
    done = modeltrail(crowded, *_write_args("stage"), cwd=crowded)
    assert done.returncode == 0, done.stderr
    assert "churn#prod#2" in done.stdout and "index.lock exists (made 3 h ago)" in done.stdout


@run_async
async def test_the_tui_warns_of_a_lock_left_behind(crowded):
    from modeltrail.tui.app import ModeltrailApp

    _kill_git_writing_the_index(crowded)
    app = ModeltrailApp(str(crowded), now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        app.reindex()
        await wait_for_index(pilot)
        notes = [str(n.message) for n in app._notifications]
        assert any("index.lock exists (made 3 h ago)" in n and "rm " in n for n in notes), notes
