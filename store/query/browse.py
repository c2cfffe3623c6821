"""Lean catalog queries for browsing a model with very many versions (the TUI home).

Built for a model with 100,000 versions: each is one pass over the catalog returning
Arrow columns or a few rows, never a Python object per version. Read-only.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from modeltrail.store.catalog.schema import VALUE_KEY
from modeltrail.store.query.mainline import MainLine, line_relation

_SAMPLE = 1000  # versions looked at to choose the key metrics


def key_metrics(con: duckdb.DuckDBPyConnection, model: str, limit: int = 3) -> list[str]:
    """The numeric metrics most of the model's newest versions report (ties by name)."""
    rows = con.execute(
        """
        WITH recent AS (
            SELECT commit FROM versions WHERE model = ? ORDER BY topo DESC LIMIT ?
        )
        SELECT m.key, count(*) AS n FROM metrics m JOIN recent r USING (commit)
        WHERE m.model = ? AND m.value IS NOT NULL
        GROUP BY m.key ORDER BY n DESC, m.key LIMIT ?
        """,
        [model, _SAMPLE, model, limit],
    ).fetchall()
    return [r[0] for r in rows]


#: a model with more metrics files than this has its keys read in one query instead
_FILES_ONE_BY_ONE = 16


def metric_keys(con: duckdb.DuckDBPyConnection, model: str) -> list[str]:
    """Every numeric metric key any version of the model reports, sorted.

    Read one metrics file (path) at a time: the keys of the values of the blobs that
    file had, a set of blob ids to look in. Read in one query, the model's (file, blob)
    pairs were grouped first: at 100,000 versions that took 80 MB for a moment (the TUI's
    peak, at the first key typed in a filter), now 30 MB, and half the time."""
    files = con.execute(
        "SELECT files FROM value_files WHERE model = $1 AND section = 'metrics'", [model]
    ).fetchall()
    if not files:
        return []
    several = files[0][0] > 1  # keys are FILE:KEY
    places = con.execute(
        """
        SELECT DISTINCT coalesce(key_path, path) AS place, role FROM version_sources
        WHERE model = $1
          AND role IN (SELECT DISTINCT role FROM blob_values WHERE section = 'metrics')
        """,
        [model],
    ).fetchall()
    if len(places) > _FILES_ONE_BY_ONE:
        return _metric_keys_at_once(con, model)
    keys: set[str] = set()
    for place, role in places:
        rows = con.execute(
            """
            SELECT DISTINCT key FROM blob_values
            WHERE section = 'metrics' AND value IS NOT NULL AND role = $2 AND blob IN (
                SELECT blob FROM version_sources
                WHERE model = $1 AND role = $2 AND coalesce(key_path, path) = $3
            )
            """,
            [model, role, place],
        ).fetchall()
        keys.update(f"{place}:{key}" if several else key for (key,) in rows)
    return sorted(keys)


def _metric_keys_at_once(con: duckdb.DuckDBPyConnection, model: str) -> list[str]:
    """:func:`metric_keys` in one query (a model with very many metrics files)."""
    # the model's distinct (file, blob) pairs first: joined per version, as the metrics
    # view would, 100,000 versions' values took 60 MB for a moment (the TUI's peak)
    rows = con.execute(
        f"""
        SELECT DISTINCT {VALUE_KEY} AS key
        FROM (SELECT DISTINCT path, key_path, blob, role FROM version_sources
              WHERE model = $model) s
        JOIN blob_values v ON v.blob = s.blob AND v.role = s.role
        JOIN value_files f ON f.model = $model AND f.section = v.section
        WHERE v.section = 'metrics' AND v.value IS NOT NULL
        ORDER BY key
        """,
        {"model": model},
    ).fetchall()
    return [r[0] for r in rows]


def versions_table(
    con: duckdb.DuckDBPyConnection,
    model: str,
    metric_keys: list[str],
    limit: int | None = None,
    main: MainLine | None = None,
    all_branches: bool = True,
) -> pa.Table:
    """The model's versions, newest first, as Arrow: the columns the list shows (version,
    commit, date, author_name, branches, branch, merged, stages, is_latest, stale_metrics, topo,
    main_line, same_as, rolled_back_from) and ``metric_0``… for the given keys.

    ``main``: the main line (``mainline.main_line``); ``main_line`` says whether each
    version is on it (without ``main``: null). Unless ``all_branches``, only those and the
    labelled or staged versions are listed.
    ``limit`` keeps only the newest ones (a first page, cheap however many there are).
    Metrics are pivoted before the join, so the cost is one scan. The versions each was
    built on come separately (:func:`previous_topos`), so the list can show first.
    """
    if main is None:
        return _versions_table(con, model, metric_keys, limit, None, all_branches)
    with line_relation(con, main) as line:
        return _versions_table(con, model, metric_keys, limit, line, all_branches)


