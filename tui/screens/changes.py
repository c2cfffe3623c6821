"""The changes screen: what changed lately, newest first: in this repository, or over a
workspace in every repository.

``ChangesScreen()`` — pushed by ``w`` (or ``6``) from the home screen. One row per
change (``store.query.changes``, as ``modeltrail changes`` prints it): when (UTC),
model, event (glyph and word), stage, the version change (``from → to``), who, the
metrics against what it replaced, and why. The highlighted change's detail is below.
Over a workspace each change names its repository (a ``repo`` column from
:data:`WIDE` columns, ``REPO/model`` below), the answers kept beside each catalog are
used as the command uses them (``tui.workspace_changes``), and a repository that could
not be read is a warning line above the table.

Keys: ``d`` widens the window (24 hours, 7 days, 30 days, a year, back to 24 hours),
``j``/``k`` move, ``enter`` shows the change's model and version on the home screen
(over a workspace, in its repository), ``esc`` goes back. The clock is the app's (frozen
in tests).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

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
#: from this many columns a workspace's repository has a column of its own (the app's
#: ``-wide`` breakpoint, where the models pane has one too); below, ``REPO/model``
WIDE = 100


#: the detail pane's lines at most (its CSS height less the border)
DETAIL_LINES = 7


def pack(items: list[str], width: int, lines: int) -> list[str]:
    """``items`` on at most ``lines`` lines of ``width``, two spaces apart and never split
    (one longer than a line is cut with …); what does not fit is counted on the last."""
    out: list[str] = []
    for i, item in enumerate(items):
        if len(item) > width:
            item = item[: width - 1] + "…"
        if out and len(out[-1]) + 2 + len(item) <= width:
            out[-1] += "  " + item
            continue
        if len(out) == lines:  # full: the last line says how many more
            left = len(items) - i
            while len(out[-1]) + len(f"  +{left} more") > width and "  " in out[-1]:
                out[-1] = out[-1].rsplit("  ", 1)[0]
                left += 1
            out[-1] += f"  +{left} more"
            return out
        out.append(item)
    return out


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
        self._wide: bool | None = None  # over a workspace: the layout last drawn
        self._loaded: tuple[int, object] | None = None

    def compose(self) -> ComposeResult:
        parts = list(super().compose())
        yield parts[0]  # the title
        if self.app.workspace:  # the repositories that could not be read, one line each
            unread = Static(Text(""), id="changes-unread")
            unread.display = False  # until a load found one
            yield unread
        yield from parts[1:]

    @property
    def since(self) -> datetime:
        return self.app.now() - WINDOWS[self.window][1]

    @work(thread=True, exclusive=True, group="changes", exit_on_error=False)
    def load(self) -> None:
        window, since = self.window, self.since
        if self.app.workspace:
            from modeltrail.tui.workspace_changes import workspace_changes

            self.post_message(self.Loaded(window, workspace_changes(self.app, since)))
            return
        with self.app.connection().cursor() as cursor:
            found = changes(cursor, since, self.app.config.better)
        self.post_message(self.Loaded(window, found))

    def load_key(self) -> int:
        return self.window

    def show_loaded(self, window: int, data: object) -> None:
        """Draw what a load found: a list of changes, or over a workspace (changes,
        (repository, why) of each repository that could not be read)."""
        self._loaded = (window, data)
        if isinstance(data, tuple):
            found, unread = data
            self._show_unread(unread)
        else:
            found = data
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
        undone = plural(rollbacks, "rollback or undo", "rollbacks and undos")
        where = ""
        if self.app.workspace:  # the repositories named: shorter words, to fit 80 columns
            where = f" · {plural(len(self.app.repos), 'repo')}"
            undone = plural(rollbacks, "rollback/undo", "rollbacks/undos")
        title = Text(
            f"Changes{where} · last {WINDOWS[self.window][0]} · {plural(len(found), 'change')}, "
            f"{undone}  (d: wider)"
        )
        columns = ["when (UTC)", "event", "stage", "version", "who", "metrics", "why"]
        if not self.app.workspace:
            self.fill(None, found, columns, cells, title)
            return
        # over a workspace: the repository in a column of its own, or before the model
        self._wide = self.size.width >= WIDE
        if self._wide:
            columns = ["repo", "model", *columns]
            lead = [
                [literal(c["repo"], single_line=True), literal(c["model"], single_line=True)]
                for c in found
            ]
        else:
            columns = ["model", *columns]
            lead = [[literal(f"{c['repo']}/{c['model']}", single_line=True)] for c in found]
        cells = [[*head, *cell] for head, cell in zip(lead, cells, strict=True)]
        self.fill("", found, columns, cells, title)  # "": the model column is given here

    def _show_unread(self, unread: list[tuple[str, str]]) -> None:
        box = self.query_one("#changes-unread", Static)
        box.display = bool(unread)
        lines = [literal(f"⚠ {repo}: not read: {why}", single_line=True) for repo, why in unread]
        box.update(Text("\n").join(lines))  # one line each (the CSS cuts them)

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE
        if self._wide is not None and wide != self._wide and self._loaded is not None:
            self.show_loaded(*self._loaded)  # the repository column comes or goes
            return
        super().on_resize()

    def show_detail(self, row: int | None) -> None:
        detail = self.query_one("#changes-detail", Static)
        if row is None or not (0 <= row < len(self.rows)):
            words = WINDOWS[self.window][0]
            detail.update(Text(f"nothing changed in the last {words}" if not self.rows else ""))
            return
        c = self.rows[row]
        t = Text()
        glyph, word = EVENTS.get(c["event"], ("·", c["event"]))
        model = f"{c['repo']}/{c['model']}" if c.get("repo") is not None else c["model"]
        t.append(f"{glyph} {word}  {clean(model, single_line=True)}")
        if c.get("stage"):
            t.append(f" {clean(c['stage'], single_line=True)}")
        t.append(f"  commit {short_id(c.get('commit'))}\n")
        who = f"{c.get('author') or '–'} <{c.get('author_email') or ''}>"
        t.append(f"{clean(who, single_line=True)}  {when_cell(c).plain} UTC")
        if c.get("reason"):  # why: before the metrics, which may not all fit
            t.append("\nwhy: ")
            t.append_text(literal(c["reason"], single_line=True))
        items = [
            clean(f"{key}: {d['from']:.4g} → {d['to']:.4g} ({d['delta']:+.4g})", single_line=True)
            for key, d in c["metrics"].items()
        ]
        room = DETAIL_LINES - len(t.plain.splitlines())
        for line in pack(items, max(20, detail.content_size.width or 76), room):
            t.append("\n" + line)
        detail.update(t)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        """enter: back home, on the change's model and version (in its repository)."""
        row = event.cursor_row
        if not (0 <= row < len(self.rows)):
            return
        c = self.rows[row]
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        jump = getattr(below, "jump", None)  # the home screen's
        self.dismiss(None)
        if jump is not None and c.get("model"):
            jump(c["model"], c.get("commit"), repo=c.get("repo"))

    def action_widen(self) -> None:
        self.window = (self.window + 1) % len(WINDOWS)
        self.load()
