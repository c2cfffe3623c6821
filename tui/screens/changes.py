"""The changes screen: what changed in this repository lately, newest first.

``ChangesScreen()`` — pushed by ``w`` (or ``6``) from the home screen. One row per
change (``store.query.changes``, as ``modeltrail changes`` prints it): when (UTC),
model, event (glyph and word), stage, the version change (``from → to``), who, the
metrics against what it replaced, and why. The highlighted change's detail is below.

Keys: ``d`` widens the window (24 hours, 7 days, 30 days, a year, back to 24 hours),
``j``/``k`` move, ``esc`` goes back. The clock is the app's (frozen in tests).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static

from modeltrail.store.query.changes import changes
from modeltrail.tui.format import MISSING, fmt_version, plural, short_id
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.screens.history import EVENTS, event_cell, when_cell, who_cell, why_cell
from modeltrail.tui.screens.table_screen import TableScreen

CHANGES_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="changes_back"),
    Binding("d", "widen", "Window", id="changes_window"),
    Binding("j", "cursor_down", "Down", id="changes_down", show=False),
    Binding("k", "cursor_up", "Up", id="changes_up", show=False),
]

#: the windows ``d`` steps through: (label, length)
WINDOWS = [
    ("24 hours", timedelta(hours=24)),
    ("7 days", timedelta(days=7)),
    ("30 days", timedelta(days=30)),
    ("a year", timedelta(days=365)),
]
EVENTS = {**EVENTS, "version": ("+", "version")}


def metrics_cell(c: dict, limit: int = 3) -> Text:
    parts = [f"{k} {d['delta']:+.4g}" for k, d in list(c["metrics"].items())[:limit]]
    more = "…" if len(c["metrics"]) > limit else ""
    return Text(clean(", ".join(parts), single_line=True) + more or MISSING)


def version_cell(c: dict) -> Text:
    to = clean(fmt_version(c.get("version")) or MISSING, single_line=True)
    if c.get("from"):
        return Text(f"{clean(fmt_version(c['from']), single_line=True)} → {to}")
    return Text(to)


class ChangesScreen(TableScreen):
    """What changed in the last 24 hours (or a wider window), newest first."""

    NAME = "changes"
    LOADING = "Changes"
    TITLE = "Changes"
    BINDINGS = CHANGES_BINDINGS
    CSS_PATH = Path(__file__).with_name("changes.tcss")

    def __init__(self) -> None:
        super().__init__(None)
        self.window = 0

    @property
    def since(self) -> datetime:
        return self.app.now() - WINDOWS[self.window][1]

    @work(thread=True, exclusive=True, group="changes", exit_on_error=False)
    def load(self) -> None:
        window, since = self.window, self.since
        with self.app.connection().cursor() as cursor:
            found = changes(cursor, since)
        self.post_message(self.Loaded(window, found))

    def load_key(self) -> int:
        return self.window

    def show_loaded(self, window: int, found: list[dict]) -> None:
        cells = [
            [
                when_cell(c),
                event_cell(c["event"]) if c["event"] != "version" else Text("+ version"),
                literal(c.get("stage") or MISSING, single_line=True),
                version_cell(c),
                who_cell(c),
                metrics_cell(c),
                why_cell({"reason": c.get("reason")}),
            ]
            for c in found
        ]
        rollbacks = sum(c["event"] in ("rollback", "undo") for c in found)
        repo = self.app.active_repo  # over a workspace: the selected model's repository
        where = f" · {clean(repo, single_line=True)}" if repo is not None else ""
        title = Text(
            f"Changes{where} · last {WINDOWS[self.window][0]} · {plural(len(found), 'change')}, "
            f"{plural(rollbacks, 'rollback or undo', 'rollbacks and undos')}  (d: wider)"
        )
        columns = ["when (UTC)", "event", "stage", "version", "who", "metrics", "why"]
        self.fill(None, found, columns, cells, title)

    def show_detail(self, row: int | None) -> None:
        detail = self.query_one("#changes-detail", Static)
        if row is None or not (0 <= row < len(self.rows)):
            words = WINDOWS[self.window][0]
            detail.update(Text(f"nothing changed in the last {words}" if not self.rows else ""))
            return
        c = self.rows[row]
        t = Text()
        glyph, word = EVENTS.get(c["event"], ("·", c["event"]))
        t.append(f"{glyph} {word}  {clean(c['model'], single_line=True)}")
        if c.get("stage"):
            t.append(f" {clean(c['stage'], single_line=True)}")
        t.append(f"  commit {short_id(c.get('commit'))}\n")
        who = f"{c.get('author') or '–'} <{c.get('author_email') or ''}>"
        t.append(f"{clean(who, single_line=True)}  {when_cell(c).plain} UTC\n")
        for key, d in c["metrics"].items():
            t.append(clean(f"{key}: {d['from']:.4g} → {d['to']:.4g} ({d['delta']:+.4g})  "))
        t.append("\n")
        t.append_text(literal(c.get("reason") or "", single_line=True))
        detail.update(t)

    def action_widen(self) -> None:
        self.window = (self.window + 1) % len(WINDOWS)
        self.load()
