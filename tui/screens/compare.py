"""Compare two or more versions of a model side by side.

``CompareScreen(model, commits, all_branches)`` is pushed by the home screen's ``c`` with
the marked versions and the version list's scope. Five tabs (number keys ``1``–``5``):

1. Metrics — one column per version (oldest first), deltas against the baseline
   (``b`` picks the next version as baseline), ``★`` on the best value of each metric by
   its direction, ``▲``/``▼`` for better/worse than the baseline.
2. Params — changed params only; ``a`` shows all.
3. Artifacts — every file and DVC output with its storage, size and hash per version,
   then the environment's packages.
4. Files — files changed from the baseline to the target version (``t`` picks the next
   target); ``enter`` shows the file's diff with syntax highlighting, ``esc`` returns.
5. Trend — a metric across the versions the version list shows (the main line, or every
   branch after ``b`` there; the title says which), marked versions highlighted; ``m``
   next metric, ``n`` the versions of each branch in turn, then the list's again.

All catalog and git work runs in thread workers that only post messages; the handlers
fill the widgets. Repository text is shown literally (``tui.safe_text``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from modeltrail.store.config import improved
from modeltrail.store.query.diff import compare_versions, number
from modeltrail.store.query.trend import list_trend, metric_trend, trend_branches, trend_metrics
from modeltrail.store.read.gitdiff import changed_files, file_patch
from modeltrail.store.repo import open_repo
from modeltrail.tui.format import BETTER, MISSING, WORSE, fmt_delta, fmt_number, fmt_size, plural
from modeltrail.tui.messages import CatalogUpdated
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.widgets.key_footer import KeyFooter
from modeltrail.tui.widgets.table_rows import fill_table
from modeltrail.tui.widgets.trend_plot import MARKED as MARKED_POINT
from modeltrail.tui.widgets.trend_plot import ORDINARY, TrendPlot, TrendSeries
from modeltrail.tui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

BEST = "★"
CHANGED = "≠"
TABS = ("metrics", "params", "artifacts", "files", "trend")

COMPARE_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="compare_back"),
    Binding("b", "next_baseline", "Baseline", id="compare_baseline"),
    Binding("a", "toggle_all_params", "All params", id="compare_all_params"),
    Binding("t", "next_target", "Target", id="compare_target"),
    Binding("m", "next_metric", "Metric", id="trend_metric"),
    Binding("n", "next_branch", "Versions: as listed / a branch", id="trend_branch"),
    *(
        Binding(str(i + 1), f"show_tab('{tab}')", tab.title(), id=f"compare_tab_{tab}", show=False)
        for i, tab in enumerate(TABS)
    ),
]


# --- messages from the workers --------------------------------------------------------------


@dataclass
class CompareLoaded(Message):
    """The side-by-side data (``store.query.diff.compare_versions``) and the trend choices."""

    data: dict
    metrics: list[str]
    branches: list[str]


@dataclass
class FilesLoaded(Message):
    """Files changed from commit ``a`` to commit ``b``."""

    a: str
    b: str
    files: list[dict]


@dataclass
class PatchLoaded(Message):
    """The unified diff of one file."""

    path: str
    text: str
    truncated: bool


@dataclass
class TrendLoaded(Message):
    """A metric's values along a branch."""

    series: TrendSeries


# --- cell text -----------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A metric/param value for a cell: numbers short, booleans as words, '–' if absent."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return fmt_number(float(value))
    if isinstance(value, list | dict):
        return clean(json.dumps(value, ensure_ascii=False, sort_keys=True), single_line=True)
    return clean(value, single_line=True)


#: Param cells longer than this are cut with an ellipsis.
PARAM_CHARS = 32
#: the files tab's columns: (label, key)
FILE_COLUMNS = [("change", "change"), ("+", "add"), ("-", "del"), ("file", "file")]


