"""The list of models, each with its latest version and stage badges.

A badge is glyph + stage + version + previous holder + age
(``● prod v1.3.0 ← v1.2.0 3d``), so it reads without colour. Wide (a side column): one
line for the model, one per stage. Narrow (the pane spans the screen): everything on one
line. Nothing is cut: a line too long for the pane goes on below, indented under its
model, so it never looks like another model's row.

The list is virtual (the Line API): an entry is built and wrapped only when it is drawn.
Until then its height is estimated from its data (one line, or one per stage) and put
right when it is first drawn. Building every entry up front, as an ``OptionList``
needs, took 0.6 s of CPU at 10,000 models before the first screen showed.

Over a workspace the models come grouped by repository: in a side column the repository
is a column of its own, named beside its first model; on one line (the pane spans the
screen) it is the model's prefix (``REPO/MODEL``, as the command line names it). A
repository that could not be read is a warning row (``⚠ REPO: not read: why``).
"""

from __future__ import annotations

import bisect
import itertools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from modeltrail.tui.bindings import LIST_BINDINGS
from modeltrail.tui.safe_text import clean
from modeltrail.tui.widgets.badges import Parts, latest_text, model_badge_parts

_ONE_LINE_WIDTH = 60
_INDENT = "    "  # where a line too long for the pane goes on
_CACHE_ENTRIES = 256  # entries kept laid out (a few screens' worth)


#: cells of the repository column (a side column over a workspace) before a name is cut
REPO_COLUMN_CELLS = 12


def repo_cell(name: str, width: int) -> str:
    """A repository's name in a column ``width`` cells wide (cut with … when longer)."""
    text = clean(name, single_line=True)
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


#: characters of a repository's error in its row (the versions pane says it whole)
ERROR_CHARS = 48


def _short(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1].rstrip() + "…"


def model_prompt_parts(
    model: dict, now: datetime, one_line: bool, repo_column: int = 0, first: bool = True
) -> Parts:
    """:func:`model_prompt` as (string, style) pieces. A model of a workspace (its dict
    has ``repo``) is ``REPO/MODEL`` on one line, or a side column's lines after its
    repository in a column ``repo_column`` cells wide, named on the ``first`` model of
    its repository only; a repository that could not be read (``error``) is a warning."""
    repo = model.get("repo")
    column = ""
    if repo is not None and repo_column:
        column = (repo_cell(repo, repo_column) if first else " " * repo_column) + " "
    pad = " " * len(column)
    if model.get("error") is not None:
        return [
            (column, "dim"),
            ("⚠ ", "bold"),
            (f"{clean(repo or model['name'], single_line=True)}: " if not column else "", "bold"),
            (f"not read: {_short(clean(model['error'], single_line=True))}", "italic"),
        ]
    latest = latest_text(model)
    count = model.get("versions", 0)
    parts = [(column, "dim")] if column else []
    if repo is not None and not column:
        parts.append((f"{clean(repo, single_line=True)}/", "dim"))
    parts += [
        (clean(model["name"], single_line=True), "bold"),
        (f"  {latest or '–'}", ""),
        (f" ({count})" if one_line else f" · {count} version{'s' if count != 1 else ''}", "dim"),
    ]
    badges = model_badge_parts(model, now, two_lines=not one_line)
    for badge in badges:
        parts.append(("  " if one_line else f"\n{pad}  ", ""))
        parts += badge
    if not badges and not one_line:
        parts.append((f"\n{pad}  no stages", "dim italic"))
    return parts


def model_prompt(model: dict, now: datetime, one_line: bool) -> Text:
    """The text of one model's entry, built without markup from repository text."""
    return Text.assemble(*model_prompt_parts(model, now, one_line))


