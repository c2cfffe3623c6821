"""The history screen: stage events, rollbacks and undos, newest first (like Argo CD's).

``HistoryScreen(model)`` — pushed by ``h`` (or ``4``) from the home screen; ``model=None``
shows every model. One row per event: when (UTC), model, event (glyph and word, so it
reads without colour), stage, the version change (``from → to`` for rollbacks and
undos), who, and why (the rollback's reason, else the tag's message). The highlighted
event's full message, ref and commit are shown below the table.

Keys: ``j``/``k`` move, ``a`` switches between this model and all models, ``z`` undoes
the last rollback (the undo dialog, which asks first), ``esc`` goes back.

Everything comes from the catalog (``store.queries.history``), which reads it from GTO
tags and commit trailers, so it survives a catalog rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

from modeltrail.store.query import queries
from modeltrail.tui.format import MISSING
from modeltrail.tui.messages import CatalogUpdated
from modeltrail.tui.safe_text import clean, literal
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

HISTORY_BINDINGS: list[Binding] = [
    Binding("escape", "back", "Back", id="history_back"),
    Binding("z", "undo", "Undo last rollback", id="history_undo"),
    Binding("a", "toggle_all", "This model / all", id="history_all"),
    Binding("j", "cursor_down", "Down", id="history_down", show=False),
    Binding("k", "cursor_up", "Up", id="history_up", show=False),
]

EVENTS = {
    "rollback": ("↶", "rollback"),
    "undo": ("↷", "undo"),
    "assignment": ("●", "assign"),
    "unassignment": ("○", "unassign"),
    "registration": ("+", "register"),
    "deregistration": ("−", "deregister"),
    "deprecation": ("✗", "deprecate"),
}
EVENT_STYLE = {"rollback": "bold yellow", "undo": "bold cyan"}


@dataclass
class HistoryLoaded(Message):
    model: str | None
    events: list[dict] | None
    error: str | None = None


def event_cell(event: str) -> Text:
    glyph, word = EVENTS.get(event, ("·", clean(event, single_line=True)))
    return Text(f"{glyph} {word}", style=EVENT_STYLE.get(event, ""))


def change_cell(e: dict) -> Text:
    """``v1.3.0 → v1.2.0`` for rollbacks and undos, ``→ v1.2.0`` for assignments."""
    to = clean(e.get("version") or MISSING, single_line=True)
    if e["event"] in ("rollback", "undo"):
        frm = clean(e.get("from") or "?", single_line=True)
        return Text(f"{frm} → {to}")
    if e["event"] in ("assignment",):
        return Text(f"→ {to}")
    return Text(to)


#: gto's default tag messages say nothing the other columns do not
GTO_DEFAULTS = (
    "Assigning stage ",
    "Unassigning stage ",
    "Registering artifact ",
    "Deregistering artifact ",
    "Deprecating artifact ",
)
WHY_CHARS = 30


def why_cell(e: dict) -> Text:
    """The rollback's reason, else the tag's own message (gto's defaults left out)."""
    why = e.get("reason") or (e.get("message") or "").strip().split("\n", 1)[0]
    if not e.get("reason") and why.startswith(GTO_DEFAULTS):
        why = ""
    text = clean(why, single_line=True)
    if len(text) > WHY_CHARS:
        text = text[: WHY_CHARS - 1] + "…"
    return Text(text)


WHO_CHARS = 14


def who_cell(e: dict) -> Text:
    who = clean(e.get("author") or MISSING, single_line=True)
    return Text(who if len(who) <= WHO_CHARS else who[: WHO_CHARS - 1] + "…")


def when_cell(e: dict) -> Text:
    return Text((e.get("timestamp") or "")[:16].replace("T", " "))


class HistoryScreen(Screen[None]):
    """Stage events, rollbacks and undos of one model (or all), newest first."""

    BINDINGS = HISTORY_BINDINGS
    DEFAULT_CSS = """
    HistoryScreen #history-title { height: 1; text-style: bold; padding: 0 1; }
    HistoryScreen #history-table { height: 1fr; }
    HistoryScreen #history-detail {
        height: 7; border-top: solid $panel-lighten-2; padding: 0 1;
    }
    """

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.show_all = model is None
        self.events: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("History"), id="history-title")
        table: DataTable = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(Text(""), id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    @property
    def shown_model(self) -> str | None:
        return None if self.show_all else self.model

    @work(thread=True, exclusive=True, group="history")
    def load(self) -> None:
        model = self.shown_model
        try:
            with self.app.connection().cursor() as cursor:
                events = queries.history(cursor, model)
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.post_message(HistoryLoaded(model, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(HistoryLoaded(model, events))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        if message.model != self.shown_model:
            return
        title = self.query_one("#history-title", Static)
        if message.error is not None:
            title.update(literal(f"History: {message.error}", single_line=True))
            return
        self.events = message.events or []
        table = self.query_one(DataTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear(columns=True)
        columns = ["when (UTC)", "event", "stage", "version", "who", "why"]
        if message.model is None:
            columns.insert(1, "model")
        for col in columns:
            table.add_column(col)
        for e in self.events:
            row = [
                when_cell(e),
                event_cell(e["event"]),
                literal(e.get("stage") or MISSING, single_line=True),
                change_cell(e),
                who_cell(e),
                why_cell(e),
            ]
            if message.model is None:
                row.insert(1, literal(e["model"], single_line=True))
            table.add_row(*row)
        rollbacks = sum(e["event"] in ("rollback", "undo") for e in self.events)
        scope = clean(message.model, single_line=True) if message.model else "all models"
        title.update(
            Text(f"History · {scope} · {len(self.events)} events, {rollbacks} rollbacks/undos")
        )
        if self.events:
            table.move_cursor(row=min(keep, len(self.events) - 1))
        self._show_detail(table.cursor_row if self.events else None)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, row: int | None) -> None:
        detail = self.query_one("#history-detail", Static)
        if row is None or not (0 <= row < len(self.events)):
            detail.update(
                Text("no stage events, rollbacks or undos yet" if not self.events else "")
            )
            return
        e = self.events[row]
        t = Text()
        t.append_text(event_cell(e["event"]))
        t.append(f"  {clean(e['model'], single_line=True)}")
        if e.get("stage"):
            t.append(f" {clean(e['stage'], single_line=True)}")
        t.append(f"  ref {clean(e.get('ref') or '–', single_line=True)}")
        t.append(f"  commit {(e.get('commit') or '')[:12]}\n")
        who = f"{e.get('author') or '–'} <{e.get('author_email') or ''}>"
        t.append(f"{clean(who, single_line=True)}  {when_cell(e).plain} UTC\n")
        t.append_text(literal((e.get("message") or "").strip()))
        detail.update(t)

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

    def action_undo(self) -> None:
        from modeltrail.tui.screens.rollback import UndoScreen

        self.app.push_screen(UndoScreen())

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
