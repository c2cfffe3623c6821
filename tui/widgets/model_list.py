"""The list of models, each with its latest version and stage badges.

A badge is glyph + stage + version + previous holder + age
(``● prod v1.3.0 ← v1.2.0 3d``), so it reads without colour. Wide (a side column): one line for the model, one per stage. Narrow (the pane
spans the screen): everything on one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.visual import Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from modeltrail.tui.bindings import LIST_BINDINGS
from modeltrail.tui.safe_text import clean
from modeltrail.tui.widgets.badges import Parts, latest_text, model_badge_parts

_ONE_LINE_WIDTH = 60


def model_prompt_parts(model: dict, now: datetime, one_line: bool) -> Parts:
    """:func:`model_prompt` as (string, style) pieces."""
    latest = latest_text(model)
    count = model.get("versions", 0)
    parts = [
        (clean(model["name"], single_line=True), "bold"),
        (f"  {latest or '–'}", ""),
        (f" ({count})" if one_line else f" · {count} version{'s' if count != 1 else ''}", "dim"),
    ]
    badges = model_badge_parts(model, now, two_lines=not one_line)
    for badge in badges:
        parts.append(("  " if one_line else "\n  ", ""))
        parts += badge
    if not badges and not one_line:
        parts.append(("\n  no stages", "dim italic"))
    return parts


def model_prompt(model: dict, now: datetime, one_line: bool) -> Text:
    """The text of one model's entry, built without markup from repository text."""
    return Text.assemble(*model_prompt_parts(model, now, one_line))


class _Prompt(Visual):
    """A model's entry that knows its height from its plain text and becomes Textual
    ``Content`` only when drawn. The OptionList asks every option's height as the
    options are added; built as Rich Text and wrapped as Content each, 10,000 models
    took seconds before the list showed. A line that fits the width is one line high,
    as Content wraps it; an entry with a longer line asks the Content."""

    __slots__ = ("_content", "_lines", "_parts")

    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self._lines = [cell_len(line) for line in "".join(p[0] for p in parts).split("\n")]
        self._content: Content | None = None

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = Content.from_rich_text(Text.assemble(*self._parts))
        return self._content

    def render_strips(self, width, height, style, options):  # type: ignore[no-untyped-def]
        return self.content.render_strips(width, height, style, options)

    def get_optimal_width(self, rules, container_width):  # type: ignore[no-untyped-def]
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules):  # type: ignore[no-untyped-def]
        return self.content.get_minimal_width(rules)

    def get_height(self, rules, width):  # type: ignore[no-untyped-def]
        room = width - rules.get("line_pad", 0) * 2
        if room > 0 and max(self._lines) <= room:
            return len(self._lines)
        return self.content.get_height(rules, width)


class ModelList(OptionList, inherit_bindings=False):
    """Models with their stage badges; the option id is the model's index in ``models``."""

    BINDINGS = LIST_BINDINGS

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models: list[dict] = []
        self._now = now
        self._one_line: bool | None = None

    def set_models(self, models: list[dict], keep: str | None = None) -> None:
        """Show ``models`` (``list_models`` dicts); keep the highlight on ``keep``."""
        self.models = models
        self._rebuild(keep)

    def _rebuild(self, keep: str | None) -> None:
        self._one_line = self.size.width >= _ONE_LINE_WIDTH
        now = self._now()
        self.clear_options()
        self.add_options(
            Option(_Prompt(model_prompt_parts(m, now, self._one_line)), id=str(i))
            for i, m in enumerate(self.models)
        )
        names = [m["name"] for m in self.models]
        if self.models:
            self.highlighted = names.index(keep) if keep in names else 0

    @property
    def current(self) -> dict | None:
        """The highlighted model's dict, if any."""
        if self.highlighted is None or not self.models:
            return None
        return self.models[self.highlighted]

    def on_resize(self) -> None:
        if self.models and (self.size.width >= _ONE_LINE_WIDTH) != self._one_line:
            current = self.current
            self._rebuild(current["name"] if current else None)

    def action_cursor_top(self) -> None:
        self.action_first()

    def action_cursor_bottom(self) -> None:
        self.action_last()

    def action_select(self) -> None:
        # OptionList's own select posts OptionSelected, which the screen uses to drill in
        super().action_select()
