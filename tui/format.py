"""How values read, in the TUI and the CLI alike: numbers, deltas, sizes, dates, ages,
and the one mark for a missing value. Pure functions; no Textual."""

from __future__ import annotations

import re
from datetime import datetime

#: What a repository without models says, on screen and in ``models``.
NO_MODELS = (
    "no models found — modeltrail reads artifacts.yaml (GTO, DVC), dvc.yaml, model.yaml, "
    "MLmodel (MLflow) and deployments/*/metadata.yaml (Modelbit); see docs/CONVENTIONS.md"
)

_INF = float("inf")

#: A value that is not there (no metric, no version, unknown).
MISSING = "–"
#: A change that is better, worse, or none at all.
BETTER, WORSE, SAME = "▲", "▼", "="


def fmt_number(value: float | None) -> str:
    """A metric value, short: 0.871, 12.500, 1234, 1.2e-05."""
    if value is None:
        return MISSING
    if value != value or value in (_INF, -_INF):
        return nonfinite_text(value)
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        return f"{value:.2e}"
    if magnitude >= 100:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.3f}"
    else:
        text = f"{value:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_delta(
    delta: float | None,
    better: bool | None,
    *,
    glyphs: tuple[str, str] = (BETTER, WORSE),
    gap: str = "",
) -> str:
    """A change as glyph + signed number: ``▲+0.012`` better, ``▼-0.03`` worse, ``=`` same."""
    if delta is None:
        return ""
    if delta == 0:
        return SAME
    glyph = glyphs[0] if better else glyphs[1] if better is not None else ""
    sign = "+" if delta > 0 else ""
    return f"{glyph}{gap}{sign}{fmt_number(delta)}"


def fmt_compact(value: float | None) -> str:
    """A metric value, compact: integers without a point, else up to 4 significant digits."""
    if value is None:
        return MISSING
    if float(value).is_integer() and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


def fmt_signed(value: float | None) -> str:
    if value is None:
        return ""
    text = fmt_compact(value)
    return text if text.startswith("-") else f"+{text}"


def fmt_date(value: datetime | None) -> str:
    """An author date as ``YYYY-MM-DD`` (UTC)."""
    return value.strftime("%Y-%m-%d") if value is not None else ""


def fmt_age(then: datetime | None, now: datetime) -> str:
    """How long ago ``then`` was, in one format everywhere: ``now`` (under a minute),
    ``45min``, ``5h``, ``3d``, ``2mo``, ``1y`` (minutes never read as months)."""
    if then is None:
        return ""
    seconds = (now - then).total_seconds()
    if seconds < 60:  # a clock a little behind the commit's also reads "now"
        return "now"
    minutes = seconds / 60
    if minutes < 60:
        return f"{int(minutes)}min"
    hours = minutes / 60
    if hours < 24:
        return f"{int(hours)}h"
    days = hours / 24
    if days < 60:
        return f"{int(days)}d"
    if days < 730:
        return f"{int(days / 30.4)}mo"
    return f"{int(days / 365.25)}y"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 warning``, ``2 warnings``, ``0 warnings`` (``plural_form`` when not noun+s)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


#: How many hex digits of a commit id are shown (as git's default abbreviation).
SHORT_ID = 7
_FULL_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def short_id(commit: str | None) -> str:
    """A commit id as shown on screen: its first 7 hex digits."""
    return (commit or "")[:SHORT_ID]


def fmt_version(name: str | None) -> str:
    """A version's name for display: a full commit id (GTO names a stage held by an
    unregistered commit so) is cut to 7 digits; labels are kept as they are."""
    if name and _FULL_ID.match(name):
        return short_id(name)
    return name or ""


def json_number(value: float) -> float | None:
    """A float as every ``--json`` output writes it: exactly (its shortest text reads back
    as the same float); NaN and ±Infinity, which standard JSON has no numbers for, as
    null. (Differences are computed without binary float noise where they are made:
    ``store.query.diff.difference``.)"""
    if value != value or value in (_INF, -_INF):
        return None
    return value


def nonfinite_text(value: float) -> str:
    """How NaN and ±Infinity read, on screen and beside a JSON null: ``NaN``,
    ``Infinity``, ``-Infinity``."""
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def fmt_size(size: int | None) -> str:
    """Bytes as B / KiB / MiB / GiB."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def human_size(n: int | None) -> str:
    """A byte count as ``12.3 MB`` (decimal units), ``-`` when unknown."""
    if n is None:
        return MISSING
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def fmt_pct(value: float | None) -> str:
    """A share as a whole percentage: ``87%``."""
    return MISSING if value is None else f"{value:.0f}%"


def fmt_duration(seconds: float | None) -> str:
    """A length of time: ``45min``, ``5.5h``, ``3.2d`` (units as :func:`fmt_age`'s)."""
    if seconds is None:
        return MISSING
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f}min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f}h"
    return f"{minutes / 1440:.1f}d"


def fmt_branch(
    branches: list[str],
    on_main: bool | None,
    main: str | None,
    sizes: dict[str, int] | None = None,
    branch: str | None = None,
    merged: list[str] | None = None,
) -> str:
    """Where a version lies: the main branch's name on the main line, ``merged:
    integration`` for a commit made on a branch merged into main, ``unmerged: exp/b``
    otherwise (the state first, so a narrow column keeps it); a merge adds what it merged
    (``main ← integration``). ``branch`` is the branch it was made on (``versions.branch``);
    without it (a commit on no named line), of the branches holding it the one holding the
    fewest commits (given ``sizes``) is named. Without a known main line: the branch it
    was made on, else every branch holding it. Names are returned as given (the caller
    cleans them for display)."""
    source = f" ← {', '.join(merged)}" if merged else ""
    if on_main is None or main is None:
        return f"{branch}{source}" if branch else ", ".join(branches)
    if on_main:
        return f"{main}{source}"
    state = "merged" if main in branches else "unmerged"
    if branch and branch != main:
        return f"{state}: {branch}{source}"
    others = sorted((b for b in branches if b != main), key=lambda b: ((sizes or {}).get(b, 0), b))
    return f"{state}: {others[0]}{source}" if others else state + source


STAGE_GLYPHS = {"prod": "●", "production": "●", "staging": "◐", "stage": "◐", "dev": "○"}


def stage_glyph(stage: str) -> str:
    """The glyph shown before a stage's name (the name is always shown too)."""
    return STAGE_GLYPHS.get(stage.lower(), "◆")
