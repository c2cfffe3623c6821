"""The index run: bring the catalog up to date from git (nothing, incremental or full).

A full run walks every commit; an incremental run reads only new commits and changed
refs into a copy of the current catalog. Either writes a new generation through
``generations.new_generation``, so readers never see half a run. A catalog that is missing,
unreadable or of another schema version is rebuilt without being asked.

The incremental run is in ``incremental.py``; what both end with (the derived tables
and meta) in ``finish.py``, and the versions table in ``derive_versions.py``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from modeltrail.store import gitcmd
from modeltrail.store.catalog import (
    labels_log,
    model_fields,
    pulled,
)
from modeltrail.store.catalog.finish import (
    TAG_WARNINGS,
    TEMPLATE_VALUES,
    _finish,
    _gto_config,
    _heads,
    _insert,
    _json,
    _refresh_value_files,
    _set_meta,
    _summary,
)
from modeltrail.store.catalog.generations import (
    IndexSummary,
    Progress,
    RefsSeen,
    _noop,
    config_stamp,
    connect_readonly,
    current_generation,
    new_generation,
    read_meta,
    write_state,
    writer_lock,
)
from modeltrail.store.catalog.schema import ddl_script
from modeltrail.store.catalog.writer import BackgroundWriter
from modeltrail.store.config import Config, load_config
from modeltrail.store.read import derive, gitio, heap, indexer
from modeltrail.store.read.discovery import ModelDef
from modeltrail.store.repo import RepoPaths, repo_paths

if TYPE_CHECKING:
    import git

Written = TypeVar("Written")  # what a write returns
#: given a full run's new catalog and summary before the catalog is closed
LogFrom = Callable[[duckdb.DuckDBPyConnection, IndexSummary], None]


def run_index(
    repo: git.Repo, progress: Progress = _noop, rebuild: bool = False, seen: RefsSeen | None = None
) -> IndexSummary:
    """Bring the catalog up to date: nothing, an incremental run, or a full rebuild.

    Callers use ``files.update_catalog``, which answers "nothing new" without this module
    (``seen``: the refs that check listed, used if no other writer came in between).
    """
    start = time.perf_counter()
    paths = repo_paths(repo)
    with writer_lock(paths):
        # a rebuild looks at every tag's last recorded commit: read them meanwhile
        recorded = labels_log.LastRecorded(paths.catalog_dir) if rebuild else None
        listed = None  # a rebuild reads every ref: list them with their types once
        if seen is not None and seen.generation == current_generation(paths):
            ids = seen.ids
        elif rebuild:
            listed = gitio.list_refs(repo)
            ids = []  # a rebuild compares no ids with the catalog: none held (100,000 tags)
        else:
            ids = gitio.ref_ids(repo)
        pairs = ids if listed is None else ((name, oid) for name, _type, oid in listed)
        digest = gitio.refs_digest(itertools.chain(pairs, gitio.shallow_pairs(repo)))
        cfg = load_config(paths.root)
        config = config_stamp(paths)  # before the name: a config written in between differs
        root_name = gitio.repository_name(repo)  # a root model's name: asked once a run
        # no tag, nothing to record: spare opening the catalog again (a small repository)
        tagged = any(r[0].startswith("refs/tags/") for r in (ids if listed is None else listed))
        log: list[list[str]] = []  # a full run's log lines, read from the catalog it wrote

        def log_from(con: duckdb.DuckDBPyConnection, summary: IndexSummary) -> None:
            log.append(
                labels_log.pending(
                    paths.catalog_dir, con, tags=summary.tags_changed, recorded=recorded
                )
            )

        summary = _run_locked(
            repo,
            paths,
            ids,
            digest,
            progress,
            start,
            rebuild,
            cfg,
            root_name,
            listed,
            log_from if tagged else None,
        )
        logged = (paths.catalog_dir / labels_log.LOG_FILE).exists()
        if log:
            labels_log.append(paths.catalog_dir, log[0])
        elif (
            tagged
            and (summary.mode != "unchanged" or not logged)
            and summary.tags_changed != []  # no tag changed: nothing to record, no reopening
        ):
            con = connect_readonly(paths.catalog_file)
            if con is not None:
                try:
                    labels_log.record(
                        paths.catalog_dir, con, tags=summary.tags_changed, recorded=recorded
                    )
                finally:
                    con.close()
        write_state(
            paths,
            digest,
            summary,
            tag_patterns=cfg.tag_patterns,
            root_name=root_name,
            config=config,
        )
        return summary


def index_in_memory(
    repo: git.Repo, progress: Progress = _noop
) -> tuple[duckdb.DuckDBPyConnection, IndexSummary]:
    """A full index into an in-memory catalog, for a repository whose catalog cannot be
    written (read-only ``.git``, full disk): nothing is written anywhere."""
    start = time.perf_counter()
    refs = gitio.read_refs(repo)
    digest = gitio.refs_digest([*((r.name, r.object) for r in refs), *gitio.shallow_pairs(repo)])
    paths = repo_paths(repo)
    cfg = load_config(paths.root)
    con = duckdb.connect(":memory:")
    name = gitio.repository_name(repo)
    summary = _full(repo, paths, refs, digest, progress, start, "in memory", cfg, name, into=con)
    return con, summary


def _run_locked(
    repo: git.Repo,
    paths: RepoPaths,
    ids: list[tuple[str, str]],
    digest: str,
    progress: Progress,
    start: float,
    rebuild: bool,
    cfg: Config,
    root_name: str,
    listed: list[tuple[str, str, str]] | None = None,
    log: LogFrom | None = None,
) -> IndexSummary:
    old = None if rebuild else connect_readonly(paths.catalog_file)
    reason = "rebuild requested" if rebuild else "no usable catalog"
    if old is not None:
        try:
            meta = read_meta(old)
            same_patterns = meta.get("tag_patterns") == json.dumps(cfg.tag_patterns)
            same_gto = meta.get("gto_config") == _json(_gto_config(repo, paths).as_json())
            same_name = meta.get("root_name") == root_name
            if meta.get("refs_digest") == digest and same_patterns and same_gto and same_name:
                if not pulled.arrived(paths.root, pulled.awaited(old)):
                    return _summary(old, "unchanged", 0, start)
                old.close()
                return _read_pulled(repo, paths, start)
            if _shallow_marked(old) != gitio.shallow_commits(repo):
                raise _ShallowChanged
            # the incremental run, imported only here: a rebuild never needs it
            from modeltrail.store.catalog.incremental import _incremental

            # a root model is named after the repository: a new name finds the models again
            summary = (
                _incremental(repo, paths, old, meta, ids, digest, progress, start, cfg, root_name)
                if same_name
                else None
            )
            if summary is not None:
                return summary
            reason = (
                "history changed in a way that needs a full index"
                if same_name
                else "the repository's name (origin URL) changed"
            )
        except _ShallowChanged:
            reason = "the shallow clone's boundary changed"
        except (duckdb.Error, OSError) + gitcmd.git_command_errors() as exc:
            reason = f"catalog unusable ({type(exc).__name__}); rebuilt"
        finally:
            with contextlib.suppress(Exception):
                old.close()
    refs = gitio.read_refs(repo, listed=listed)
    return _full(repo, paths, refs, digest, progress, start, reason, cfg, root_name, log=log)


def _read_pulled(repo: git.Repo, paths: RepoPaths, start: float) -> IndexSummary:
    """Nothing new in git, but DVC objects the catalog waited for are in the local cache
    now (``dvc pull``): read them into a new generation."""
    with new_generation(paths, copy_current=True) as con:
        touched = pulled.read_arrived(repo, paths.root, con)
        _refresh_value_files(con, touched)
        return _summary(con, "incremental", 0, start, "DVC objects arrived in the local cache")


class _ShallowChanged(Exception):
    """The clone was deepened or made shallow: its first commits are different."""


SHALLOW_WARNING = (
    "shallow clone: the history before this commit is missing, so models seem to begin "
    "here (git fetch --unshallow reads all of it)"
)


def _shallow_marked(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT commit FROM warnings WHERE path = $1 ORDER BY commit", [gitio.SHALLOW]
    ).fetchall()
    return [r[0] for r in rows]


def _ref_commits(refs: list[gitio.RefRecord]) -> list[str]:
    return sorted({r.commit for r in refs if r.commit})


#: DuckDB's cache while a full index writes its new catalog: the walk only appends rows,
#: which DuckDB writes out to the file as they come, and deriving the versions needs
#: little more at 100,000 commits (DuckDB's default, 80% of RAM, held ~150 MB more)
WALK_MEMORY = "32MB"


#: DuckDB's cache while the versions are derived: written a slice of the history at a
#: time (``derive_versions.VERSION_SLICE``) 100,000 versions fit in 128 MB (in one
#: statement they did not, and the retry without a cap redid every step of the finish
#: with ~250 MB of DuckDB's)
FINISH_MEMORY = "128MB"


def _full(
    repo: git.Repo,
    paths: RepoPaths,
    refs: list[gitio.RefRecord],
    digest: str,
    progress: Progress,
    start: float,
    reason: str,
    cfg: Config,
    root_name: str,
    into: duckdb.DuckDBPyConnection | None = None,
    log: LogFrom | None = None,
) -> IndexSummary:
    """A full index into a new generation (or ``into``); ``log`` is given the new catalog
    and the summary before the catalog is closed (the labels log's lines)."""
    target = contextlib.nullcontext(into) if into is not None else new_generation(paths, False)
    with target as con:
        con.execute(ddl_script())
        capped = into is None  # an in-memory catalog has nowhere to spill to
        if capped:
            _cap(con, WALK_MEMORY)
        # the walk's rows are written by a thread while the walk goes on
        writer = BackgroundWriter(functools.partial(_uncapped_if_needed, con, _insert))
        facts = indexer.Facts(sink=writer)
        try:
            models, der, commit_count = _walk_into(
                repo, paths, refs, cfg, facts, progress, con, root_name
            )
            facts.spill(0)  # what is left of the walk's rows
        except BaseException:
            writer.abandon()
            raise
        writer.close()
        heap.trim()  # what the walk and the parse freed, before DuckDB's work
        # kept too: the summary reports them
        _uncapped_if_needed(con, _insert, "warnings", facts.warnings)
        if capped:
            _cap(con, FINISH_MEMORY)

        def finish(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
            # _finish rebuilds every table it fills; the tag warnings of a try that ran
            # out of memory go first (a new catalog has none of its own to keep)
            con.execute(f"DELETE FROM warnings WHERE commit IS NULL AND path = '{TAG_WARNINGS}'")
            new = _finish(
                con, refs, digest, models, der, facts.declarations, cfg, root_name, facts.renames
            )
            model_fields.refresh(repo, con, cfg.main, root_name, fresh=True)
            _refresh_value_files(con)
            return new

        for w in _uncapped_if_needed(con, finish):
            facts.warnings.add(*w)
        _set_meta(con, TEMPLATE_VALUES, facts.template_values)
        summary = _summary(con, "full", commit_count, start, reason, facts.warnings)
        if log is not None:
            log(con, summary)
    return summary


def _cap(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory, unless it already holds more than that."""
    with contextlib.suppress(duckdb.OutOfMemoryException):
        con.execute(f"SET memory_limit = '{limit}'")


def _uncapped_if_needed(
    con: duckdb.DuckDBPyConnection, write: Callable[..., Written], *args: Any
) -> Written:
    """``write(con, *args)``; if DuckDB's memory cap is too small for it, again without
    the cap (a statement that failed changed nothing)."""
    try:
        return write(con, *args)
    except duckdb.OutOfMemoryException:
        con.execute("RESET memory_limit")
        return write(con, *args)


def _walk_into(
    repo: git.Repo,
    paths: RepoPaths,
    refs: list[gitio.RefRecord],
    cfg: Config,
    facts: indexer.Facts,
    progress: Progress,
    con: duckdb.DuckDBPyConnection,
    root_name: str,
) -> tuple[dict[str, ModelDef], derive.Derived, int]:
    """Walk the whole history into ``facts`` (which writes its rows to ``con`` as they
    come): the models, what the refs say of them, and how many commits there were. The
    commit records live only as long as this call."""
    # each commit's own row is made as the walk reads it: the records keep only what
    # the steps after the walk read (100,000 commits' messages, trees and dates held
    # to the end of the walk left ~40 MB more of Python's memory behind)
    walked = indexer.add_commits(facts, gitio.walk_commits(repo, _ref_commits(refs)), 0)
    commits = [_lean(c) for c in walked]
    for boundary in gitio.shallow_commits(repo):
        facts.warnings.add(boundary, gitio.SHALLOW, None, SHALLOW_WARNING)
    facts.declarations = indexer.declarations_in(commits, {})
    facts.renames = indexer.declaration_renames(commits, repo=repo)
    models = indexer.discover(
        repo,
        facts.declarations,
        facts,
        root_name,
        history=indexer.declaration_history(commits),
        renames=facts.renames,
        values=lambda paths: indexer.newest_blobs(commits, paths, {})[0],
    )
    der = derive.from_refs(refs, set(models), cfg.tag_patterns)
    der.gto_config = _gto_config(repo, paths, facts)
    bc, bb = indexer.branch_membership([(c.commit, c.parents) for c in commits], _heads(refs))
    cols = indexer.Columns("commit", "branch")
    cols.cols["commit"], cols.cols["branch"] = bc, bb
    assert facts.sink is not None
    facts.sink("commit_branches", cols)
    del bc, bb, cols
    count = len(commits)
    walk = indexer.Walk(repo, paths, commits, models, der.labelled, {})
    indexer.fill_facts(walk, facts, progress=progress, consume=True, commits_added=True)
    return models, der, count


_EPOCH = datetime.fromtimestamp(0, tz=UTC)


def _lean(c: gitio.CommitRecord) -> gitio.CommitRecord:
    """``c`` without what only its own row needed (tree, author, dates, message)."""
    c.tree = c.author_name = c.author_email = c.message = ""
    c.author_date = c.committer_date = _EPOCH
    return c


__all__ = ["run_index"]