def _versions_table(
    con: duckdb.DuckDBPyConnection,
    model: str,
    metric_keys: list[str],
    limit: int | None,
    line: str | None,
    all_branches: bool,
) -> pa.Table:
    """:func:`versions_table`; ``line``: the main line's relation (``line_relation``).

    Each step reads only what the next needs, so a first page of a model with 100,000
    versions costs a few narrow scans (0.77 s -> 0.18 s on a loaded machine): the page is
    the versions from the ``limit``-th newest ``topo`` on (a filter on one integer column,
    not a sort of every row's columns); the main-line test runs on the listed rows only;
    the metric values are those of the listed versions' metrics files, their blobs looked
    up once (the ``metrics`` view's joins, over these rows only)."""
    pivots = "".join(
        f', max(value) FILTER (WHERE key = ${i + 2}) AS "metric_{i}"'
        for i in range(len(metric_keys))
    )
    metric_cols = "".join(f', m."metric_{i}"' for i in range(len(metric_keys)))
    keys = len(metric_keys) + 2  # the parameter holding the keys as a list
    on_main = "NULL::BOOLEAN"
    scope = ""
    if line is not None:
        on_main = f"commit IN (SELECT commit FROM {line})"
        if not all_branches:
            scope = f"AND ({on_main} OR len(labels) > 0 OR len(stages) > 0)"
    page = ""
    if limit is not None:  # the newest ``limit``: max(topo, n) is their topos, no sort
        page = f"""AND topo >= (
                SELECT list_min(max(topo, {max(int(limit), 1)})) FROM versions
                WHERE model = $1 {scope}
            )"""
    # a page's metrics files and their values are looked up by its commits; the whole
    # list's are every one of the model's (no lookup: a join as the view's)
    materialized = "MATERIALIZED" if limit is not None else "NOT MATERIALIZED"
    listed = "AND commit IN (SELECT commit FROM v)" if limit is not None else ""
    of_listed = "AND blob IN (SELECT blob FROM s)" if limit is not None else ""
    sql = f"""
        WITH v AS MATERIALIZED (
            SELECT version, commit, date, author_name, branches, branch, merged, stages,
                   is_latest, stale_metrics, topo, same_as
            FROM versions WHERE model = $1 {scope} {page}
        ),
        s AS {materialized} (
            SELECT model, commit, path, key_path, blob, role FROM version_sources
            WHERE model = $1 {listed}
        ),
        b AS {materialized} (
            SELECT blob, role, key, value FROM blob_values
            WHERE section = 'metrics' {of_listed}
        ),
        m AS (
            SELECT commit{pivots} FROM (
                SELECT s.commit, {VALUE_KEY} AS key, v.value
                FROM s JOIN b v ON v.blob = s.blob AND v.role = s.role
                JOIN value_files f ON f.model = s.model AND f.section = 'metrics'
            )
            WHERE list_contains(${keys}, key)
            GROUP BY commit
        ),
        rb AS (
            SELECT commit, any_value(rollback_from) AS rolled_back_from FROM stage_events
            WHERE model = $1 AND event IN ('rollback', 'undo') AND ref = commit
            GROUP BY commit
        )
        SELECT v.version, v.commit, v.date, v.author_name, v.branches, v.branch, v.merged,
               v.stages, v.is_latest, v.stale_metrics, v.topo, {on_main} AS main_line,
               v.same_as{metric_cols}, rb.rolled_back_from
        FROM v LEFT JOIN m USING (commit) LEFT JOIN rb USING (commit)
        ORDER BY v.topo DESC
    """
    params: list[Any] = [model, *metric_keys, metric_keys]
    return con.sql(sql, params=params).to_arrow_table()


def previous_topos(
    con: duckdb.DuckDBPyConnection, model: str, among: set[int] | None = None
) -> dict[int, int]:
    """``{version topo: topo of the version it was built on}``: the nearest earlier version
    of the same model along first parents (an experiment's commit is compared with the
    version it branched from, a merge into main with main's previous version).

    ``among``: only these versions count (the ones a list shows), so each is compared
    with the previous one shown on its line."""
    wanted = None if among is None else pa.array(sorted(among), pa.int64())
    topos, previous = _previous_rows(con, model, wanted)
    out: dict[int, int] = {}
    for row, prev in enumerate(previous):
        if prev >= 0:
            out[topos[row].as_py()] = topos[prev].as_py()
    return out


