"""The end of an index run: the derived tables (refs, models, labels, stages, versions)
and meta rebuilt from the walk facts, and what both a full and an incremental run need
(the summary, ``.gto``, the value files).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store import gitcmd
from modeltrail.store.catalog import (
    branches,
    lines_advance,
    pulled,
)
from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.catalog.derive_versions import _materialize_versions, _write_lines
from modeltrail.store.catalog.generations import (
    IndexSummary,
)
from modeltrail.store.catalog.schema import SCHEMA_VERSION, VALUE_FILES
from modeltrail.store.config import Config
from modeltrail.store.read import derive, gitio, gto, indexer
from modeltrail.store.read.discovery import ModelDef
from modeltrail.store.repo import RepoPaths

if TYPE_CHECKING:
    import git


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
