"""The shape the history and audit screens share: a title line, one table of rows for this
model or all models (``a`` switches), and the highlighted row's detail below it.

A subclass sets ``NAME`` (the widget ids: ``NAME-title``, ``NAME-table``, ``NAME-detail``),
loads its rows in a worker (``load``) that posts :class:`TableScreen.Loaded`, and in
:meth:`show_loaded` calls :meth:`fill` with the columns and cells (a load that raises shows
its error in the title); it draws the detail in :meth:`show_detail`.
The table keeps its cursor row across reloads (a catalog update reloads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from modeltrail.tui.messages import CatalogUpdated
from modeltrail.tui.safe_text import literal
from modeltrail.tui.widgets.key_footer import KeyFooter
from modeltrail.tui.widgets.table_rows import column_widths, fill_table
from modeltrail.tui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

#: a wrapped last column narrower than this makes the optional column give way
MIN_WRAP = 20
#: the narrowest a wrapped last column gets (then the table scrolls sideways)
MIN_ROOM = 16


class TableScreen(ReportsWorkerFailures, Screen[None]):
    """One table of one model's rows (or every model's), a title and a detail pane."""

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    #: the prefix of the widget ids
    NAME: ClassVar[str] = "table"
    #: the title shown while the first load runs
    LOADING: ClassVar[str] = ""
    #: the word before a failure in the title ("History: <error>")
    TITLE: ClassVar[str] = ""

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.show_all = model is None
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(self.LOADING), id=f"{self.NAME}-title")
        yield DataTable(id=f"{self.NAME}-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id=f"{self.NAME}-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    @property
    def shown_model(self) -> str | None:
        """The model whose rows are shown; None: every model's."""
        return None if self.show_all else self.model

    @dataclass
    class Loaded(Message):
        """What a load found (``data``) for ``key`` (:meth:`load_key` when it started)."""

        key: object
        data: Any

    def load(self) -> object:  # pragma: no cover - every subclass loads its own rows
        raise NotImplementedError

    def load_key(self) -> object:
        """What the rows depend on (default: the shown model): a load that finishes after
        it changed is not shown."""
        return self.shown_model

    def on_table_screen_loaded(self, message: Loaded) -> None:
        if message.key == self.load_key():
            self.show_loaded(message.key, message.data)

    def show_loaded(self, key: Any, data: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def show_detail(self, row: int | None) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- filling the table ----------------------------------------------------------------

    def worker_failed(self, group: str, error: str) -> None:
        """A load that raised: its error in the title line, literally."""
        self.query_one(f"#{self.NAME}-title", Static).update(
            literal(f"{self.TITLE}: {error}", single_line=True)
        )

    def fill(
        self,
        model: str | None,
        rows: list[dict],
        columns: list[str],
        cells: list[list[Text]],
        title: Text,
        wrap_last: bool = False,
        optional: str | None = None,
    ) -> None:
        """Show ``rows`` (one list of cells each); with ``model`` None a first ``model``
        column names each row's model. The cursor stays on the row number it was on.
        ``wrap_last``: the last column gets the width the others leave and its cells wrap
        onto more lines of their row (shown whole, never cut at the screen's edge); the
        ``optional`` column gives way when that would leave it fewer than ``MIN_WRAP``."""
        self.rows = rows
        self._filled = (model, rows, columns, cells, title, wrap_last, optional)
        table = self.query_one(DataTable)
        keep = table.cursor_row if table.row_count else 0
        if model is None:
            columns = ["model", *columns]
            cells = [
                [literal(row["model"], single_line=True), *cell]
                for row, cell in zip(rows, cells, strict=True)
            ]
        room = self._last_room(columns, cells) if wrap_last else None
        if room is not None and room < MIN_WRAP and optional in columns:
            drop = columns.index(optional)
            columns = columns[:drop] + columns[drop + 1 :]
            cells = [cell[:drop] + cell[drop + 1 :] for cell in cells]
            room = self._last_room(columns, cells)
        if room is not None:
            room = max(room, MIN_ROOM)
        cells, heights = list(cells), [1] * len(cells)
        if room is not None:
            for n, cell in enumerate(cells):
                if cell:
                    lines = cell[-1].wrap(self.app.console, room)
                    cells[n] = [*cell[:-1], Text("\n").join(lines)]
                    heights[n] = max(len(lines), 1)
        fill_table(table, [(col, None) for col in columns], cells, heights=heights)
        self.query_one(f"#{self.NAME}-title", Static).update(title)
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        self.show_detail(table.cursor_row if rows else None)

    def _last_room(self, columns: list[str], cells: list[list[Text]]) -> int:
        """The cells the last column has once the others have their widest text."""
        widths = column_widths(columns[:-1], [cell[:-1] for cell in cells])
        padding = 2 * self.query_one(DataTable).cell_padding
        used = sum(w + padding for w in widths) + padding + 1  # + the scrollbar
        return self.size.width - used

    def on_resize(self) -> None:
        filled = getattr(self, "_filled", None)
        if filled is not None and filled[-2]:
            self.fill(*filled)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    def on_catalog_updated(self, message: CatalogUpdated) -> None:
        self.load()

    # --- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_all(self) -> None:
        if self.model is None:
            return
        self.show_all = not self.show_all
        self.load()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
