"""Labels, stage events and stage holders, derived from refs on every index run.

Tags are few next to commits, so these are recomputed whole each time from the refs
that ``for-each-ref`` returned; GTO's rules come from ``store.read.gto``, other tag
conventions from ``store.read.labels``; rollbacks and undos from commit and tag trailers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modeltrail.store.read import gto, labels
from modeltrail.store.read.gitio import RefRecord
from modeltrail.store.trailers import rollback_trailers


@dataclass
class Derived:
    label_rows: list[tuple[Any, ...]] = field(
        default_factory=list
    )  # model, commit, label, kind, tag
    events: list[tuple[Any, ...]] = field(default_factory=list)  # stage_events columns
    stages: list[tuple[Any, ...]] = field(
        default_factory=list
    )  # model, stage, version, commit, since, ref
    labelled: dict[str, set[str]] = field(default_factory=dict)  # commit -> models
    gto_names: set[str] = field(default_factory=set)  # artifacts that have GTO tags
    gto_latest: dict[str, str | None] = field(default_factory=dict)
    clashes: list[labels.Clash] = field(default_factory=list)  # tags two models could claim
    gto_config: gto.GtoConfig = field(default_factory=gto.GtoConfig)


def tag_records(refs: list[RefRecord]) -> list[gto.TagRecord]:
    """The annotated tags as ``gto.evaluate`` reads them (GTO drops lightweight ones)."""
    return [
        gto.TagRecord(
            name=r.short,
            commit=r.commit,
            annotated=r.annotated,
            tagger_name=r.tagger_name,
            tagger_email=r.tagger_email,
            date=r.tag_date,
            message=r.tag_message,
        )
        for r in refs
        if r.kind == "tag" and r.commit and r.annotated
    ]


def from_refs(
    refs: list[RefRecord], model_names: set[str], patterns: Sequence[str] = ()
) -> Derived:
    """Labels and stage facts from tags, for the known models (and GTO-only ones);
    ``patterns`` are the team's own tag patterns (``release/{model}/{version}``)."""
    out = Derived()
    tags = [r for r in refs if r.kind == "tag" and r.commit]
    add_gto_states(out, gto.evaluate(tag_records(refs)))
    names = set(model_names) | out.gto_names
    single = next(iter(model_names)) if len(model_names) == 1 else None
    tag_by_name = {r.short: r for r in tags}
    reading = labels.read_tags(list(tag_by_name), names, single, patterns)
    out.clashes = reading.clashes
    for lab in reading.labels:
        ref = tag_by_name.get(lab.tag)
        if ref is None or ref.commit is None:  # (tags without a commit are left out)
            continue
        out.label_rows.append((lab.model, ref.commit, lab.label, lab.kind, lab.tag))
        out.labelled.setdefault(ref.commit, set()).add(lab.model)
    return out


def add_gto_states(out: Derived, artifacts: dict[str, gto.GtoArtifact]) -> None:
    """Add GTO artifacts' registrations, stage holders and events (as ``gto.evaluate``
    computed them) to ``out``."""
    for name, art in artifacts.items():
        out.gto_names.add(name)
        out.gto_latest[name] = art.latest
        for version, reg in art.versions.items():
            if getattr(reg, "deregistered", False):
                continue
            out.label_rows.append((name, reg.commit, version, "gto", reg.tag))
            out.labelled.setdefault(reg.commit, set()).add(name)
        for stage, holder in art.stages.items():
            out.stages.append(
                (name, stage, holder.version, holder.commit, holder.since, holder.tag)
            )
            out.labelled.setdefault(holder.commit, set()).add(name)
        for ev in art.events:
            message = ev.message or ""
            trailers = rollback_trailers(message) if "Rollback-Model" in message else None
            kind: str = ev.kind  # a GTO event kind, or rollback / undo
            reason = None
            rolled_from = None
            if trailers and kind == "assignment":
                kind = "undo" if "Rollback-Undoes" in trailers else "rollback"
                reason = trailers.get("Rollback-Reason")
                rolled_from = trailers.get("Rollback-From")
            out.events.append(
                (
                    name,
                    kind,
                    ev.stage,
                    ev.version,
                    ev.commit,
                    ev.tag,
                    ev.counter,
                    ev.date,
                    ev.tagger_name,
                    ev.tagger_email,
                    ev.message,
                    rolled_from,
                    reason,
                )
            )
            if ev.commit:
                out.labelled.setdefault(ev.commit, set()).add(name)


