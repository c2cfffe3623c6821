"""The models in the catalog (``models --json``): their names, one model by name, and
the list with each model's newest version, stages and what the main branch holds."""

from __future__ import annotations

import contextlib
from typing import Any

import duckdb

from modeltrail.store.catalog.files import gc_paused
from modeltrail.store.errors import UnknownModel
from modeltrail.store.query.mainline import MainLine, line_relation
from modeltrail.store.query.stages import previous_holders
from modeltrail.store.query.values import iso


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
        rows = _columns_fetched(
            con,
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
            """,
        )
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
    # 10,000 models are ~50,000 new tuples, dicts and lists: the cyclic collector would
    # traverse every live object several times over while they are made (a third of the
    # time); nothing here makes a cycle
    with gc_paused():
        return _listed(con, _model_rows(con), main)


def _model_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Each model's row: name, path, sources, description, latest version, number of
    versions, type and the latest version's branch; models first, then other artifacts."""
    return _columns_fetched(
        con,
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
        """,
    )


def _columns_fetched(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (text, numbers and lists of text only), fetched a column at a
    time through Arrow: for 10,000 models' rows, in about half of ``fetchall``'s time."""
    table = con.sql(sql).to_arrow_table()
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _listed(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]], main: MainLine | None
) -> list[dict[str, Any]]:
    """:func:`list_models`' entries from its rows (one per model), with the stages, their
    previous holders, what the main line holds and the deletions, each read once."""
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
        st = stages.get(name)
        prev = previous.get(name)
        out.append(
            {
                "name": name,
                "path": path,
                "type": typ,
                "sources": sources or [],
                "latest": latest,
                # the branch the latest version was made on; off the main line, shown
                "latest_branch": latest_branch,
                "latest_elsewhere": (
                    latest_branch
                    if latest_branch is not None and main_branch and latest_branch != main_branch
                    else None
                ),
                "versions": n,
                "stages": {k: v["version"] for k, v in st.items()} if st else {},
                "stage_details": st if st else {},
                "previous": {k: v["version"] for k, v in prev.items()} if prev else {},
                "previous_details": prev if prev else {},
                "main": on_main.get(name),
                "description": desc,
                "deleted": deleted.get(name),
            }
        )
    return out


#: the model's (``$1``) branch rollback and undo commits, among ``stage_events``
_BRANCH_ROLLBACK_EVENTS = (
    "event IN ('rollback', 'undo') AND ref = commit AND rollback_from IS NOT NULL"
)
