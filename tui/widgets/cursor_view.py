"""A virtual list with a row cursor: what both long lists (versions, flow) share.

Subclasses draw rows with the Line API (``render_line``, through :meth:`CursorView.line`
and its cache of drawn lines) and say how many rows there are (``row_count``) and how
many fixed lines sit above them (``HEADER_LINES``); this class moves the cursor (keys,
paging), keeps it in view, repaints only the two rows it left and entered, redraws on
focus changes, and calls ``cursor_moved`` so the subclass can post its ``Highlighted``
(a :class:`RowMessage`, as its ``Selected`` is).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

CACHE_LINES = 512  # drawn lines kept (a few screens' worth)

RowId = TypeVar("RowId")


@dataclass
class RowMessage(Message, Generic[RowId]):
    """About the row ``commit`` of the list ``view`` (its ``control``). A list subclasses
    it inside its own class, so handlers are named after the list
    (``on_version_list_highlighted``)."""

    view: CursorView
    commit: RowId

    @property
    def control(self) -> CursorView:
        return self.view


class CursorView(ScrollView):
    HEADER_LINES = 0

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._cache: LRUCache[Hashable, Strip] = LRUCache(CACHE_LINES)

    def line(self, key: Hashable, draw: Callable[[], Strip]) -> Strip:
        """The line drawn for ``key`` (everything it depends on), from the cache or
        ``draw``; the least recently used lines leave the cache first."""
        strip = self._cache.get(key)
        if strip is None:
            strip = draw()
            self._cache.set(key, strip)
        return strip

    def on_focus(self) -> None:
        self._cache.clear()  # the cursor row is drawn otherwise with focus
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self.refresh()

    @property
    def row_count(self) -> int:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def cursor_moved(self) -> None:
        """Called after every cursor change (post a Highlighted message here)."""

    def validate_cursor(self, value: int) -> int:
        count = self.row_count
        return max(0, min(value, count - 1)) if count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        # content coordinates: ScrollView.refresh_lines subtracts the scroll offset itself
        self.refresh_lines(old + self.HEADER_LINES)
        self.refresh_lines(new + self.HEADER_LINES)
        self._scroll_cursor_into_view()
        self.cursor_moved()

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - self.HEADER_LINES)

    def _scroll_cursor_into_view(self) -> None:
        visible = self._visible_rows()
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self._visible_rows() - 1)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_top(self) -> None:
        self.cursor = 0

    def action_cursor_bottom(self) -> None:
        self.cursor = self.row_count - 1

    def action_page_down(self) -> None:
        self.cursor += self._page()

    def action_page_up(self) -> None:
        self.cursor -= self._page()
