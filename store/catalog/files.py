"""The catalog file: bringing it up to date, and how readers open it.

:func:`update_catalog` answers "nothing new" from the state file when it can and runs
the indexer (:mod:`store.catalog.index_run`) only when needed; :func:`fresh_catalog` and
:func:`open_catalog` are the one way to an up-to-date catalog; :func:`open_snapshot`
gives the TUI a memory-capped snapshot. Generations, the state file and the writer lock
are :mod:`store.catalog.generations`.

This module imports neither the indexer nor pyarrow nor GitPython: the TUI opens its
first snapshot with it, and a CLI command whose catalog is current (in the usual
repository, opened as a ``gitcmd.LightRepo``) never loads them.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from modeltrail.store.catalog.generations import (
    IndexSummary,
    Progress,
    _noop,
    _unchanged,
    connect_readonly,
)
from modeltrail.store.catalog.schema import ddl
from modeltrail.store.errors import Refused
from modeltrail.store.repo import RepoPaths, repo_paths

if TYPE_CHECKING:
    import duckdb
    import git


#: DuckDB's memory cap for read-only snapshots (it would otherwise cache every block read).
DUCKDB_MEMORY = os.environ.get("MODELTRAIL_DUCKDB_MEMORY", "128MB")
_LINKS = itertools.count()


def update_catalog(
    repo: git.Repo, progress: Progress = _noop, rebuild: bool = False
) -> IndexSummary:
    """Bring the catalog up to date: nothing (answered from the state file when it can
    be), an incremental run, or a full rebuild. The indexer is imported only when needed."""
    seen = None
    if not rebuild:
        summary, seen = _unchanged(repo, repo_paths(repo))
        if summary is not None:
            return summary
    import duckdb

    from modeltrail.store.catalog.index_run import run_index

    try:
        with gc_paused():
            return run_index(repo, progress=progress, rebuild=rebuild, seen=seen)
    except (OSError, duckdb.Error) as exc:
        if isinstance(exc, duckdb.Error) and not _is_io_error(exc):
            raise
        raise CatalogUnwritable(
            f"cannot write the catalog in {repo_paths(repo).catalog_dir}: {describe(exc)}"
        ) from None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the block: an index run allocates hundreds of
    thousands of long-lived objects (one per ref, label and row) and frees them at the
    end, so each automatic collection would traverse all of them again for nothing (at
    100,000 tags, a third of the run). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class CatalogUnwritable(Refused):
    """The catalog could not be written (read-only ``.git``, full disk, a directory in
    its place); nothing was changed."""


def describe(exc: BaseException) -> str:
    """An OS or DuckDB error as a short phrase (no traceback, no paths repeated twice)."""
    if isinstance(exc, OSError) and exc.strerror:
        path = exc.filename2 or exc.filename  # a rename: the target is what is in the way
        name = os.path.basename(str(path)) if path else ""
        return f"{exc.strerror}" + (f" ({name})" if name else "")
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _is_io_error(exc: BaseException) -> bool:
    """A DuckDB error that comes from the file system (write failed, disk full)."""
    import duckdb

    if isinstance(exc, duckdb.IOException | duckdb.PermissionException):
        return True
    text = str(exc)
    return any(
        w in text
        for w in (
            "Could not write",
            "No space left",
            "File too large",
            "Permission denied",
            "Read-only file system",
            "Could not open",
            "Could not truncate",
        )
    )


def fresh_catalog(
    repo: git.Repo, progress: Progress = _noop, refresh: bool = True
) -> tuple[duckdb.DuckDBPyConnection, IndexSummary | None]:
    """The one way to an up-to-date catalog (CLI commands, the rollback dialog): the
    index run's summary (None without ``refresh``) and a read-only connection."""
    paths = repo_paths(repo)
    try:
        summary = update_catalog(repo, progress=progress) if refresh else None
    except CatalogUnwritable as exc:
        return _unwritable(repo, paths, progress, exc)
    con = connect_readonly(paths.catalog_file)
    if con is None:  # deleted or damaged between the update and now
        try:
            summary = update_catalog(repo, progress=progress, rebuild=True)
        except CatalogUnwritable as exc:
            return _unwritable(repo, paths, progress, exc)
        con = connect_readonly(paths.catalog_file)
    if con is None:
        raise RuntimeError(f"cannot open the catalog at {paths.catalog_file}")
    return con, summary


def open_catalog(
    repo: git.Repo, progress: Progress = _noop, refresh: bool = True
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the repository's catalog, brought up to date first."""
    return fresh_catalog(repo, progress, refresh)[0]


def _unwritable(
    repo: git.Repo, paths: RepoPaths, progress: Progress, exc: CatalogUnwritable
) -> tuple[duckdb.DuckDBPyConnection, IndexSummary]:
    """Answer without writing: the catalog as last indexed if there is a usable one, else
    a catalog indexed in memory for this run; the summary's ``warning`` says which."""
    con = connect_readonly(paths.catalog_file)
    if con is not None:
        total, models, versions, warnings = con.execute(
            "SELECT (SELECT count(*) FROM commits), (SELECT count(*) FROM models), "
            "(SELECT count(*) FROM versions), (SELECT count(*) FROM warnings)"
        ).fetchall()[0]
        summary = IndexSummary("stale", 0, total, models, versions, warnings, 0.0)
        summary.warning = f"{exc}; showing it as last indexed"
        return con, summary
    from modeltrail.store.catalog.index_run import index_in_memory

    with gc_paused():
        con, summary = index_in_memory(repo, progress)
    summary.warning = f"{exc}; indexed in memory for this run (nothing saved)"
    return con, summary


def open_snapshot(catalog_file: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only, memory-capped connection to the catalog as it is now (None if unusable).

    DuckDB shares one database instance per path within a process, so reconnecting to
    ``catalog.duckdb`` after a writer replaced it would return the old snapshot while any
    cursor of the old one is alive. Connecting through a fresh hard link (removed at once)
    gives a new instance on the new file; the old one lives on until its cursors close.
    """
    _remove_stale_links(catalog_file.parent)
    link = catalog_file.with_name(f"view.{os.getpid()}.{next(_LINKS)}.duckdb")
    try:
        os.link(catalog_file, link)
    except OSError:
        return _bounded(connect_readonly(catalog_file))
    try:
        return _bounded(connect_readonly(link))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(link)


def _remove_stale_links(directory: Path) -> None:
    """Links left by a process that was killed between making and removing one."""
    try:
        names = list(directory.glob("view.*.*.duckdb"))
    except OSError:
        return
    for path in names:
        pid = path.name.split(".")[1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                path.unlink()
        except OSError:
            pass


def _bounded(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection | None:
    import duckdb

    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            # give the memory a finished query freed back to the system within a second:
            # without it DuckDB's allocator kept ~50 MB per large join for the process's life
            con.execute("SET allocator_background_threads = true")
    return con


def empty_catalog() -> duckdb.DuckDBPyConnection:
    """An in-memory catalog with the schema and no rows (before the first index)."""
    import duckdb

    con = duckdb.connect(":memory:")
    for stmt in ddl():
        con.execute(stmt)
    return con
