"""The flow screen: experiment branches → integration → main, a chosen metric at each point.

The graph (``FlowGraph``) shows every commit newest first with its branch lane, merges,
tags and stage badges; ``m`` cycles the metric shown at each model version, ``n``/``N``
jump between merges, ``b`` to the next unmerged branch that beats main on that metric
(marked ``★ beats main``), ``a`` switches between box-drawing and ASCII lines (ASCII from
the start when ``MODELTRAIL_ASCII=1`` or the terminal's encoding is not UTF-8), and
``t`` switches to one model's version tree (the model of the metric shown, else the one
selected on the home screen) and back: the graph collapsed to that model's versions, a
lane per branch that has versions of its own, forks and merges kept, labels and stages
on the nodes (``store.query.flow.build_flow(..., model=)``); ``enter`` opens the version under
the cursor: the app gets ``OpenVersion`` when it
handles it, else the home screen below is told to ``jump`` there. The panel below the
graph describes the selected commit: merge metrics with deltas, versions, branch status.

The catalog is read in a thread worker (``store.query.flow.build_flow``) that only posts
messages; the handlers own the widgets. A load that raises is reported by
``worker_failed`` (``tui.workers``): in the graph's place, or for a metric, as one
notification. ``CatalogUpdated`` reloads, keeping the cursor.
"""

from __future__ import annotations

import locale
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from modeltrail.store.config import Config
from modeltrail.store.query.flow import FlowData, build_flow, metric_series
from modeltrail.tui.format import fmt_delta, fmt_number
from modeltrail.tui.messages import CatalogUpdated
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.widgets.flow_graph import ASCII, UNICODE, FlowGraph, MetricView
from modeltrail.tui.widgets.key_footer import KeyFooter
from modeltrail.tui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

DETAIL_LINES = 5


def ascii_wanted() -> bool:
    """ASCII lines when ``MODELTRAIL_ASCII`` is set (not ``0``) or output is not UTF-8."""
    env = os.environ.get("MODELTRAIL_ASCII")
    if env is not None and env.strip() != "":
        return env.strip() != "0"
    stream = sys.__stdout__
    encoding = getattr(stream, "encoding", None) or locale.getpreferredencoding(False) or ""
    return "utf" not in encoding.lower().replace("-", "").replace("_", "")


@dataclass
class OpenVersion(Message):
    """Ask the app to show ``model``'s version at ``commit`` (full id) on the home screen."""

    model: str
    commit: str


@dataclass
class FlowLoaded(Message):
    data: FlowData
    metric: MetricView | None


@dataclass
class MetricLoaded(Message):
    metric: MetricView


def metric_view(con, data: FlowData, model: str, key: str) -> MetricView:
    """The values of one metric and the unmerged lanes whose own version beats main."""
    values = metric_series(con, model, key)
    beats = {}
    for li in range(len(data.lanes)):
        if data.lanes[li].ref is not None and data.is_unmerged(li):
            found = data.beats_main(li, model, key, values)
            if found is not None:
                beats[li] = found
    return MetricView(model, key, values, beats)


