"""The versions of a model (``versions --json``, the TUI's version list): listed whole
or a batch at a time, with their metrics, params, labels, MLflow model and rollbacks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import duckdb

from modeltrail.store.catalog.schema import VIEWS
from modeltrail.store.query.mainline import MainLine, line_relation
from modeltrail.store.query.models import _BRANCH_ROLLBACK_EVENTS, require_model
from modeltrail.store.query.values import _value, iso

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
    """One row of :data:`_LIST_SQL` as :func:`iter_versions` gives it."""
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


def _label_detail(label: str, scheme: str | None, kind: str, tag: str | None) -> dict[str, Any]:
    """A ``labels`` row as the listings show it: kind = its scheme, source = gto | tag |
    manifest (the ``labels.kind`` of a tag-read label is its tag convention)."""
    source = kind if kind in ("gto", "manifest") else "tag"
    return {"label": label, "kind": scheme, "source": source, "tag": tag}
