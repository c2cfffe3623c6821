"""The footer every screen shows: Textual's, with the keys a lost user needs first.

``? Help`` comes first, then the way back (``esc Back``, ``esc Cancel``; on the home
screen, which has no way back, ``q Quit``), then ``F Fetch`` where the repository has
a remote (what says whether the catalog is behind), then the screen's own keys in their
order. A narrow terminal cuts the footer on the right, so these always show.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

#: actions shown first, in this order
LEADING = ("help", "back", "close")
#: shown right after them (only bound where there is a remote)
FETCH = ("app.fetch", "fetch")


def _rank(widget: object, has_back: bool) -> int:
    action = getattr(widget, "action", None)
    if action in LEADING:
        return LEADING.index(action)
    if action == "quit" and not has_back:
        return len(LEADING)
    if action in FETCH:
        return len(LEADING) + 1
    return len(LEADING) + 2


class KeyFooter(Footer):
    """The footer with ``? Help`` and the way back first."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        has_back = any(getattr(w, "action", None) in LEADING[1:] for w in widgets)
        widgets.sort(key=lambda w: _rank(w, has_back))  # stable: the rest keep their order
        yield from widgets
