"""The footer every screen shows: Textual's, with the keys a lost user needs first.

``? Help`` comes first, then the way back (``esc Back``, ``esc Cancel``; on the home
screen, which has no way back, ``q Quit``), then ``F Fetch`` where the repository has
a remote (what says whether the catalog is behind), then the screen's own keys in their
order. A narrow terminal cuts the footer on the right, so these always show.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
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
    """The footer with ``? Help`` and the way back first. It is built again only when the
    keys it shows change (Textual's rebuilds it, a dozen widgets, whenever the focus
    moves, though most moves change nothing it shows)."""

    _composed: tuple | None = None  # what it shows (``_shown``), once built with keys

    def _shown(self) -> tuple:
        """What the footer shows of the screen's bindings now."""
        return tuple(
            (b.key, self.app.get_key_display(b), b.description, b.action, b.group, on, tip)
            for (_, b, on, tip) in self.screen.active_bindings.values()
            if b.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        if (
            self._composed is not None
            and self.is_attached
            and screen is self.screen
            and self._shown() == self._composed
        ):
            return  # the same keys: building them again would change nothing
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._composed = self._shown() if self._bindings_ready else None
        widgets = list(super().compose())
        has_back = any(getattr(w, "action", None) in LEADING[1:] for w in widgets)
        widgets.sort(key=lambda w: _rank(w, has_back))  # stable: the rest keep their order
        yield from widgets
