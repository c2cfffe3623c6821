"""The index run: bring the catalog up to date from git (nothing, incremental or full).

A full run walks every commit; an incremental run reads only new commits and changed
refs into a copy of the current catalog. Either writes a new generation through
``generations.new_generation``, so readers never see half a run. A catalog that is missing,
unreadable or of another schema version is rebuilt without being asked.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import duckdb
import git
import pyarrow as pa

from modeltrail.store import gitcmd
from modeltrail.store.catalog import (
    branches,
    labels_log,
    lines,
    lines_advance,
    pulled,
    ref_delta,
    tag_update,
)
from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.catalog.generations import (
    IndexSummary,
    Progress,
    RefsSeen,
    _noop,
    connect_readonly,
    current_generation,
    new_generation,
    read_meta,
    write_state,
    writer_lock,
)
from modeltrail.store.catalog.schema import SCHEMA_VERSION, VALUE_FILES, ddl
from modeltrail.store.config import Config, load_config
from modeltrail.store.read import derive, gitio, gto, indexer
from modeltrail.store.read import labels as labels_mod
from modeltrail.store.read.discovery import Content, ModelDef
from modeltrail.store.repo import RepoPaths, repo_paths

Written = TypeVar("Written")  # what a write returns


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
        root_name = gitio.repository_name(repo)  # a root model's name: asked once a run
        summary = _run_locked(
            repo, paths, ids, digest, progress, start, rebuild, cfg, root_name, listed
        )
        if summary.mode != "unchanged" or not (paths.catalog_dir / labels_log.LOG_FILE).exists():
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
        except (duckdb.Error, OSError, git.GitCommandError) as exc:
            reason = f"catalog unusable ({type(exc).__name__}); rebuilt"
        finally:
            with contextlib.suppress(Exception):
                old.close()
    refs = gitio.read_refs(repo, listed=listed)
    return _full(repo, paths, refs, digest, progress, start, reason, cfg, root_name)


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


def _refresh_value_files(con: duckdb.DuckDBPyConnection, models: set[str] | None = None) -> None:
    """``value_files`` anew from the versions' sources (of ``models`` only when given: the
    models whose sources a run added): the metrics and params views join it instead of
    counting every version's files."""
    if models is None:
        con.execute("DELETE FROM value_files")
        con.execute(f"INSERT INTO value_files {VALUE_FILES.format(where='')}")
        return
    if not models:
        return
    table_rows.register_names(con, "touched_models", models)
    con.execute("DELETE FROM value_files WHERE model IN (SELECT name FROM touched_models)")
    where = "WHERE model IN (SELECT name FROM touched_models)"
    con.execute(f"INSERT INTO value_files {VALUE_FILES.format(where=where)}")
    con.unregister("touched_models")


def _summary(
    con: duckdb.DuckDBPyConnection,
    mode: str,
    commits: int,
    start: float,
    reason: str = "",
    found: indexer.Columns | None = None,
) -> IndexSummary:
    total, models, versions, warnings = con.execute(
        "SELECT (SELECT count(*) FROM commits), (SELECT count(*) FROM models), "
        "(SELECT count(*) FROM versions), (SELECT count(*) FROM warnings)"
    ).fetchall()[0]
    new = []
    if found is not None:
        c = found.cols
        new = [
            {"commit": a, "path": b, "model": m, "message": t}
            for a, b, m, t in zip(c["commit"], c["path"], c["model"], c["message"], strict=True)
        ]
    return IndexSummary(
        mode,
        commits,
        total,
        models,
        versions,
        warnings,
        time.perf_counter() - start,
        reason,
        new_warnings=new,
        dvc_awaited=pulled.awaited(con),
    )


_insert = table_rows.insert
_insert_rows = table_rows.insert_rows


REF_COLUMNS = (
    "name",
    "short",
    "kind",
    "commit",
    "object",
    "annotated",
    "tagger_name",
    "tagger_email",
    "tag_date",
    "tag_message",
)
EVENT_COLUMNS = table_rows.EVENT_COLUMNS


def _insert_refs(con: duckdb.DuckDBPyConnection, refs: list[gitio.RefRecord]) -> None:
    """Write ref records to ``refs``, one column at a time (no row tuples: 100,000 tags),
    :data:`indexer.SPILL_ROWS` refs at a time (all at once, the lists and their Arrow
    copies took ~65 MB at 100,000 tags)."""
    for first in range(0, len(refs), indexer.SPILL_ROWS):
        part = refs[first : first + indexer.SPILL_ROWS]
        cols = indexer.Columns(*REF_COLUMNS)
        for name in REF_COLUMNS:
            cols.cols[name] = [getattr(r, name) for r in part]
        _insert(con, "refs", cols)


def _ref_commits(refs: list[gitio.RefRecord]) -> list[str]:
    return sorted({r.commit for r in refs if r.commit})


