"""Version labels that come from plain (non-GTO) tags, and which label is the latest.

docs/CONVENTIONS.md: plain tags ``name-vX.Y.Z``, ``name/vX.Y.Z``, calendar tags ``name-YYYY.MM.DD``
(``name/YYYY.MM.DD`` too) and, in a repository with one model, a bare ``vX.Y.Z``. The label
is the version part (``v1.2.0``, ``2026.01.07``). Model names may themselves contain ``-``
and ``/``, so a tag is matched against the known model names, longest first.

Latest = highest semver label, else newest calendar label, else newest commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import semver

LabelKind = Literal["semver", "calendar"]

_CALENDAR_RE = re.compile(r"^(\d{4})\.(\d{2})\.(\d{2})$", re.ASCII)


@dataclass(frozen=True)
class TagLabel:
    """A plain tag read as a version label of a model."""

    model: str
    label: str  # the version part: "v1.2.0" or "2026.01.07"
    kind: LabelKind
    tag: str  # the full tag name


@dataclass(frozen=True)
class LabelledVersion:
    """One version of a model, as :func:`pick_latest` weighs it.

    ``label`` is the version's label (a semver or calendar label, a manifest version, or
    the short commit id of an unlabelled version); ``date`` is its commit date; ``order``
    breaks ties between equal dates (higher = newer, e.g. the position in history).
    """

    label: str
    date: datetime | None = None
    order: int = 0


def semver_key(label: str) -> semver.Version | None:
    """The semver of ``v1.2.0`` or ``1.2.0`` (full semver.org syntax); None otherwise."""
    if not isinstance(label, str):
        return None
    text = label[1:] if label[:1] in ("v", "V") else label
    if not text.isascii():
        return None
    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError):
        return None


def calendar_key(label: str) -> date | None:
    """The date of a calendar label ``YYYY.MM.DD`` (a real date); None otherwise."""
    if not isinstance(label, str):
        return None
    match = _CALENDAR_RE.match(label)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _version_part(text: str) -> tuple[str, LabelKind] | None:
    """``vX.Y.Z`` (semver, leading v required) or ``YYYY.MM.DD``; None otherwise."""
    if text[:1] == "v" and semver_key(text) is not None:
        return text, "semver"
    if calendar_key(text) is not None:
        return text, "calendar"
    return None


def plain_tag_labels(
    tag_names: Iterable[str], model_names: set[str], single_model: str | None
) -> list[TagLabel]:
    """Labels that plain tags give to known models, in the order of ``tag_names``.

    A tag ``<model>-<part>`` or ``<model>/<part>`` labels ``model`` when ``part`` is
    ``vX.Y.Z`` (any semver, leading ``v`` required) or a calendar date ``YYYY.MM.DD``;
    the longest model name that fits wins. With ``single_model`` set (the repository has
    exactly one model), a bare ``vX.Y.Z`` tag labels that model. Other tags give nothing.
    """
    names = sorted((n for n in model_names if isinstance(n, str) and n), key=len, reverse=True)
    labels: list[TagLabel] = []
    for tag in tag_names:
        if not isinstance(tag, str):
            continue
        found = None
        for name in names:
            if len(tag) > len(name) + 1 and tag.startswith(name) and tag[len(name)] in "-/":
                part = _version_part(tag[len(name) + 1 :])
                if part is not None:
                    found = TagLabel(name, part[0], part[1], tag)
                    break
        if found is None and single_model:
            part = _version_part(tag)
            if part is not None and part[1] == "semver":
                found = TagLabel(single_model, part[0], "semver", tag)
        if found is not None:
            labels.append(found)
    return labels


def _when(version: LabelledVersion) -> tuple[datetime, int]:
    when = version.date
    if not isinstance(when, datetime):
        when = datetime.min.replace(tzinfo=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when, version.order


def pick_latest(versions: Iterable[LabelledVersion]) -> str | None:
    """The latest label (docs/CONVENTIONS.md): the highest semver label; else the newest calendar
    label; else the label of the newest commit. A label that is a calendar date counts as
    calendar, never semver. Ties go to the newer commit (date, then ``order``). None when
    there is no version."""
    items = list(versions)
    if not items:
        return None
    # A calendar label such as 2025.12.31 is also valid semver: it counts as calendar.
    with_semver = [(semver_key(v.label), v) for v in items if calendar_key(v.label) is None]
    semvers = [(k, v) for k, v in with_semver if k is not None]
    if semvers:
        return max(semvers, key=lambda p: (p[0], _when(p[1])))[1].label
    calendars = [(k, v) for k, v in ((calendar_key(v.label), v) for v in items) if k is not None]
    if calendars:
        return max(calendars, key=lambda p: (p[0], _when(p[1])))[1].label
    return max(items, key=_when).label
