"""Deriving the versions: the ``versions`` table from the walk facts, labels, stages
and branches, and the commit lines (``commit_lines``) that give each version its branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from modeltrail.store.catalog import (
    branches,
    lines,
    lines_advance,
)
from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.config import Config
from modeltrail.store.read import indexer

if TYPE_CHECKING:
    pass


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
    import pyarrow as pa  # not for one new commit that is no version

    con.register("pruned", pa.table(pairs.cols))
    for table in ("model_commits", "version_files", "version_sources", "versions"):
        con.execute(
            f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM pruned p "
            "WHERE p.model = t.model AND p.commit = t.commit)"
        )


#: a version's content digest: sha256 of its files' ``path NUL blob NUL`` in path order
#: (its only use is equality: two versions with the same files have the same digest);
#: sorting a list is cheaper than an ordered ``string_agg``
_CONTENT_DIGEST = (
    "sha256(array_to_string(list_sort(list(v.path || chr(0) || v.blob || chr(0))), ''))"
)


def fill_content(con: duckdb.DuckDBPyConnection, split: bool = True) -> None:
    """Give each version still without a content digest (``model_commits.content``) the
    digest of its files, a slice of the history at a time (one statement unless
    ``split``); a version without files keeps NULL."""
    pending = "SELECT model, commit FROM model_commits WHERE content IS NULL"
    for low, high in _topo_slices(con, pending, split):
        con.execute(
            f"""
            UPDATE model_commits SET content = d.content
            FROM (
                SELECT v.model, v.commit, {_CONTENT_DIGEST} AS content
                FROM version_files v
                SEMI JOIN (
                    SELECT n.model, n.commit FROM ({pending}) n JOIN commits c USING (commit)
                    WHERE c.topo >= $1 AND c.topo < $2
                ) n ON v.model = n.model AND v.commit = n.commit
                GROUP BY v.model, v.commit
            ) d
            WHERE model_commits.content IS NULL
              AND model_commits.model = d.model AND model_commits.commit = d.commit
            """,
            [low, high],
        )


def _materialize_versions(
    con: duckdb.DuckDBPyConnection,
    latest: dict[str, str],
    main: str | None,
    only: list[str] | None = None,
    models: list[str] | None = None,
    moved: list[str] | None = None,
    relabelled: list[str] | None = None,
) -> None:
    """Fill ``versions`` from the walk facts, labels, stages and branches.

    ``only``: add just these (new) commits, numbering on from each model's last ``seq``;
    ``models``: rebuild just these models' rows; otherwise rebuild the whole table.
    ``is_latest`` is then set for every row (for ``models``: for theirs). With ``only``,
    just the rows that can have changed are looked at and only those that did are
    written: the new versions' ``same_as``, and ``is_latest`` of the models with a
    version among ``only`` or ``moved`` (commits a branch gained) or whose latest label
    changed (``relabelled``), so that one new commit costs what it changed, not the
    history.
    """
    adding = only is None or bool(only)  # else no new version: only is_latest can change
    if adding:
        fill_content(con, split=only is None)
    latest_rows = indexer.Columns("model", "label")
    for k, v in latest.items():
        latest_rows.add(k, v)
    table_rows.register_columns(con, "latest_tbl", latest_rows.cols)
    if adding:
        _add_rows(con, only, models)
    latest_scope = "WHERE model IN (SELECT name FROM rebuilt_models)" if models is not None else ""
    if only is not None and models is None:
        touched = _latest_touched(con, [*only, *(moved or [])], relabelled or [])
        if not touched:
            return
        table_rows.register_names(con, "latest_touched", touched)
        latest_scope = f"""WHERE model IN (SELECT name FROM latest_touched)
                           AND is_latest IS DISTINCT FROM ({_IS_LATEST})"""
    con.execute(
        f"""
        UPDATE versions SET is_latest = {_IS_LATEST}
        {latest_scope}
        """,
        [main or ""],
    )


def _add_rows(
    con: duckdb.DuckDBPyConnection, only: list[str] | None, models: list[str] | None
) -> None:
    """The ``versions`` rows of :func:`_materialize_versions` (all, ``models``' or the
    ``only`` commits'), each shown as the earlier version whose content it repeats."""
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
        import pyarrow as pa  # not for one new commit that is no version

        con.register("new_commits", pa.table({"commit": pa.array(only, pa.string())}))
        scope = commit_scope = "WHERE commit IN (SELECT commit FROM new_commits)"
        seq_base = "coalesce((SELECT max(seq) FROM versions o WHERE o.model = b.model), 0)"
    # new versions are numbered on from the model's last one: written in one statement
    written = f"SELECT model, commit FROM model_commits {scope}"
    for low, high in _topo_slices(con, written, split=only is None):
        con.execute(
            _INSERT_VERSIONS.format(
                scope=scope,
                commit_scope=commit_scope,
                seq_base=seq_base,
                branches=_WITH_EXPERIMENT.format(branches="br.branches", line="cl"),
                all_branches=_BRANCHES,
            ),
            [low, high],
        )
    # an unlabelled version whose content equals an earlier version's is shown as that one:
    # the first labelled one with that content if there is an earlier one (a branch
    # rollback to v1.1.0 is '= v1.1.0', not '= <the experiment commit v1.1.0 merged>'),
    # else the first one
    same_scope = f_scope = ""
    if models is not None:
        same_scope = "AND versions.model IN (SELECT name FROM rebuilt_models)"
    elif only is not None:
        same_scope = "AND versions.commit IN (SELECT commit FROM new_commits)"
        # only the contents the new versions have (a window over the whole table, else)
        f_scope = """AND (model, content) IN (SELECT (model, content) FROM versions
                         WHERE commit IN (SELECT commit FROM new_commits))"""
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
            FROM versions WHERE content IS NOT NULL {f_scope} GROUP BY model, content
        ) f
        WHERE versions.model = f.model AND versions.content = f.content
          AND versions.topo > f.topo AND len(versions.labels) = 0 AND versions.changed
          {same_scope}
        """
    )


def _latest_touched(
    con: duckdb.DuckDBPyConnection, commits: list[str], relabelled: list[str]
) -> list[str]:
    """The models whose ``is_latest`` may have changed: those with a version at one of
    ``commits`` (new, or newly on a branch), and the ``relabelled`` ones."""
    if not commits:
        return sorted(set(relabelled))
    table_rows.register_names(con, "latest_commits", commits)
    found = con.execute(
        "SELECT DISTINCT model FROM versions WHERE commit IN (SELECT name FROM latest_commits)"
    ).fetchall()
    return sorted({m for (m,) in found} | set(relabelled))


#: whether a version is its model's latest: it carries the latest label (``latest_tbl``),
#: else, for a model without one, it is the newest on the main line (``$1``), else the
#: newest
_IS_LATEST = """CASE
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
            END"""


#: the versions of a slice of the history (``topo`` in [$1, $2), the commits ``sl``):
#: written a slice at a time, DuckDB holds one slice's rows (messages, lists, labels,
#: branches) at once, not 100,000 of them (in one statement they did not fit in 128 MB);
#: only their numbers (``seq``) are counted over every version of the model
_INSERT_VERSIONS = """
        INSERT INTO versions
        WITH sl AS (SELECT commit FROM commits WHERE topo >= $1 AND topo < $2),
        vc AS (
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
            FROM (SELECT * FROM labels {scope}) SEMI JOIN sl USING (commit)
            GROUP BY model, commit
        ),
        br AS (
            SELECT commit, {all_branches} AS branches
            FROM (SELECT * FROM commit_branches {commit_scope}) SEMI JOIN sl USING (commit)
            GROUP BY commit
        ),
        st AS (
            SELECT model, commit, list(stage ORDER BY stage) AS stages
            FROM (SELECT * FROM stages {scope}) SEMI JOIN sl USING (commit)
            GROUP BY model, commit
        ),
        -- numbered apart from the wide rows: a window holds all of its input at once
        numbered AS (
            SELECT n.* FROM (
                SELECT vc.model, vc.commit,
                       row_number() OVER (PARTITION BY vc.model ORDER BY c.topo) AS n
                FROM vc JOIN commits c USING (commit)
            ) n SEMI JOIN sl USING (commit)
        ),
        base AS (
            SELECT vc.model, vc.commit, numbered.n,
                   coalesce(lab.best, substr(vc.commit, 1, 7)) AS version,
                   coalesce(lab.labels, []::VARCHAR[]) AS labels,
                   coalesce(lab.best_kind, 'commit') AS label_kind,
                   coalesce(lab.registered, false) AS registered,
                   vc.changed,
                   coalesce(st.stages, []::VARCHAR[]) AS stages,
                   {branches} AS branches,
                   c.author_name, c.author_email, c.author_date AS date, c.subject, c.message,
                   vc.stale_metrics, c.topo, vc.content, cl.branch, cl.merged
            FROM vc JOIN numbered USING (model, commit)
            JOIN (SELECT * FROM commits WHERE topo >= $1 AND topo < $2) c USING (commit)
            LEFT JOIN lab USING (model, commit)
            LEFT JOIN br USING (commit)
            LEFT JOIN (SELECT * FROM commit_lines SEMI JOIN sl USING (commit)) cl
                USING (commit)
            LEFT JOIN st USING (model, commit)
        )
        SELECT b.model, b.commit, b.version, ({seq_base} + b.n)::INTEGER,
               b.labels, b.label_kind, b.registered, b.changed, false,
               b.stages, b.branches, b.author_name, b.author_email, b.date, b.subject,
               b.message, b.stale_metrics, b.topo, b.content, NULL, b.branch,
               coalesce(b.merged, []::VARCHAR[])
        FROM base b
        """

#: a ``topo`` beyond any commit's, either way
_EVERY = 2**62

#: versions written by one statement, about (:data:`_INSERT_VERSIONS`, :func:`fill_content`)
VERSION_SLICE = 25_000


def _topo_slices(
    con: duckdb.DuckDBPyConnection, versions: str, split: bool
) -> list[tuple[int, int]]:
    """[low, high) ranges of ``topo`` that split ``versions`` (a query of their model
    and commit) into slices of about :data:`VERSION_SLICE` (one slice unless ``split``)."""
    if not split:  # one statement: no need to ask where the versions lie
        return [(-_EVERY, _EVERY)]
    rows = con.execute(
        f"SELECT count(*), min(c.topo), max(c.topo) "
        f"FROM ({versions}) m JOIN commits c USING (commit)"
    ).fetchall()
    count, low, high = rows[0]
    if not count:
        return []
    parts = max(1, -(-count // VERSION_SLICE))
    step = -(-(high + 1 - low) // parts)
    return [(lo, min(lo + step, high + 1)) for lo in range(low, high + 1, step)]


def _refresh_branches(con: duckdb.DuckDBPyConnection, commits: list[str]) -> None:
    """Recompute ``versions.branches``, ``branch`` and ``merged`` for commits whose
    branch membership or line changed."""
    if not commits:
        return
    import pyarrow as pa  # not for one new commit that is no version

    con.register("moved", pa.table({"commit": pa.array(sorted(set(commits)), pa.string())}))
    # the branch lists of these commits only, gathered before the join (a subquery per
    # version row would group the whole ``commit_branches`` table)
    con.execute(
        f"""
        UPDATE versions SET branches = x.branches, branch = x.branch, merged = x.merged
        FROM (
            SELECT cl.commit, cl.branch, coalesce(cl.merged, []::VARCHAR[]) AS merged,
                   {_WITH_EXPERIMENT.format(branches="b.branches", line="cl")} AS branches
            FROM commit_lines cl
            LEFT JOIN (
                SELECT commit, {_BRANCHES} AS branches FROM commit_branches
                WHERE commit IN (SELECT commit FROM moved) GROUP BY commit
            ) b USING (commit)
            WHERE cl.commit IN (SELECT commit FROM moved)
        ) x
        WHERE versions.commit = x.commit
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
                table_rows.register_columns(
                    con,
                    "new_lines",
                    {
                        name: [r[i] for r in advanced.rows]
                        for i, name in enumerate(("commit", "branch", "ref", "merged"))
                    },
                    lists=("merged",),
                )
                con.execute(
                    "DELETE FROM commit_lines WHERE commit IN (SELECT commit FROM new_lines)"
                )
                con.execute(
                    "INSERT INTO commit_lines SELECT commit, branch, ref, merged FROM new_lines"
                )
                table_rows.unregister_columns(con, "new_lines")
            return [r[0] for r in advanced.rows], advanced.state
    # only a merge's subject is ever read (the branch it names): 100,000 subjects held
    # as Python text cost ~15 MB for nothing
    rel = con.sql(
        "SELECT commit, parents, CASE WHEN len(parents) > 1 THEN subject END AS subject "
        "FROM commits ORDER BY topo"
    )
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
    import pyarrow as pa  # not for one new commit that is no version

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
