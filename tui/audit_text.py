"""How the audit reads as text, shared by the ``audit`` command, the audit screen, the
version list's R column and the details pane."""

from __future__ import annotations

#: one glyph per check value: recorded, missing, cannot be known offline
GLYPHS = {True: "✓", False: "✗", None: "?"}
#: the checks, in the order screens name them, with their letters (P D E A M)
CHECK_LETTERS = {"params": "P", "data": "D", "environment": "E", "artifact": "A", "metrics": "M"}
#: one style per check value (the glyph and a word say it without colour too)
STYLES = {True: "green", False: "bold red", None: "yellow"}
