"""The one-line status bar: indexing progress, the last index summary, or a problem, and
on the right where the branch stands against its remote (``↑1 ↓2 origin/main · fetched
3h ago``, or a fetch's progress).

It watches ``app.index_status`` and ``app.remote_status`` so every screen that includes
it shows the same line. Text is set as ``Text`` (never markup); messages that quote
repository or user text must be cleaned by the caller.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """Shows ``app.index_status`` (after a screen-specific ``note``) and, right-aligned,
    ``app.remote_status``; the left part is cut first when the line is too narrow. A
    problem (a filter's error) is never cut: it wraps onto up to four lines."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._note = ""
        self._problem = False

    def on_mount(self) -> None:
        self.watch(self.app, "index_status", self._redraw, init=True)
        if hasattr(self.app, "remote_status"):
            self.watch(self.app, "remote_status", self._redraw, init=False)

    def on_resize(self) -> None:
        self._redraw()

    def set_note(self, note: str, problem: bool = False) -> None:
        """A screen's own message (e.g. a filter error), shown first."""
        self._note = note
        self._problem = problem
        self._redraw()

    def _redraw(self, *_args) -> None:
        status = getattr(self.app, "index_status", "")
        remote = getattr(self.app, "remote_status", "")
        parts = [p for p in (self._note, status) if p]
        self.set_class(self._problem, "-problem")
        if self._problem:  # said whole, wrapped: the remote's state follows it
            self.update(Text("  ·  ".join([*parts, remote] if remote else parts), overflow="fold"))
            return
        left = Text("  ·  ".join(parts), no_wrap=True, overflow="ellipsis")
        width = self.content_region.width or self.size.width
        if not remote or width <= 0:
            self.update(left)
            return
        right = Text(remote, no_wrap=True)
        room = width - right.cell_len - 2
        if room < 12 and left.plain:  # too narrow for both: the remote is cut, not the problem
            self.update(left)
            return
        left.truncate(max(room, 0), overflow="ellipsis", pad=True)
        left.append("  ")
        left.append_text(right)
        self.update(left)
