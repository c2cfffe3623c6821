"""The catalog's generations: the state file beside the catalog, the writer lock,
read-only connections, and building a new generation that readers see only once it is
complete.

Writers never modify the file readers have open: an index run builds the new catalog in
a temporary file beside it (a copy, for an incremental run) and renames it into place as
a new generation behind the ``catalog.duckdb`` link, so a reader keeps a consistent
snapshot. Writers take ``catalog.lock`` (``flock``) so two of them do not race. A process
that holds no catalog open (``sole_user``: the ``index`` command) changes the current
generation in place instead, in one transaction, while DuckDB's file lock keeps readers
out (one that has it open makes the writer copy; one opening meanwhile waits).

Both :mod:`store.catalog.files` (which decides whether to index) and
:mod:`store.catalog.index_run` (which indexes) build on this module; it imports neither.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeltrail.store.catalog.schema import SCHEMA_VERSION
from modeltrail.store.config import load_config
from modeltrail.store.read import gitio
from modeltrail.store.read.dvc_objects import any_arrived
from modeltrail.store.repo import RepoPaths

if TYPE_CHECKING:
    import duckdb
    import git

Progress = Callable[[str, int, int], None]


#: Beside the catalog: the refs digest and counts of the current generation, so that
#: "nothing new" is answered without opening DuckDB or importing the indexer.
STATE_FILE = "catalog.state.json"


@dataclass
class IndexSummary:
    mode: str  # full | incremental | unchanged
    commits: int  # commits read in this run
    total_commits: int
    models: int
    versions: int
    warnings: int
    seconds: float
    reason: str = ""
    warning: str = ""  # the catalog could not be written: what was answered instead
    # what this run found wrong: {"commit", "path", "model", "message"} (not older runs')
    new_warnings: list[dict[str, Any]] = field(default_factory=list)
    # the tags this run found added, moved or deleted (None: any tag may have changed)
    tags_changed: list[str] | None = None
    # the DVC objects the catalog's unknown metrics wait for (``catalog.pulled``)
    dvc_awaited: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line, under 80 columns for realistic counts (the TUI's status line), plurals
        right: ``indexed 3 commits (incremental) in 0.1s: 5 models, 62 versions, 1 warning``."""
        counts = f"{_plural(self.models, 'model')}, {_plural(self.versions, 'version')}"
        if self.mode == "unchanged":
            return f"catalog up to date: {counts}, {_plural(self.total_commits, 'commit')}"
        warn = f", {_plural(self.warnings, 'warning')}" if self.warnings else ""
        return (
            f"indexed {_plural(self.commits, 'commit')} ({self.mode}) in {self.seconds:.1f}s: "
            f"{counts}{warn}"
        )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _noop(phase: str, done: int, total: int) -> None:
    pass


def _generation(paths: RepoPaths) -> list[Any]:
    """The current generation file: its name, inode, size and modification time (a file
    damaged or rewritten in place no longer matches what the state file recorded), and
    the size and time of its write-ahead log if it has one (a writer changing it in place
    killed between its commit and its checkpoint left the change there)."""
    real = os.path.realpath(paths.catalog_file)
    st = os.stat(real)
    try:
        wal = os.stat(real + ".wal")
        log: list[int] | None = [wal.st_size, wal.st_mtime_ns]
    except FileNotFoundError:
        log = None
    return [os.path.basename(real), st.st_ino, st.st_size, st.st_mtime_ns, log]


def config_stamp(paths: RepoPaths) -> list[Any]:
    """What git's own config files look like on disk (size, inode, modification time of
    ``config`` and ``config.worktree``): while they are unchanged, so is the origin URL
    a root model is named after, and the "anything new?" check spares a git process.
    Take it *before* reading the name: a config written in between then differs."""
    stamp: list[Any] = []
    for file in (paths.common_dir / "config", paths.git_dir / "config.worktree"):
        try:
            st = os.stat(file)
            stamp.append([st.st_size, st.st_ino, st.st_mtime_ns])
        except OSError:
            stamp.append(None)
    return stamp


