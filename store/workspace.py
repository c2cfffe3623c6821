"""A workspace: several model repositories seen as one (``modeltrail --workspace FILE``).

The file is TOML, one ``[[repo]]`` table per repository::

    [[repo]]
    path = "~/src/churn-models"     # relative paths: from the workspace file's folder
    name = "churn"                  # optional: the folder's name by default

    [[repo]]
    url = "https://git.example.com/team/ranking-models.git"

Each repository keeps its own catalog (its own DuckDB file); :func:`index_all` brings
them up to date in parallel, one process per repository needing it, at most one per
core. A repository that cannot be read (missing, not a repository, corrupt) is a
:class:`Member` with an ``error``: one line, never the end of the others.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeltrail.store.errors import UsageError

if TYPE_CHECKING:
    import duckdb
    import git

    from modeltrail.store.catalog.generations import IndexSummary

#: a repository's name in REPO/MODEL and in export partitions: no separators
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Entry:
    """One ``[[repo]]`` of the workspace file."""

    name: str
    path: Path | None = None
    url: str | None = None


@dataclass
class Member:
    """One repository of an opened workspace: its ``repo`` or why there is none."""

    entry: Entry
    repo: git.Repo | None = None
    error: str | None = None
    warning: str | None = None  # readable, but something to say (catalog not writable)
    summary: IndexSummary | None = None  # the catalog's, once opened
    careful: bool = False  # its catalog could not be written: opened by fresh_catalog

    @property
    def name(self) -> str:
        return self.entry.name


def default_file() -> Path:
    """``$XDG_CONFIG_HOME/modeltrail/workspace.toml`` (``~/.config/modeltrail/...``)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "modeltrail" / "workspace.toml"


def load_workspace(file: str | os.PathLike[str]) -> list[Entry]:
    """The repositories a workspace file lists, in its order. UsageError (one line) when
    the file is missing, not TOML, or lists a repository without ``path`` or ``url``."""
    file = Path(file)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise UsageError(f"cannot read the workspace {file}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"the workspace {file} is not valid TOML: {exc}") from None
    tables = doc.get("repo", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise UsageError(f"the workspace {file} must list repositories as [[repo]] tables")
    if not tables:
        raise UsageError(f"the workspace {file} lists no repository ([[repo]] with a path)")
    entries: list[Entry] = []
    for number, table in enumerate(tables, 1):
        entries.append(_entry(file, number, table))
    seen: dict[str, int] = {}
    for number, e in enumerate(entries, 1):
        if e.name in seen:
            raise UsageError(
                f"the workspace {file} has two repositories named {e.name!r} "
                f'([[repo]] {seen[e.name]} and {number}); give one a name = "..."'
            )
        seen[e.name] = number
    return entries


def _entry(file: Path, number: int, table: dict[str, Any]) -> Entry:
    path, url, name = table.get("path"), table.get("url"), table.get("name")
    where = f"the workspace {file}, [[repo]] {number}"
    for key, value in (("path", path), ("url", url), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value):
            raise UsageError(f"{where}: {key} must be a non-empty text")
    if path is None and url is None:
        raise UsageError(f'{where}: give a path = "..." or a url = "..."')
    if path is not None:
        resolved = Path(path).expanduser()
        if not resolved.is_absolute():
            resolved = file.parent / resolved
        default = resolved.name
        if default in ("", ".", ".."):
            default = Path(os.path.abspath(resolved)).name
    else:
        assert url is not None  # checked above: a path or a url
        resolved = None
        default = re.sub(r"\.git$", "", re.split(r"[/:]", url.rstrip("/"))[-1])
    name = name if name is not None else default
    if not _NAME.fullmatch(name or ""):
        raise UsageError(
            f"{where}: the name {name!r} must be letters, digits, '.', '_' or '-' "
            '(it names the repository in REPO/MODEL); give one with name = "..."'
        )
    return Entry(name=name, path=resolved, url=url if path is None else None)


Progress = Callable[[int, int, str], None]

#: repositories opened and checked for anything new (URLs fetched) at the same time
LOOKERS = 8


def _quiet(done: int, total: int, name: str) -> None:
    pass


def index_all(
    entries: list[Entry],
    progress: Progress = _quiet,
    workers: int | None = None,
    rebuild: bool = False,
    offline: bool = False,
    cancel: threading.Event | None = None,
) -> list[Member]:
    """Every repository opened and its catalog brought up to date, in the file's order.

    Repositories with nothing new are answered from their state files here; the others
    are indexed in parallel, one process each, at most ``workers`` (default: the cores)
    at a time. ``progress(done, total, name)`` is called as each one finishes. A
    repository by URL is its cached partial clone, fetched first (not when ``offline``).
    Opening, fetching and the "anything new?" check run for up to :data:`LOOKERS`
    repositories at a time, in threads: they mostly wait for git and the network.
    Setting ``cancel`` stops the clones and fetches under way (their repositories get
    an error); so does an exception here (Ctrl-C), which then propagates."""
    from modeltrail.store.catalog.generations import unchanged_summary
    from modeltrail.store.repo import repo_paths

    cancel = cancel or threading.Event()

    def look(entry: Entry) -> Member:
        m = _open(entry, offline, cancel)
        if m.repo is not None:
            try:
                m.summary = None if rebuild else unchanged_summary(m.repo, repo_paths(m.repo))
            except Exception as exc:  # a corrupt repository: one line for its row
                _fail(m, exc)
        return m

    if len(entries) > 1:  # mostly waiting on git (and the network): threads overlap it
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(len(entries), LOOKERS)) as looking:
            try:
                members = list(looking.map(look, entries))
            except BaseException:  # Ctrl-C: the fetches in the threads stop too
                cancel.set()
                raise
    else:
        members = [look(e) for e in entries]
    stale = [m for m in members if m.repo is not None and m.summary is None]
    total = len(stale)
    cores = workers or os.cpu_count() or 1
    if total == 1 or cores == 1:
        for done, m in enumerate(stale, 1):
            assert m.repo is not None  # members without a repository are not stale
            m.error, m.summary = _index_one(str(m.repo.git_dir), rebuild)
            progress(done, total, m.name)
    elif total > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        with ProcessPoolExecutor(min(total, cores), mp_context=context) as pool:
            running = {
                pool.submit(_index_one, str(m.repo.git_dir), rebuild): m
                for m in stale
                if m.repo is not None
            }
            for done, future in enumerate(as_completed(running), 1):
                m = running[future]
                try:
                    m.error, m.summary = future.result()
                except Exception as exc:  # the worker itself died
                    m.error = _one_line(exc)
                progress(done, total, m.name)
    for m in members:
        m.careful = m.error is None and m.summary is None
        if m.error is not None and m.repo is not None:
            m.repo.close()
            m.repo = None
    return members


def _open(entry: Entry, offline: bool = False, cancel: threading.Event | None = None) -> Member:
    from modeltrail.store.remote_repo import open_url
    from modeltrail.store.repo import open_repo

    member = Member(entry)
    try:
        if entry.path is None:
            assert entry.url is not None  # an entry has a path or a url
            location = open_url(entry.url, offline=offline, cancel=cancel)
            member.repo, member.warning = location.repo, location.note
        else:
            member.repo = open_repo(entry.path)
    except Exception as exc:
        _fail(member, exc)
    return member


def _fail(member: Member, exc: BaseException) -> None:
    member.error = _one_line(exc)
    if member.repo is not None:
        member.repo.close()
        member.repo = None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:300]


