"""The rollback and undo dialogs (docs/ROLLBACK.md): preview, reason, confirmation, result.

``RollbackScreen(model)`` — pushed by ``r`` on a model: its production stage (or the
stage chosen in the dialog) back to the stage's previous holder, as ``helm rollback``.
``RollbackScreen(model, commit)`` — ``r`` on a version: to that version (the first
stage it does not hold already, or the one chosen). A worker plans the rollback against a
fresh catalog (``store.write.rollback.plan_rollback``); the dialog shows the plan (the exact
tag or ref, metric deltas with ▲ better / ▼ worse, files, a loud warning when the
target's LFS/DVC objects are not here or the target is risky), asks for a reason and,
for a production stage, for the stage's name typed out (for a risky target: the version).
The reason field is selected when the dialog opens; ``enter`` on it while empty says a
reason is needed, so a stray ``enter`` never writes and never closes silently. Then
progress, then the result with the ``z`` undo hint — or the refusal, nothing changed.

Before anything is written the plan worker asks the remote (``store.remote``): stage tags
of the model on the remote that differ from the local ones, or a branch whose upstream
moved, are shown as warnings in the plan ("someone may have acted already").

After the write, the dialog pushes exactly the new tag or commit (``--atomic``, never
forced) as the push policy says (``store.config.push_policy``: the user's own ``push``;
a repository's ``push = "always"`` alone only offers ``p``): ``always`` pushes at once,
``ask`` (the default) offers ``p``, ``never`` does not. The plan says which, where to
and why before anything is written. A rejected push leaves the local change and says so.

Closing the dialog (or quitting) while the plan waits on the remote stops that wait and
the git processes behind it.

``UndoScreen()`` — pushed by ``z``: the same dialog for the inverse of the last rollback
(``store.write.rollback.plan_undo``); when the last change was itself an undo, it is a redo and
says so.

Keys (handled by one widget, ``tui.screens.rollback_form.DialogForm``, so keys typed
ahead over a slow link land in order): typing starts the reason, ``enter`` goes on to
the confirmation, ``enter`` there writes; ``tab`` moves between the fields and buttons;
``esc`` cancels (or closes once done); ``z`` after a rollback opens the undo dialog.
Keys typed before the plan is on screen fill the fields but never write blind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from modeltrail.store.remote import with_push_plan, with_remote_warnings
from modeltrail.store.write.plans import RollbackPlan
from modeltrail.store.write.rollback_apply import RollbackResult
from modeltrail.tui.hanging import Hanging
from modeltrail.tui.rollback_text import plan_text, result_text
from modeltrail.tui.safe_text import clean
from modeltrail.tui.screens.rollback_form import DialogForm
from modeltrail.tui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

ROLLBACK_BINDINGS: list[BindingType] = [
    Binding("escape", "close", "Cancel / close", id="rollback_close"),
    Binding("z", "undo", "Undo it", id="rollback_undo"),
    Binding("p", "push", "Push it", id="rollback_push"),
]

STEP_WORDS = {
    "checked": "checked: the repository is as planned",
    "tag-object": "tag object written",
    "tag-ref": "tag created",
    "verified": "verified with GTO's rules",
    "tree": "tree built (index and work tree untouched)",
    "commit": "commit written",
    "journal": "journal written",
    "ref": "branch moved (compare-and-swap)",
    "worktree": "work tree updated",
    "done": "done",
    "catalog": "catalog updated",
    "pushed": "finished",
}


# --- messages from the workers --------------------------------------------------------------


@dataclass
class PlanReady(Message):
    plan: RollbackPlan


@dataclass
class StepDone(Message):
    step: str


@dataclass
class Applied(Message):
    result: RollbackResult
    remote: str | None = None  # where a push would go (None: no remote)


@dataclass
class Pushed(Message):
    result: RollbackResult


# --- helpers run in worker threads ----------------------------------------------------------


def fresh_catalog(app):
    """(repo, connection) on an up-to-date catalog, for a worker thread; tells the app to
    reopen its own connection when this brought the catalog up to date."""
    from modeltrail.store.catalog.files import fresh_catalog as store_fresh_catalog
    from modeltrail.store.repo import open_repo
    from modeltrail.store.write.rollback_apply import recover
    from modeltrail.tui.messages import IndexFinished

    repo = open_repo(app.paths.root)
    note = recover(repo)
    con, summary = store_fresh_catalog(repo)
    assert summary is not None  # (refreshed: an index run's summary)
    if summary.mode != "unchanged" or note:
        app.post_message(IndexFinished(summary.line(), True))
    return repo, con


class PlanDialog(ReportsWorkerFailures, ModalScreen[None]):
    """What the rollback and undo dialogs share: plan → reason → confirm → write → result."""

    stage: str | None  # the stage to move (set by each dialog)

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    BINDINGS = ROLLBACK_BINDINGS
    CSS_PATH = Path(__file__).with_name("rollback.tcss")

    verb = "Roll back"
    reason_required = True

    def __init__(self) -> None:
        super().__init__()
        self.plan: RollbackPlan | None = None
        self.result: RollbackResult | None = None
        self.state = "planning"  # planning | ready | applying | done | pushing | failed
        self.remote: str | None = None  # where the written ref can be pushed
        self._stop_remote = threading.Event()  # set: stop waiting on the remote

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text(), id="dialog-title", markup=False)
            with VerticalScroll(id="plan-scroll", can_focus=False):
                yield Static(Text("preparing the plan…"), id="plan")
            yield DialogForm(
                self.verb,
                reason_required=self.reason_required,
                choices=self.stage_choices(),
                choice=self.chosen_stage(),
                id="form",
            )
            yield Static("", id="status", markup=False)

    @property
    def form(self) -> DialogForm:
        return self.query_one(DialogForm)

    def title_text(self) -> Text:
        return Text(self.verb)

    def stage_choices(self) -> list[str]:
        return []

    def chosen_stage(self) -> str | None:
        return None

    def on_mount(self) -> None:
        self.form.focus()
        self.make_plan()

    # --- planning -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="rollback-plan", exit_on_error=False)
    def make_plan(self) -> None:
        """Plan on an up-to-date catalog (in a thread) and post the plan (a refusal raises:
        :meth:`worker_failed` shows it)."""
        repo, con = fresh_catalog(self.app)
        with con:
            plan = self.build_plan(repo, con)
        root = self.app.paths.root
        plan = with_remote_warnings(root, plan, "fetch (F)", cancel=self._stop_remote)
        policy = self.app.push_policy
        when = {"always": "after", "ask": "ask"}.get(policy.mode, "no")
        self.post_message(PlanReady(with_push_plan(root, plan, when, policy.why, policy.note)))

    def worker_failed(self, group: str, error: str) -> None:
        """A plan or a write that failed is the dialog's refusal, never a traceback; a push
        that failed is said on the result (the local change stays)."""
        if group == "rollback-plan":
            self._plan_failed(error)
        elif group == "rollback-apply":
            self._apply_failed(error)
        elif group == "rollback-push" and self.result is not None:
            self.on_pushed(Pushed(replace(self.result, push_error=error)))
        else:
            super().worker_failed(group, error)

    def build_plan(self, repo, con) -> RollbackPlan:  # pragma: no cover - overridden
        """The plan this dialog offers (called in the worker thread)."""
        raise NotImplementedError

    def on_plan_ready(self, message: PlanReady) -> None:
        self.plan = message.plan
        self.state = "ready"
        self.query_one("#plan", Static).update(Hanging(plan_text(message.plan)))
        self.query_one("#dialog-title", Static).update(self.title_text())
        self._status(self.ready_hint())
        plan = message.plan
        self.form.arm(plan.confirm_word, "Risky target" if plan.forced else "Production")

    def ready_hint(self) -> Text:
        word = self.plan.confirm_word if self.plan else None
        then = f", enter, type {word}" if word else ""
        return Text(f"type a reason{then}, enter to {self.verb.lower()} · esc cancels")

    def on_dialog_form_stage_chosen(self, message: DialogForm.StageChosen) -> None:
        if self.state not in ("ready", "failed", "planning"):
            return
        self.stage = message.stage
        self.plan = None
        self.state = "planning"
        self.form.done = False
        self.form.pause()
        self.query_one("#plan", Static).update(Text("preparing the plan…"))
        self.query_one("#dialog-title", Static).update(self.title_text())
        self._status(Text(""))
        self.make_plan()

    def _plan_failed(self, error: str) -> None:
        self.state = "failed"
        self.query_one("#plan", Static).update(
            Text(f"✗ Refused: {clean(error, single_line=True)}\nNothing was changed.")
        )
        if len(self.form.choices) > 1:  # another stage may be the one to move
            self.form.pause()
            self.form.active = True
            self.form.selected = "stage"
            self._status(Text("← → another stage · esc closes"))
            return
        self.form.finish()
        self._status(Text("esc closes"))

    # --- the form -------------------------------------------------------------------------

    def on_dialog_form_submit(self, message: DialogForm.Submit) -> None:
        if self.state == "ready":
            self.write(message.reason)

    def on_dialog_form_cancel(self, message: DialogForm.Cancel) -> None:
        self.action_close()

    def on_dialog_form_problem(self, message: DialogForm.Problem) -> None:
        self._status(Text(message.text, style="bold"))

    # --- writing --------------------------------------------------------------------------

    def write(self, reason: str) -> None:
        assert self.plan is not None
        plan = self.plan.with_reason(reason) if reason else self.plan
        self.state = "applying"
        self.form.disarm()
        self._status(Text("writing…", style="bold"))
        self.run_apply(plan)

    @work(thread=True, exclusive=True, group="rollback-apply", exit_on_error=False)
    def run_apply(self, plan: RollbackPlan) -> None:
        from modeltrail.store.repo import open_repo
        from modeltrail.store.write.gitwrite import Git
        from modeltrail.store.write.rollback_apply import apply_plan, push_remote
        from modeltrail.tui.messages import IndexFinished

        push = plan.push is not None and plan.push.when == "after"  # as the plan said
        repo = open_repo(self.app.paths.root)
        remote = push_remote(Git(repo), plan)
        result = apply_plan(
            repo, plan, push=push, checkpoint=lambda s: self.post_message(StepDone(s))
        )
        self.app.post_message(IndexFinished(result.summary(), True))
        self.post_message(Applied(result, remote))

    def on_step_done(self, message: StepDone) -> None:
        if self.state == "applying":
            self._status(Text(f"… {STEP_WORDS.get(message.step, message.step)}"))

    def on_applied(self, message: Applied) -> None:
        self.state = "done"
        self.result = message.result
        self.remote = message.remote
        self._show_result()
        self.query_one("#plan-scroll", VerticalScroll).scroll_home(animate=False)
        self.form.finish()
        self._status(self._done_hint())

    def _show_result(self) -> None:
        assert self.result is not None
        shown = result_text(self.result, cli=False)
        reason = clean(self.result.plan.reason, single_line=True)
        shown.append(f"\n  reason: {reason}\n\n")
        shown.append_text(plan_text(self.result.plan, message=False))
        self.query_one("#plan", Static).update(Hanging(shown))

    @property
    def can_push(self) -> bool:
        """The write is done, not pushed yet, and there is somewhere to push it."""
        r = self.result
        return (
            self.state == "done"
            and r is not None
            and r.pushed_to is None
            and self.remote is not None
            and r.plan.push is not None
            and r.plan.push.when in ("ask", "after")
        )

    def _done_hint(self) -> Text:
        r = self.result
        assert r is not None
        t = Text()
        ref = clean(r.ref.removeprefix("refs/tags/").removeprefix("refs/heads/"), single_line=True)
        remote = clean(self.remote or "", single_line=True)
        if r.pushed_to:
            t.append(f"✓ pushed {ref} to {clean(r.pushed_to, single_line=True)}\n", style="bold")
        elif r.push_error:
            t.append(
                f"✗ NOT pushed: {clean(r.push_error, single_line=True)}\n", style="bold reverse"
            )
        elif self.remote is None:
            t.append("not pushed: no remote\n")
        elif r.plan.push is not None and r.plan.push.when == "no":
            t.append(f"not pushed ({clean(r.plan.push.why, single_line=True)})\n")
        if self.can_push:
            again = "again " if r.push_error else ""
            t.append(f"p pushes {ref} to {remote} {again}· ", style="bold")
        again = "redoes" if r.plan.is_undo and not r.plan.redo else "undoes"
        t.append(f"z {again} it · esc closes", style="bold")
        return t

    def action_push(self) -> None:
        """``p`` after the write: push exactly the new tag or commit (never forced)."""
        if not self.can_push:
            return
        self.state = "pushing"
        self._status(Text(f"pushing to {clean(self.remote or '', single_line=True)}…"))
        self.run_push(self.result)

    @work(thread=True, exclusive=True, group="rollback-push", exit_on_error=False)
    def run_push(self, result: RollbackResult) -> None:
        """Push a copy of ``result`` (the screen's own is replaced by the handler)."""
        from modeltrail.store.write.rollback_apply import push_result

        self.post_message(Pushed(push_result(self.app.paths.root, replace(result))))

    def on_pushed(self, message: Pushed) -> None:
        self.state = "done"
        self.result = message.result
        self._show_result()
        self._status(self._done_hint())
        check = getattr(self.app, "check_remote", None)
        if check is not None:
            check()  # ahead/behind changed

    def _apply_failed(self, error: str) -> None:
        self.state = "failed"
        self._status(Text(f"✗ Refused: {clean(error, single_line=True)}\nesc closes", style="bold"))
        self.form.finish()

    def _status(self, text: Text) -> None:
        self.query_one("#status", Static).update(text)

    # --- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        if self.state in ("applying", "pushing"):
            self.notify("the write is in progress; it finishes in a moment", timeout=3)
            return
        self._stop_remote.set()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._stop_remote.set()  # the app quits: a plan still asking the remote stops

    def action_undo(self) -> None:
        if self.state != "done":
            return
        app = self.app
        self.dismiss(None)
        app.push_screen(UndoScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.state == "done"
        if action == "push":
            return self.can_push
        return True


class RollbackScreen(PlanDialog):
    """Roll ``model`` back: to the version at ``commit``, or (no commit) its stage to the
    stage's previous holder. ``stages``: the model's stages, prod first (several: the
    dialog lets you pick one)."""

    def __init__(
        self,
        model: str,
        commit: str | None = None,
        stage: str | None = None,
        stages: list[str] | None = None,
    ) -> None:
        self.model = model
        self.commit = commit
        self.stage = stage
        self.stages = list(stages or [])
        super().__init__()

    def stage_choices(self) -> list[str]:
        return self.stages

    def chosen_stage(self) -> str | None:
        return self.stage

    def title_text(self) -> Text:
        t = Text("Roll back ", style="bold")
        t.append(clean(self.model, single_line=True))
        if self.plan is not None and self.plan.stage:
            t.append(f" {clean(self.plan.stage, single_line=True)}")
        elif self.stage:
            t.append(f" {clean(self.stage, single_line=True)}")
        t.append(" to ")
        if self.plan is not None:
            t.append(clean(self.plan.target.version, single_line=True))
        elif self.commit is not None:
            t.append(self.commit[:7])
        else:
            t.append("the previous holder")
        return t

    def build_plan(self, repo, con) -> RollbackPlan:
        from modeltrail.store.query.stages import default_stage
        from modeltrail.store.write.rollback import plan_rollback

        stage = self.stage or default_stage(con, self.model, self.commit)
        # --force only for a stage (the risky target is shown and typed to confirm); a branch
        # rollback never replaces untracked or ignored files from the dialog
        return plan_rollback(
            repo, con, self.model, self.commit, stage=stage, force=stage is not None
        )

    def on_plan_ready(self, message: PlanReady) -> None:
        if message.plan.stage and message.plan.stage in self.stages:
            self.stage = message.plan.stage
            self.form.choice = self.stage
        super().on_plan_ready(message)


class UndoScreen(PlanDialog):
    """Undo the last rollback (apply its inverse, recorded the same way)."""

    verb = "Undo"
    reason_required = False

    def title_text(self) -> Text:
        redo = self.plan is not None and self.plan.redo
        t = Text("Redo the rollback (undo the undo)" if redo else "Undo the last rollback")
        t.stylize("bold")
        if self.plan is not None:
            t.append(f" ({clean(self.plan.undoes or '', single_line=True)[:24]})")
        return t

    def on_plan_ready(self, message: PlanReady) -> None:
        if message.plan.redo:
            self.verb = "Redo"
            self.form.verb = "Redo"
        super().on_plan_ready(message)

    def ready_hint(self) -> Text:
        word = self.plan.confirm_word if self.plan else None
        then = f"type {word}, enter" if word else "enter, enter"
        return Text(f"reason optional; {then} to {self.verb.lower()} · esc cancels")

    def build_plan(self, repo, con) -> RollbackPlan:
        from modeltrail.store.write.rollback import plan_undo

        return plan_undo(repo, con)
