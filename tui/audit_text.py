"""How the audit reads as text, shared by the ``audit`` command, the audit screen, the
version list's R column and the details pane."""

from __future__ import annotations

#: one glyph per check value: recorded, missing, cannot be known offline
GLYPHS = {True: "✓", False: "✗", None: "?"}
#: the checks, in the order screens name them, with their letters (P D E A M)
CHECK_LETTERS = {"params": "P", "data": "D", "environment": "E", "artifact": "A", "metrics": "M"}
#: one style per check value (the glyph and a word say it without colour too)
STYLES = {True: "green", False: "bold red", None: "yellow"}


def overall(version: dict) -> bool | None:
    """A version's reproducibility as one value: False when a check fails, None when
    none fails but one cannot be known offline, else True (``audit.version_checks``)."""
    if version["missing"]:
        return False
    return None if None in version["checks"].values() else True