def _index_one(git_dir: str, rebuild: bool = False) -> tuple[str | None, IndexSummary | None]:
    """Index one repository (in a worker process): (None, the run's IndexSummary), or
    (why it failed, in one line, None)."""
    from modeltrail.store.catalog.files import CatalogUnwritable, update_catalog
    from modeltrail.store.repo import open_repo

    try:
        repo = open_repo(git_dir)
        try:
            summary = update_catalog(repo, rebuild=rebuild)
        finally:
            repo.close()
    except CatalogUnwritable:
        return None, None  # answered as every command does: see open_catalogs
    except Exception as exc:
        return _one_line(exc), None
    return None, summary


def open_catalogs(
    members: list[Member], shared: bool = False
) -> list[tuple[Member, duckdb.DuckDBPyConnection]]:
    """(member, read-only catalog connection) for every readable member (just brought up
    to date by :func:`index_all`: opened as it is, else brought up to date again); a
    catalog that cannot be opened turns its member's ``error`` on instead.

    ``shared``: the catalogs are attached read-only to one in-memory DuckDB, and each
    connection is a cursor of it whose default database is that member's catalog (a
    query reads its tables by their plain names, as on a catalog of its own). Attaching
    costs a tenth of opening a database of its own (~0.1 s each, which twenty
    repositories add up to 2 s), but a ``.cursor()`` of such a connection reads the empty
    in-memory database: only for queries that run on the connection they are given
    (``changes``). The database closes with the last of them."""
    from modeltrail.store.catalog.files import fresh_catalog
    from modeltrail.store.catalog.generations import connect_readonly
    from modeltrail.store.repo import repo_paths

    out: list[tuple[Member, duckdb.DuckDBPyConnection]] = []
    memory: duckdb.DuckDBPyConnection | None = None  # shared: the one database
    for number, m in enumerate(members):
        if m.repo is None:
            continue
        try:
            con = None
            catalog_file = repo_paths(m.repo).catalog_file
            if shared and not m.careful:
                if memory is None:
                    memory = _memory()
                con = _attach_readonly(memory, f"repo{number}", catalog_file)
            elif not m.careful:
                con = connect_readonly(catalog_file)
            if con is None:  # not writable, or replaced meanwhile: the careful way
                con, summary = fresh_catalog(m.repo)
                m.summary = summary or m.summary
        except Exception as exc:
            _fail(m, exc)
            continue
        summary = m.summary
        if summary is not None and summary.warning:
            m.warning = summary.warning
        out.append((m, con))
    # ``memory`` itself is let go: its cursors keep the database open until each is closed
    return out


