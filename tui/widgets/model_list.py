"""The list of models, each with its latest version and stage badges.

A badge is glyph + stage + version + previous holder + age
(``● prod v1.3.0 ← v1.2.0 3d``), so it reads without colour. Wide (a side column): one line for the model, one per stage. Narrow (the pane
spans the screen): everything on one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from modeltrail.tui.bindings import LIST_BINDINGS
from modeltrail.tui.safe_text import clean
from modeltrail.tui.widgets.badges import model_badges

_ONE_LINE_WIDTH = 60


def model_prompt(model: dict, now: datetime, one_line: bool) -> Text:
    """The text of one model's entry, built without markup from repository text."""
    text = Text()
    text.append(clean(model["name"], single_line=True), style="bold")
    latest = model.get("latest")
    count = model.get("versions", 0)
    text.append(f"  {clean(latest, single_line=True) if latest else '–'}")
    if one_line:
        text.append(f" ({count})", style="dim")
    else:
        text.append(f" · {count} version{'s' if count != 1 else ''}", style="dim")
    badges = model_badges(model, now, two_lines=not one_line)
    for badge in badges:
        text.append("  " if one_line else "\n  ")
        text.append_text(badge)
    if not badges and not one_line:
        text.append("\n  no stages", style="dim italic")
    return text


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
            Option(model_prompt(m, now, self._one_line), id=str(i))
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
