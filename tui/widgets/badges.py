"""A stage badge as text: ``● prod v2.0.0 ← v1.1.0 3d`` (glyph, stage, holder, previous
holder, how long it has held the stage). Reads without colour. No Textual here: the
``models`` command prints the same badge."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from modeltrail.store.query.stages import stage_order
from modeltrail.tui.format import fmt_age, fmt_version, stage_glyph
from modeltrail.tui.safe_text import clean

if TYPE_CHECKING:  # built only when drawn: the models command prints plain text
    from rich.text import Text


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


#: text as (string, style) pieces (``Text.assemble(*parts)``): the model list measures
#: thousands of entries by their plain text and builds a ``Text`` only for those drawn
Parts = list[tuple[str, str]]


#: cells of a branch name beside the latest version (``v3 (on dev)``) before it is cut
LATEST_BRANCH_CELLS = 20


def latest_text(model: dict) -> str:
    """The latest version, and the branch it was made on when that is not the main line
    (``v3 (on dev)``); ``""`` when the model has no version. Literal, on one line."""
    latest = model.get("latest")
    if not latest:
        return ""
    text = clean(latest, single_line=True)
    branch = model.get("latest_elsewhere")
    if branch:
        name = clean(branch, single_line=True)
        if cell_len(name) > LATEST_BRANCH_CELLS:
            name = set_cell_size(name, LATEST_BRANCH_CELLS - 1) + "…"
        text += f" (on {name})"
    return text


def stage_badge_parts(
    stage: str, version: str | None, previous: str | None, since: str | None, now: datetime
) -> Parts:
    """:func:`stage_badge` as pieces."""
    parts = [
        (f"{stage_glyph(stage)} {clean(stage, single_line=True)}", "bold yellow"),
        (f" {clean(fmt_version(version) or '–', single_line=True)}", ""),
    ]
    if previous:
        parts.append((f" ← {clean(fmt_version(previous), single_line=True)}", "dim"))
    age = fmt_age(parse_iso(since), now)
    if age:
        parts.append((f" {age}", "dim"))
    return parts


def stage_badge(
    stage: str, version: str | None, previous: str | None, since: str | None, now: datetime
) -> Text:
    """``● prod v2.0.0 ← v1.1.0 3d``, built without markup from repository text."""
    from rich.text import Text

    return Text.assemble(*stage_badge_parts(stage, version, previous, since, now))


def main_badge_parts(model: dict, two_lines: bool = False) -> Parts | None:
    """:func:`main_badge` as pieces."""
    held = model.get("main")
    if not held or held.get("content_of") == model.get("latest"):
        return None
    if held.get("version") == held.get("content_of") and not held.get("rolled_back_from"):
        return None  # main's newest version is itself: the list says so
    parts = [(clean(held["branch"], single_line=True), "bold")]
    if held.get("version") != held.get("content_of"):  # a commit equal to an earlier version
        parts.append((f" = {clean(held['content_of'], single_line=True)}", ""))
    else:
        parts.append((f" {clean(held['version'], single_line=True)}", ""))
    if held.get("rolled_back_from"):
        parts.append((",\n    " if two_lines else ", ", ""))
        parts.append((f"rolled back from {clean(held['rolled_back_from'], single_line=True)}", ""))
    return parts


def main_badge(model: dict, two_lines: bool = False) -> Text | None:
    """What the main branch holds when a commit there restored an earlier version's
    content other than the latest (a branch rollback: ``main = v1.1.0, rolled back from
    v1.2.0``); else None. ``two_lines``: "rolled back from" on a line of its own (for a
    narrow side column)."""
    parts = main_badge_parts(model, two_lines)
    from rich.text import Text

    return None if parts is None else Text.assemble(*parts)


def deleted_badge_parts(deleted: dict) -> Parts:
    """The model's files are gone from the main line: since when, and by which commit."""
    day = (deleted.get("date") or "")[:10]
    commit = str(deleted.get("commit") or "")[:7]
    return [(f"deleted {day} ({commit})", "italic")]


def model_badge_parts(model: dict, now: datetime, two_lines: bool = False) -> list[Parts]:
    """:func:`model_badges` as pieces, a list per badge."""
    details = model.get("stage_details") or {}
    previous = model.get("previous") or {}
    deleted = model.get("deleted")
    held = deleted_badge_parts(deleted) if deleted else main_badge_parts(model, two_lines)
    return [
        stage_badge_parts(
            stage,
            details[stage].get("version"),
            previous.get(stage),
            details[stage].get("since"),
            now,
        )
        for stage in sorted(details, key=stage_order)
    ] + ([held] if held is not None else [])


def model_badges(model: dict, now: datetime, two_lines: bool = False) -> list[Text]:
    """One badge per stage of a ``list_models`` dict, prod first; then what the main
    branch holds if that is not the latest version (:func:`main_badge`), or that the
    model was deleted there."""
    from rich.text import Text

    return [Text.assemble(*parts) for parts in model_badge_parts(model, now, two_lines)]
