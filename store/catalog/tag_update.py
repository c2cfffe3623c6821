"""Tag changes applied to the models they touch, not to every model.

A tag that is added, moved or deleted changes the labels, stage events and stage
holders of the models it names and of no other: a GTO tag those of its artifact (GTO
computes an artifact's state from that artifact's tags alone), a plain tag those of the
model it reads as (a tag's reading depends only on its name, the model names and the
team's patterns). :func:`plan` works out which models those are and re-derives just
them, reading only their tags; :func:`apply` rewrites their rows in the derived tables
exactly as a full derivation would. A change that could alter how *other* tags read (a
GTO artifact appearing or disappearing changes the names plain tags are matched
against) gives no plan: the caller re-derives everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.read import derive, gto, labels
from modeltrail.store.read.gitio import RefRecord

_PLAIN_KINDS = tuple(labels.SCHEMES)


@dataclass
class TagPlan:
    """What a set of changed tags means for the derived tables."""

    changed: set[str]  # short names of the tags added, moved or deleted
    artifacts: set[str]  # GTO artifacts whose state is recomputed
    models: set[str]  # every model whose labels are recomputed (artifacts included)
    derived: derive.Derived = field(default_factory=derive.Derived)  # for those only


def changed_tags(old: dict[str, str], new: dict[str, str]) -> set[str]:
    """Short tag names (``short -> object id`` maps) added, deleted or pointing elsewhere."""
    return {t for t in old.keys() | new.keys() if old.get(t) != new.get(t)}


def _candidates(tags: Iterable[str], models: set[str], patterns: Sequence[str]) -> list[str]:
    """Tags that may read as a label of one of ``models``: every form puts the model
    name right after a fixed prefix or right before a fixed suffix, so a prefix or
    suffix test finds them; ``labels.read_tags`` then decides. The team's prefixes
    (suffixes) are looked up by length: a few set lookups per tag however many patterns
    there are (a test against every pattern and model took 10 s a new tag at 20,000
    patterns and 100,000 tags)."""
    starts = tuple(f"{m}{sep}" for m in models for sep in ("-", "/"))
    names = tuple(models)
    befores: set[str] = set()  # text before {model} where the model comes first
    afters: set[str] = set()  # text after {model} where it comes last
    for pattern in patterns:
        if not isinstance(pattern, str) or "{model}" not in pattern:
            continue
        before, _, after = pattern.partition("{model}")
        if "{version}" in before:  # the model comes last: a fixed suffix follows it
            afters.add(after)
        else:
            befores.add(before)
    before_lengths = sorted({len(b) for b in befores})
    after_lengths = sorted({len(a) for a in afters})
    out = []
    for t in tags:
        if t.startswith(starts):
            out.append(t)
            continue
        n = len(t)
        if any(t[:k] in befores and t.startswith(names, k) for k in before_lengths if k < n) or any(
            t[n - k :] in afters and t.endswith(names, 0, n - k) if k else t.endswith(names)
            for k in after_lengths
            if k < n
        ):
            out.append(t)
    return out


class TagSource(Protocol):
    """The tags an incremental run can look at: every name, and records on request."""

    def tag_names(self) -> list[str]:
        """Every tag's short name, in ref order (some may point at no commit)."""
        ...

    def tag_records(self, shorts: Iterable[str]) -> dict[str, RefRecord]:
        """The tags ``shorts`` that point at a commit, by short name, in ref order."""
        ...


class RefsTags:
    """A :class:`TagSource` over a list of ref records."""

    def __init__(self, refs: Iterable[RefRecord]) -> None:
        self._tags = [r for r in refs if r.kind == "tag"]
        self._by_name = {r.short: r for r in self._tags if r.commit}

    def tag_names(self) -> list[str]:
        return [r.short for r in self._tags]

    def tag_records(self, shorts: Iterable[str]) -> dict[str, RefRecord]:
        return {s: self._by_name[s] for s in dict.fromkeys(shorts) if s in self._by_name}


def _artifact_tags(names: list[str], artifacts: set[str]) -> list[str]:
    """The tags that may be GTO tags of ``artifacts``: a GTO tag of artifact ``dir:nn``
    starts with ``dir=nn#`` or ``dir=nn@`` (no GTO name holds ``:``, ``#`` or ``@``), so a
    prefix test (one C call per tag) finds every one; ``gto.evaluate`` drops the rest."""
    starts = tuple(f"{a.replace(':', '=')}{c}" for a in sorted(artifacts) for c in "#@")
    return [t for t in names if t.startswith(starts)]