class FlowScreen(ReportsWorkerFailures, Screen):
    """Branch lanes with merges, tags, stages and a chosen metric at each point."""

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    HELP_TITLE = "flow"
    FAILURE_TITLE = "Flow"
    AUTO_FOCUS = "#flow-graph"

    BINDINGS = [
        # the footer at 80 columns: the way out and ? Help must show; the tree and
        # ASCII toggles are in the help (?) and the palette
        Binding("escape", "back", "Back", id="back"),
        Binding("m", "metric(1)", "Metric", id="flow_metric"),
        Binding("M", "metric(-1)", "Previous metric", id="flow_metric_prev", show=False),
        Binding("n", "merge(1)", "Merges", id="flow_next_merge"),
        Binding("N", "merge(-1)", "Previous merge", id="flow_prev_merge", show=False),
        Binding("b", "beats", "Beats main", id="flow_next_beats"),
        Binding("t", "tree", "Tree", id="flow_tree", show=False),
        Binding("a", "toggle_ascii", "ASCII", id="flow_ascii", show=False),
    ]

    CSS_PATH = Path(__file__).with_name("flow.tcss")

    def __init__(self, model: str | None = None, *, tree: bool = False) -> None:
        super().__init__()
        self.home_model = model  # the model selected when the screen was opened
        # set: showing that model's version tree (``tree``: from the start)
        self.tree_model: str | None = model if tree else None
        self.data: FlowData | None = None
        self.metric: MetricView | None = None
        self.metric_index = 0
        self.ascii = ascii_wanted()

    def help_legend(self) -> list[tuple[str, str]]:
        """The graph's glyphs as drawn now (box-drawing or ASCII)."""
        return (ASCII if self.ascii else UNICODE).legend(tree=self.tree_model is not None)

    def compose(self) -> ComposeResult:
        yield Static(id="flow-header")
        yield FlowGraph(id="flow-graph", glyphs=ASCII if self.ascii else UNICODE)
        yield Static(id="flow-details")
        yield KeyFooter()

    @property
    def graph(self) -> FlowGraph:
        return self.query_one("#flow-graph", FlowGraph)

    @property
    def config(self) -> Config:
        return getattr(self.app, "config", None) or Config()

    def on_mount(self) -> None:
        self._update_header()
        self.load(None, self.tree_model)

    # --- loading (workers post, handlers update) -------------------------------------------

    @work(thread=True, exclusive=True, group="flow-load", exit_on_error=False)
    def load(self, choice: tuple[str, str] | None = None, model: str | None = None) -> None:
        """The flow (``model``: that model's version tree) with the metric ``choice``."""
        with self.app.connection().cursor() as cursor:
            data = build_flow(cursor, self.config, model=model)
            choices = data.metric_choices
            if choice not in choices:
                choice = choices[0] if choices else None
            metric = metric_view(cursor, data, *choice) if choice else None
        self.post_message(FlowLoaded(data, metric))

    @work(thread=True, exclusive=True, group="flow-metric", exit_on_error=False)
    def load_metric(self, data: FlowData, model: str, key: str) -> None:
        with self.app.connection().cursor() as cursor:
            metric = metric_view(cursor, data, model, key)
        self.post_message(MetricLoaded(metric))

    def worker_failed(self, group: str, error: str) -> None:
        """A flow that cannot be read says so in the graph's place; a metric that cannot
        be read leaves the one shown and says why in a notification."""
        if group == "flow-load":
            graph = self.graph
            graph.empty_text = f"⚠ flow unavailable: {clean(error, single_line=True)}"
            graph.refresh()
            return
        if group == "flow-metric" and self.data is not None and self.metric is not None:
            shown = (self.metric.model, self.metric.key)
            if shown in self.data.metric_choices:
                self.metric_index = self.data.metric_choices.index(shown)
            self._update_header()
        super().worker_failed(group, error)

    def on_flow_loaded(self, message: FlowLoaded) -> None:
        graph = self.graph
        if message.data.model != self.tree_model:
            return  # the mode changed meanwhile: the newer load follows
        keep = None
        if self.data is not None and graph.current_commit >= 0:
            keep = self.data.graph.ids[graph.current_commit]
        self.data = message.data
        self.metric = message.metric
        choices = message.data.metric_choices
        if message.metric is not None:
            self.metric_index = choices.index((message.metric.model, message.metric.key))
        if not message.data.graph.ids:
            graph.empty_text = (
                "no versions of this model" if self.tree_model else "no commits in the catalog yet"
            )
        graph.set_metric(message.metric)
        graph.set_data(message.data, keep_commit=keep)
        self._update_header()
        self._update_details()

    def on_metric_loaded(self, message: MetricLoaded) -> None:
        self.metric = message.metric
        self.graph.set_metric(message.metric)
        self._update_header()
        self._update_details()

    def on_catalog_updated(self, message: CatalogUpdated) -> None:
        if message.changed:
            choice = (self.metric.model, self.metric.key) if self.metric else None
            self.load(choice, self.tree_model)

    # --- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_metric(self, step: int) -> None:
        if self.data is None or not self.data.metric_choices:
            self.notify("no numeric metrics in this repository", timeout=3)
            return
        choices = self.data.metric_choices
        self.metric_index = (self.metric_index + step) % len(choices)
        model, key = choices[self.metric_index]
        self._update_header(pending=(model, key))
        self.load_metric(self.data, model, key)

    def action_merge(self, step: int) -> None:
        if self.data is None:
            return
        self._jump([m.commit for m in self.data.merges], step, "no more merges that way")

    def action_beats(self) -> None:
        if self.data is None or self.metric is None or not self.metric.beats:
            self.notify("no unmerged branch beats main on this metric", timeout=3)
            return
        heads = sorted({self.data.lanes[li].head for li in self.metric.beats})
        self._jump(heads, 1, "", wrap=True)

    def _jump(self, commits: list[int], step: int, at_end: str, wrap: bool = False) -> None:
        """Move to the next (step 1: older, lower on screen) of ``commits`` (indexes)."""
        current = self.graph.current_commit
        ordered = sorted(commits, reverse=step > 0)  # newest first when going down
        ahead = [c for c in ordered if (c < current if step > 0 else c > current)]
        if not ahead and wrap and ordered:
            ahead = ordered
        if not ahead:
            if at_end:
                self.notify(at_end, timeout=2)
            return
        self.graph.move_to_commit(ahead[0])

    def action_tree(self) -> None:
        """One model's version tree (the metric's model, else the home screen's), or back
        to every commit."""
        choice = (self.metric.model, self.metric.key) if self.metric else None
        if self.tree_model is not None:
            self.tree_model = None
        else:
            model = self.metric.model if self.metric is not None else self.home_model
            if model is None:
                self.notify("no model to draw the version tree of", timeout=3)
                return
            self.tree_model = model
            if choice is not None and choice[0] != model:
                choice = None
        self._update_header()
        self.load(choice, self.tree_model)

    def action_toggle_ascii(self) -> None:
        self.ascii = not self.ascii
        self.graph.set_glyphs(ASCII if self.ascii else UNICODE)
        self._update_header()

    def on_flow_graph_highlighted(self, message: FlowGraph.Highlighted) -> None:
        self._update_details()

    def on_flow_graph_selected(self, message: FlowGraph.Selected) -> None:
        self.open_version(message.commit)

    def open_version(self, commit: int) -> None:
        """Show the version at ``commit`` on the home screen (through the app if it can)."""
        if self.data is None:
            return
        model = self._model_at(commit)
        if model is None:
            self.notify("no model version at this commit", timeout=3)
            return
        full = self.data.graph.ids[commit]
        label = self.data.label_of(model, commit) or full[:7]
        if callable(getattr(self.app, "on_open_version", None)):
            self.app.post_message(OpenVersion(model, full))
            return
        stack = self.app.screen_stack
        below = [s for s in stack[:-1] if callable(getattr(s, "jump", None))]
        if not below:
            self.notify(
                clean(f"{model} {label}: details below", single_line=True),
                timeout=3,
                markup=False,
            )
            return
        home = below[-1]
        for _ in range(len(stack) - 1 - stack.index(home)):
            self.app.pop_screen()
        home.jump(model, full)  # type: ignore[attr-defined]  # a screen with jump (above)
        self.app.notify(clean(f"opened {model} {label}", single_line=True), timeout=3, markup=False)

    def _model_at(self, commit: int) -> str | None:
        data = self.data
        assert data is not None
        entries = data.versions_at.get(commit, [])
        if self.metric is not None and any(m == self.metric.model for m, _, _ in entries):
            return self.metric.model
        changed = [m for m, _, ch in entries if ch]
        if changed:
            return changed[0]
        return entries[0][0] if entries else None

    # --- header and details ---------------------------------------------------------------

    def _update_header(self, pending: tuple[str, str] | None = None) -> None:
        text = Text("Flow", style="bold")
        if self.tree_model is not None:
            text = Text("Version tree ", style="bold")
            text.append_text(literal(self.tree_model, style="bold", single_line=True))
        shown = pending or ((self.metric.model, self.metric.key) if self.metric else None)
        if shown is not None:
            model, key = shown
            up = "^" if self.ascii else "↑"
            down = "v" if self.ascii else "↓"
            arrow = down if self.config.direction(key) == "lower" else up
            total = len(self.data.metric_choices) if self.data else 0
            text.append("  ")
            shown_name = key if self.tree_model is not None else f"{model} {key}"
            text.append_text(literal(shown_name, style="bold", single_line=True))
            text.append(f" {arrow} ({self.metric_index + 1}/{total})")
        elif self.data is not None:
            text.append("  no numeric metrics")
        glyphs = ASCII if self.ascii else UNICODE
        if self.tree_model is not None:
            text.append(f"  {glyphs.point} version · t: all commits")
        else:
            text.append(
                f"  {glyphs.point} version/merge {glyphs.commit} commit "
                f"{glyphs.beats} unmerged, beats main"
            )
        self.query_one("#flow-header", Static).update(text)

    def _update_details(self) -> None:
        panel = self.query_one("#flow-details", Static)
        commit = self.graph.current_commit
        if self.data is None or commit < 0:
            panel.update("")
            return
        lines = detail_lines(self.data, commit, self.metric, ascii_only=self.ascii)
        panel.update(Text("\n").join(lines[:DETAIL_LINES]))


