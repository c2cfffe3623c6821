"""The dialog form handles keys typed ahead (one SSH packet) in order, and never writes
blind: keys typed before the plan is on screen fill the fields but do not submit."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_support import run_async

from modeltrail.tui.screens.rollback_form import DialogForm


class FormApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield DialogForm("Roll back", id="form")

    def on_mount(self) -> None:
        self.query_one(DialogForm).focus()

    def on_dialog_form_submit(self, message: DialogForm.Submit) -> None:
        self.seen.append(("submit", message.reason))

    def on_dialog_form_cancel(self, message: DialogForm.Cancel) -> None:
        self.seen.append(("cancel", ""))

    def on_dialog_form_problem(self, message: DialogForm.Problem) -> None:
        self.seen.append(("problem", message.text))


def _type(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


@run_async
async def test_typed_ahead_keys_land_in_the_right_fields_in_order():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(DialogForm)
        form.arm("prod")
        assert form.selected == "reason"
        await pilot.press(*_type("bad model"), "enter", *_type("prod"), "enter")
        await pilot.pause()
        assert form.values == {"reason": "bad model", "confirm": "prod"}
        assert app.seen == [("submit", "bad model")]


@run_async
async def test_enter_on_an_empty_reason_never_closes_and_a_wrong_word_does_not_submit():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(DialogForm)
        form.arm("prod")
        await pilot.press("enter")
        await pilot.pause()
        assert app.seen == [("problem", "a reason is needed: it goes into the record")]
        assert form.selected == "reason"
        await pilot.press("shift+tab", "shift+tab", "enter")  # Cancel, explicitly
        await pilot.pause()
        assert app.seen[-1] == ("cancel", "")
        await pilot.press("tab", *_type("why"), "enter", *_type("production"), "enter")
        await pilot.pause()
        assert app.seen[-1][0] == "problem" and "type prod exactly" in app.seen[-1][1]
        await pilot.press("ctrl+u", *_type("prod"), "enter")
        await pilot.pause()
        assert app.seen[-1] == ("submit", "why")


@run_async
async def test_keys_typed_before_the_plan_is_ready_fill_the_form_but_never_submit():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(DialogForm)
        await pilot.press(*_type("early"), "enter", *_type("prod"), "enter")
        await pilot.pause()
        assert app.seen == []  # nothing before the plan
        form.arm("prod")
        await pilot.pause()
        assert form.values == {"reason": "early", "confirm": "prod"}
        assert ("submit", "early") not in app.seen
        assert form.selected == "apply"
        assert "review the plan" in app.seen[-1][1]
        await pilot.press("enter")
        await pilot.pause()
        assert app.seen[-1] == ("submit", "early")


@run_async
async def test_keys_while_writing_are_ignored_and_enter_closes_when_done():
    app = FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(DialogForm)
        form.arm(None)
        await pilot.press(*_type("r1"), "enter", "enter")
        await pilot.pause()
        assert app.seen == [("submit", "r1")]
        form.disarm()
        await pilot.press("x", "enter")
        await pilot.pause()
        assert app.seen == [("submit", "r1")] and form.values["reason"] == "r1"
        form.finish()
        await pilot.press("enter")
        await pilot.pause()
        assert app.seen[-1] == ("cancel", "")
