"""A virtual list of one model's versions, drawn line by line (Textual's Line API).

Only the rows on screen are formatted, so a model with 100,000 versions opens and moves
as fast as one with ten. The first line is a fixed header; the cursor row shows ``▶``
and marked rows ``✓`` (readable without colour). A filter narrows the visible rows to a
set of commits without touching the data.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from modeltrail.tui.bindings import VERSION_LIST_BINDINGS
from modeltrail.tui.widgets.cursor_view import CursorView, RowMessage
from modeltrail.tui.widgets.version_rows import CURSOR, MARK, Column, VersionRows, fit

MORE_LEFT, MORE_RIGHT = "‹", "›"


class VersionList(CursorView, can_focus=True, inherit_bindings=False):
    """The versions table. ``rows`` holds the data; ``view`` the visible row indices."""

    BINDINGS = VERSION_LIST_BINDINGS

    COMPONENT_CLASSES = {
        "version-list--header",
        "version-list--cursor",
        "version-list--better",
        "version-list--worse",
        "version-list--stage",
        "version-list--dim",
        "version-list--label",
        "version-list--mark",
        "version-list--empty",
        "version-list--unmerged",
    }

    HEADER_LINES = 1  # the column header above the rows

    class Highlighted(RowMessage[str | None]):
        """The cursor moved to ``commit`` (None when the list is empty)."""

    class Selected(RowMessage[str]):
        """``enter`` on ``commit``."""

    @dataclass
    class MarksChanged(Message):
        """The set of marked versions changed; ``marked`` are commits in mark order."""

        version_list: VersionList
        marked: list[str]

        @property
        def control(self) -> VersionList:
            return self.version_list

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.rows: VersionRows | None = None
        self.view: range | array = range(0)
        self.marked: dict[str, None] = {}
        self.empty_text = "no versions"
        self._columns: list[Column] = []
        self._layout_width = -1
        self.first_column = 0  # columns scrolled off to the left (the version column stays)

    # --- data -----------------------------------------------------------------------------

    def set_rows(
        self, rows: VersionRows | None, keep_commit: str | None = None, keep_scroll: bool = False
    ) -> None:
        """Show ``rows`` (all of them); keep the cursor on ``keep_commit`` if present (and,
        with ``keep_scroll``, the list where it was)."""
        scroll = self.scroll_y
        self.rows = rows
        self.view = range(len(rows)) if rows is not None else range(0)
        self.marked = {c: None for c in self.marked if rows and rows.row_of(c) is not None}
        self._relayout(force=True)
        self._move_to_commit(keep_commit, scroll if keep_scroll else 0)

    def set_view(self, rows: Sequence[int] | None, keep_commit: str | None = None) -> None:
        """Show only the given row indices (None: all), newest first."""
        total = len(self.rows) if self.rows is not None else 0
        if rows is None:
            self.view = range(total)
        else:  # kept compact (an array of 100,000 rows is 0.8 MB, a list 6 MB)
            self.view = rows if isinstance(rows, array) else array("q", sorted(rows))
        self._cache.clear()
        self._update_virtual_size()
        self._move_to_commit(keep_commit)
        self.refresh()

    def redraw(self) -> None:
        """Draw every line again (the data behind the rows changed)."""
        self._cache.clear()
        self.refresh()

    def _move_to_commit(self, commit: str | None, scroll: float = 0) -> None:
        position = 0
        if commit is not None and self.rows is not None:
            row = self.rows.row_of(commit)
            if row is not None:
                position = self._position_of(row) or 0
        self.scroll_to(y=scroll, animate=False, immediate=True)
        self.cursor = position

    def _position_of(self, row: int) -> int | None:
        if isinstance(self.view, range):
            return row if row in self.view else None
        import bisect

        i = bisect.bisect_left(self.view, row)
        return i if i < len(self.view) and self.view[i] == row else None

    @property
    def current_commit(self) -> str | None:
        """The commit under the cursor, if any."""
        if self.rows is None or not len(self.view):
            return None
        return self.rows.commit_at(self.view[min(self.cursor, len(self.view) - 1)])

    @property
    def marked_commits(self) -> list[str]:
        return list(self.marked)

    # --- layout ---------------------------------------------------------------------------

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.view) + 1)

    def _relayout(self, force: bool = False) -> None:
        width = self.scrollable_content_region.width
        if force or width != self._layout_width:
            self._layout_width = width
            if self.rows is None:
                self._columns = []
            else:
                self.first_column = min(self.first_column, max(self.rows.column_count() - 1, 0))
                self._columns = self.rows.layout(width, self.first_column)
            self._cache.clear()
        self._update_virtual_size()
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()
        self._scroll_cursor_into_view()

    @property
    def hidden_right(self) -> bool:
        """Whether columns are hidden to the right (→ scrolls to them)."""
        if self.rows is None:
            return False
        return self.first_column + len(self._columns) - 1 < self.rows.column_count()

    def action_scroll_columns(self, step: int) -> None:
        """``→``/``←``: scroll the columns after the version column by one."""
        if self.rows is None:
            return
        if step > 0 and not self.hidden_right:
            return
        first = max(0, self.first_column + step)
        if first != self.first_column:
            self.first_column = first
            self._relayout(force=True)

    # --- cursor ---------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.view)

    def cursor_moved(self) -> None:
        self.post_message(self.Highlighted(self, self.current_commit))

    def action_select(self) -> None:
        commit = self.current_commit
        if commit is not None:
            self.post_message(self.Selected(self, commit))

    def action_toggle_mark(self) -> None:
        commit = self.current_commit
        if commit is None:
            return
        if commit in self.marked:
            del self.marked[commit]
        else:
            self.marked[commit] = None
        self._cache.clear()
        self.refresh_lines(self.cursor + 1)
        self.post_message(self.MarksChanged(self, self.marked_commits))
        # marks in place (as lazygit): the next r or c acts on the row under the cursor

    def clear_marks(self) -> None:
        self.marked.clear()
        self._cache.clear()
        self.refresh()
        self.post_message(self.MarksChanged(self, []))

    # --- drawing --------------------------------------------------------------------------

    def _style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"version-list--{kind}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        position = round(self.scroll_y) + y - 1
        if self.rows is None or not len(self.view):
            if y == 1:
                text = fit(f"  {self.empty_text}", width)
                return Strip([Segment(text, base + self._style("empty"))], width)
            return Strip.blank(width, base)
        if position >= len(self.view):
            return Strip.blank(width, base)
        row = self.view[position]
        is_cursor = position == self.cursor
        key = (row, is_cursor, self.has_focus, width)
        return self.line(key, lambda: self._row(row, is_cursor, width, base))

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self._style("header")
        # ‹ and ›: columns scrolled off to the left, columns hidden to the right (← →)
        segments = [Segment(f"{MORE_LEFT if self.first_column else ' '} ", style)]
        for col in self._columns:
            segments.append(Segment(fit(col.title, col.width, col.align) + " ", style))
        strip = Strip(segments).adjust_cell_length(width, style)
        if self.hidden_right and width > 1:
            strip = Strip.join([strip.crop(0, width - 1), Strip([Segment(MORE_RIGHT, style)])])
        return strip

    def _row(self, row: int, is_cursor: bool, width: int, base: Style) -> Strip:
        assert self.rows is not None
        line_style = base + self._style("cursor") if is_cursor else base
        commit = self.rows.commit_at(row)
        lead = (CURSOR if is_cursor else " ") + (MARK if commit in self.marked else " ")
        segments = [Segment(lead, line_style + self._style("mark"))]
        for col in self._columns:
            cell = self.rows.cell(col.key, row)
            # on the cursor row the cursor's colours win (glyphs still tell better/worse)
            style = (
                line_style + self._style(cell.kind) if cell.kind and not is_cursor else line_style
            )
            segments.append(Segment(fit(cell.text, col.width, col.align), style))
            segments.append(Segment(" ", line_style))
        return Strip(segments).adjust_cell_length(width, line_style)