def _model_rows(models: dict[str, ModelDef], gto_names: set[str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for m in models.values():
        content = json.dumps(m.content.as_json())
        rows.append(
            (m.name, m.path, m.artifact_path, m.type, m.description, m.labels, m.sources, content)
        )
    for name in sorted(gto_names - set(models)):
        rows.append((name, None, None, None, None, [], ["gto"], None))
    return rows


_BRANCH_KINDS = ("branch", "remote")


def _heads(refs: list[gitio.RefRecord]) -> dict[str, str]:
    return gitio.effective_branches(
        (r.kind, r.short, r.commit) for r in refs if r.kind in _BRANCH_KINDS
    )


#: DuckDB's cache while a full index writes its new catalog: the walk only appends rows,
#: which DuckDB writes out to the file as they come, and deriving the versions needs
#: little more at 100,000 commits (DuckDB's default, 80% of RAM, held ~150 MB more)
WALK_MEMORY = "32MB"
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
) -> IndexSummary:
    target = contextlib.nullcontext(into) if into is not None else new_generation(paths, False)
    with target as con:
        for stmt in ddl():
            con.execute(stmt)
        capped = into is None  # an in-memory catalog has nowhere to spill to
        if capped:
            _cap(con, WALK_MEMORY)
        facts = indexer.Facts(sink=functools.partial(_uncapped_if_needed, con, _insert))
        models, der, commit_count = _walk_into(
            repo, paths, refs, cfg, facts, progress, con, root_name
        )
        facts.spill(0)  # what is left of the walk's rows
        assert facts.sink is not None  # (made with one just above)
        facts.sink("warnings", facts.warnings)  # kept too: the summary reports them
        if capped:
            _cap(con, FINISH_MEMORY)

        def finish(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
            # _finish rebuilds every table it fills; the tag warnings of a try that ran
            # out of memory go first (a new catalog has none of its own to keep)
            con.execute(f"DELETE FROM warnings WHERE commit IS NULL AND path = '{TAG_WARNINGS}'")
            new = _finish(
                con, refs, digest, models, der, facts.declarations, cfg, root_name, facts.renames
            )
            _refresh_value_files(con)
            return new

        for w in _uncapped_if_needed(con, finish):
            facts.warnings.add(*w)
        _set_meta(con, TEMPLATE_VALUES, facts.template_values)
        summary = _summary(con, "full", commit_count, start, reason, facts.warnings)
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
    commits = list(gitio.walk_commits(repo, _ref_commits(refs)))
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
    indexer.build_facts(
        repo, paths, commits, models, der.labelled, {}, facts, progress=progress, consume=True
    )
    return models, der, count


def _finish(
    con: duckdb.DuckDBPyConnection,
    refs: list[gitio.RefRecord],
    digest: str,
    models: dict[str, ModelDef],
    der: derive.Derived,
    declarations: dict[str, str],
    cfg: Config,
    root_name: str,
    renames: dict[str, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Rebuild the derived tables (refs, models, labels, stages, versions) and meta.

    Returns the tag and label warnings that the catalog did not hold before."""
    for table in ("refs", "models", "labels", "stage_events", "stages", "meta"):
        con.execute(f"DELETE FROM {table}")
    # 100,000 refs and labels: DuckDB writes them in a thread while Python ranks
    with _Writer(con) as writer:
        writer.submit(_insert_refs, refs)
        _insert_rows(
            con,
            "models",
            (
                "name",
                "path",
                "artifact_path",
                "type",
                "description",
                "labels",
                "sources",
                "content",
            ),
            _model_rows(models, der.gto_names),
        )
        manifest = con.execute(
            "SELECT model, commit, manifest_version FROM model_commits "
            "WHERE manifest_version IS NOT NULL"
        ).fetchall()
        label_rows = list(der.label_rows) + [(m, c, v, "manifest", None) for m, c, v in manifest]
        ranked = derive.rank_labels(label_rows)
        writer.submit(_insert_rows, "labels", LABEL_COLUMNS, ranked)
        before = set(
            con.execute(
                f"SELECT commit, path, model, message FROM warnings "
                f"WHERE commit IS NULL AND path = '{TAG_WARNINGS}'"
            ).fetchall()
        )
        con.execute(f"DELETE FROM warnings WHERE commit IS NULL AND path = '{TAG_WARNINGS}'")
        tag_warnings = [(None, TAG_WARNINGS, None, w) for w in cfg.tag_warnings] + [
            (None, TAG_WARNINGS, m, w) for m, w in derive.label_warnings(ranked, der.clashes)
        ]
        _insert_rows(con, "warnings", ("commit", "path", "model", "message"), tag_warnings)
        rb = con.execute(
            "SELECT commit, author_name, author_email, committer_date, message FROM commits "
            "WHERE message LIKE '%Rollback-Model:%'"
        ).fetchall()
        events = der.events + derive.rollback_events(rb)
        writer.submit(_insert_rows, "stage_events", EVENT_COLUMNS, events)
        allowed = der.gto_config.stages
        shown = [row for row in der.stages if allowed is None or row[1] in allowed]
        writer.submit(
            _insert_rows, "stages", ("model", "stage", "version", "commit", "since", "ref"), shown
        )
        # the labelled commits' dates (from the rows: the labels table is being written)
        dates = dict(
            con.execute(
                "SELECT commit, author_date FROM commits WHERE commit IN (SELECT unnest($1))",
                [sorted({r[1] for r in ranked})],
            ).fetchall()
        )
        latest = {m: [lab, "labels"] for m, lab in derive.latest_label(ranked, dates).items()}
        for name, lab in der.gto_latest.items():
            if lab:
                latest[name] = [lab, "gto"]
    _relined, lines_state = _write_lines(con, cfg)
    _materialize_versions(con, {m: v[0] for m, v in latest.items()}, _main_branch(con, cfg, refs))
    _write_meta(
        con,
        digest,
        declarations,
        models,
        latest,
        cfg,
        der.gto_config.as_json(),
        root_name,
        renames=renames,
        lines_state=lines_state,
    )
    return [w for w in tag_warnings if w not in before]


class _Writer:
    """Writes that DuckDB does in a thread, on its own cursor, in the order submitted,
    while the caller's thread goes on with its Python work (DuckDB writes without the
    GIL). Leaving the block waits for them; the first error is raised then."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._cursor = con.cursor()
        self._jobs: queue.Queue[tuple[Callable[..., object], tuple[Any, ...]] | None]
        self._jobs = queue.Queue()
        self._failed: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)

    def submit(self, write: Callable[..., object], *args: Any) -> None:
        """Call ``write(cursor, *args)`` in the writer's thread."""
        self._jobs.put((write, args))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if not self._failed:
                try:
                    job[0](self._cursor, *job[1])
                except BaseException as exc:  # raised in the caller's thread on exit
                    self._failed.append(exc)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._jobs.put(None)
        self._thread.join()
        self._cursor.close()
        if self._failed and exc_info[0] is None:
            raise self._failed[0]


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    digest: str,
    declarations: dict[str, Any],
    models: dict[str, ModelDef],
    latest: dict[str, Any],
    cfg: Config,
    gto_config: str | dict[str, Any],  # as .gto reads, or its JSON text
    root_name: str,
    fingerprint: str | None = None,
    renames: dict[str, str] | None = None,
    lines_state: str = "",
) -> None:
    """``fingerprint``: the models' fingerprint when already known (not computed again);
    ``renames``: the declaring files moved (``indexer.declaration_renames``);
    ``lines_state``: what the next run needs to give new commits their lines alone."""
    con.execute("DELETE FROM meta")
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "refs_digest": digest,
        "indexed_at": datetime.now(UTC).isoformat(),
        "declarations": json.dumps(declarations, sort_keys=True),
        "renames": json.dumps(renames or {}, sort_keys=True),
        "models_fingerprint": fingerprint or _models_fingerprint(models),
        "latest": json.dumps(latest, sort_keys=True),  # model -> [label, gto | labels]
        "tag_patterns": json.dumps(cfg.tag_patterns),  # labels depend on them
        # .gto as read (allowed stages, types); stage holders shown depend on it
        "gto_config": gto_config if isinstance(gto_config, str) else _json(gto_config),
        # a root model is named after the repository (origin URL): a new name re-discovers
        "root_name": root_name,
        lines_advance.META_KEY: lines_state,
    }
    _insert_rows(con, "meta", ("key", "value"), sorted(meta.items()))