def entry_lines(parts: Parts, width: int, console: Console, indent: int = 0) -> list[Text]:
    """A model's entry as the lines it takes in ``width`` cells: each line of its text
    (the model, then in a side column one per stage) wrapped at spaces, the rest of a
    line that does not fit going on below, indented (``indent`` more cells: past a
    repository column); nothing is cut."""
    out: list[Text] = []
    prefix = " " * indent + _INDENT
    room = max(1, width - len(prefix))
    for line in Text.assemble(*parts).split("\n", allow_blank=True):
        rows = line.wrap(console, max(1, width), overflow="fold")
        out.append(rows[0])
        if len(rows) == 1:
            continue
        rest = line[len(rows[0].plain) :]  # what did not fit, after the space it broke at
        rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
        out.extend(Text(prefix) + row for row in rest.wrap(console, room, overflow="fold"))
    for row in out:
        row.rstrip()
    return out


def _estimate(model: dict, one_line: bool) -> int:
    """An entry's height before it is laid out: one line, or one per stage/badge."""
    if one_line or model.get("error") is not None:
        return 1
    badges = len(model.get("stage_details") or {}) + (1 if model.get("deleted") else 0)
    return 1 + max(1, badges)


@dataclass
class ModelMessage(Message):
    """About the model at ``index`` in the list's ``models``."""

    model_list: ModelList
    index: int

    @property
    def control(self) -> ModelList:
        return self.model_list


