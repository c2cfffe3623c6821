"""The flow graph: one row per commit, newest first, branch lanes drawn as box-drawing lines.

``FlowLayout`` (no Textual) gives every lane that owns commits a column for the rows it
spans (main first, then each integration branch with its earlier stretches, then the
rest, reusing columns once a lane has ended) and says, for any row, which way the line
in each column goes. ``Glyphs`` turns that into box-drawing characters or, where the
terminal cannot show them, ASCII. ``FlowGraph`` is a Line-API widget: only the rows on
screen are formatted, so a 100,000-commit history costs what 30 rows cost.

A row reads: cursor, lanes (``●`` a commit that is a model version or a merge, ``○``
another commit), short id, the chosen metric at that version with its change from the
state before (``▲`` better, ``▼`` worse, by the metric's direction), then branch heads
``[name]``, tags ``(tag)``, stage badges and the subject. Repository text is cleaned.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.strip import Strip

from modeltrail.store.query.flow import FlowData
from modeltrail.tui.bindings import LIST_BINDINGS
from modeltrail.tui.format import fmt_delta, fmt_number
from modeltrail.tui.safe_text import clean
from modeltrail.tui.widgets.cursor_view import CursorView, RowMessage

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8

_BOX = {
    UP | DOWN: "│",
    UP: "│",
    DOWN: "│",
    LEFT | RIGHT: "─",
    LEFT: "─",
    RIGHT: "─",
    UP | DOWN | LEFT | RIGHT: "┼",
    UP | DOWN | LEFT: "┤",
    UP | DOWN | RIGHT: "├",
    DOWN | LEFT: "╮",
    DOWN | RIGHT: "╭",
    UP | LEFT: "╯",
    UP | RIGHT: "╰",
    UP | LEFT | RIGHT: "┴",
    DOWN | LEFT | RIGHT: "┬",
}


def _ascii_cell(dirs: int) -> str:
    vertical, horizontal = dirs & (UP | DOWN), dirs & (LEFT | RIGHT)
    if vertical and horizontal:
        return "+"
    return "|" if vertical else "-" if horizontal else " "


@dataclass(frozen=True)
class Glyphs:
    """The characters the graph is drawn with."""

    ascii: bool
    point: str  # a commit that is a model version or a merge
    commit: str  # any other commit
    horizontal: str
    cursor: str
    beats: str
    better: str
    worse: str

    def cell(self, dirs: int) -> str:
        return _ascii_cell(dirs) if self.ascii else _BOX.get(dirs, " ")

    @property
    def stage(self) -> str:
        """Before a stage badge (``⚑ churn:prod``): not the home screen's stage glyphs, as
        ``●`` here is a version or merge commit."""
        return "@" if self.ascii else "⚑"

    def legend(self, tree: bool = False) -> list[tuple[str, str]]:
        """What each glyph of the graph means (the flow screen's help)."""
        lines = "| - +" if self.ascii else "│ ─ ╮ ╯ ┼"
        return [
            (self.cursor, "cursor"),
            (
                self.point,
                "a version of a model" if tree else "a commit that is a model version, or a merge",
            ),
            (self.commit, "another commit"),
            (lines, "a branch's line; lines joining are forks and merges"),
            ("[name]", "the head of a branch (the first row of its line)"),
            ("(tag)", "a tag on that commit"),
            (f"{self.stage} model:stage", "a stage held by that commit"),
            (
                f"{self.better} {self.worse} =",
                "the metric better, worse, same as before that commit (by its direction)",
            ),
            ("↑ ↓" if not self.ascii else "^ v", "in the header: higher, lower is better"),
            (
                f"{self.beats} beats main",
                "an unmerged branch whose own version beats main on the metric (b: next)",
            ),
        ]


UNICODE = Glyphs(False, "●", "○", "─", "▶", "★", "▲", "▼")
ASCII = Glyphs(True, "*", "o", "-", ">", "!", "^", "v")


# --------------------------------------------------------------------------- layout


class FlowLayout:
    """Columns for lanes and, per row, the line directions in each column."""

    def __init__(self, data: FlowData) -> None:
        self.data = data
        g = data.graph
        self.n = len(g.ids)
        self.top: dict[int, int] = {}
        self.bottom: dict[int, int] = {}
        for li, lane in enumerate(data.lanes):
            if not lane.commits:
                continue
            self.top[li] = self.row_of(lane.commits[0])
            last = lane.fork if lane.fork is not None else lane.commits[-1]
            self.bottom[li] = self.row_of(last)
        for m in data.merges:
            row = self.row_of(m.commit)
            for p in g.parents[m.commit][1:]:
                lp = data.owner[p] if p >= 0 else -1
                if lp >= 0 and lp != data.owner[m.commit] and lp in self.top:
                    self.top[lp] = min(self.top[lp], row)
        self.forks_at: dict[int, list[int]] = {}
        for li, lane in enumerate(data.lanes):
            if lane.commits and lane.fork is not None:
                self.forks_at.setdefault(lane.fork, []).append(li)
        self.column: dict[int, int] = {}
        self._tops: list[list[int]] = []  # per column: sorted interval tops
        self._spans: list[list[tuple[int, int, int]]] = []  # per column: (top, bottom, lane)
        self._assign_columns()

    @property
    def columns(self) -> int:
        return len(self._spans)

    def row_of(self, commit: int) -> int:
        return self.n - 1 - commit

    def commit_at(self, row: int) -> int:
        return self.n - 1 - row

    # columns ------------------------------------------------------------------------

    def _fits(self, col: int, top: int, bottom: int, touch: bool = False) -> bool:
        """Whether ``col`` is free over rows top..bottom (``touch``: sharing an end row)."""
        tops, spans = self._tops[col], self._spans[col]
        i = (bisect.bisect_left if touch else bisect.bisect_right)(tops, bottom)
        if i == 0:
            return True
        return spans[i - 1][1] <= top if touch else spans[i - 1][1] < top

    def _put(self, col: int, li: int) -> None:
        while col >= len(self._spans):
            self._tops.append([])
            self._spans.append([])
        top, bottom = self.top[li], self.bottom[li]
        i = bisect.bisect_right(self._tops[col], top)
        self._tops[col].insert(i, top)
        self._spans[col].insert(i, (top, bottom, li))
        self.column[li] = col

    def _first_fit(self, li: int, start: int) -> int:
        top, bottom = self.top[li], self.bottom[li]
        for col in range(start, len(self._spans)):
            if self._fits(col, top, bottom):
                return col
        return max(start, len(self._spans))

    def _assign_columns(self) -> None:
        data = self.data
        segments: dict[int, list[int]] = {}
        for li, lane in enumerate(data.lanes):
            if lane.segment_of is not None and li in self.top:
                segments.setdefault(lane.segment_of, []).append(li)
        reserved = ([data.main] if data.main is not None else []) + list(data.integration)
        placed: set[int] = set()
        for li in reserved:  # each its own column, shared with its earlier stretches
            col = len(self._spans)
            for member in [li, *segments.get(li, [])]:
                if member in self.top:
                    fits = col >= len(self._spans) or self._fits(
                        col, self.top[member], self.bottom[member], touch=True
                    )
                    self._put(col if fits else self._first_fit(member, col + 1), member)
                    placed.add(member)
        start = len(self._spans)
        rest = sorted(
            (li for li in self.top if li not in placed), key=lambda li: (self.top[li], li)
        )
        for li in rest:
            self._put(self._first_fit(li, start), li)

    def lanes_at(self, col: int, row: int) -> list[int]:
        """The lanes whose lines occupy ``col`` at ``row``: none, one, or two stretches of
        one branch meeting there (the older one ends where the newer one starts)."""
        i = bisect.bisect_right(self._tops[col], row)
        out = []
        for k in (i - 1, i - 2):
            if k >= 0:
                top, bottom, li = self._spans[col][k]
                if top <= row <= bottom:
                    out.append(li)
        return out

    # rows ---------------------------------------------------------------------------

    def row_cells(self, row: int) -> tuple[list[int], list[int], list[int], int]:
        """(directions per column, lane per column, lane drawing each gap, commit column).

        ``gaps[x]`` is the lane whose horizontal line crosses between column x and x+1
        (-1: none).
        """
        data, g = self.data, self.data.graph
        c = self.commit_at(row)
        own = data.owner[c]
        width = self.columns
        dirs, lanes, gaps = [0] * width, [-1] * width, [-1] * width
        for col in range(width):
            for li in self.lanes_at(col, row):
                lanes[col] = li
                dirs[col] |= (UP if self.top[li] < row else 0) | (
                    DOWN if self.bottom[li] > row else 0
                )
        xo = self.column.get(own, -1)

        def connect(other: int) -> None:
            x = self.column.get(other, -1)
            if x < 0 or xo < 0 or x == xo:
                return
            lo, hi = min(x, xo), max(x, xo)
            dirs[lo] |= RIGHT
            dirs[hi] |= LEFT
            for k in range(lo + 1, hi):
                dirs[k] |= LEFT | RIGHT
                if lanes[k] < 0:
                    lanes[k] = other
            for k in range(lo, hi):
                gaps[k] = other

        for p in g.parents[c][1:]:
            lp = data.owner[p] if p >= 0 else -1
            if lp >= 0 and lp != own:
                connect(lp)
        for li in self.forks_at.get(c, ()):
            connect(li)
        return dirs, lanes, gaps, xo


# --------------------------------------------------------------------------- the widget


@dataclass
class MetricView:
    """The metric shown at each point: ``values`` maps commit id → value."""

    model: str
    key: str
    values: dict[str, float]
    beats: dict[int, tuple[float, float]]  # unmerged lane -> (its value, main's value)


METRIC_WIDTH = 14
SHORT = 7


class FlowGraph(CursorView, can_focus=True):
    """The lanes, one commit per row; ``enter`` posts ``Selected`` for the cursor's commit."""

    BINDINGS = [
        *(b for b in LIST_BINDINGS if not (isinstance(b, Binding) and b.key == "enter")),
        Binding("enter", "select", "Open", id="select"),
        Binding("left", "pan(-8)", "Scroll left", id="flow_left", show=False),
        Binding("right", "pan(8)", "Scroll right", id="flow_right", show=False),
    ]

    COMPONENT_CLASSES = {
        "flow-graph--cursor",
        "flow-graph--main",
        "flow-graph--integration",
        "flow-graph--experiment",
        "flow-graph--feature",
        "flow-graph--other",
        "flow-graph--better",
        "flow-graph--worse",
        "flow-graph--beats",
        "flow-graph--tag",
        "flow-graph--stage",
        "flow-graph--dim",
        "flow-graph--empty",
    }

    class Highlighted(RowMessage[int]):
        """The cursor moved to the commit with index ``commit`` (-1: nothing shown)."""

    class Selected(RowMessage[int]):
        """``enter`` on the commit with index ``commit``."""

    def __init__(self, *, glyphs: Glyphs = UNICODE, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: FlowData | None = None
        self.layout_: FlowLayout | None = None
        self.metric: MetricView | None = None
        self.glyphs = glyphs
        self.empty_text = "loading…"

    # data ---------------------------------------------------------------------------

    def set_data(self, data: FlowData, keep_commit: str | None = None) -> None:
        """Show ``data``; keep the cursor on ``keep_commit`` when it is still there."""
        self.data = data
        self.layout_ = FlowLayout(data)
        self._cache.clear()
        self._update_virtual_size()
        row = 0
        if keep_commit is not None and keep_commit in data.graph.index:
            row = self.layout_.row_of(data.graph.index[keep_commit])
        self.cursor = row
        self.refresh()

    def set_metric(self, metric: MetricView | None) -> None:
        self.metric = metric
        self._cache.clear()
        self.refresh()

    def set_glyphs(self, glyphs: Glyphs) -> None:
        self.glyphs = glyphs
        self._cache.clear()
        self.refresh()

    @property
    def rows(self) -> int:
        return self.layout_.n if self.layout_ is not None else 0

    @property
    def current_commit(self) -> int:
        """The index of the commit under the cursor (-1 when nothing is shown)."""
        if self.layout_ is None or not self.rows:
            return -1
        return self.layout_.commit_at(self.cursor)

    def graph_width(self) -> int:
        return 2 * self.layout_.columns if self.layout_ is not None else 0

    def _update_virtual_size(self) -> None:
        width = 1 + self.graph_width() + 1 + SHORT + 1 + METRIC_WIDTH + 1 + 100
        self.virtual_size = Size(width, self.rows)

    # cursor -------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return self.rows

    def cursor_moved(self) -> None:
        self.post_message(self.Highlighted(self, self.current_commit))

    def move_to_commit(self, commit: int) -> None:
        if self.layout_ is not None and 0 <= commit < self.rows:
            self.cursor = self.layout_.row_of(commit)

    def action_pan(self, cells: int) -> None:
        self.scroll_to(x=max(0, round(self.scroll_x) + cells), animate=False, immediate=True)

    def action_select(self) -> None:
        if self.current_commit >= 0:
            self.post_message(self.Selected(self, self.current_commit))

    def on_resize(self) -> None:
        self._cache.clear()
        self._scroll_cursor_into_view()

    # drawing ------------------------------------------------------------------------

    def _style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"flow-graph--{kind}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = round(self.scroll_y) + y
        if self.layout_ is None or not self.rows:
            if y == 0:
                text = clean(f" {self.empty_text}", single_line=True)
                return Strip([Segment(text, base + self._style("empty"))]).adjust_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        if row >= self.rows:
            return Strip.blank(width, base)
        is_cursor = row == self.cursor
        scroll_x = round(self.scroll_x)
        key = (row, is_cursor, self.has_focus, width, scroll_x)
        return self.line(key, lambda: self._row(row, is_cursor, width, scroll_x, base))

    def _row(self, row: int, is_cursor: bool, width: int, scroll_x: int, base: Style) -> Strip:
        line_style = base + self._style("cursor") if is_cursor else base
        gutter = Segment(self.glyphs.cursor if is_cursor else " ", line_style)
        over = self._style("cursor") if is_cursor else Style()
        segments = [
            Segment(seg.text, line_style + seg.style + over if seg.style else line_style)
            for seg in self.row_text(row).render(self.app.console)
            if seg.text
        ]
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width - 1, line_style)
        return Strip([gutter, *strip]).simplify()

    def _lane_style(self, li: int) -> Style:
        if li < 0 or self.data is None:
            return Style()
        lane = self.data.lanes[li]
        if lane.note:
            return self._style("other")
        return self._style(
            lane.kind if lane.kind in ("main", "integration", "experiment", "feature") else "other"
        )

    def row_text(self, row: int) -> Text:
        """One row without the cursor gutter: lanes, id, metric, labels, subject."""
        assert self.layout_ is not None and self.data is not None
        data, layout, glyphs = self.data, self.layout_, self.glyphs
        g = data.graph
        c = layout.commit_at(row)
        dirs, lanes, gaps, xo = layout.row_cells(row)
        text = Text(no_wrap=True, end="")
        is_point = c in data.versions_at or len(g.parents[c]) > 1
        for col in range(layout.columns):
            if col == xo:
                text.append(
                    glyphs.point if is_point else glyphs.commit, self._lane_style(data.owner[c])
                )
            else:
                text.append(glyphs.cell(dirs[col]), self._lane_style(lanes[col]))
            if gaps[col] >= 0:
                text.append(glyphs.horizontal, self._lane_style(gaps[col]))
            else:
                text.append(" ")
        text.append(" ")
        text.append(g.ids[c][:SHORT], self._style("dim"))
        text.append(" ")
        text.append_text(self._metric_cell(c))
        text.append(" ")
        for part in self._labels(c):
            text.append_text(part)
            text.append(" ")
        text.append(clean(g.subjects[c], single_line=True))
        return text

    def _metric_cell(self, c: int) -> Text:
        cell = Text(" " * METRIC_WIDTH)
        metric, data = self.metric, self.data
        if metric is None or data is None:
            return cell
        g = data.graph
        value = metric.values.get(g.ids[c])
        if value is None or data.label_of(metric.model, c) is None:
            return cell
        out = Text(fmt_number(value))
        base = data.states.at(metric.model, g.first_parent(c))
        old = metric.values.get(g.ids[base]) if base is not None else None
        if old is not None and old != value:
            better = data.config.better(metric.key, old, value)
            glyphs = (self.glyphs.better, self.glyphs.worse)
            out.append(
                f" {fmt_delta(value - old, bool(better), glyphs=glyphs)}",
                self._style("better" if better else "worse"),
            )
        elif old is not None:
            out.append(" =")
        out.truncate(METRIC_WIDTH, pad=True)
        return out

    def _labels(self, c: int) -> Iterable[Text]:
        data, glyphs = self.data, self.glyphs
        assert data is not None
        for li in data.heads_at.get(c, ()):
            lane = data.lanes[li]
            yield Text(f"[{clean(lane.name, single_line=True)}]", self._lane_style(li))
            if self.metric is not None and li in self.metric.beats:
                new, old = self.metric.beats[li]
                yield Text(
                    f"{glyphs.beats} beats main {fmt_number(new)} vs {fmt_number(old)}",
                    self._style("beats"),
                )
        owner = data.lanes[data.owner[c]]
        if owner.ref is None and owner.commits and owner.commits[0] == c:
            yield Text(f"[{clean(owner.title, single_line=True)}]", self._style("other"))
        for tag in data.tags_at.get(c, ()):
            if "#" not in tag:
                yield Text(f"({clean(tag, single_line=True)})", self._style("tag"))
        for model, stage in data.stages_at.get(c, ()):
            yield Text(
                f"{glyphs.stage} {clean(model, single_line=True)}:{clean(stage, single_line=True)}",
                self._style("stage"),
            )
