"""``CursorView.line`` keeps the lines it drew (``textual.cache.LRUCache``): a line is
drawn once while it stays among the ``CACHE_LINES`` most recently used, and the least
recently used leaves first."""

from __future__ import annotations

from textual.strip import Strip

from modeltrail.tui.widgets.cursor_view import CACHE_LINES, CursorView


def test_lines_are_drawn_once_and_the_least_recently_used_leave_first() -> None:
    view = CursorView()
    drawn: list[object] = []

    def line(key: object) -> Strip:
        def draw() -> Strip:
            drawn.append(key)
            return Strip.blank(4)

        return view.line(key, draw)

    first = line("first")
    assert line("first") is first and drawn == ["first"]
    for n in range(CACHE_LINES - 1):
        line(n)
    line("first")  # used again: now the most recent
    line("one more")  # the cache is full: the least recently used (0) leaves
    drawn.clear()
    line("first")
    line(1)
    line(0)
    assert drawn == [0]