def gto_stamp(paths: RepoPaths) -> str | None:
    """A digest of the work tree's ``.gto`` (None without one): GTO reads it from the work
    tree, so an edit takes effect on the next command, with no new commit or ref."""
    try:
        with open(paths.root / ".gto", "rb") as f:
            return hashlib.blake2b(f.read(1024 * 1024 + 1), digest_size=16).hexdigest()
    except OSError:
        return None


def write_state(
    paths: RepoPaths,
    digest: str,
    summary: IndexSummary,
    tag_patterns: list[str] | None = None,
    root_name: str | None = None,
    config: list[Any] | None = None,
) -> None:
    """Record the current generation's refs digest and counts (under the writer lock)."""
    try:
        generation = _generation(paths)
    except OSError:
        return
    state = {
        "schema_version": SCHEMA_VERSION,
        "refs_digest": digest,
        "generation": generation,
        "total_commits": summary.total_commits,
        "models": summary.models,
        "versions": summary.versions,
        "warnings": summary.warnings,
        "tag_patterns": list(tag_patterns or []),  # labels depend on the config's patterns
        "gto": gto_stamp(paths),  # the stages shown depend on .gto
        "root_name": root_name,  # a root model's name: the origin URL's last part
        "config": config,  # git's config files when root_name was read (config_stamp)
        # objects `dvc pull` may bring: one that arrived makes the next run read it
        "dvc_awaited": summary.dvc_awaited,
    }
    _replace_state(paths, state)


def _replace_state(paths: RepoPaths, state: dict[str, Any]) -> None:
    tmp = paths.catalog_dir / f".{STATE_FILE}.{os.getpid()}"
    try:
        tmp.write_text(json.dumps(state))
        os.replace(tmp, paths.catalog_dir / STATE_FILE)
    except OSError:  # only a shortcut: without it the next run opens the catalog
        with contextlib.suppress(OSError):
            tmp.unlink()


@dataclass
class RefsSeen:
    """The refs (name, object id) as a "nothing new?" check read them, and the catalog
    generation it read them against: the index run that follows uses them while that
    generation is still the current one, instead of listing 100,000 refs again."""

    ids: list[tuple[str, str]]
    generation: list[Any] | None


def unchanged_summary(repo: git.Repo, paths: RepoPaths) -> IndexSummary | None:
    """The summary of a run that would find nothing new, or None if something may be new
    (or the state file does not describe the current catalog)."""
    return _unchanged(repo, paths)[0]


def _unchanged(repo: git.Repo, paths: RepoPaths) -> tuple[IndexSummary | None, RefsSeen | None]:
    start = time.perf_counter()
    seen = None
    expected: tuple[type[Exception], ...] = (OSError, ValueError, KeyError, TypeError)
    expected += _git_errors()
    try:
        state = json.loads((paths.catalog_dir / STATE_FILE).read_text())
        generation = _generation(paths)
        if state["schema_version"] != SCHEMA_VERSION or state["generation"] != generation:
            return None, None
        seen = RefsSeen(gitio.ref_ids(repo), generation)
        if (
            state["refs_digest"] != gitio.refs_digest([*seen.ids, *gitio.shallow_pairs(repo)])
            or state["tag_patterns"] != load_config(paths.root).tag_patterns
            or state.get("gto") != gto_stamp(paths)
            or _renamed(repo, paths, state)
            or any_arrived(paths.root, state.get("dvc_awaited", ()))
        ):
            return None, seen
        total, models, versions, warnings = (
            int(state[k]) for k in ("total_commits", "models", "versions", "warnings")
        )
    except expected:
        return None, seen
    summary = IndexSummary(
        "unchanged", 0, total, models, versions, warnings, time.perf_counter() - start
    )
    return summary, seen


