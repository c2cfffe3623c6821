"""Looking things up in the catalog: a version named by a label, tag, stage or commit
(``resolve_version``), the stage history, the index's warnings, metric values, versions
by prefix, branch counts and whole tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from modeltrail.store.catalog.schema import TABLES, VIEWS
from modeltrail.store.errors import UnknownVersion
from modeltrail.store.query.models import require_model
from modeltrail.store.query.values import iso
from modeltrail.store.query.versions import _VERSION_COLS, _version_dict
from modeltrail.store.read.gitio import experiment_name

_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")


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