def detail_lines(
    data: FlowData, c: int, metric: MetricView | None, ascii_only: bool = False
) -> list[Text]:
    """What the panel says about commit ``c``: who/when/where, subject, merge, versions."""
    g = data.graph
    lane = data.lanes[data.owner[c]]
    when = g.date(c)
    date = when.strftime("%Y-%m-%d %H:%M") if when is not None else ""
    arrow = "->" if ascii_only else "→"
    lines = [
        Text.assemble(
            (g.ids[c][:10], "bold"),
            f"  {date}  ",
            literal(g.author(c), single_line=True),
            "  on ",
            literal(lane.title, style="bold", single_line=True),
            f" ({lane.kind})",
        ),
        literal(g.subjects[c], single_line=True),
    ]
    merge = data.merge_at.get(c)
    if merge is not None:
        into = data.lanes[merge.into].name if merge.into >= 0 else "?"
        lines.append(
            Text.assemble(
                "merge ",
                literal(merge.source_names[0], style="bold", single_line=True),
                f" {arrow} ",
                literal(into, style="bold", single_line=True),
            )
        )
        for model, entry in data.merge_metrics.get(c, {}).items():
            lines.append(_merge_line(data, model, entry, metric, ascii_only))
    else:
        for model, label, _changed in data.versions_at.get(c, []):
            lines.append(_version_line(data, model, label, c, metric))
    for li in data.heads_at.get(c, []):
        lines.append(_branch_line(data, li, metric, ascii_only))
    first = _first_model(data, c, metric)
    if first is not None:
        label = data.label_of(first, c) or g.ids[c][:7]
        lines.append(literal(f"enter: open {first} {label}", style="dim", single_line=True))
    return lines


