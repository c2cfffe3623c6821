"""A stage badge as text: ``● prod v2.0.0 ← v1.1.0 3d`` (glyph, stage, holder, previous
holder, how long it has held the stage). Reads without colour. No Textual here: the
``models`` command prints the same badge."""

from __future__ import annotations

from datetime import datetime

from modeltrail.store.query.stages import stage_order
from modeltrail.tui.format import fmt_age
from modeltrail.tui.safe_text import clean
from modeltrail.tui.widgets.version_rows import stage_glyph
from rich.text import Text


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def stage_badge(
    stage: str, version: str | None, previous: str | None, since: str | None, now: datetime
) -> Text:
    """``● prod v2.0.0 ← v1.1.0 3d``, built without markup from repository text."""
    text = Text()
    text.append(f"{stage_glyph(stage)} {clean(stage, single_line=True)}", style="bold yellow")
    text.append(f" {clean(version or '–', single_line=True)}")
    if previous:
        text.append(f" ← {clean(previous, single_line=True)}", style="dim")
    age = fmt_age(parse_iso(since), now)
    if age:
        text.append(f" {age}", style="dim")
    return text


def model_badges(model: dict, now: datetime) -> list[Text]:
    """One badge per stage of a ``list_models`` dict, prod first."""
    details = model.get("stage_details") or {}
    previous = model.get("previous") or {}
    return [
        stage_badge(
            stage,
            details[stage].get("version"),
            previous.get(stage),
            details[stage].get("since"),
            now,
        )
        for stage in sorted(details, key=stage_order)
    ]
