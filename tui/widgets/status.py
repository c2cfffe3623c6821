"""The one-line status bar: indexing progress, the last index summary, or a problem.

It watches ``app.index_status`` so every screen that includes it shows the same line.
Text is set as ``Text`` (never markup); messages that quote repository or user text
must be cleaned by the caller.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """Shows ``app.index_status`` and, when set, a screen-specific ``note`` before it."""

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $panel; color: $text-muted; padding: 0 1; }
    StatusBar.-problem { color: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._note = ""
        self._problem = False

    def on_mount(self) -> None:
        self.watch(self.app, "index_status", self._redraw, init=True)

    def set_note(self, note: str, problem: bool = False) -> None:
        """A screen's own message (e.g. a filter error), shown first."""
        self._note = note
        self._problem = problem
        self._redraw()

    def _redraw(self, *_args) -> None:
        status = getattr(self.app, "index_status", "")
        parts = [p for p in (self._note, status) if p]
        self.set_class(self._problem, "-problem")
        self.update(Text("  ·  ".join(parts), no_wrap=True, overflow="ellipsis"))