class ModelList(ScrollView, can_focus=True, inherit_bindings=False):
    """Models with their stage badges; ``highlighted`` is the index in ``models``."""

    BINDINGS = LIST_BINDINGS
    COMPONENT_CLASSES = {"model-list--cursor"}

    highlighted: reactive[int | None] = reactive(None, always_update=True, init=False)

    class Highlighted(ModelMessage):
        """The cursor moved to another model."""

    class Selected(ModelMessage):
        """Enter (or a click) on a model."""

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models: list[dict] = []
        self._now = now
        self._one_line: bool | None = None
        self._heights: list[int] = []
        self._starts: list[int] = [0]  # the first line of each entry, and the total last
        self._laid_out: OrderedDict[int, tuple[int, list[Text]]] = OrderedDict()
        self._when = now()
        self._repo_column = 0  # cells of the repository column (workspace, side column)

    # --- what is shown ---------------------------------------------------------------

    @property
    def option_count(self) -> int:
        """How many models the list holds."""
        return len(self.models)

    def set_models(
        self, models: list[dict], keep: str | None = None, keep_repo: str | None = None
    ) -> None:
        """Show ``models`` (``list_models`` dicts; over a workspace each has its ``repo``,
        grouped by repository, and a repository that could not be read is a dict with
        an ``error``); keep the highlight on ``keep`` (of ``keep_repo``)."""
        self.models = models
        grouped = bool(models) and models[0].get("repo") is not None  # a workspace's
        repos = {m["repo"] for m in models} if grouped else set()
        longest = max((cell_len(clean(r, single_line=True)) for r in repos), default=0)
        self._repo_column = min(longest, REPO_COLUMN_CELLS)
        self._rebuild()
        if not models:
            self.highlighted = None
            return
        keys = [(m.get("repo"), m["name"]) for m in models]
        self.highlighted = keys.index((keep_repo, keep)) if (keep_repo, keep) in keys else 0

    @property
    def current(self) -> dict | None:
        """The highlighted model's dict, if any."""
        if self.highlighted is None or not self.models:
            return None
        return self.models[self.highlighted]

    def _rebuild(self) -> None:
        self._one_line = self._width() >= _ONE_LINE_WIDTH
        self._when = self._now()
        self._laid_out.clear()
        self._heights = [_estimate(m, self._one_line) for m in self.models]
        self._update_starts()

    def _width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    def _update_starts(self) -> None:
        self._starts = [0, *itertools.accumulate(self._heights)]
        size = Size(self._width(), self._starts[-1])
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    def _lines_of(self, index: int, width: int) -> list[Text]:
        """Entry ``index`` laid out at ``width`` (cached); corrects its height."""
        cached = self._laid_out.get(index)
        if cached is not None and cached[0] == width:
            self._laid_out.move_to_end(index)
            return cached[1]
        column = 0 if self._one_line else self._repo_column
        model = self.models[index]
        first = index == 0 or self.models[index - 1].get("repo") != model.get("repo")
        parts = model_prompt_parts(model, self._when, bool(self._one_line), column, first)
        lines = entry_lines(parts, width, self.app.console, column + 1 if column else 0)
        self._laid_out[index] = (width, lines)
        if len(self._laid_out) > _CACHE_ENTRIES:
            self._laid_out.popitem(last=False)
        return lines

    def _measure_view(self) -> None:
        """Lay out the entries in view; if any height was only estimated wrongly, put it
        right (the lines below move, and the cursor's entry stays in view)."""
        if not self.models:
            return
        width = self._width()
        top = round(self.scroll_y)
        bottom = top + max(1, self.scrollable_content_region.height)
        changed = False
        index = self._entry_at(top)
        while index < len(self.models) and self._starts[index] < bottom:
            height = len(self._lines_of(index, width))
            if height != self._heights[index]:
                self._heights[index] = height
                changed = True
                self._starts = [0, *itertools.accumulate(self._heights)]
            index += 1
        if changed:
            self._update_starts()

    def _entry_at(self, line: int) -> int:
        return max(0, bisect.bisect_right(self._starts, line) - 1)

    # --- drawing ---------------------------------------------------------------------

    def render_lines(self, crop):
        self._measure_view()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        line = round(self.scroll_y) + y
        if not self.models or line >= self._starts[-1]:
            return Strip.blank(width, base)
        index = self._entry_at(line)
        lines = self._lines_of(index, width)
        row = line - self._starts[index]
        cursor = index == self.highlighted
        style = base + self.get_component_rich_style("model-list--cursor") if cursor else base
        if row >= len(lines):  # estimated taller than it is, until the next frame
            return Strip.blank(width, style)
        segments = list(lines[row].render(self.app.console))
        return Strip(Segment.apply_style(segments, style), None).adjust_cell_length(width, style)

    def on_resize(self) -> None:
        if self.models and (self._width() >= _ONE_LINE_WIDTH) != self._one_line:
            self._rebuild()
        else:
            self._update_starts()
        self._scroll_to_highlighted()

    # --- the cursor ------------------------------------------------------------------

    def validate_highlighted(self, value: int | None) -> int | None:
        if value is None or not self.models:
            return None
        return max(0, min(value, len(self.models) - 1))

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        self.refresh()
        if new is None:
            return
        self._scroll_to_highlighted()
        self.post_message(self.Highlighted(self, new))

    def _scroll_to_highlighted(self) -> None:
        if self.highlighted is None or not self.models:
            return
        top = self._starts[self.highlighted]
        bottom = self._starts[self.highlighted + 1]
        visible = max(1, self.scrollable_content_region.height)
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > self.scroll_y + visible:
            self.scroll_to(y=max(top, bottom - visible), animate=False, immediate=True)

    def _move(self, step: int) -> None:
        if self.models:
            self.highlighted = (self.highlighted or 0) + step

    def _page(self) -> int:
        """How many entries a page moves: the entries now in view, less one."""
        visible = max(1, self.scrollable_content_region.height)
        first = self._entry_at(round(self.scroll_y))
        last = self._entry_at(round(self.scroll_y) + visible - 1)
        return max(1, last - first)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_top(self) -> None:
        if self.models:
            self.highlighted = 0

    def action_cursor_bottom(self) -> None:
        if self.models:
            self.highlighted = len(self.models) - 1

    def action_page_down(self) -> None:
        self._move(self._page())

    def action_page_up(self) -> None:
        self._move(-self._page())

    def action_select(self) -> None:
        if self.highlighted is not None and self.models:
            self.post_message(self.Selected(self, self.highlighted))

    def on_click(self, event: events.Click) -> None:
        line = round(self.scroll_y) + event.y
        if not self.models or line >= self._starts[-1] or line < 0:
            return
        self.highlighted = self._entry_at(line)
        self.action_select()