def _first_model(data: FlowData, c: int, metric: MetricView | None) -> str | None:
    entries = data.versions_at.get(c, [])
    if metric is not None and any(m == metric.model for m, _, _ in entries):
        return metric.model
    changed = [m for m, _, ch in entries if ch]
    return changed[0] if changed else (entries[0][0] if entries else None)


def _delta_text(key: str, e: dict, ascii_only: bool) -> str:
    if e.get("diff") is None:
        return f"{key} {fmt_number(e.get('new'))}"
    if e["diff"] == 0:
        return f"{key} {fmt_number(e['new'])} ="
    glyphs = ("^", "v") if ascii_only else ("▲", "▼")
    word = "better" if e["better"] else "worse"
    change = fmt_delta(e["diff"], bool(e["better"]), glyphs=glyphs)
    return f"{key} {fmt_number(e['new'])} {change} {word}"


def _merge_line(data: FlowData, model: str, entry: dict, metric, ascii_only: bool) -> Text:
    keys = [k for m, k in data.metric_choices if m == model]
    if metric is not None and metric.model == model:
        keys = [metric.key, *[k for k in keys if k != metric.key]]
    metrics = entry["metrics"]
    keys = [k for k in keys if k in metrics] or sorted(metrics)[:3]
    was = f" (was {entry['base_version']})" if entry.get("base_version") else ""
    cells = ", ".join(_delta_text(k, metrics[k], ascii_only) for k in keys[:3])
    return literal(
        f"  {model} {entry['version'] or ''}{was}: {cells or 'no metrics'}", single_line=True
    )


def _version_line(data: FlowData, model: str, label: str, c: int, metric) -> Text:
    stages = [s for m, s in data.stages_at.get(c, []) if m == model]
    text = f"{model} {label}"
    if metric is not None and metric.model == model:
        value = metric.values.get(data.graph.ids[c])
        if value is not None:
            text += f"  {metric.key} {fmt_number(value)}"
    if stages:
        text += "  stages: " + ", ".join(stages)
    return literal(text, single_line=True)


def _branch_line(data: FlowData, li: int, metric: MetricView | None, ascii_only: bool) -> Text:
    lane = data.lanes[li]
    info = data.branch_info.get(li, {})
    if li == data.main:
        status = "main"
    elif info.get("merged_into"):
        status = f"merged into {info['merged_into']}"
    else:
        status = "unmerged"
    text = f"{lane.name}: {status}"
    if li != data.main and info:
        text += f", {info['ahead']} ahead / {info['behind']} behind main"
    if metric is not None and li in metric.beats:
        new, old = metric.beats[li]
        star = "!" if ascii_only else "★"
        text += f"  {star} beats main on {metric.key}: {fmt_number(new)} vs {fmt_number(old)}"
    return literal(text, single_line=True)
