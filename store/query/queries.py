"""Questions the CLI and the screens ask of the catalog. Read-only; no git writes.

Every function takes an open (read-only) DuckDB connection and returns plain data:
dicts in the JSON shapes of docs/CLI.md (keys may be added, never renamed), or
Arrow tables for the very long lists the TUI pages through.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from modeltrail.store.catalog.schema import TABLES, VIEWS
from modeltrail.store.errors import UnknownModel, UnknownVersion
from modeltrail.store.query.mainline import MainLine, line_relation
from modeltrail.store.query.stages import previous_holders
from modeltrail.store.read.gitio import experiment_name

_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the JSON shapes want."""
    if ts is None:
        return None
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: a JSON number exactly as json.loads reads one (ASCII digits only, no spaces)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _value(value: float | None, text: str | None) -> Any:
    """A metric/param as JSON: the original value when it parses, else the number."""
    if text is not None:
        number = _JSON_NUMBER.fullmatch(text)
        if number:  # most values: what json.loads gives, 4x sooner
            return float(text) if number.group(1) or number.group(2) else int(text)
        try:
            return json.loads(text)
        except ValueError:
            return text
    return value


def model_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM models ORDER BY name").fetchall()]


def require_model(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    rows = con.execute(  # fetched whole: a pending result would block a later register
        "SELECT name, path, artifact_path, type, description, labels, sources FROM models "
        "WHERE name = $1",
        [name],
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        known = ", ".join(model_names(con)) or "none"
        raise UnknownModel(f"unknown model {name!r} (models: {known})")
    keys = ("name", "path", "artifact_path", "type", "description", "labels", "sources")
    return dict(zip(keys, row, strict=True))


def main_holders(con: duckdb.DuckDBPyConnection, main: MainLine) -> dict[str, dict[str, Any]]:
    """Per model, the version the main branch holds now (its newest version on the main
    line): ``{"branch", "version", "commit", "content_of", "rolled_back_from"}``;
    ``content_of`` names the version whose content it has (a branch rollback: the version
    it restored; else the version itself)."""
    if main.branch is None or not len(main.commits):
        return {}
    # one query for all models (one per model took 8 s at 10,000 models)
    with line_relation(con, main) as line:
        rows = con.execute(
            f"""
            WITH held AS (
                SELECT model, version, commit, same_as FROM versions
                WHERE commit IN (SELECT commit FROM {line})
                QUALIFY row_number() OVER (PARTITION BY model ORDER BY topo DESC) = 1
            ),
            rbk AS (
                SELECT model, commit, last(rollback_from) AS rollback_from FROM stage_events
                WHERE {_BRANCH_ROLLBACK_EVENTS}
                  AND (model, commit) IN (SELECT (model, commit) FROM held)
                GROUP BY model, commit
            )
            SELECT h.model, h.version, h.commit, coalesce(s.version, h.version),
                   rbk.rollback_from
            FROM held h
            LEFT JOIN versions s ON s.model = h.model AND s.commit = h.same_as
            LEFT JOIN rbk ON rbk.model = h.model AND rbk.commit = h.commit
            """
        ).fetchall()
    return {
        model: {
            "branch": main.branch,
            "version": version,
            "commit": commit,
            "content_of": content_of,
            "rolled_back_from": rolled_back,
        }
        for model, version, commit, content_of, rolled_back in rows
    }


def deleted_models(
    con: duckdb.DuckDBPyConnection, main: MainLine | None
) -> dict[str, dict[str, Any]]:
    """Models whose files are gone where the main line (else the newest commit that
    touched them) stands now: ``{name: {"commit", "date"}}``, the commit that deleted
    them. The deletion is no version; the model stays listed with its history."""
    with contextlib.ExitStack() as stack:
        where = ""
        if main is not None and main.branch is not None and len(main.commits):
            line = stack.enter_context(line_relation(con, main))
            where = f"WHERE mc.commit IN (SELECT commit FROM {line})"
        rows = con.execute(
            f"""
            SELECT model, commit, date FROM (
                SELECT mc.model, mc.commit, mc.content, c.committer_date AS date
                FROM model_commits mc JOIN commits c USING (commit) {where}
                QUALIFY row_number() OVER (PARTITION BY mc.model ORDER BY c.topo DESC) = 1
            ) WHERE content IS NULL
            """
        ).fetchall()
    return {model: {"commit": commit, "date": iso(date)} for model, commit, date in rows}


def list_models(
    con: duckdb.DuckDBPyConnection, main: MainLine | None = None
) -> list[dict[str, Any]]:
    """Every model with its latest version, version count and stage holders; given the
    main line, what its branch holds (``main``: :func:`main_holders`, else None)."""
    rows = con.execute(
        """
        WITH v AS (
            SELECT model, arg_max(version, topo) FILTER (WHERE is_latest) AS latest,
                   arg_max(branch, topo) FILTER (WHERE is_latest) AS latest_branch,
                   count(*) AS n
            FROM versions GROUP BY model
        )
        SELECT m.name, m.path, m.sources, m.description, v.latest, coalesce(v.n, 0), m.type,
               v.latest_branch
        FROM models m LEFT JOIN v ON v.model = m.name
        -- models first, datasets and other artifacts after (GTO's type)
        ORDER BY coalesce(lower(m.type), 'model') NOT IN ('model', ''), m.name
        """
    ).fetchall()
    stages: dict[str, dict[str, Any]] = {}
    for model, stage, version, commit, since in con.execute(
        "SELECT model, stage, version, commit, since FROM stages ORDER BY model, stage"
    ).fetchall():
        stages.setdefault(model, {})[stage] = {
            "version": version,
            "commit": commit,
            "since": iso(since),
        }
    previous = previous_holders(con)
    on_main = main_holders(con, main) if main is not None else {}
    deleted = deleted_models(con, main)
    out = []
    main_branch = main.branch if main is not None else None
    for name, path, sources, desc, latest, n, typ, latest_branch in rows:
        st = stages.get(name, {})
        prev = previous.get(name, {})
        out.append(
            {
                "name": name,
                "path": path,
                "type": typ,
                "sources": list(sources or []),
                "latest": latest,
                # the branch the latest version was made on; off the main line, shown
                "latest_branch": latest_branch,
                "latest_elsewhere": (
                    latest_branch
                    if latest_branch is not None and main_branch and latest_branch != main_branch
                    else None
                ),
                "versions": n,
                "stages": {k: v["version"] for k, v in st.items()},
                "stage_details": st,
                "previous": {k: v["version"] for k, v in prev.items()},
                "previous_details": prev,
                "main": on_main.get(name),
                "description": desc,
                "deleted": deleted.get(name),
            }
        )
    return out


_VERSION_COLS = (
    "version",
    "commit",
    "seq",
    "labels",
    "label_kind",
    "registered",
    "changed",
    "is_latest",
    "stages",
    "branches",
    "branch",
    "merged",
    "author_name",
    "author_email",
    "date",
    "subject",
    "message",
    "stale_metrics",
    "same_as",
)


def _version_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    d = dict(zip(_VERSION_COLS, row, strict=True))
    d["labels"] = list(d["labels"] or [])
    d["stages"] = list(d["stages"] or [])
    d["branches"] = list(d["branches"] or [])
    d["merged"] = list(d["merged"] or [])
    d["author"] = d["author_name"]
    d["date"] = iso(d["date"])
    return d


def _model_rows(
    con: duckdb.DuckDBPyConnection,
    columns: str,
    table: str,
    model: str,
    commits: list[str] | None,
    order: str,
) -> list[tuple[Any, ...]]:
    """``columns`` of ``table``'s rows for ``model`` (only ``commits``, when given)."""
    sql = f"SELECT {columns} FROM {table} WHERE model = $1"
    params: list[Any] = [model]
    if commits is not None:
        sql += " AND commit IN (SELECT unnest($2))"
        params.append(commits)
    return con.execute(f"{sql} ORDER BY {order}", params).fetchall()


#: the model's (``$1``) branch rollback and undo commits, among ``stage_events``
_BRANCH_ROLLBACK_EVENTS = (
    "event IN ('rollback', 'undo') AND ref = commit AND rollback_from IS NOT NULL"
)
_BRANCH_ROLLBACKS = "model = $1 AND " + _BRANCH_ROLLBACK_EVENTS


def rolled_back_from(
    con: duckdb.DuckDBPyConnection, model: str, commits: list[str] | None = None
) -> dict[str, str]:
    """``{commit: version it rolled back from}`` for the model's branch rollback (and undo)
    commits, as their ``Rollback-From`` trailers say."""
    sql = f"SELECT commit, rollback_from FROM stage_events WHERE {_BRANCH_ROLLBACKS}"
    params: list[Any] = [model]
    if commits is not None:
        sql += " AND commit IN (SELECT unnest($2))"
        params.append(commits)
    return dict(con.execute(sql, params).fetchall())


def _values_by_commit(
    con: duckdb.DuckDBPyConnection, table: str, model: str, commits: list[str] | None
) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for commit, key, value, text in _model_rows(
        con, "commit, key, value, text", table, model, commits, "key"
    ):
        out.setdefault(commit, {})[key] = _value(value, text)
    return out


_MLFLOW_COLS = (
    "commit",
    "path",
    "flavors",
    "run_id",
    "model_uuid",
    "utc_time_created",
    "mlflow_version",
    "signature_inputs",
    "signature_outputs",
    "signature_params",
    "artifact_path",
    "model_size_bytes",
    "model_id",
)


def _mlflow_by_commit(
    con: duckdb.DuckDBPyConnection, model: str, commits: list[str] | None
) -> dict[str, dict[str, Any]]:
    """What each version's MLflow ``MLmodel`` records: ``{"path", "flavors", "run_id",
    "model_uuid", "utc_time_created", "mlflow_version", "artifact_path",
    "model_size_bytes", "model_id", "signature": {"inputs", "outputs", "params"}}`` (signature specs as MLflow writes them; None when absent)."""
    out: dict[str, dict[str, Any]] = {}
    columns = ", ".join(_MLFLOW_COLS)
    for row in _model_rows(con, columns, "mlflow", model, commits, "commit, path"):
        commit, *rest = row
        out.setdefault(commit, _mlflow_dict(dict(zip(_MLFLOW_COLS[1:], rest, strict=True))))
    return out


def list_versions(
    con: duckdb.DuckDBPyConnection,
    model: str,
    limit: int | None = None,
    main: MainLine | None = None,
    all_branches: bool = True,
) -> list[dict[str, Any]]:
    """The model's versions, newest first, with metrics and params (``versions --json``):
    :func:`iter_versions` as a list."""
    return list(iter_versions(con, model, limit, main, all_branches))


#: a batch of listed versions (topo from $2 to $3) with their metrics, params, labels,
#: MLflow model and rollback, a row each; {cols} {on_main} {scope}: filled in
_LIST_SQL = """
    WITH sel AS MATERIALIZED (
        SELECT {cols}, {on_main} AS main_line, topo FROM versions
        WHERE model = $1{scope} AND topo BETWEEN $2 AND $3{only}
    ),
    -- the views over this batch's rows only (as in _DETAIL_SQL): -10% time
    version_sources AS MATERIALIZED (
        SELECT * FROM main.version_sources
        WHERE model = $1 AND commit IN (SELECT commit FROM sel)
    ),
    blob_values AS MATERIALIZED (
        SELECT * FROM main.blob_values WHERE blob IN (SELECT blob FROM version_sources)
    ),
    blob_mlmodel AS MATERIALIZED (
        SELECT * FROM main.blob_mlmodel WHERE blob IN (SELECT blob FROM version_sources)
    ),
    metrics AS ({metrics}),
    params AS ({params}),
    mlflow AS ({mlflow_view}),
    met AS (
        SELECT commit, list({{'key': key, 'value': value, 'text': text}} ORDER BY key) AS items
        FROM metrics WHERE model = $1 AND commit IN (SELECT commit FROM sel) GROUP BY commit
    ),
    par AS (
        SELECT commit, list({{'key': key, 'value': value, 'text': text}} ORDER BY key) AS items
        FROM params WHERE model = $1 AND commit IN (SELECT commit FROM sel) GROUP BY commit
    ),
    lab AS (
        SELECT commit, list({{'label': label, 'scheme': scheme, 'kind': kind, 'tag': tag}}
                            ORDER BY rank) AS items
        FROM labels WHERE model = $1 AND commit IN (SELECT commit FROM sel) GROUP BY commit
    ),
    mlf AS (
        SELECT commit, list({{{mlflow}}} ORDER BY path)[1] AS item
        FROM mlflow WHERE model = $1 AND commit IN (SELECT commit FROM sel) GROUP BY commit
    ),
    rbk AS (
        SELECT commit, last(rollback_from) AS rollback_from FROM stage_events
        WHERE {rollbacks} AND commit IN (SELECT commit FROM sel)
        GROUP BY commit
    )
    SELECT {sel_cols}, sel.main_line, rbk.rollback_from, met.items, par.items, lab.items,
           mlf.item
    FROM sel
    LEFT JOIN met ON met.commit = sel.commit
    LEFT JOIN par ON par.commit = sel.commit
    LEFT JOIN lab ON lab.commit = sel.commit
    LEFT JOIN mlf ON mlf.commit = sel.commit
    LEFT JOIN rbk ON rbk.commit = sel.commit
    ORDER BY sel.topo DESC
"""


def iter_versions(
    con: duckdb.DuckDBPyConnection,
    model: str,
    limit: int | None = None,
    main: MainLine | None = None,
    all_branches: bool = True,
    batch: int = 4096,
    where: tuple[str, list[Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """The model's versions, newest first, with metrics and params, read ``batch``
    versions at a time: a listing of 100,000 versions is never held whole, in Python or
    in DuckDB (100,000 versions in one query: +290 MB in DuckDB; by batches of 4,096: +105 MB).

    ``main``: the main line (``mainline.main_line``); each version then says whether it
    is on it (``main_line``), and unless ``all_branches`` only those and the labelled or
    staged versions are listed. ``where``: only the versions matching this condition on
    ``versions v`` with its parameters (``filter.to_sql(terms, model)``: the filter
    language). No result is left pending between batches: the caller may query the
    connection while iterating."""
    require_model(con, model)
    with contextlib.ExitStack() as stack:
        on_main = "NULL::BOOLEAN"
        scope = ""
        if main is not None:
            line = stack.enter_context(line_relation(con, main))
            on_main = f"commit IN (SELECT commit FROM {line})"
            if not all_branches:
                scope = f" AND ({on_main} OR len(labels) > 0 OR len(stages) > 0)"
        condition, params = where if where is not None else ("TRUE", [])
        # (the condition's parameters are ?s: the model is one too, not $1)
        sql = f"SELECT topo FROM versions v WHERE v.model = ?{scope} AND ({condition})"
        sql += " ORDER BY topo DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        topos = [r[0] for r in con.execute(sql, [model, *params]).fetchall()]  # one per commit
        sql = _LIST_SQL.format(
            cols=", ".join(_VERSION_COLS),
            sel_cols=", ".join(f"sel.{c}" for c in _VERSION_COLS),
            on_main=on_main,
            scope=scope,
            mlflow=", ".join(f"'{c}': {c}" for c in _MLFLOW_COLS[1:]),
            metrics=VIEWS["metrics"],
            params=VIEWS["params"],
            mlflow_view=VIEWS["mlflow"],
            rollbacks=_BRANCH_ROLLBACKS,
            only="" if where is None else " AND list_contains($4, topo)",
        )
        for start in range(0, len(topos), batch):
            chunk = topos[start : start + batch]
            newest, oldest = chunk[0], chunk[-1]
            args = [model, oldest, newest] + ([chunk] if where is not None else [])
            rows = con.execute(sql, args).fetchall()
            for row in rows:
                yield _listed_version(row)


def _listed_version(row: tuple[Any, ...]) -> dict[str, Any]:
    """One row of :data:`_LIST_SQL` as :func:`list_versions` gives it."""
    n = len(_VERSION_COLS)
    main_line, rollback, metrics, params, labels, mlflow = row[n:]
    v = _version_dict(row[:n])
    v["main_line"] = main_line
    v["rolled_back_from"] = rollback
    v["metrics"] = {i["key"]: _value(i["value"], i["text"]) for i in metrics or ()}
    v["params"] = {i["key"]: _value(i["value"], i["text"]) for i in params or ()}
    v["labels_detail"] = [
        _label_detail(i["label"], i["scheme"], i["kind"], i["tag"]) for i in labels or ()
    ]
    v["mlflow"] = _mlflow_dict(mlflow) if mlflow is not None else None
    return v


def _mlflow_dict(d: dict[str, Any]) -> dict[str, Any]:
    """An ``mlflow`` row (a dict of ``_MLFLOW_COLS`` but the commit), made the JSON shape."""
    d["flavors"] = list(d["flavors"] or [])
    d["signature"] = {
        "inputs": _value(None, d.pop("signature_inputs")),
        "outputs": _value(None, d.pop("signature_outputs")),
        "params": _value(None, d.pop("signature_params")),
    }
    return d


def label_details(
    con: duckdb.DuckDBPyConnection, model: str, commits: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Commit -> its labels in the order of ``versions.labels``, each ``{"label", "kind", "source", "tag"}``:
    kind = semver | calendar | sequential (None: none of them), source = gto | tag |
    manifest, tag = the tag carrying it (None for a manifest version)."""
    sql = "SELECT commit, label, scheme, kind, tag FROM labels WHERE model = $1"
    params: list[Any] = [model]
    if commits is not None:
        sql += " AND commit IN (SELECT unnest($2))"
        params.append(commits)
    out: dict[str, list[dict[str, Any]]] = {}
    for commit, label, scheme, kind, tag in con.execute(sql + " ORDER BY rank", params).fetchall():
        out.setdefault(commit, []).append(_label_detail(label, scheme, kind, tag))
    return out


def _label_detail(label: str, scheme: str | None, kind: str, tag: str | None) -> dict[str, Any]:
    """A ``labels`` row as the listings show it: kind = its scheme, source = gto | tag |
    manifest (the ``labels.kind`` of a tag-read label is its tag convention)."""
    source = kind if kind in ("gto", "manifest") else "tag"
    return {"label": label, "kind": scheme, "source": source, "tag": tag}


#: One version's facts in one query: the catalog's own views, read over only this
#: version's rows. The CTEs named like the tables hold those rows (read once each), and
#: the views' definitions are used as they are over them, so that a version of a model
#: with 100,000 versions costs a few scans, not one per view (66 ms -> 15 ms).
_DETAIL_SQL = f"""
    WITH version_sources AS MATERIALIZED (
        SELECT * FROM main.version_sources WHERE model = $1 AND commit IN ($2, $3)
    ),
    version_files AS MATERIALIZED (
        SELECT * FROM main.version_files WHERE model = $1 AND commit = $2
    ),
    -- the blobs' facts as lists to look in, not joins: DuckDB built those joins' hash
    -- tables over every blob of the catalog (+60 MB per details load at 100,000 versions)
    blob_values AS MATERIALIZED (
        SELECT * FROM main.blob_values
        WHERE list_contains((SELECT list(blob) FROM version_sources), blob)
    ),
    blob_storage AS MATERIALIZED (
        SELECT * FROM main.blob_storage
        WHERE list_contains((SELECT list(blob) FROM version_files), blob)
    ),
    blob_packages AS MATERIALIZED (
        SELECT * FROM main.blob_packages
        WHERE list_contains((SELECT list(blob) FROM version_sources), blob)
    ),
    blob_dvc AS MATERIALIZED (
        SELECT * FROM main.blob_dvc
        WHERE list_contains((SELECT list(blob) FROM version_sources), blob)
    ),
    metrics AS ({VIEWS["metrics"]}),
    params AS ({VIEWS["params"]}),
    environment AS ({VIEWS["environment"]}),
    lineage AS ({VIEWS["lineage"]}),
    artifacts AS ({VIEWS["artifacts"]})
    SELECT
        (SELECT list({{'key': key, 'value': value, 'text': text, 'source': source,
                      'origin': origin}} ORDER BY key)
         FROM metrics WHERE commit = $2),
        (SELECT list({{'key': key, 'value': value, 'text': text, 'source': source}}
                     ORDER BY key)
         FROM params WHERE commit = $2),
        (SELECT list({{'path': path, 'storage': storage, 'size': size, 'hash': hash,
                      'nfiles': nfiles, 'present': present, 'blob': blob}}
                     ORDER BY path, storage)
         FROM artifacts WHERE commit = $2),
        (SELECT list({{'file': file, 'package': package, 'spec': spec}}
                     ORDER BY file, package)
         FROM environment WHERE commit = $2),
        (SELECT list({{'stage': stage, 'path': path, 'hash': hash, 'size': size}}
                     ORDER BY stage, path)
         FROM lineage WHERE commit = $2),
        (SELECT list(path ORDER BY path) FROM version_files),
        (SELECT list({{'key': key, 'value': value}}) FROM metrics WHERE commit = $3),
        (SELECT list(DISTINCT path ORDER BY path) FROM version_sources
         WHERE commit = $2 AND origin = 'dvc-missing')
"""


def version_detail(
    con: duckdb.DuckDBPyConnection, model: str, commit: str, previous: str | None = None
) -> dict[str, Any]:
    """Everything known about one version: metrics, params, artifacts, env, lineage, the
    paths of its files (``files``), the metrics files whose DVC objects are not in the
    local cache (``metrics_unknown``); given ``previous`` (another version's commit), that
    version's numeric metrics too (``previous_metrics``, as :func:`metric_values`)."""
    row = con.execute(
        f"SELECT {', '.join(_VERSION_COLS)} FROM versions WHERE model = $1 AND commit = $2",
        [model, commit],
    ).fetchone()
    if row is None:
        raise UnknownVersion(f"{commit[:12]} is not a version of {model}")
    d = _version_dict(row)
    d["rolled_back_from"] = rolled_back_from(con, model, [commit]).get(commit)
    d["mlflow"] = _mlflow_by_commit(con, model, [commit]).get(commit)
    facts = con.execute(_DETAIL_SQL, [model, commit, previous]).fetchone()
    assert facts is not None
    metrics, params, artifacts, environment, lineage, files, prev, unknown = facts
    d["metrics"] = metrics or []
    d["params"] = params or []
    d["artifacts"] = artifacts or []
    d["environment"] = environment or []
    d["lineage"] = lineage or []
    d["files"] = files or []
    # declared metrics files inside DVC outputs not in the local cache: unknown, not absent
    d["metrics_unknown"] = unknown or []
    if previous is not None:
        d["previous_metrics"] = {r["key"]: r["value"] for r in prev or []}

    def rows(sql: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            dict(zip(keys, r, strict=True)) for r in con.execute(sql, [model, commit]).fetchall()
        ]

    # what was found wrong here, and with the files this version still uses (a problem is
    # recorded once, at the commit where its file's content first appeared)
    d["warnings"] = rows(
        """
        WITH mine AS (
            SELECT path, blob, role FROM version_sources WHERE model = $1 AND commit = $2
        ),
        first AS (
            SELECT s.path, any_value(m.role) AS role, arg_min(s.commit, v.topo) AS commit
            FROM version_sources s JOIN versions v USING (model, commit)
            JOIN mine m ON m.path = s.path AND m.blob = s.blob
            WHERE s.model = $1 GROUP BY s.path, s.blob
        )
        SELECT DISTINCT w.path, w.message, f.role FROM warnings w
        LEFT JOIN first f ON f.path = w.path AND f.commit = w.commit
        WHERE (w.model = $1 OR w.model IS NULL) AND (w.commit = $2 OR f.commit IS NOT NULL)
        ORDER BY w.path, w.message
        """,
        ("path", "message", "role"),
    )
    return d


def history(con: duckdb.DuckDBPyConnection, model: str | None = None) -> list[dict[str, Any]]:
    """Stage events, rollbacks and undos, newest first (``history --json``)."""
    if model is not None:
        require_model(con, model)
    sql = """
        SELECT timestamp, model, event, version, stage, commit, author_name, author_email,
               message, ref, counter, rollback_from, reason
        FROM stage_events
    """
    params: list[Any] = []
    if model is not None:
        sql += " WHERE model = $1"
        params.append(model)
    sql += " ORDER BY timestamp DESC, counter DESC NULLS LAST, ref DESC"
    keys = (
        "timestamp",
        "model",
        "event",
        "version",
        "stage",
        "commit",
        "author",
        "author_email",
        "message",
        "ref",
        "counter",
        "from",
        "reason",
    )
    out = []
    for r in con.execute(sql, params).fetchall():
        d = dict(zip(keys, r, strict=True))
        d["timestamp"] = iso(d["timestamp"])
        out.append(d)
    return out


def resolve_version(
    con: duckdb.DuckDBPyConnection,
    model: str,
    spec: str,
    commit_of: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """A version of ``model`` named by a label, a tag, a stage, or a commit-ish.

    ``commit_of(spec) -> str | None`` resolves other commit-ish names through git.
    """
    require_model(con, model)
    cols = ", ".join(f"v.{c}" for c in _VERSION_COLS)
    queries = [
        (
            f"SELECT {cols} FROM versions v WHERE v.model=$1 AND list_contains(v.labels, $2) "
            "ORDER BY v.topo DESC",
            [model, spec],
        ),
        (f"SELECT {cols} FROM versions v WHERE v.model=$1 AND v.version=$2", [model, spec]),
        (
            f"SELECT {cols} FROM versions v JOIN labels l USING (model, commit) "
            "WHERE v.model=$1 AND l.tag=$2",
            [model, spec],
        ),
        (
            f"SELECT {cols} FROM versions v JOIN stages s USING (model, commit) "
            "WHERE v.model=$1 AND s.stage=$2",
            [model, spec],
        ),
    ]
    for sql, params in queries:
        row = con.execute(sql, params).fetchone()
        if row is not None:
            return _version_dict(row)
    if _HEX.match(spec):
        rows = con.execute(
            f"SELECT {cols} FROM versions v WHERE v.model=$1 AND v.commit LIKE $2 || '%'",
            [model, spec.lower()],
        ).fetchall()
        if len(rows) == 1:
            return _version_dict(rows[0])
        if len(rows) > 1:
            raise UnknownVersion(f"{spec!r} is ambiguous for {model}")
    # a DVC experiment by its name, as `dvc exp diff` takes it (git knows only the ref)
    exps = {
        c
        for n, c in con.execute(
            "SELECT name, commit FROM refs WHERE kind = 'exp' AND short = $1", [spec]
        ).fetchall()
        if c and experiment_name(n) is not None
    }
    if len(exps) > 1:
        raise UnknownVersion(f"{spec!r} is ambiguous for {model}: {len(exps)} DVC experiments")
    commit = exps.pop() if exps else commit_of(spec) if commit_of is not None else None
    if commit:
        row = con.execute(
            f"SELECT {cols} FROM versions v WHERE v.model=$1 AND v.commit=$2",
            [model, commit],
        ).fetchone()
        if row is not None:
            return _version_dict(row)
        row = _version_in_force(con, model, commit, cols)
        if row is not None:
            return {**_version_dict(row), "stands_for": commit}
    raise UnknownVersion(f"unknown version {spec!r} of {model}")


def _version_in_force(
    con: duckdb.DuckDBPyConnection, model: str, commit: str, cols: str
) -> tuple[Any, ...] | None:
    """The version in force at ``commit``, a commit that is not itself a version: the
    nearest version on its own first-parent line. Between the two the model's content
    did not change (a commit that changes it, a merge included, is a version), so it
    holds exactly the content ``commit`` has; a version of another branch that merely
    comes earlier in topological order never does."""
    return con.execute(
        f"""WITH RECURSIVE line(commit, depth) AS (
                SELECT $2::VARCHAR, 0
                UNION ALL
                SELECT c.parents[1], line.depth + 1 FROM line JOIN commits c USING (commit)
                WHERE len(c.parents) > 0 AND NOT EXISTS (
                    SELECT 1 FROM versions w WHERE w.model = $1 AND w.commit = line.commit)
            )
            SELECT {cols} FROM line JOIN versions v USING (commit)
            WHERE v.model = $1 ORDER BY line.depth LIMIT 1""",
        [model, commit],
    ).fetchone()


def warnings(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [
        {"commit": c, "path": p, "model": m, "message": msg}
        for c, p, m, msg in con.execute(
            "SELECT commit, path, model, message FROM warnings ORDER BY path, commit"
        ).fetchall()
    ]


def truncated_commits(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Commits where a shallow clone's history stops (marked by the index run)."""
    from modeltrail.store.read.gitio import SHALLOW

    rows = con.execute("SELECT DISTINCT commit FROM warnings WHERE path = $1", [SHALLOW])
    return {r[0] for r in rows.fetchall() if r[0]}


def metric_values(
    con: duckdb.DuckDBPyConnection, model: str, commit: str
) -> dict[str, float | None]:
    """``{key: numeric value}`` of every metric one version reports."""
    rows = con.execute(
        "SELECT key, value FROM metrics WHERE model = $1 AND commit = $2", [model, commit]
    ).fetchall()
    return dict(rows)


def labelled_versions(
    con: duckdb.DuckDBPyConnection, limit: int = 5000
) -> list[tuple[str, str, str]]:
    """(model, version, commit) of versions that carry a label, by model, newest first."""
    return con.execute(
        "SELECT model, version, commit FROM versions WHERE len(labels) > 0 "
        "ORDER BY model, topo DESC LIMIT $1",
        [limit],
    ).fetchall()


def versions_at_prefix(
    con: duckdb.DuckDBPyConnection, prefix: str, limit: int = 20
) -> list[tuple[str, str, str]]:
    """(model, version, commit) of versions whose commit id starts with ``prefix``."""
    return con.execute(
        "SELECT model, version, commit FROM versions WHERE starts_with(commit, $1) "
        "ORDER BY topo DESC LIMIT $2",
        [prefix.lower(), limit],
    ).fetchall()


def branch_counts(con: duckdb.DuckDBPyConnection, commits: list[str]) -> dict[str, int]:
    """``{branch: how many of commits it holds}``."""
    rows = con.execute(
        "SELECT branch, count(*) FROM commit_branches WHERE commit IN "
        "(SELECT unnest($1)) GROUP BY branch",
        [commits],
    ).fetchall()
    return dict(rows)


def catalog_table(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    """One whole catalog table or view (a name of ``schema.TABLES``/``VIEWS``) as Arrow."""
    if name not in TABLES and name not in VIEWS:
        raise ValueError(f"not a catalog table: {name!r}")
    return con.cursor().sql(f'SELECT * FROM "{name}"').to_arrow_table()
