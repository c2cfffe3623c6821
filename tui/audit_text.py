"""How the audit reads as text, shared by the ``audit`` command and the audit screen."""

from __future__ import annotations

#: one glyph per check value: recorded, missing, cannot be known offline
GLYPHS = {True: "✓", False: "✗", None: "?"}
