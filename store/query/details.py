"""One version in full (the details pane): every label it has and
every fact the catalog holds about it, read in one query."""

from __future__ import annotations

from typing import Any

import duckdb

from modeltrail.store.catalog.schema import VIEWS
from modeltrail.store.errors import UnknownVersion
from modeltrail.store.query.versions import (
    _VERSION_COLS,
    _label_detail,
    _mlflow_by_commit,
    _version_dict,
    rolled_back_from,
)


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


#: Each blob-fact table read over the blobs of this version's rows in the table named.
_BLOB_SOURCES = {
    "blob_values": "version_sources",
    "blob_storage": "version_files",
    "blob_packages": "version_sources",
    "blob_dvc": "version_sources",
}
_BLOB_CTES = ",\n".join(
    f"""    {table} AS MATERIALIZED (
        SELECT * FROM main.{table}
        WHERE list_contains((SELECT list(blob) FROM {rows}), blob)
    )"""
    for table, rows in _BLOB_SOURCES.items()
)

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
{_BLOB_CTES},
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