def _memory() -> duckdb.DuckDBPyConnection:
    import duckdb

    return duckdb.connect(":memory:")


def _attach_readonly(
    shared: duckdb.DuckDBPyConnection, alias: str, path: Path
) -> duckdb.DuckDBPyConnection | None:
    """A cursor of ``shared`` reading the catalog ``path`` (the ``catalog.duckdb`` link:
    the generation it points at now) attached read-only as ``alias``, or None when it is
    missing, damaged or of another schema (as :func:`connect_readonly` answers)."""
    import duckdb

    from modeltrail.store.catalog.schema import SCHEMA_VERSION

    for _ in range(3):  # a writer may swap generations between resolve and attach
        real = Path(os.path.realpath(path))
        if not real.is_file():
            return None
        literal = "'" + str(real).replace("'", "''") + "'"
        try:
            shared.execute(f"ATTACH {literal} AS {alias} (READ_ONLY)")
            break
        except (duckdb.Error, OSError):
            if real == Path(os.path.realpath(path)):
                return None
    else:
        return None
    con = shared.cursor()
    try:
        con.execute(f"USE {alias}")
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if rows and rows[0][0] == str(SCHEMA_VERSION):
            return con
    except duckdb.Error:
        pass
    con.close()
    shared.execute(f"DETACH {alias}")
    return None


def changes_since(
    members: list[Member],
    opened: list[tuple[Member, duckdb.DuckDBPyConnection]],
    since: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    """Every change at or after ``since`` in the readable ``members`` (each with its
    ``"repo"``), newest first; ``opened``: catalogs already open (the members whose
    catalog could not be written), asked and closed here.

    A member's answer kept beside its catalog for the current generation
    (:mod:`store.query.changes_cache`) is used as it is; the other catalogs are attached
    to one in-memory DuckDB, asked from :func:`window_start` on, and their answers kept.
    A catalog that cannot be opened turns its member's ``error`` on."""
    from modeltrail.store.catalog.generations import current_generation
    from modeltrail.store.query.changes_cache import (
        at_or_after,
        cached_changes,
        keep_changes,
        window_start,
    )
    from modeltrail.store.repo import repo_paths

    answers: dict[str, list[dict[str, Any]]] = {}
    ask: list[Member] = []
    generations: dict[str, list[Any] | None] = {}
    ready = {m.name for m, _con in opened}
    for m in members:
        if m.repo is None or m.name in ready:
            continue
        paths = repo_paths(m.repo)
        kept = cached_changes(paths, since)
        if kept is not None:
            answers[m.name] = kept
        else:
            generations[m.name] = current_generation(paths)  # before it is opened
            ask.append(m)
    if ask or opened:
        from modeltrail.store.query.changes import changes

        start = window_start(since, now)
        for m, con in [*opened, *open_catalogs(ask, shared=True)]:
            try:
                if m.name in generations:
                    found = changes(con, start)
                    assert m.repo is not None  # opened: it has a repository
                    keep_changes(repo_paths(m.repo), generations[m.name], start, found)
                    answers[m.name] = at_or_after(found, since)
                else:
                    answers[m.name] = changes(con, since)
            finally:
                con.close()
    from modeltrail.store.config import load_config
    from modeltrail.store.query.changes import judge

    for m in members:  # judged by each repository's own metric directions
        if m.name in answers and m.repo is not None:
            judge(answers[m.name], load_config(repo_paths(m.repo).root).better)
    return newest_first([{"repo": m.name, **c} for m in members for c in answers.get(m.name, [])])


def newest_first(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several repositories' changes in one list, newest first (at the same time, a stage
    event before a new version; otherwise in the order given: the workspace's)."""
    found.sort(key=lambda c: (c["timestamp"] or "", c["event"] != "version"), reverse=True)
    return found


def split_model(names: dict[str, list[str]], spec: str) -> list[tuple[str, str]]:
    """The (repository, model) pairs ``spec`` may mean: ``REPO/MODEL`` when REPO is a
    member holding MODEL, and ``spec`` as a whole model name in any member (a model's
    own name may hold a '/'). ``names``: repository → its model names."""
    found = [(r, spec) for r, models in names.items() if spec in models]
    head, sep, rest = spec.partition("/")
    if sep and head in names and rest in names[head] and (head, rest) not in found:
        found.insert(0, (head, rest))
    return found
