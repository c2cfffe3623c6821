"""The rollback dialog's form: a reason, an optional typed confirmation, two buttons.

One focusable widget holds all four items and moves its own selection, so every key is
handled in order in one message queue. That matters over SSH: keys typed ahead
(``reason⏎prod⏎`` arriving in one packet) land in the right field, which separate
``Input``/``Button`` widgets cannot promise (focus moves are asynchronous in Textual).

Items, in ``tab`` order: the stage (only when the model has several: ``←``/``→``
choose), reason, confirmation (only when a word must be typed), Cancel, the action
button. The first field is selected at first; ``enter`` on an empty required reason says
"a reason is needed" and writes nothing, so a stray ``enter`` never writes and never
closes the dialog silently. Typing while a button is selected starts the first field. In
a field: characters and pastes append, ``backspace`` deletes, ``ctrl+u`` clears,
``enter`` moves on (the last field's ``enter`` submits when everything is filled in).
Selection is shown by ``▶`` and reverse video, so it reads without colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from modeltrail.tui.safe_text import clean

MAX_FIELD = 300


class DialogForm(Widget, can_focus=True):
    """Reason → confirmation → [Cancel] [verb]; posts ``Submit`` or ``Cancel``."""

    @dataclass
    class Submit(Message):
        """Everything is filled in and the action button (or last field) was entered."""

        reason: str

    class Cancel(Message):
        pass

    @dataclass
    class StageChosen(Message):
        """Another stage was chosen with ←/→: the plan must be made again."""

        stage: str

    @dataclass
    class Problem(Message):
        """Something the user must fix before submitting (shown in the status line)."""

        text: str

    selected: reactive[str] = reactive("reason", layout=True)

    def __init__(
        self,
        verb: str,
        *,
        reason_required: bool = True,
        choices: list[str] | None = None,
        choice: str | None = None,
        id: str | None = None,
    ):
        super().__init__(id=id)
        self.verb = verb
        self.reason_required = reason_required
        self.choices = list(choices or [])  # the stages to pick from (several, or none)
        self.choice = choice
        self.word: str | None = None  # the word to type, e.g. "prod"
        self.word_label = ""  # why it must be typed
        self.values = {"reason": "", "confirm": ""}
        self.active = False  # accepts input (a plan is ready, nothing being written)
        self.busy = False  # writing: keys are ignored
        self.done = False  # only [Close] is left
        self._early: list[events.Key | events.Paste] = []  # typed before the plan was ready
        self._replaying = False

    # --- state ----------------------------------------------------------------------------

    @property
    def items(self) -> list[str]:
        if self.done:
            return ["cancel"]
        fields = ["reason", "confirm"] if self.word else ["reason"]
        stage = ["stage"] if len(self.choices) > 1 else []
        return [*stage, *fields, "cancel", "apply"]

    def on_mount(self) -> None:
        self.selected = self._first_field()

    def arm(self, word: str | None, label: str = "") -> None:
        """A plan is ready: accept input; ``word`` must be typed to confirm (or None),
        ``label`` says why. Keys typed while the plan was being prepared are applied now,
        in order."""
        self.word = word
        self.word_label = label
        self.busy = False
        untouched = not any(self.values.values()) and self.selected in ("reason", "confirm")
        if self.selected not in self.items or untouched:
            self.selected = self._first_field()
        self.active = True
        early, self._early = self._early, []
        self._replaying = True
        try:
            for event in early:
                if isinstance(event, events.Paste):
                    self._paste(event.text)
                else:
                    self._key(event.key, event.character, event.is_printable)
        finally:
            self._replaying = False
        self.refresh(layout=True)

    def pause(self) -> None:
        """A new plan is being made (another stage): keys wait for it, as at first."""
        self.active = False
        self.refresh()

    def disarm(self) -> None:
        """Writing: ignore keys until ``finish``."""
        self.active = False
        self.busy = True
        self.refresh()

    def finish(self) -> None:
        """Only a Close button remains."""
        self.done = True
        self.busy = False
        self._early = []
        self.active = True
        self.selected = "cancel"
        self.refresh(layout=True)

    @property
    def reason(self) -> str:
        return self.values["reason"].strip()

    def ready(self) -> bool:
        if self.reason_required and not self.reason:
            return False
        return not self.word or self.values["confirm"].strip() == self.word

    def _problem(self) -> str | None:
        if self.reason_required and not self.reason:
            return "a reason is needed: it goes into the tag or commit"
        if self.word and self.values["confirm"].strip() != self.word:
            return f"type {clean(self.word, single_line=True)} exactly to confirm"
        return None

    # --- keys -----------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            return  # the screen's binding cancels or closes
        if self.done:
            if event.key == "enter":
                self._stop(event)
                self.post_message(self.Cancel())
            return
        if not self.active:
            if not self.busy:
                self._early.append(event)
            self._stop(event)
            return
        if self._key(event.key, event.character, event.is_printable):
            self._stop(event)
            self.refresh()

    def _key(self, key: str, character: str | None, printable: bool) -> bool:
        """Apply one key; False when the form does not use it."""
        if key in ("tab", "down"):
            self._move(1)
        elif key in ("shift+tab", "up"):
            self._move(-1)
        elif key == "enter":
            self._enter()
        elif self.selected == "stage" and key in ("left", "right"):
            self._choose(1 if key == "right" else -1)
        elif self.selected in self.values:
            if key == "backspace":
                self.values[self.selected] = self.values[self.selected][:-1]
            elif key == "ctrl+u":
                self.values[self.selected] = ""
            elif character and printable:
                self._type(character)
            else:
                return False
        elif character and printable and key != "space":
            self.selected = self._first_field()
            self._type(character)
        elif key in ("left", "right"):
            self._move(1 if key == "right" else -1)
        else:
            return False
        return True

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if self.done or self.busy:
            return
        if not self.active:
            self._early.append(event)
            return
        self._paste(event.text)
        self.refresh()

    def _paste(self, text: str) -> None:
        if self.selected not in self.values:
            self.selected = self._first_field()
        self._type(text)

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def _first_field(self) -> str:
        if not self.reason_required and self.word:
            return "confirm"
        return "reason"

    def _type(self, text: str) -> None:
        text = " ".join(text.splitlines())
        value = self.values[self.selected] + text
        self.values[self.selected] = value[:MAX_FIELD]

    def _choose(self, step: int) -> None:
        if not self.choices:
            return
        index = self.choices.index(self.choice) if self.choice in self.choices else 0
        self.choice = self.choices[(index + step) % len(self.choices)]
        self.post_message(self.StageChosen(self.choice))

    def _move(self, step: int) -> None:
        items = self.items
        index = items.index(self.selected) if self.selected in items else 0
        self.selected = items[(index + step) % len(items)]

    def _enter(self) -> None:
        current = self.selected
        if current == "cancel":
            self.post_message(self.Cancel())
        elif current == "stage":
            self._move(1)
        elif current == "reason":
            if self.reason_required and not self.reason:
                self.post_message(self.Problem("a reason is needed: it goes into the record"))
            else:
                self.selected = "confirm" if self.word else "apply"
        elif self.ready() and self._replaying:
            # typed before the plan was on screen: show it, do not write blind
            self.selected = "apply"
            self.post_message(self.Problem(f"review the plan, then enter to {self.verb.lower()}"))
        elif self.ready():
            self.post_message(self.Submit(self.reason))
        else:
            self.post_message(self.Problem(self._problem() or "not ready"))

    # --- drawing --------------------------------------------------------------------------

    def render(self) -> Text:
        t = Text()
        if not self.done:
            if len(self.choices) > 1:
                self._stage_line(t)
            self._field(t, "reason", "Reason (recorded in git):", "why? e.g. AUC regression")
            if self.word:
                word = clean(self.word, single_line=True)
                why = self.word_label or "Production"
                self._field(t, "confirm", f"{why}: confirm by typing {word}:", "")
        t.append("  ")
        self._button(t, "cancel", "Close" if self.done else "Cancel")
        if not self.done:
            t.append("   ")
            self._button(t, "apply", self.verb, enabled=self.ready())
        return t

    def _stage_line(self, t: Text) -> None:
        on = self.active and self.selected == "stage"
        t.append("▶ " if on else "  ")
        t.append("Stage: ")
        for stage in self.choices:
            name = clean(stage, single_line=True)
            if stage == self.choice:
                t.append(f"[{name}]", style="bold reverse" if on else "bold")
            else:
                t.append(f" {name} ", style="dim")
            t.append(" ")
        t.append("← → choose" if on else "(↑ then ← → to choose)", style="dim")
        t.append("\n")

    def _field(self, t: Text, name: str, label: str, hint: str) -> None:
        on = self.active and self.selected == name
        t.append(label + "\n", style="bold" if name == "confirm" else "")
        t.append("▶ " if on else "  ")
        value = clean(self.values[name], single_line=True)
        if value:
            t.append(value, style="bold" if on else "")
        elif hint and not on:
            t.append(hint, style="dim italic")
        if on:
            t.append("▏", style="reverse")
        t.append("\n")

    def _button(self, t: Text, name: str, label: str, enabled: bool = True) -> None:
        on = self.active and self.selected == name
        text = f"[ {label} ]"
        if on:
            t.append("▶" + text, style="bold reverse")
        else:
            t.append(" " + text, style="" if enabled else "dim strike")