def _cut(text: str, limit: int = PARAM_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def param_cell(value: Any, base: Any, is_base: bool, limit: int = PARAM_CHARS) -> Text:
    """A param value; a list that differs from the baseline's shows what it gained and
    lost (``+x -y``), so long lists stay readable side by side."""
    if is_base or not (isinstance(value, list) and isinstance(base, list)) or value == base:
        differs = not is_base and (value != base or type(value) is not type(base))
        return Text(_cut(value_text(value), limit), style="bold" if differs else "")
    gained = [x for x in value if x not in base]
    lost = [x for x in base if x not in value]
    parts = [f"+{value_text(x)}" for x in gained] + [f"-{value_text(x)}" for x in lost]
    return Text(_cut(" ".join(parts) if parts else "reordered", limit), style="bold")


def metric_cell(row: dict, i: int, base: int, colour: bool = True) -> Text:
    """One metric value with its delta against the baseline and the best mark.

    ``▲``/``▼`` say better/worse; colour (green/red) only repeats it, and is left out
    under ``NO_COLOR`` where it would turn into unreadable grey."""
    value = row["values"][i]
    text = Text(value_text(value), style="bold" if i in row["best"] else "")
    if i in row["best"]:
        text.append(f" {BEST}", style="bold")
    if i != base:
        old, new = number(row["values"][base]), number(value)
        better = improved(row["direction"], old, new)
        if better is not None and old is not None and new is not None:  # (both: improved)
            style = ("green" if better else "red") if colour else ""
            text.append(f" {fmt_delta(round(new - old, 12), better)}", style=style)
    return text


def artifact_cell(entry: dict | None) -> Text:
    """Size, hash prefix (git blob, LFS sha256 or DVC md5, as the storage column says)
    and availability of one artifact version."""
    if entry is None:
        return Text(MISSING)
    text = f"{fmt_size(entry.get('size'))} {clean(entry.get('hash'))[:7]}"
    if entry.get("nfiles"):
        text += f" {plural(entry['nfiles'], 'file')}"
    if entry.get("storage") in ("lfs", "dvc") and entry.get("present") is False:
        text += " (missing)"
    return Text(text)


def _storage_text(values: list[dict | None]) -> str:
    kinds = list(dict.fromkeys(v["storage"] for v in values if v))
    return "→".join(kinds)


class CompareScreen(ReportsWorkerFailures, Screen):
    """Side-by-side comparison of ``commits`` (two or more versions) of ``model``."""

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    FAILURE_TITLE = "Compare"

    BINDINGS = COMPARE_BINDINGS
    CSS_PATH = Path(__file__).with_name("compare.tcss")

    HELP_TITLE = "compare"

    def help_legend(self) -> list[tuple[str, str]]:
        return [
            (BEST, "metrics: the best value among the compared versions"),
            (f"{BETTER} {WORSE}", "metrics: better, worse than the baseline (b: next baseline)"),
            ("↑ ↓", "in a metric's name: higher is better, lower is better"),
            (CHANGED, "params, artifacts, environment: differs between the versions"),
            (MISSING, "the version has no such value"),
            ("~stale", "metrics not recomputed: params or code changed, metrics did not"),
            (f"{ORDINARY} {MARKED_POINT}", "trend: a version, a compared (marked) version"),
        ]

    def __init__(self, model: str, commits: list[str], all_branches: bool = False) -> None:
        super().__init__()
        self.model = model
        self.commits = list(dict.fromkeys(commits))
        # the version list's scope: the trend plots the versions it lists first
        self.all_branches = all_branches
        self.data: dict | None = None
        self.baseline = 0
        self.target: int | None = None
        self.all_params = False
        self.metric_keys: list[str] = []
        self.metric_index = 0
        # the trend's choices (n): the list's versions (None), then each branch's
        self.branches: list[str | None] = [None]
        self.branch_index = 0
        self.files: list[dict] = []
        self.files_pair: tuple[str, str] | None = None

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(
            Text(f"Compare {clean(self.model, single_line=True)}: loading…"), id="compare-title"
        )
        with TabbedContent(initial="metrics"):
            with TabPane("1 Metrics", id="metrics"):
                yield DataTable(id="metrics-table", cursor_type="row", zebra_stripes=True)
                yield Static(
                    Text(
                        f"{BEST} best  {BETTER}/{WORSE} better/worse than base  "
                        "↓/↑ lower/higher is better  b: baseline"
                    ),
                    id="metrics-legend",
                    classes="note",
                )
            with TabPane("2 Params", id="params"):
                yield Static("", id="params-note", classes="note")
                yield DataTable(id="params-table", cursor_type="row", zebra_stripes=True)
            with TabPane("3 Artifacts", id="artifacts"), VerticalScroll(id="artifacts-scroll"):
                yield Static(Text("Artifacts", style="bold"), classes="note")
                yield DataTable(id="artifacts-table", cursor_type="row")
                yield Static(Text("Environment", style="bold"), classes="note")
                yield DataTable(id="env-table", cursor_type="row")
            with TabPane("4 Files", id="files"):
                yield Static("", id="files-note", classes="note")
                yield DataTable(id="files-table", cursor_type="row")
                with VerticalScroll(id="diff-view"):
                    yield Static("", id="diff-text")
            with TabPane("5 Trend", id="trend"):
                yield Static("", id="trend-note", classes="note")
                yield TrendPlot(id="trend-plot")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()

    def on_catalog_updated(self, message: CatalogUpdated) -> None:
        if message.changed:
            self.load()

    # --- workers --------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="compare-load", exit_on_error=False)
    def load(self) -> None:
        with self.app.connection().cursor() as con:
            data = compare_versions(con, self.model, self.commits, self.app.config)
            metrics = trend_metrics(con, self.model)
            branches = trend_branches(con, self.model, self.app.config.main)
        self.post_message(CompareLoaded(data, metrics, branches))

    @work(thread=True, exclusive=True, group="compare-files", exit_on_error=False)
    def load_files(self, a: str, b: str, places: list[str] | None) -> None:
        with open_repo(self.app.paths.root) as repo:
            files = changed_files(repo, a, b, places)
        self.post_message(FilesLoaded(a, b, files))

    @work(thread=True, exclusive=True, group="compare-patch", exit_on_error=False)
    def load_patch(self, a: str, b: str, path: str, old_path: str | None = None) -> None:
        with open_repo(self.app.paths.root) as repo:
            text, truncated = file_patch(repo, a, b, path, old_path)
        self.post_message(PatchLoaded(path, text, truncated))

    @work(thread=True, exclusive=True, group="compare-trend", exit_on_error=False)
    def load_trend(self, metric: str, branch: str | None, direction: str) -> None:
        """``metric`` across the versions the list shows (``branch`` None: the main line,
        or every branch after ``b``, as the list), or those ``branch`` holds."""
        with self.app.connection().cursor() as con:
            if branch is None:
                main = self.app.main_line()
                points = list_trend(con, self.model, metric, main, self.all_branches)
                scope = (
                    "all branches" if self.all_branches or main.branch is None else "the main line"
                )
            else:
                points = metric_trend(con, self.model, metric, branch)
                scope = None
        series = TrendSeries(metric, branch, direction, points, set(self.commits), scope)
        self.post_message(TrendLoaded(series))

    # --- message handlers -----------------------------------------------------------------

    def on_compare_loaded(self, message: CompareLoaded) -> None:
        self.data = message.data
        n = len(self.data["versions"])
        self.baseline = min(self.baseline, max(n - 1, 0))
        if self.target is None or self.target >= n or self.target == self.baseline:
            self.target = self._default_target()
        self.metric_keys = message.metrics
        self.branches = [None, *message.branches]
        self.branch_index = min(self.branch_index, len(self.branches) - 1)
        self.metric_index = min(self.metric_index, max(len(self.metric_keys) - 1, 0))
        self.refresh_tables()
        self.request_files()
        self.request_trend()
        self.query_one("#metrics-table", DataTable).focus()

    def on_files_loaded(self, message: FilesLoaded) -> None:
        self.files = message.files
        self.files_pair = (message.a, message.b)
        self._fill_files()

    def on_patch_loaded(self, message: PatchLoaded) -> None:
        text = clean(message.text)
        if message.truncated:
            text += "\n… (diff cut here: too large to show)"
        view = self.query_one("#diff-view", VerticalScroll)
        body = self.query_one("#diff-text", Static)
        if text.strip():
            body.update(
                Syntax(text, "diff", theme="ansi_dark", background_color="default", word_wrap=False)
            )
        else:
            body.update(Text("(no textual difference: binary file or mode change)"))
        self.query_one("#files-table", DataTable).add_class("-hidden")
        view.add_class("-open")
        view.scroll_home(animate=False)
        view.focus()
        note = self.query_one("#files-note", Static)
        note.update(
            Text("diff of ")
            .append_text(literal(message.path, single_line=True))
            .append("   esc: back to the file list")
        )

    def on_trend_loaded(self, message: TrendLoaded) -> None:
        plot = self.query_one("#trend-plot", TrendPlot)
        plot.show(message.series)
        note = Text()
        note.append(f"m: metric {self.metric_index + 1}/{len(self.metric_keys)}  ")
        note.append(f"n: versions {self.branch_index + 1}/{len(self.branches)}  ")
        note.append(plot.summary())
        self.query_one("#trend-note", Static).update(note)

    # --- filling widgets ------------------------------------------------------------------

    def _versions(self) -> list[dict]:
        return self.data["versions"] if self.data else []

    def _default_target(self) -> int | None:
        n = len(self._versions())
        others = [i for i in range(n) if i != self.baseline]
        return others[-1] if others else None

    def _column_label(self, i: int) -> Text:
        v = self._versions()[i]
        text = literal(v["version"], single_line=True)
        if i == self.baseline:
            text.append(" (base)", style="bold")
        if v.get("stale_metrics"):
            text.append(" ~stale")
        return text

    @property
    def loaded(self) -> dict[str, Any]:
        """The comparison's data, once it has come (the tables wait for it)."""
        assert self.data is not None
        return self.data

    def refresh_tables(self) -> None:
        if self.data is None:
            return
        self._fill_title()
        self._fill_metrics()
        self._fill_params()
        self._fill_artifacts()

    def _fill_title(self) -> None:
        versions = self._versions()
        title = Text("Compare ")
        title.append_text(literal(self.model, single_line=True))
        title.append(f": {len(versions)} versions, baseline ")
        if versions:
            title.append_text(literal(versions[self.baseline]["version"], single_line=True))
        stale = [v for v in versions if v.get("stale_metrics")]
        if stale:
            title.append("   ~ stale metrics: ")
            title.append_text(literal(", ".join(v["version"] for v in stale), single_line=True))
        self.query_one("#compare-title", Static).update(title)

    def _version_table(self, name: str, columns: tuple[str, ...], rows: list[list[Text]]) -> None:
        """Fill the table ``#name-table`` with ``columns`` (the ``mark`` column has no
        title), then one column per version, and ``rows``."""
        labels = [(Text("" if column == "mark" else column), column) for column in columns]
        labels += [(self._column_label(i), f"v{i}") for i in range(len(self._versions()))]
        fill_table(self.query_one(f"#{name}-table", DataTable), labels, rows)

    def _fill_metrics(self) -> None:
        rows = []
        for row in self.loaded["metrics"]:
            arrow = "↓" if row["direction"] == "lower" else "↑"
            cells = [
                metric_cell(row, i, self.baseline, not self.app.no_color)
                for i in range(len(row["values"]))
            ]
            rows.append([literal(row["key"], single_line=True), Text(arrow), *cells])
        self._version_table("metrics", ("metric", "dir"), rows)

    def _fill_params(self) -> None:
        rows = self.loaded["params"]
        shown = rows if self.all_params else [r for r in rows if r["changed"]]
        changed = sum(1 for r in rows if r["changed"])
        note = self.query_one("#params-note", Static)
        scope = "all params" if self.all_params else "changed params only"
        note.update(Text(f"{scope}: {changed} of {len(rows)} differ   a: toggle all"))
        key_width = min(max((len(r["key"]) for r in shown), default=5), 30)
        n = max(len(self._versions()), 1)
        limit = max(12, min(PARAM_CHARS, (self.size.width - key_width - 6) // n - 2))
        cells = []
        for row in shown:
            base = row["values"][self.baseline]
            cells.append(
                [
                    Text(CHANGED if row["changed"] else ""),
                    literal(row["key"], single_line=True),
                    *(
                        param_cell(v, base, i == self.baseline, limit)
                        for i, v in enumerate(row["values"])
                    ),
                ]
            )
        self._version_table("params", ("mark", "param"), cells)

    def _fill_artifacts(self) -> None:
        artifacts = [
            [
                Text(CHANGED if row["changed"] else ""),
                literal(self._in_model(row["path"]), single_line=True),
                literal(_storage_text(row["values"]), single_line=True),
                *(artifact_cell(v) for v in row["values"]),
            ]
            for row in self.loaded["artifacts"]
        ]
        self._version_table("artifacts", ("mark", "path", "storage"), artifacts)
        env = [
            [
                Text(CHANGED if row["changed"] else ""),
                literal(row["package"], single_line=True),
                literal(self._in_model(row["file"]), single_line=True),
                *(
                    Text("–" if v is None else clean(v or "(any)", single_line=True))
                    for v in row["values"]
                ),
            ]
            for row in self.loaded["environment"]
        ]
        if not env:
            none = [Text(""), Text("(no environment files)"), Text("")]
            env.append([*none, *(Text("") for _ in self._versions())])
        self._version_table("env", ("mark", "package", "file"), env)

    def _in_model(self, path: str) -> str:
        """``path`` relative to the model's directory when it is inside it."""
        prefix = f"{self.loaded['path']}/" if self.loaded.get("path") else ""
        return path[len(prefix) :] if prefix and path.startswith(prefix) else path

    def _fill_files(self) -> None:
        versions = self._versions()
        note = self.query_one("#files-note", Static)
        table = self.query_one("#files-table", DataTable)
        table.clear(columns=True)
        if self.target is None or not versions:
            note.update(Text("nothing to diff"))
            return
        a, b = versions[self.baseline], versions[self.target]
        text = Text(f"{plural(len(self.files), 'file')} changed from ")
        text.append_text(literal(a["version"], single_line=True))
        text.append(" to ")
        text.append_text(literal(b["version"], single_line=True))
        text.append("   enter: show diff  t: next target  b: next baseline")
        note.update(text)
        columns = [(Text(label), key) for label, key in FILE_COLUMNS]
        rows = []
        for f in self.files:
            binary = f["additions"] is None
            path = f"{f['old_path']} → {f['path']}" if f.get("old_path") else f["path"]
            rows.append(
                [
                    Text(f["change"]),
                    Text("bin" if binary else f"+{f['additions']}"),
                    Text("" if binary else f"-{f['deletions']}"),
                    literal(path, single_line=True),
                ]
            )
        fill_table(table, columns, rows, keys=[str(i) for i in range(len(rows))])

    # --- requests ---------------------------------------------------------------------------

    def request_files(self) -> None:
        versions = self._versions()
        if self.target is None or not versions:
            self.files = []
            self._fill_files()
            return
        a, b = versions[self.baseline]["commit"], versions[self.target]["commit"]
        if self.files_pair == (a, b):
            self._fill_files()
            return
        self._close_diff()
        self.load_files(a, b, self.loaded.get("places"))

    def request_trend(self) -> None:
        if not self.metric_keys:
            self.query_one("#trend-plot", TrendPlot).show(None)
            self.query_one("#trend-note", Static).update(Text("no numeric metrics to plot"))
            return
        metric = self.metric_keys[self.metric_index]
        branch = self.branches[self.branch_index]
        self.load_trend(metric, branch, self.app.config.direction(metric))

    # --- actions ----------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {
            "metrics": "#metrics-table",
            "params": "#params-table",
            "artifacts": "#artifacts-scroll",
            "files": "#diff-view" if self._diff_open() else "#files-table",
            "trend": "#trend-plot",
        }[tab]
        self.query_one(focus).focus()

    def action_next_baseline(self) -> None:
        n = len(self._versions())
        if n < 2:
            return
        self.baseline = (self.baseline + 1) % n
        if self.target == self.baseline:
            self.target = self._default_target()
        self.refresh_tables()
        self.request_files()

    def action_next_target(self) -> None:
        n = len(self._versions())
        others = [i for i in range(n) if i != self.baseline]
        if not others:
            return
        later = [i for i in others if self.target is not None and i > self.target]
        self.target = later[0] if later else others[0]
        self.request_files()

    def action_toggle_all_params(self) -> None:
        self.all_params = not self.all_params
        if self.data is not None:
            self._fill_params()

    def action_next_metric(self) -> None:
        if self.metric_keys:
            self.metric_index = (self.metric_index + 1) % len(self.metric_keys)
            self.request_trend()

    def action_next_branch(self) -> None:
        if self.branches:
            self.branch_index = (self.branch_index + 1) % len(self.branches)
            self.request_trend()

    def _diff_open(self) -> bool:
        return self.query_one("#diff-view").has_class("-open")

    def _close_diff(self) -> None:
        self.query_one("#diff-view").remove_class("-open")
        self.query_one("#files-table").remove_class("-hidden")

    def action_back(self) -> None:
        if self._diff_open():
            self._close_diff()
            self._fill_files()
            self.query_one("#files-table", DataTable).focus()
            return
        self.dismiss()

    @on(DataTable.RowSelected, "#files-table")
    def _open_file(self, event: DataTable.RowSelected) -> None:
        if self.files_pair is None or event.row_key.value is None:
            return
        f = self.files[int(event.row_key.value)]
        self.load_patch(*self.files_pair, f["path"], f.get("old_path"))