def _renamed(repo: git.Repo, paths: RepoPaths, state: dict[str, Any]) -> bool:
    """Whether the root model's name (the origin URL's last part) differs from the one
    indexed: asked of git only when its config files changed since."""
    stamp = config_stamp(paths)
    if state.get("config") == stamp:
        return False
    if state.get("root_name") != gitio.repository_name(repo):
        return True
    # same name (say a new user.name): remember these config files, so the next check
    # spares git again (a writer replacing the state meanwhile only costs a re-check)
    _replace_state(paths, {**state, "config": stamp})
    return False


def _git_errors() -> tuple[type[Exception], ...]:
    """GitPython's command error, when GitPython is loaded (a repository opened without
    it, ``gitcmd.LightRepo``, cannot raise it)."""
    gitpython = sys.modules.get("git")
    error = getattr(gitpython, "GitCommandError", None)
    return (error,) if isinstance(error, type) and issubclass(error, Exception) else ()


def current_generation(paths: RepoPaths) -> list[Any] | None:
    """The current generation (as the state file records it), None without a catalog."""
    try:
        return _generation(paths)
    except OSError:
        return None


@contextlib.contextmanager
def writer_lock(paths: RepoPaths) -> Iterator[None]:
    paths.catalog_dir.mkdir(parents=True, exist_ok=True)
    with open(paths.catalog_dir / "catalog.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to a usable catalog of this schema, or None.

    ``path`` is the ``catalog.duckdb`` link; the connection is to the generation file it
    points at now. DuckDB shares one database instance per path within a process, so
    opening the generation's own name is what makes a reopen see a new catalog.
    """
    import duckdb

    con = None
    waited = False
    for _ in range(3):  # a writer may swap generations between resolve and open
        real = Path(os.path.realpath(path))
        if not real.is_file():
            return None
        try:
            con = duckdb.connect(str(real), read_only=True)
            break
        except (duckdb.Error, OSError) as exc:
            if isinstance(exc, duckdb.IOException) and not waited:
                # locked? a writer may be changing it in place: wait for it to finish once
                wait_for_in_place_writer(path.parent)
                waited = True
                continue
            if real == Path(os.path.realpath(path)):
                return None
    if con is None:
        return None
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if not rows or rows[0][0] != str(SCHEMA_VERSION):
            con.close()
            return None
    except duckdb.Error:
        con.close()
        return None
    return con


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def _tmp_path(paths: RepoPaths) -> Path:
    return paths.catalog_dir / f"catalog.{os.getpid()}.tmp.duckdb"


def _install(tmp: Path, final: Path) -> None:
    """Make ``tmp`` the current catalog: a new generation file, then swap the link.

    Both steps are renames, so a reader sees the old catalog or the new one, never half.
    Older generations are unlinked; readers that have one open keep reading it.
    """
    gen = final.with_name(f"catalog-{time.time_ns():x}-{os.getpid()}.duckdb")
    os.replace(tmp, gen)
    link = final.with_name(f".catalog-link-{os.getpid()}")
    try:
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(gen.name, link)
        os.replace(link, final)
    except OSError:
        for leftover in (link, gen):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    _remove_old_generations(final.parent, keep=gen.name)


def _remove_old_generations(directory: Path, keep: str) -> None:
    """Unlink the generations before ``keep`` (best effort: the new one is installed)
    and the spill directories DuckDB made beside them (``<generation>.tmp/``, left behind
    when a reader that ran out of memory was killed); the new generation's own stays.
    Files first, so that the spill directory of a generation removed here goes too,
    whatever order the directory lists them in."""
    olds = [p for p in directory.glob("catalog-*.duckdb*") if p.name not in (keep, f"{keep}.wal")]
    spills = [p for p in olds if p.is_dir() and not p.is_symlink()]
    for old in olds:
        if old not in spills:
            with contextlib.suppress(OSError):
                old.unlink()
    for spill in spills:
        if spill.suffix == ".tmp" and not spill.with_suffix("").exists():
            shutil.rmtree(spill, ignore_errors=True)


#: Beside the catalog: held (``flock``) by a writer while it changes the current generation
#: in place; a reader that finds the file locked waits on it, then opens the catalog again.
IN_PLACE_LOCK = "catalog.inplace.lock"

#: Whether this process may change the current generation in place (``sole_user``).
_sole_user = False


@contextlib.contextmanager
def sole_user() -> Iterator[None]:
    """Within the block, an index run of this process may change the current catalog in
    place instead of copying it: for a process that holds no connection to the catalog
    (the ``index`` command). DuckDB's file lock keeps other processes' readers out (the
    writer falls back to a copy when one has the catalog open), but it does not see this
    process's own: a snapshot open through another name (``files.open_snapshot``) would
    read pages changing under it, and closing the writer drops its lock."""
    global _sole_user
    was, _sole_user = _sole_user, True
    try:
        yield
    finally:
        _sole_user = was


@contextlib.contextmanager
def _in_place_lock(paths: RepoPaths, mode: int) -> Iterator[None]:
    with open(paths.catalog_dir / IN_PLACE_LOCK, "a+b") as fh:
        fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def wait_for_in_place_writer(directory: Path) -> None:
    """Return once no writer changes the catalog in ``directory`` in place (a reader whose
    open failed on DuckDB's file lock calls it before trying again)."""
    with contextlib.suppress(OSError), open(directory / IN_PLACE_LOCK, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _current_in_place(paths: RepoPaths) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The current generation opened for writing inside one transaction (None when
    another process has it open: DuckDB's lock says so, and the caller copies it).

    Readers never see the change half made: while the writer has the file, DuckDB's lock
    keeps them out (they wait on ``IN_PLACE_LOCK``); the change is one transaction, so a
    writer killed before its commit leaves the old catalog, and one killed after it a
    write-ahead log that the next connection, read-only too, replays whole."""
    import duckdb

    with _in_place_lock(paths, fcntl.LOCK_EX):
        real = os.path.realpath(paths.catalog_file)
        try:
            con = duckdb.connect(real)
        except duckdb.Error:
            yield None
            return
        try:
            # no reader has this generation open now (DuckDB's lock): what it spilled
            # is left over, and so are other generations (a run killed installing one)
            shutil.rmtree(real + ".tmp", ignore_errors=True)
            _remove_old_generations(Path(real).parent, keep=os.path.basename(real))
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            _checkpoint(con)
        finally:
            con.close()


def _checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write a committed change from the write-ahead log into the catalog file."""
    con.execute("CHECKPOINT")


@contextlib.contextmanager
def new_generation(paths: RepoPaths, copy_current: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable catalog in a temporary file (empty, or a copy of the current one),
    installed as the current catalog only if the block succeeds.

    No reader sees the file before it is installed, so the block needs no transaction of
    its own: each statement commits, and DuckDB writes the tables out to the file as they
    grow instead of holding a whole index's rows in memory until one commit at the end
    (a 20,000-commit full index peaked about 80 MB higher that way). Nor does it need
    each of those commits synced to disk (23 ``fdatasync`` calls in a small repository's
    rebuild or one new commit's run: 0.4-0.7 s of a rebuild's wall time on a busy disk):
    the file is synced once, by the checkpoint that ends the block, before it is
    installed.

    With ``copy_current``, in a process that is the catalog's ``sole_user``, the current
    generation is changed in place instead, in one transaction (``_current_in_place``):
    no copy of the whole file to write, sync and remove for a small change."""
    import duckdb

    if copy_current and _sole_user:
        with _current_in_place(paths) as con:
            if con is not None:
                yield con
                return
    tmp = _tmp_path(paths)
    log = tmp.with_name(tmp.name + ".wal")
    for leftover in (tmp, log):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    try:
        if copy_current:
            real = os.path.realpath(paths.catalog_file)
            shutil.copyfile(real, tmp)
            # a change committed in place but not yet checkpointed (its writer killed)
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(real + ".wal", log)
        # unsynced until the checkpoint that ends the block (see the docstring)
        con = duckdb.connect(str(tmp), config={"fsync_mode": "none"})
        try:
            yield con
            con.execute("RESET fsync_mode")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _install(tmp, paths.catalog_file)
    finally:
        for leftover in (tmp, log):
            with contextlib.suppress(OSError):
                leftover.unlink()
