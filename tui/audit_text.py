"""How the audit reads as text, shared by the ``audit`` command and the audit screen."""

from __future__ import annotations

#: one glyph per check value: recorded, missing, cannot be known offline
GLYPHS = {True: "✓", False: "✗", None: "?"}


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def duration(seconds: float | None) -> str:
    """``45m``, ``3.5h``, ``17.5d``; ``–`` when unknown."""
    if seconds is None:
        return "–"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f}m"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f}h"
    return f"{minutes / 1440:.1f}d"