def rollback_events(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Stage-event rows for branch rollbacks/undos recorded as commit trailers.

    ``rows``: (commit, author_name, author_email, committer_date, message).
    """
    out = []
    for commit, an, ae, date, message in rows:
        t = rollback_trailers(message)
        if t is None:
            continue
        kind = "undo" if "Rollback-Undoes" in t else "rollback"
        out.append(
            (
                t.get("Rollback-Model"),
                kind,
                t.get("Rollback-Stage"),
                t.get("Rollback-To"),
                commit,
                commit,
                None,
                date,
                an,
                ae,
                message,
                t.get("Rollback-From"),
                t.get("Rollback-Reason"),
            )
        )
    return out


_UNSEEN: Any = object()  # a sentinel: never stored, never returned


def rank_labels(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Add a rank and a scheme to (model, commit, label, kind, tag) rows: rank 1 = the
    label to show; scheme = semver | calendar | sequential | None (``labels.scheme_of``).

    GTO registrations first, then plain semver, calendar and sequential tags, manifest
    versions; within a kind the newest first (highest semver, latest date, highest number).
    """
    order = {"gto": 0, "semver": 1, "calendar": 2, "sequential": 3, "manifest": 4}
    schemes = {s: i for i, s in enumerate(labels.SCHEMES)}
    grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    keys: dict[tuple[str, str | None], Any] = {}  # (label, scheme) -> its order key
    schemes_of: dict[tuple[str, str | None], str | None] = {}  # (label, kind) -> scheme
    for row in rows:
        scheme = schemes_of.get((row[2], row[3]), _UNSEEN)
        if scheme is _UNSEEN:
            scheme = schemes_of[(row[2], row[3])] = labels.scheme_of(row[2], row[3])
        grouped.setdefault((row[0], row[1]), []).append((*row, scheme))
        if (row[2], scheme) not in keys:
            keys[(row[2], scheme)] = labels.order_key(row[2], scheme)
    # newest first within a scheme: each distinct key's place among its scheme's keys,
    # so that a group sorts on plain ints (a key of None goes after every key)
    place: dict[tuple[str | None, Any], int] = {}
    for scheme in {s for _label, s in keys}:
        distinct = {k for (_label, s), k in keys.items() if s == scheme and k is not None}
        for i, k in enumerate(sorted(distinct, reverse=True)):
            place[(scheme, k)] = i
    last = len(place)
    out = []
    for group in grouped.values():
        if len(group) == 1:  # one label on this (model, commit): rank 1
            r = group[0]
            out.append((*r[:5], 1, r[5]))
            continue
        group.sort(
            key=lambda r: (
                order.get(r[3], 9),
                schemes.get(r[5], 9),
                place.get((r[5], keys[(r[2], r[5])]), last),
                r[2],
            )
        )
        seen = set()
        rank = 0
        for r in group:
            if (r[2], r[3]) in seen:
                continue
            seen.add((r[2], r[3]))
            rank += 1
            out.append((*r[:5], rank, r[5]))
    return out


def latest_label(rows: list[tuple[Any, ...]], dates: dict[str, datetime]) -> dict[str, str]:
    """Model -> latest label (highest semver, else newest calendar, else highest
    sequential); no entry when unlabelled. ``labels.pick_latest`` over each model's
    rows (ties to the newer commit, then the first row), in one pass over the rows."""
    # model -> scheme (None: any label) -> (key, when, label)
    best: dict[str, dict[str | None, tuple[Any, datetime, str]]] = {}
    whens: dict[str, datetime] = {}  # commit -> its date as compared
    keyed: dict[tuple[str, str | None], tuple[str | None, Any]] = {}  # -> (scheme, key)
    for model, commit, label, kind, _tag, *_ in rows:
        when = whens.get(commit)
        if when is None:
            when = whens[commit] = labels.when_of(dates.get(commit))
        mine = best.get(model)
        if mine is None:
            mine = best[model] = {}
        fallback = mine.get(None)
        if fallback is None or when > fallback[1]:
            mine[None] = (None, when, label)
        found = keyed.get((label, kind))
        if found is None:
            of = labels.scheme_of(label, kind)
            found = keyed[(label, kind)] = (of, labels.order_key(label, of))
        scheme, key = found
        if key is None:
            continue
        held = mine.get(scheme)
        if held is None or (key, when) > (held[0], held[1]):
            mine[scheme] = (key, when, label)
    out = {}
    for model, mine in best.items():
        pick = next((mine[s] for s in labels.SCHEMES if s in mine), mine[None])
        if pick[2] is not None:
            out[model] = pick[2]
    return out


def label_warnings(
    rows: list[tuple[Any, ...]], clashes: Sequence[labels.Clash]
) -> list[tuple[Any, ...]]:
    """Index warnings (model, message) about labels: a model whose labels mix schemes
    (once per model), and a tag that two models could claim."""
    per_model: dict[str, list[tuple[str, str | None]]] = {}
    first: dict[str, object] = {}  # model -> the scheme of its first label with one
    several: set[str] = set()  # models whose labels have more than one scheme
    for model, _commit, label, kind, *_ in rows:
        per_model.setdefault(model, []).append((label, kind))
        scheme = labels.scheme_of(label, kind)
        if scheme is not None and first.setdefault(model, scheme) != scheme:
            several.add(model)
    out = []
    for model in sorted(several):
        mixed = labels.mixed_schemes(per_model[model])
        if not mixed:
            continue
        parts = ", ".join(
            f"{len(found)} {scheme} (e.g. {found[-1]})" for scheme, found in mixed.items()
        )
        leading = next(iter(mixed))
        out.append(
            (
                model,
                f"labels mix schemes: {parts}; the latest is read from the {leading} labels "
                "(semver, else calendar, else sequential)",
            )
        )
    for clash in clashes:
        others = ", ".join(clash.models[1:])
        out.append(
            (
                clash.models[0],
                f"tag {clash.tag} reads as a label of {clash.models[0]} and of {others}; "
                f"it labels {clash.models[0]} (your patterns first, then the longest name)",
            )
        )
    return out