#: meta key: the newest blob of each file templated dvc.yaml declarations take values
#: from (``indexer.Facts.template_values``), JSON
TEMPLATE_VALUES = "template_values"


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: object) -> None:
    """One meta entry (JSON), beside the ones :func:`_write_meta` wrote."""
    con.execute("DELETE FROM meta WHERE key = $1", [key])
    con.execute("INSERT INTO meta VALUES ($1, $2)", [key, json.dumps(value, sort_keys=True)])


def _finish_new_commits(
    con: duckdb.DuckDBPyConnection,
    delta: ref_delta.RefDelta,
    digest: str,
    models: dict[str, ModelDef],
    declarations: dict[str, str],
    meta: dict[str, str],
    new_ids: list[str],
    moved: list[str],
    cfg: Config,
    renames: dict[str, str] | None = None,
) -> None:
    """The derived tables after new commits when no tag changed.

    No existing label, stage or event can have changed, so only the new commits'
    versions (with manifest labels and rollback trailers) are added, the moved branches
    updated, and the latest label reconsidered against the new labels.
    """
    _replace_changed_refs(con, delta)
    relined, lines_state = _write_lines(con, cfg, new_ids, meta.get(lines_advance.META_KEY))
    con.register("new_ids", pa.table({"commit": pa.array(new_ids, pa.string())}))
    manifest = con.execute(
        "SELECT model, commit, manifest_version FROM model_commits "
        "WHERE manifest_version IS NOT NULL AND commit IN (SELECT commit FROM new_ids)"
    ).fetchall()
    ranked = derive.rank_labels([(m, c, v, "manifest", None) for m, c, v in manifest])
    _insert_rows(con, "labels", LABEL_COLUMNS, ranked)
    if ranked:  # a new manifest version may mix schemes
        _mixed_scheme_warnings(con)
    rb = con.execute(
        "SELECT commit, author_name, author_email, committer_date, message FROM commits "
        "WHERE message LIKE '%Rollback-Model:%' AND commit IN (SELECT commit FROM new_ids)"
    ).fetchall()
    _insert_rows(con, "stage_events", EVENT_COLUMNS, derive.rollback_events(rb))
    latest = json.loads(meta.get("latest", "{}"))
    by_model: dict[str, list[Any]] = {}
    for model, _commit, label, *_ in ranked:
        by_model.setdefault(model, []).append(label)
    for model, new_labels in by_model.items():
        old = latest.get(model)
        if old is not None and old[1] == "gto":
            continue
        candidates = []
        if old:
            kind = con.execute(
                "SELECT kind FROM labels WHERE model = $1 AND label = $2 ORDER BY rank LIMIT 1",
                [model, old[0]],
            ).fetchall()
            candidates.append(
                labels_mod.LabelledVersion(label=old[0], order=0, kind=kind[0][0] if kind else None)
            )
        candidates += [
            labels_mod.LabelledVersion(label=x, order=1, kind="manifest") for x in new_labels
        ]
        best = labels_mod.pick_latest(candidates)
        if best is not None:
            latest[model] = [best, "labels"]
    _materialize_versions(
        con, {m: v[0] for m, v in latest.items()}, _main_of(con, cfg, delta.heads), only=new_ids
    )
    _refresh_branches(con, [*moved, *relined])
    # the models are the catalog's, or found again with the same fingerprint
    _write_meta(
        con,
        digest,
        declarations,
        models,
        latest,
        cfg,
        meta.get("gto_config") or "",
        meta.get("root_name") or "",
        fingerprint=meta.get("models_fingerprint"),
        renames=renames,
        lines_state=lines_state,
    )


def _prune_unlabelled(
    con: duckdb.DuckDBPyConnection,
    models: list[str] | None,
    labelled: dict[str, set[str]] | None = None,
) -> None:
    """Forget versions that only a tag made (commits that did not change the model) once
    no tag names them any more, as a full index would not list them. ``labelled``: the
    (commit -> models) that tags name now; else read from the derived tables, for
    ``models`` only. The caller rebuilds those models' versions afterwards."""
    scope = ""
    if models is not None:
        table_rows.register_names(con, "pruned_scope", models)
        scope = "AND mc.model IN (SELECT name FROM pruned_scope)"
    named = ""
    if labelled is None:
        named = """
          AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.model = mc.model
                          AND l.commit = mc.commit AND l.kind <> 'manifest')
          AND NOT EXISTS (SELECT 1 FROM stages s WHERE s.model = mc.model
                          AND s.commit = mc.commit)
          AND NOT EXISTS (SELECT 1 FROM stage_events e WHERE e.model = mc.model
                          AND e.commit = mc.commit AND e.ref IS DISTINCT FROM e.commit)"""
    gone = con.execute(
        f"SELECT mc.model, mc.commit FROM model_commits mc "
        f"WHERE NOT coalesce(mc.changed, false) {scope} {named}"
    ).fetchall()
    if labelled is not None:
        gone = [(m, c) for m, c in gone if m not in labelled.get(c, ())]
    if not gone:
        return
    pairs = indexer.Columns("model", "commit")
    for m, c in gone:
        pairs.add(m, c)
    con.register("pruned", pa.table(pairs.cols))
    for table in ("model_commits", "version_files", "version_sources", "versions"):
        con.execute(
            f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM pruned p "
            "WHERE p.model = t.model AND p.commit = t.commit)"
        )