def previous_column(
    con: duckdb.DuckDBPyConnection, model: str, topo: pa.ChunkedArray | pa.Array
) -> pa.Array:
    """For each ``topo`` (a versions table's column), the ``topo`` of the previous of
    these versions on its line (:func:`previous_topos`), or null."""
    if isinstance(topo, pa.ChunkedArray):
        topo = topo.combine_chunks()
    topos, previous = _previous_rows(con, model, topo)
    prev_topo = topos.take(_nullable(previous))  # per commit since the first version
    return prev_topo.take(pc.index_in(topo, value_set=topos)).cast(pa.int64())


def _nullable(rows: array[Any]) -> pa.Array:
    """Row numbers with -1 for none, as an Arrow array with nulls for ``take``."""
    values = pa.py_buffer(rows)
    ints = pa.Array.from_buffers(pa.int64(), len(rows), [None, values])
    return pc.if_else(pc.less(ints, 0), pa.scalar(None, pa.int64()), ints)


def _previous_rows(
    con: duckdb.DuckDBPyConnection, model: str, among: pa.Array | None
) -> tuple[pa.Array, array[Any]]:
    """The commits from the model's first version on, by ``topo`` (returned), and per
    commit the row of the version it was built on (-1: none); only versions in ``among``
    (topos) count when given.

    The walk follows row numbers in compact integer arrays: 100,000 versions cost a few
    MB, where dicts of Python ints cost ~25 MB."""
    rows = con.sql(
        """
        WITH c AS (
            SELECT topo, parents[1] AS parent, commit FROM commits
            WHERE topo >= (SELECT min(topo) FROM versions WHERE model = $1)
        )
        SELECT c.topo, p.topo AS parent, v.topo IS NOT NULL AS is_version
        FROM c LEFT JOIN commits p ON p.commit = c.parent
        LEFT JOIN versions v ON v.model = $1 AND v.commit = c.commit
        ORDER BY c.topo
        """,
        params=[model],
    ).to_arrow_table()
    topos = rows.column(0).combine_chunks()
    counts = rows.column(2).combine_chunks()
    if among is not None:
        counts = pc.and_(counts, pc.is_in(topos, value_set=among))
    parent = _ints(pc.fill_null(pc.index_in(rows.column(1), value_set=topos), -1))
    is_version = _ints(pc.fill_null(counts, False).cast(pa.int64()))
    nearest = array("q", bytes(8 * len(topos)))  # newest counted version at or before
    previous = array("q", bytes(8 * len(topos)))
    for row in range(len(topos)):
        up = parent[row]
        before = nearest[up] if up >= 0 else -1
        if is_version[row]:
            previous[row] = before
            nearest[row] = row
        else:
            previous[row] = -1
            nearest[row] = before
    return topos, previous


def _ints(values: pa.Array | pa.ChunkedArray) -> array[Any]:
    """An integer Arrow array (no nulls) as a compact ``array('q')``."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.int64())
    out = array("q")
    if len(values):
        data = memoryview(values.buffers()[1]).cast("B")
        out.frombytes(data[8 * values.offset : 8 * (values.offset + len(values))])
    return out


def main_line_topos(con: duckdb.DuckDBPyConnection, model: str, main: MainLine) -> set[int]:
    """The ``topo`` of every version the default list shows: on the main line, labelled
    or staged."""
    with line_relation(con, main) as line:
        rows = con.execute(
            "SELECT topo FROM versions WHERE model = $1 AND (len(labels) > 0 OR len(stages) > 0 "
            f"OR commit IN (SELECT commit FROM {line}))",
            [model],
        ).fetchall()
    return {r[0] for r in rows}


def previous_metrics(
    con: duckdb.DuckDBPyConnection,
    model: str,
    commits: Sequence[str],
    keys: Sequence[str],
    among: set[int] | None = None,
) -> dict[str, dict[str, float | None]]:
    """For each version in ``commits``: ``keys``' values at the version it was built on
    (:func:`previous_topos`, among the versions ``among`` if given; a version built on
    none is left out). The deltas the ``versions`` command shows, by the rule the TUI's
    list uses."""
    previous = previous_topos(con, model, among)
    topo_of = dict(
        con.execute(
            "SELECT commit, topo FROM versions WHERE model = $1 AND commit IN (SELECT unnest($2))",
            [model, list(commits)],
        ).fetchall()
    )
    prev_of = {c: previous[t] for c, t in topo_of.items() if t in previous}
    values: dict[int, dict[str, float | None]] = {t: {} for t in prev_of.values()}
    if values and keys:
        rows = con.execute(
            "SELECT v.topo, m.key, m.value FROM versions v JOIN metrics m USING (model, commit) "
            "WHERE v.model = $1 AND v.topo IN (SELECT unnest($2)) "
            "AND m.key IN (SELECT unnest($3))",
            [model, list(values), list(keys)],
        ).fetchall()
        for topo, key, value in rows:
            values[topo][key] = value
    return {c: values[t] for c, t in prev_of.items()}
