"""The catalog file: where it lives, who may write it, and how readers open it.

Writers never modify the file readers have open: an index run builds the new catalog in
a temporary file beside it (a copy, for an incremental run) and renames it into place as
a new generation behind the ``catalog.duckdb`` link, so a reader keeps a consistent
snapshot. Writers take ``catalog.lock`` (``flock``) so two of them do not race.

This module imports neither the indexer nor pyarrow: the TUI opens its first snapshot
with it before anything else is loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
from modeltrail.store.catalog.schema import SCHEMA_VERSION, ddl
from modeltrail.store.repo import RepoPaths

#: DuckDB's memory cap for read-only snapshots (it would otherwise cache every block read).
DUCKDB_MEMORY = os.environ.get("MODELTRAIL_DUCKDB_MEMORY", "128MB")
_LINKS = itertools.count()


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
    con = None
    for _ in range(3):  # a writer may swap generations between resolve and open
        real = Path(os.path.realpath(path))
        if not real.is_file():
            return None
        try:
            con = duckdb.connect(str(real), read_only=True)
            break
        except (duckdb.Error, OSError):
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
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(gen.name, link)
    os.replace(link, final)
    for old in final.parent.glob("catalog-*.duckdb*"):
        if old.name != gen.name:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


@contextlib.contextmanager
def new_generation(paths: RepoPaths, copy_current: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable catalog in a temporary file (empty, or a copy of the current one),
    inside one transaction; installed as the current catalog only if the block succeeds."""
    tmp = _tmp_path(paths)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        if copy_current:
            shutil.copyfile(paths.catalog_file, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _install(tmp, paths.catalog_file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


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
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    return con


def empty_catalog() -> duckdb.DuckDBPyConnection:
    """An in-memory catalog with the schema and no rows (before the first index)."""
    con = duckdb.connect(":memory:")
    for stmt in ddl():
        con.execute(stmt)
    return con
