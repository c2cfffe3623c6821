"""The incremental index run: new commits and changed refs applied to a copy of the
catalog, or to the catalog itself in place (``generations.sole_user``); ``None`` when
only a full index can bring it up to date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store import gitcmd
from modeltrail.store.catalog import (
    lines_advance,
    model_fields,
    pulled,
    ref_delta,
    tag_update,
)
from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.catalog.derive_versions import (
    _materialize_versions,
    _prune_unlabelled,
    _refresh_branches,
    _write_lines,
)
from modeltrail.store.catalog.finish import (
    EVENT_COLUMNS,
    LABEL_COLUMNS,
    TEMPLATE_VALUES,
    _finish,
    _gto_config,
    _heads,
    _insert,
    _insert_refs,
    _insert_rows,
    _json,
    _main_of,
    _mixed_scheme_warnings,
    _models_fingerprint,
    _refresh_value_files,
    _set_meta,
    _summary,
    _write_meta,
)
from modeltrail.store.catalog.generations import (
    IndexSummary,
    Progress,
    new_generation,
)
from modeltrail.store.config import Config
from modeltrail.store.read import derive, gitio, gto, indexer
from modeltrail.store.read import labels as labels_mod
from modeltrail.store.read.discovery import Content, ModelDef
from modeltrail.store.repo import RepoPaths

if TYPE_CHECKING:
    import git


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
    *,
    walked: tuple[list[gitio.CommitRecord], indexer.Columns],
) -> None:
    """The derived tables after new commits when no tag changed.

    No existing label, stage or event can have changed, so only the new commits'
    versions (with manifest labels and rollback trailers) are added, the moved branches
    updated, and the latest label reconsidered against the new labels. ``walked``: the
    new commits as walked and the walk's ``model_commits`` rows, so that what they hold
    is not looked for again among the catalog's whole tables (and a new commit that is
    no version has no row to add or refresh).
    """
    _replace_changed_refs(con, delta)
    relined, lines_state = _write_lines(con, cfg, new_ids, meta.get(lines_advance.META_KEY))
    new = set(new_ids)
    records, versions = walked[0], walked[1].cols
    manifest = sorted(
        (m, c, v)
        for m, c, v in zip(
            versions["model"], versions["commit"], versions["manifest_version"], strict=True
        )
        if v is not None and c in new
    )
    ranked = derive.rank_labels([(m, c, v, "manifest", None) for m, c, v in manifest])
    _insert_rows(con, "labels", LABEL_COLUMNS, ranked)
    if ranked:  # a new manifest version may mix schemes
        _mixed_scheme_warnings(con)
    rb = [
        (c.commit, c.author_name, c.author_email, c.committer_date, c.message)
        for c in records
        if c.commit in new and "Rollback-Model:" in c.message
    ]
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
    only = sorted(new.intersection(versions["commit"]))
    fresh = new - set(only)  # new commits without a version: no row anywhere
    _materialize_versions(
        con,
        {m: v[0] for m, v in latest.items()},
        _main_of(con, cfg, delta.heads),
        only=only,
        moved=[c for c in moved if c not in fresh],
        relabelled=sorted(by_model),
    )
    # the new versions were given their branches as they were added
    _refresh_branches(con, [c for c in {*moved, *relined} if c not in new])
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
        commits = _walk_new(repo, old, delta)
    except gitcmd.git_command_errors():
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
        walked: dict[str, ModelDef] | None = models  # found again: their fields as read now
        facts.warnings = indexer.Columns("commit", "path", "model", "message")
    else:
        models = _models_from_table(old)
        walked = None
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
        walk = indexer.Walk(repo, paths, commits, models, der.labelled, seeds)
        indexer.fill_facts(
            walk, facts, known_blobs=known_blobs, topo_start=topo0, progress=progress
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
                walked=(commits, facts.model_commits),
            )
        if tag_plan is not None:
            for w in _finish_tags(con, tag_plan, der.gto_config, cfg, delta.heads):
                facts.warnings.add(*w)
        # the models table holds the walk's fields again when _finish rewrote it
        rewritten = tags_changed and tag_plan is None
        previous = None if rewritten else meta.get(model_fields.META_KEY)
        model_fields.refresh(
            repo, con, cfg.main, root_name, previous, fresh=rewritten, walked=walked
        )
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


def _walk_new(
    repo: git.Repo, con: duckdb.DuckDBPyConnection, delta: ref_delta.RefDelta
) -> list[gitio.CommitRecord]:
    """The new commits, parents first: walked from the added and moved refs, excluding
    what the old branches and the changed refs reached (a few commits for git to read,
    not one per tag). A commit the catalog already has (reached only through an
    unchanged tag) means that was not enough: walked again excluding every ref's commit.
    """
    commits = list(gitio.walk_commits(repo, delta.commits, delta.old_bounds))
    if commits:
        table_rows.register_names(con, "walked", [c.commit for c in commits])
        known = con.execute(
            "SELECT 1 FROM commits WHERE commit IN (SELECT name FROM walked) LIMIT 1"
        ).fetchall()
        table_rows.unregister_columns(con, "walked")
        if known:
            commits = list(gitio.walk_commits(repo, delta.commits, delta.old_commits(con)))
    return commits


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
    table_rows.register_columns(con, "cand", {"blob": sorted(candidates)})
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
    indexer.fill_facts(
        indexer.Walk(repo, paths, fake, models, labelled, seeded),
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
    """The models as the walk found them (the table's places where the main line's
    declarations moved them: ``model_fields.walk_places``)."""
    row = con.execute("SELECT value FROM meta WHERE key = $1", [model_fields.META_KEY]).fetchone()
    walked = model_fields.walk_places(row[0] if row else None)
    models = {}
    for name, path, apath, typ, desc, labels, sources, content in con.execute(
        "SELECT name, path, artifact_path, type, description, labels, sources, content FROM models"
    ).fetchall():
        if content is None:
            continue  # tags-only models are re-derived from refs
        path, apath = walked.get(name, (path, apath))
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
