"""The history screen: stage events, rollbacks and undos, newest first (like Argo CD's).

``HistoryScreen(model)`` — pushed by ``h`` (or ``4``) from the home screen; ``model=None``
shows every model. One row per event: when (UTC), model, event (glyph and word, so it
reads without colour), stage, the version change (``from → to`` for rollbacks and
undos), who, and why (the rollback's reason, else the tag's message). The highlighted
event's full message, ref and commit are shown below the table.

Keys: ``j``/``k`` move, ``a`` switches between this model and all models, ``z`` undoes
the last rollback (the undo dialog, which asks first), ``esc`` goes back.

Everything comes from the catalog (``store.query.queries.history``), which reads it from GTO
tags and commit trailers, so it survives a catalog rebuild.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static

from modeltrail.store.query import queries
from modeltrail.tui.format import MISSING, fmt_version, plural, short_id
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.screens.table_screen import TableScreen

HISTORY_BINDINGS: list[BindingType] = [
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
EVENTS["assign"], EVENTS["unassign"] = EVENTS["assignment"], EVENTS["unassignment"]  # (changes)
EVENT_STYLE = {"rollback": "bold yellow", "undo": "bold cyan"}


def event_cell(event: str) -> Text:
    glyph, word = EVENTS.get(event, ("·", clean(event, single_line=True)))
    return Text(f"{glyph} {word}", style=EVENT_STYLE.get(event, ""))


def change_cell(e: dict) -> Text:
    """``v1.3.0 → v1.2.0`` for rollbacks and undos, ``→ v1.2.0`` for assignments."""
    to = clean(fmt_version(e.get("version")) or MISSING, single_line=True)
    if e["event"] in ("rollback", "undo"):
        frm = clean(fmt_version(e.get("from")) or "?", single_line=True)
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


def why_cell(e: dict) -> Text:
    """The rollback's reason, else the tag's own message (gto's defaults left out)."""
    why = e.get("reason") or (e.get("message") or "").strip().split("\n", 1)[0].rstrip("\r")
    if not e.get("reason") and why.startswith(GTO_DEFAULTS):
        why = ""
    return Text(clean(why, single_line=True))  # whole: the column wraps it


WHO_CHARS = 14


def who_cell(e: dict) -> Text:
    who = clean(e.get("author") or MISSING, single_line=True)
    return Text(who if len(who) <= WHO_CHARS else who[: WHO_CHARS - 1] + "…")


def when_cell(e: dict) -> Text:
    return Text((e.get("timestamp") or "")[:16].replace("T", " "))


class HistoryScreen(TableScreen):
    """Stage events, rollbacks and undos of one model (or all), newest first."""

    NAME = "history"
    HELP_TITLE = "history"

    def help_legend(self) -> list[tuple[str, str]]:
        return [(f"{glyph} {word}", f"event: {word}") for glyph, word in EVENTS.values()]

    LOADING = "History"
    TITLE = "History"
    BINDINGS = HISTORY_BINDINGS
    CSS_PATH = Path(__file__).with_name("history.tcss")

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        model = self.shown_model
        with self.app.connection().cursor() as cursor:
            events = queries.history(cursor, model)
        self.post_message(self.Loaded(model, events))

    def show_loaded(self, model: str | None, events: list[dict]) -> None:
        cells = [
            [
                when_cell(e),
                event_cell(e["event"]),
                literal(e.get("stage") or MISSING, single_line=True),
                change_cell(e),
                who_cell(e),
                why_cell(e),
            ]
            for e in events
        ]
        rollbacks = sum(e["event"] in ("rollback", "undo") for e in events)
        scope = clean(model, single_line=True) if model else "all models"
        title = Text(
            f"History · {scope} · {plural(len(events), 'event')}, "
            f"{plural(rollbacks, 'rollback or undo', 'rollbacks and undos')}"
        )
        columns = ["when (UTC)", "event", "stage", "version", "who", "why"]
        # the reason wraps in the room the others leave; "who" gives way to it on a narrow
        # screen (the detail below names the author)
        self.fill(model, events, columns, cells, title, wrap_last=True, optional="who")

    def show_detail(self, row: int | None) -> None:
        detail = self.query_one("#history-detail", Static)
        if row is None or not (0 <= row < len(self.rows)):
            detail.update(Text("no stage events, rollbacks or undos yet" if not self.rows else ""))
            return
        e = self.rows[row]
        t = Text()
        t.append_text(event_cell(e["event"]))
        t.append(f"  {clean(e['model'], single_line=True)}")
        if e.get("stage"):
            t.append(f" {clean(e['stage'], single_line=True)}")
        t.append(f"  ref {clean(fmt_version(e.get('ref')) or '–', single_line=True)}")
        t.append(f"  commit {short_id(e.get('commit'))}\n")
        who = f"{e.get('author') or '–'} <{e.get('author_email') or ''}>"
        t.append(f"{clean(who, single_line=True)}  {when_cell(e).plain} UTC\n")
        t.append_text(literal((e.get("message") or "").strip()))
        detail.update(t)

    def action_undo(self) -> None:
        from modeltrail.tui.screens.rollback import UndoScreen

        self.app.push_screen(UndoScreen())