def _finish_tags(
    con: duckdb.DuckDBPyConnection,
    tag_plan: tag_update.TagPlan,
    gto_config: gto.GtoConfig,
    cfg: Config,
    heads: list[gitio.RefRecord],
) -> list[tuple[Any, ...]]:
    """The derived tables after tags changed: only the models the changed tags touch
    (their labels, stages, events, latest and versions). Returns the new tag warnings."""
    found, latest = tag_update.apply(con, tag_plan, gto_config.stages)
    _prune_unlabelled(con, sorted(tag_plan.models))
    _materialize_versions(
        con,
        {m: v[0] for m, v in latest.items()},
        _main_of(con, cfg, heads),
        models=sorted(tag_plan.models),
    )
    con.execute(
        "UPDATE meta SET value = $1 WHERE key = 'latest'", [json.dumps(latest, sort_keys=True)]
    )
    return found


TAG_WARNINGS = table_rows.TAG_WARNINGS
LABEL_COLUMNS = table_rows.LABEL_COLUMNS


def _mixed_scheme_warnings(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite the "labels mix schemes" warnings from the labels table."""
    con.execute(
        f"DELETE FROM warnings WHERE commit IS NULL AND path = '{TAG_WARNINGS}' "
        "AND message LIKE 'labels mix schemes:%'"
    )
    rows = con.execute("SELECT model, commit, label, kind, tag FROM labels").fetchall()
    _insert_rows(
        con,
        "warnings",
        ("commit", "path", "model", "message"),
        [(None, TAG_WARNINGS, m, w) for m, w in derive.label_warnings(rows, [])],
    )


def _models_fingerprint(models: dict[str, ModelDef]) -> str:
    return json.dumps(
        sorted(
            (m.name, m.path, m.artifact_path, sorted(m.sources), m.content.as_json())
            for m in models.values()
        )
    )


GTO_CONFIG = ".gto"
MAX_CONFIG = 1024 * 1024


def _gto_config(
    repo: git.Repo, paths: RepoPaths, facts: indexer.Facts | None = None
) -> gto.GtoConfig:
    """``.gto`` as GTO reads it: the work tree's file (HEAD's in a bare repository)."""
    data: bytes | None = None
    if repo.working_tree_dir:
        try:
            with open(paths.root / GTO_CONFIG, "rb") as f:
                data = f.read(MAX_CONFIG)
        except OSError:
            data = None
    else:
        done = gitcmd.run(repo, "cat-file", "blob", f"HEAD:{GTO_CONFIG}", check=False)
        data = done.stdout[:MAX_CONFIG] if done.returncode == 0 else None
    config, warnings = gto.parse_config(data)
    if facts is not None:  # what is wrong with it, said once per run that reads it anew
        for w in warnings:
            facts.warnings.add(None, GTO_CONFIG, None, f"{GTO_CONFIG}: {w}")
    return config


def _main_branch(
    con: duckdb.DuckDBPyConnection, cfg: Config, refs: list[gitio.RefRecord]
) -> str | None:
    return branches.main_branch(con, cfg.main, _heads(refs))


def _main_of(
    con: duckdb.DuckDBPyConnection, cfg: Config, heads: list[gitio.RefRecord]
) -> str | None:
    """The main branch, from the branch and remote-branch refs only."""
    return branches.main_branch(con, cfg.main, _heads(heads))


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _materialize_versions(
    con: duckdb.DuckDBPyConnection,
    latest: dict[str, str],
    main: str | None,
    only: list[str] | None = None,
    models: list[str] | None = None,
) -> None:
    """Fill ``versions`` from the walk facts, labels, stages and branches.

    ``only``: add just these (new) commits, numbering on from each model's last ``seq``;
    ``models``: rebuild just these models' rows; otherwise rebuild the whole table.
    ``is_latest`` is then set for every row (for ``models``: for theirs).
    """
    latest_rows = indexer.Columns("model", "label")
    for k, v in latest.items():
        latest_rows.add(k, v)
    con.register(
        "latest_tbl",
        pa.table(
            latest_rows.cols, schema=pa.schema([("model", pa.string()), ("label", pa.string())])
        ),
    )
    params: list[Any] = []
    if models is not None:
        table_rows.register_names(con, "rebuilt_models", models)
        scope = "WHERE model IN (SELECT name FROM rebuilt_models)"
        con.execute(f"DELETE FROM versions {scope}")
        commit_scope = f"WHERE commit IN (SELECT commit FROM model_commits {scope})"
        seq_base = "0"
    elif only is None:
        con.execute("DELETE FROM versions")
        scope, commit_scope, seq_base = "", "", "0"
    else:
        con.register("new_commits", pa.table({"commit": pa.array(only, pa.string())}))
        scope = commit_scope = "WHERE commit IN (SELECT commit FROM new_commits)"
        seq_base = "coalesce((SELECT max(seq) FROM versions o WHERE o.model = b.model), 0)"
    con.execute(
        f"""
        INSERT INTO versions
        WITH vc AS (
            SELECT model, commit, bool_or(changed) AS changed,
                   bool_or(stale_metrics) AS stale_metrics, min(content) AS content
            FROM model_commits {scope} GROUP BY model, commit
            -- a commit that deletes the model is no version of it (unless a tag says so)
            HAVING min(content) IS NOT NULL OR EXISTS (
                SELECT 1 FROM labels l
                WHERE l.model = model_commits.model AND l.commit = model_commits.commit)
        ),
        lab AS (
            SELECT model, commit, list(label ORDER BY rank) AS labels,
                   arg_min(label, rank) AS best, arg_min(kind, rank) AS best_kind,
                   bool_or(kind = 'gto') AS registered
            FROM labels {scope} GROUP BY model, commit
        ),
        br AS (
            SELECT commit, {_BRANCHES} AS branches
            FROM commit_branches {commit_scope} GROUP BY commit
        ),
        st AS (
            SELECT model, commit, list(stage ORDER BY stage) AS stages
            FROM stages {scope} GROUP BY model, commit
        ),
        base AS (
            SELECT vc.model, vc.commit,
                   coalesce(lab.best, substr(vc.commit, 1, 7)) AS version,
                   coalesce(lab.labels, []::VARCHAR[]) AS labels,
                   coalesce(lab.best_kind, 'commit') AS label_kind,
                   coalesce(lab.registered, false) AS registered,
                   vc.changed,
                   coalesce(st.stages, []::VARCHAR[]) AS stages,
                   {_WITH_EXPERIMENT.format(branches="br.branches", line="cl")} AS branches,
                   c.author_name, c.author_email, c.author_date AS date, c.subject, c.message,
                   vc.stale_metrics, c.topo, vc.content, cl.branch, cl.merged
            FROM vc JOIN commits c USING (commit)
            LEFT JOIN lab USING (model, commit)
            LEFT JOIN br USING (commit)
            LEFT JOIN commit_lines cl USING (commit)
            LEFT JOIN st USING (model, commit)
        ),
        -- numbered apart from the wide rows: a window holds all of its input at once
        numbered AS (
            SELECT vc.model, vc.commit,
                   row_number() OVER (PARTITION BY vc.model ORDER BY c.topo) AS n
            FROM vc JOIN commits c USING (commit)
        )
        SELECT b.model, b.commit, b.version, ({seq_base} + numbered.n)::INTEGER,
               b.labels, b.label_kind, b.registered, b.changed, false,
               b.stages, b.branches, b.author_name, b.author_email, b.date, b.subject,
               b.message, b.stale_metrics, b.topo, b.content, NULL, b.branch,
               coalesce(b.merged, []::VARCHAR[])
        FROM base b JOIN numbered USING (model, commit)
        """,
        params,
    )
    # an unlabelled version whose content equals an earlier version's is shown as that one:
    # the first labelled one with that content if there is an earlier one (a branch
    # rollback to v1.1.0 is '= v1.1.0', not '= <the experiment commit v1.1.0 merged>'),
    # else the first one
    same_scope = ""
    if models is not None:
        same_scope = "AND versions.model IN (SELECT name FROM rebuilt_models)"
    elif only is not None:
        same_scope = "AND versions.commit IN (SELECT commit FROM new_commits)"
    con.execute(
        f"""
        UPDATE versions SET
            same_as = CASE WHEN f.ltopo < versions.topo THEN f.lcommit ELSE f.commit END,
            version = '= ' || CASE WHEN f.ltopo < versions.topo THEN f.lversion ELSE f.version END
        FROM (
            SELECT model, content, arg_min(commit, topo) AS commit,
                   arg_min(version, topo) AS version, min(topo) AS topo,
                   arg_min(commit, topo) FILTER (WHERE len(labels) > 0) AS lcommit,
                   arg_min(version, topo) FILTER (WHERE len(labels) > 0) AS lversion,
                   min(topo) FILTER (WHERE len(labels) > 0) AS ltopo
            FROM versions WHERE content IS NOT NULL GROUP BY model, content
        ) f
        WHERE versions.model = f.model AND versions.content = f.content
          AND versions.topo > f.topo AND len(versions.labels) = 0 AND versions.changed
          {same_scope}
        """
    )
    latest_scope = "WHERE model IN (SELECT name FROM rebuilt_models)" if models is not None else ""
    con.execute(
        f"""
        UPDATE versions SET is_latest = CASE
            WHEN EXISTS (SELECT 1 FROM latest_tbl l WHERE l.model = versions.model)
            THEN coalesce(list_contains(
                labels, (SELECT label FROM latest_tbl l WHERE l.model = versions.model)), false)
            -- no label: the newest version on the main line, else the newest (never a NULL
            -- test: DuckDB 2 answers list_contains([], NULL) with false where 1.x gave NULL)
            ELSE topo = coalesce(
                (SELECT max(n.topo) FROM versions n JOIN commit_branches cb
                   ON cb.commit = n.commit AND cb.branch = $1
                 WHERE n.model = versions.model),
                (SELECT max(topo) FROM versions n WHERE n.model = versions.model))
            END
        {latest_scope}
        """,
        [main or ""],
    )


def _refresh_branches(con: duckdb.DuckDBPyConnection, commits: list[str]) -> None:
    """Recompute ``versions.branches``, ``branch`` and ``merged`` for commits whose
    branch membership or line changed."""
    if not commits:
        return
    con.register("moved", pa.table({"commit": pa.array(sorted(set(commits)), pa.string())}))
    branches = _WITH_EXPERIMENT.format(
        branches=f"(SELECT {_BRANCHES} FROM commit_branches b WHERE b.commit = versions.commit)",
        line="cl",
    )
    con.execute(
        f"""
        UPDATE versions SET branches = {branches}, branch = cl.branch,
            merged = coalesce(cl.merged, []::VARCHAR[])
        FROM commit_lines cl
        WHERE cl.commit = versions.commit AND versions.commit IN (SELECT commit FROM moved)
        """
    )


#: the branches holding a commit (in ``commit_branches``), as a sorted list
_BRANCHES = "list(branch ORDER BY branch)"
#: a version's ``branches``: those holding it, and the DVC experiment that made it (its
#: own commits are on no branch); ``{branches}``: the list, ``{line}``: its commit_lines row
_WITH_EXPERIMENT = """list_sort(list_distinct(coalesce({branches}, []::VARCHAR[]) ||
    CASE WHEN {line}.ref LIKE 'refs/exps/%' THEN [{line}.branch] ELSE []::VARCHAR[] END))"""


def _write_lines(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    new_ids: list[str] | None = None,
    state: str | None = None,
) -> tuple[list[str], str]:
    """Fill ``commit_lines`` from the catalog's commits and refs; only the rows that
    changed are written. Returns the commits whose line is new or changed (a branch
    moved, created), and the state for the next run (``lines_advance``).

    After new commits (``new_ids``, with the previous run's ``state``) only they are
    given lines when ``lines_advance`` can (branches only advanced); else every commit's
    line is computed again (``lines.assign``: one pass over the history, no git process).
    """
    if new_ids is not None:
        advanced = lines_advance.advance(con, cfg, state, new_ids)
        if advanced is not None:
            if advanced.rows:
                con.register(
                    "new_lines",
                    pa.table(
                        {
                            "commit": pa.array([r[0] for r in advanced.rows], pa.string()),
                            "branch": pa.array([r[1] for r in advanced.rows], pa.string()),
                            "ref": pa.array([r[2] for r in advanced.rows], pa.string()),
                            "merged": pa.array(
                                [r[3] for r in advanced.rows], pa.list_(pa.string())
                            ),
                        }
                    ),
                )
                con.execute(
                    "DELETE FROM commit_lines WHERE commit IN (SELECT commit FROM new_lines)"
                )
                con.execute(
                    "INSERT INTO commit_lines SELECT commit, branch, ref, merged FROM new_lines"
                )
                con.unregister("new_lines")
            return [r[0] for r in advanced.rows], advanced.state
    rel = con.sql("SELECT commit, parents, subject FROM commits ORDER BY topo")
    t = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    graph = lines.graph_from_arrow(t)
    rows = con.execute(
        "SELECT name, short, kind, commit FROM refs "
        "WHERE kind IN ('branch', 'remote', 'exp') ORDER BY name"
    ).fetchall()
    refs = lines.refs_on(graph, rows)
    main = branches.main_branch(con, cfg.main, {s: ids[1] for s, ids in refs.branches.items()})
    assigned = lines.assign(graph, refs, main, cfg)
    state = lines_advance.state_of(graph, assigned, main, cfg)
    branch, merged = lines.made_on(assigned)
    ref = [assigned.lanes[li].ref if li >= 0 else None for li in assigned.owner]
    new = pa.table(
        {
            "commit": t.column("commit"),
            "branch": pa.array(branch, pa.string()),
            "ref": pa.array(ref, pa.string()),
            "merged": pa.array(merged, pa.list_(pa.string())),
        }
    )
    con.register("new_lines", new)
    changed = [
        r[0]
        for r in con.execute(
            """
            SELECT n.commit FROM new_lines n LEFT JOIN commit_lines o USING (commit)
            WHERE o.commit IS NULL OR o.branch IS DISTINCT FROM n.branch
               OR o.ref IS DISTINCT FROM n.ref OR o.merged IS DISTINCT FROM n.merged
            """
        ).fetchall()
    ]
    if changed:
        con.register("relined", pa.table({"commit": pa.array(changed, pa.string())}))
        con.execute("DELETE FROM commit_lines WHERE commit IN (SELECT commit FROM relined)")
        con.execute(
            "INSERT INTO commit_lines SELECT commit, branch, ref, merged FROM new_lines "
            "WHERE commit IN (SELECT commit FROM relined)"
        )
        con.unregister("relined")
    con.unregister("new_lines")
    return changed, state


def _replace_changed_refs(con: duckdb.DuckDBPyConnection, delta: ref_delta.RefDelta) -> None:
    """Write only the refs that were added, moved or deleted."""
    gone, fresh = delta.refs_rows_changed()
    if gone:
        table_rows.register_names(con, "gone", gone)
        con.execute("DELETE FROM refs WHERE name IN (SELECT name FROM gone)")
    _insert_refs(con, fresh)


def _incremental(
    repo: git.Repo,
    paths: RepoPaths,
    old: duckdb.DuckDBPyConnection,
    meta: dict[str, str],
    ids: list[tuple[str, str]],
    digest: str,
    progress: Progress,
    start: float,
    cfg: Config,
    root_name: str,
) -> IndexSummary | None:
    """Apply new commits and ref changes to a copy of the catalog; None = needs full."""
    delta = ref_delta.compute(repo, old, ids)
    try:
        commits = list(gitio.walk_commits(repo, delta.commits, delta.old_commits))
    except git.GitCommandError:
        return None
    if not _branches_only_moved_forward(repo, delta.old_heads, delta.heads, commits):
        return None  # versions would become unreachable: rebuild
    declarations = json.loads(meta.get("declarations", "{}"))
    new_decl = indexer.declarations_in(commits, declarations)
    renames = json.loads(meta.get("renames", "{}"))
    new_renames = indexer.declaration_renames(commits, declarations, renames, repo)
    facts = indexer.Facts()
    facts.declarations = new_decl
    facts.renames = new_renames
    # the newest params.yaml / vars files of templated dvc.yaml declarations
    values = json.loads(meta.get(TEMPLATE_VALUES, "{}"))
    facts.template_values = indexer.newest_blobs(commits, values, values)[0]
    if new_decl != declarations or new_renames != renames or facts.template_values != values:
        unknown: list[str] = []

        def newest(paths: set[str]) -> dict[str, str | None]:
            found, seen = indexer.newest_blobs(commits, paths, values)
            unknown.extend(p for p in paths if p not in values and p not in seen)
            return found

        models = indexer.discover(
            repo, new_decl, facts, root_name, renames=new_renames, values=newest
        )
        if unknown:  # a values file named only now: its state before is not recorded
            return None
        if _models_fingerprint(models) != meta.get("models_fingerprint"):
            return None
        facts.warnings = indexer.Columns("commit", "path", "model", "message")
    else:
        models = _models_from_table(old)
    changed = delta.changed_tags()
    # every label depends on the patterns, every stage shown on .gto: re-derive all
    rederive_all = meta.get("tag_patterns") != json.dumps(cfg.tag_patterns)
    gto_config = _gto_config(repo, paths)
    if _json(gto_config.as_json()) != meta.get("gto_config"):
        rederive_all = True  # the stage holders shown depend on it
        _gto_config(repo, paths, facts)  # and what is wrong with it is said once
    tags_changed = rederive_all or bool(changed)
    tag_plan = None
    if tags_changed and not rederive_all:  # only the models the changed tags touch
        names = {r[0] for r in old.execute("SELECT name FROM models").fetchall()}
        tags = ref_delta.DeltaTags(delta, old)
        tag_plan = tag_update.plan(tags, changed, set(models), names, cfg.tag_patterns)
    refs: list[gitio.RefRecord] = []  # every ref: only when every model is re-derived
    if tag_plan is not None:
        der = tag_plan.derived
    elif tags_changed:
        refs = delta.all_refs(old)
        der = derive.from_refs(refs, set(models), cfg.tag_patterns)
    else:
        der = derive.Derived()
    der.gto_config = gto_config
    old.close()
    with new_generation(paths, copy_current=True) as con:
        new_ids = {c.commit for c in commits}
        # old commits the new ones build on, and old commits newly labelled
        indexed = (
            _existing(con, "model_commits", "commit || '/' || model") if der.labelled else set()
        )
        boundary = sorted(
            {c.parents[0] for c in commits if c.parents and c.parents[0] not in new_ids}
        )
        late = {
            (commit, m)
            for commit, ms in der.labelled.items()
            if commit not in new_ids
            for m in ms
            if f"{commit}/{m}" not in indexed and (m in models or m in der.gto_names)
        }
        late_only: dict[str, set[str]] = {}
        for c, m in late:
            late_only.setdefault(c, set()).add(m)
        # which model each path belongs to (built once; only when something is read)
        owners = indexer.ModelPaths(models) if boundary or late_only else None
        seeds = _seed_states(repo, owners, set(boundary))
        for c, ms in late_only.items():  # an old commit newly labelled: its models only
            if c not in seeds:
                seeds.update(_seed_states(repo, owners, {c}, only=ms, models=models))
        topo0 = con.execute("SELECT coalesce(max(topo), -1) + 1 FROM commits").fetchall()[0][0]
        candidates = _candidate_blobs(seeds, commits)
        known_blobs = _known_blobs(con, candidates)
        indexer.build_facts(
            repo,
            paths,
            commits,
            models,
            der.labelled,
            seeds,
            facts,
            known_blobs=known_blobs,
            topo_start=topo0,
            progress=progress,
        )
        _add_late_versions(repo, paths, con, late, seeds, models, facts, known_blobs)
        _drop_repeated_template_warnings(con, facts.warnings)
        for table, cols in facts.tables().items():
            _insert(con, table, cols)
        moved = _update_branches(repo, con, delta.old_heads, delta.heads)
        if tags_changed and tag_plan is None:
            _prune_unlabelled(con, None, der.labelled)
            found = _finish(con, refs, digest, models, der, new_decl, cfg, root_name, new_renames)
            for w in found:
                facts.warnings.add(*w)
        else:
            _finish_new_commits(
                con,
                delta,
                digest,
                models,
                new_decl,
                meta,
                sorted(new_ids),
                moved,
                cfg,
                new_renames,
            )
        if tag_plan is not None:
            for w in _finish_tags(con, tag_plan, der.gto_config, cfg, delta.heads):
                facts.warnings.add(*w)
        _set_meta(con, TEMPLATE_VALUES, facts.template_values)
        # DVC objects that `dvc pull` brought since (the warnings count the new versions)
        awaited = "dvc-missing" in facts.version_sources.cols["origin"]
        touched = pulled.read_arrived(repo, paths.root, con, rewarn=awaited)
        # a tag change may prune versions (and their sources) of any model it re-derives
        _refresh_value_files(
            con, None if tags_changed else set(facts.version_sources.cols["model"]) | touched
        )
        summary = _summary(con, "incremental", len(commits), start, found=facts.warnings)
    if not tags_changed or tag_plan is not None:  # only these tags' labels can have moved
        summary.tags_changed = sorted(tag_plan.changed) if tag_plan else []
    return summary


def _drop_repeated_template_warnings(
    con: duckdb.DuckDBPyConnection, warnings: indexer.Columns
) -> None:
    """A templated dvc.yaml's problem is said once, at the first version that has it:
    not again for the new versions of an incremental run."""
    c = warnings.cols
    mine = [i for i, m in enumerate(c["message"]) if indexer.template_warning(m)]
    if not mine:
        return
    said = set(
        con.execute(
            "SELECT path, model, message FROM warnings WHERE commit IS NOT NULL"
            " AND message IN (SELECT unnest($1))",
            [sorted({c["message"][i] for i in mine})],
        ).fetchall()
    )
    keep = [
        i
        for i in range(len(warnings))
        if (c["path"][i], c["model"][i], c["message"][i]) not in said
    ]
    warnings.cols = {name: [col[i] for i in keep] for name, col in c.items()}


def _branches_only_moved_forward(
    repo: git.Repo,
    old_heads: list[gitio.RefRecord],
    heads: list[gitio.RefRecord],
    commits: list[gitio.CommitRecord],
) -> bool:
    """Whether every old branch still exists and its new head descends from the old one.

    Decided from the walked new commits when possible (one new commit on a branch finds
    the old head among its parents); otherwise one ``merge-base --is-ancestor``.
    """
    parents = {c.commit: c.parents for c in commits}
    new_heads = _heads(heads)
    for name, commit in _heads(old_heads).items():
        if name not in new_heads:
            return False
        head = new_heads[name]
        if not commit or not head or commit == head:
            continue
        if not (_reaches(parents, head, commit) or gitio.is_ancestor(repo, commit, head)):
            return False
    return True


def _reaches(parents: dict[str, list[str]], start: str, target: str) -> bool:
    """Whether ``target`` is a parent of a commit reachable from ``start`` within ``parents``."""
    todo, seen = [start], set()
    while todo:
        c = todo.pop()
        if c in seen or c not in parents:
            continue
        seen.add(c)
        for p in parents[c]:
            if p == target:
                return True
            todo.append(p)
    return False


def _seed_states(
    repo: git.Repo,
    paths_map: indexer.ModelPaths | None,
    commits: set[str],
    only: set[str] | None = None,
    models: dict[str, ModelDef] | None = None,
) -> dict[str, dict[str, indexer.FileState]]:
    """Model files at old commits the new ones build on (one ``ls-tree`` each);
    ``only``: just these ``models``' files (which files are theirs is still decided
    among all models: a model nested in another's directory keeps its files)."""
    if not commits or paths_map is None:
        return {}
    dirs = paths_map.roots
    if only is not None:
        mine = {m: d for m, d in (models or {}).items() if m in only}
        dirs = indexer.ModelPaths(mine).roots
    seeds: dict[str, dict[str, indexer.FileState]] = {}
    for commit in sorted(commits):
        per_model: dict[str, indexer.FileState] = {}
        for p, (mode, blob) in gitio.ls_tree(repo, commit, dirs).items():
            for m in paths_map.models_for(p):
                if only is None or m in only:
                    per_model.setdefault(m, {})[p] = (blob, mode)
        seeds[commit] = per_model
    return seeds


def _candidate_blobs(
    seeds: dict[str, dict[str, indexer.FileState]], commits: list[gitio.CommitRecord]
) -> set[str]:
    blobs = {ch.blob for c in commits for ch in c.changes if ch.blob}
    for per_model in seeds.values():
        for files in per_model.values():
            blobs.update(b for b, _m in files.values())
    return blobs


def _known_blobs(con: duckdb.DuckDBPyConnection, candidates: set[str]) -> set[str]:
    """Which of these blobs the catalog has already read (so they are not read again)."""
    if not candidates:
        return set()
    con.register("cand", pa.table({"blob": pa.array(sorted(candidates), pa.string())}))
    rows = con.execute(
        "SELECT blob FROM blob_storage WHERE blob IN (SELECT blob FROM cand) "
        # metrics read from the DVC cache (md5 ids, never in blob_storage): read once
        "UNION SELECT DISTINCT blob FROM version_sources WHERE origin = 'dvc-cache'"
    ).fetchall()
    return {r[0] for r in rows}


def _existing(con: duckdb.DuckDBPyConnection, table: str, expr: str) -> set[str]:
    return {r[0] for r in con.execute(f"SELECT DISTINCT {expr} FROM {table}").fetchall()}


def _add_late_versions(
    repo: git.Repo,
    paths: RepoPaths,
    con: duckdb.DuckDBPyConnection,
    late: set[tuple[str, str]],
    seeds: dict[str, dict[str, indexer.FileState]],
    models: dict[str, ModelDef],
    facts: indexer.Facts,
    known_blobs: set[str],
) -> None:
    """Old commits that a new tag made versions: index them from their trees."""
    if not late:
        return
    rows = con.execute(
        "SELECT commit, parents FROM commits WHERE commit IN (SELECT unnest($1))",
        [sorted({c for c, _ in late})],
    ).fetchall()
    labelled: dict[str, set[str]] = {}
    for commit, m in late:
        labelled.setdefault(commit, set()).add(m)
    # Each late commit is replayed as a commit with no changes on top of its own tree.
    fake = [
        gitio.CommitRecord(
            commit=commit,
            parents=[f"seed:{commit}"],
            tree="",
            author_name="",
            author_email="",
            author_date=datetime.fromtimestamp(0, tz=UTC),
            committer_date=datetime.fromtimestamp(0, tz=UTC),
            message="",
        )
        for commit, _parents in rows
    ]
    seeded = {f"seed:{c}": s for c, s in seeds.items()}
    late_facts = indexer.Facts()
    indexer.build_facts(
        repo,
        paths,
        fake,
        models,
        labelled,
        seeded,
        late_facts,
        known_blobs=known_blobs | set(facts.blob_storage.cols["blob"]),
    )
    for table, cols in late_facts.tables().items():
        if table == "commits":
            continue
        target = facts.tables()[table]
        for n in cols.names:
            target.cols[n].extend(cols.cols[n])


def _update_branches(
    repo: git.Repo,
    con: duckdb.DuckDBPyConnection,
    old_heads: list[gitio.RefRecord],
    heads: list[gitio.RefRecord],
) -> list[str]:
    """Add the commits that branches gained (created or fast-forwarded); returns them."""
    old_b = _heads(old_heads)
    new_b = _heads(heads)
    gained_c: list[str] = []
    gained_b: list[str] = []
    for name, commit in new_b.items():
        before = old_b.get(name)
        if before == commit:
            continue
        gained = gitio.rev_list(repo, [commit], [before] if before else [])
        gained_c.extend(gained)
        gained_b.extend([name] * len(gained))
    if gained_c:
        cols = indexer.Columns("commit", "branch")
        cols.cols["commit"], cols.cols["branch"] = gained_c, gained_b
        _insert(con, "commit_branches", cols)
    return gained_c


def _models_from_table(con: duckdb.DuckDBPyConnection) -> dict[str, ModelDef]:
    models = {}
    for name, path, apath, typ, desc, labels, sources, content in con.execute(
        "SELECT name, path, artifact_path, type, description, labels, sources, content FROM models"
    ).fetchall():
        if content is None:
            continue  # tags-only models are re-derived from refs
        models[name] = ModelDef(
            name,
            path,
            apath,
            typ,
            desc,
            list(labels or []),
            list(sources),
            Content.from_json(json.loads(content)),
        )
    return models


__all__ = ["run_index"]