def plan(
    tags: TagSource,
    changed: set[str],
    model_names: set[str],
    names: set[str],
    patterns: Sequence[str],
) -> TagPlan | None:
    """Re-derive the models that the ``changed`` tags touch; None when the change could
    alter other models' labels (the caller then re-derives every model).

    ``model_names``: the declared models; ``names``: every name in the catalog's models
    table (declared and tags-only GTO artifacts), which plain tags are matched against.
    Only the tags whose names may concern those models are read (``tags.tag_records``).
    """
    every = tags.tag_names()
    artifacts = {p.artifact for p in map(gto.parse_tag, changed) if p is not None}
    states = {}
    if artifacts:
        mine = tags.tag_records(_artifact_tags(every, artifacts)).values()
        states = gto.evaluate(derive.tag_records(list(mine)))
    if any(a not in names for a in states):
        return None  # a new artifact: a new name that other tags may read as
    if any(a in names and a not in model_names and a not in states for a in artifacts):
        return None  # a tags-only artifact lost its last tag: a name goes away
    single = next(iter(model_names)) if len(model_names) == 1 else None
    touched = labels.read_tags(sorted(changed), names, single, patterns)
    models = {m for lab in touched.labels for m in (lab.model,)} | {
        m for c in touched.clashes for m in c.models[:1]
    }
    models |= artifacts & names
    out = TagPlan(changed=set(changed), artifacts=artifacts & names, models=models)
    der = out.derived
    derive.add_gto_states(der, states)
    if models:
        by_name = tags.tag_records(
            every if single is not None else _candidates(every, models, patterns)
        )
        reading = labels.read_tags(list(by_name), names, single, patterns)
        der.clashes = [c for c in reading.clashes if c.models[0] in models]
        for lab in reading.labels:
            if lab.model in models:
                commit = by_name[lab.tag].commit
                if commit is None:  # (never: tag_records keeps tags with a commit)
                    continue
                der.label_rows.append((lab.model, commit, lab.label, lab.kind, lab.tag))
                der.labelled.setdefault(commit, set()).add(lab.model)
    return out


def apply(
    con: duckdb.DuckDBPyConnection, tag_plan: TagPlan, allowed_stages: Sequence[str] | None
) -> tuple[list[tuple[Any, ...]], dict[str, list[Any]]]:
    """Rewrite the plan's models' labels, tag warnings, GTO stage events and stage
    holders; return the tag warnings new in this run and the new ``latest`` map
    (model -> [label, gto | labels], as ``meta`` keeps it)."""
    scope, arts = sorted(tag_plan.models), sorted(tag_plan.artifacts)
    der = tag_plan.derived
    table_rows.register_names(con, "scope_models", scope)
    table_rows.register_names(con, "scope_artifacts", arts)
    kept = con.execute(
        "SELECT model, commit, label, kind, tag FROM labels "
        "WHERE model IN (SELECT name FROM scope_models) AND (kind = 'manifest' OR "
        "(kind = 'gto' AND model NOT IN (SELECT name FROM scope_artifacts)))"
    ).fetchall()
    ranked = derive.rank_labels([*kept, *der.label_rows])
    con.execute("DELETE FROM labels WHERE model IN (SELECT name FROM scope_models)")
    table_rows.insert_rows(con, "labels", table_rows.LABEL_COLUMNS, ranked)

    where = (
        f"commit IS NULL AND path = '{table_rows.TAG_WARNINGS}' "
        "AND model IN (SELECT name FROM scope_models)"
    )
    before = set(
        con.execute(f"SELECT commit, path, model, message FROM warnings WHERE {where}").fetchall()
    )
    con.execute(f"DELETE FROM warnings WHERE {where}")
    found = [
        (None, table_rows.TAG_WARNINGS, m, w) for m, w in derive.label_warnings(ranked, der.clashes)
    ]
    table_rows.insert_rows(con, "warnings", table_rows.WARNING_COLUMNS, found)

    # GTO events are the stage events whose ref is a tag (a rollback commit's is itself)
    con.execute(
        "DELETE FROM stage_events WHERE model IN (SELECT name FROM scope_artifacts) "
        "AND ref IS DISTINCT FROM commit"
    )
    table_rows.insert_rows(con, "stage_events", table_rows.EVENT_COLUMNS, der.events)
    con.execute("DELETE FROM stages WHERE model IN (SELECT name FROM scope_artifacts)")
    shown = [r for r in der.stages if allowed_stages is None or r[1] in allowed_stages]
    table_rows.insert_rows(con, "stages", table_rows.STAGE_COLUMNS, shown)
    return [w for w in found if w not in before], _latest(con, tag_plan, ranked)


def _latest(
    con: duckdb.DuckDBPyConnection, tag_plan: TagPlan, ranked: list[tuple[Any, ...]]
) -> dict[str, list[Any]]:
    row = con.execute("SELECT value FROM meta WHERE key = 'latest'").fetchone()
    latest: dict[str, list[Any]] = json.loads(row[0]) if row and row[0] else {}
    dates = dict(
        con.execute(
            "SELECT commit, author_date FROM commits WHERE commit IN (SELECT unnest($1))",
            [sorted({r[1] for r in ranked})],
        ).fetchall()
    )
    by_labels = derive.latest_label(ranked, dates)
    for model in tag_plan.models:
        old = latest.get(model)
        if model in tag_plan.artifacts:
            from_gto = tag_plan.derived.gto_latest.get(model)
        elif old is not None and old[1] == "gto":
            continue  # its GTO tags did not change
        else:
            from_gto = None
        if from_gto:
            latest[model] = [from_gto, "gto"]
        elif model in by_labels:
            latest[model] = [by_labels[model], "labels"]
        else:
            latest.pop(model, None)
    return latest
