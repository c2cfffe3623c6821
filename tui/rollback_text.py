"""A rollback plan and its result as literal Rich text, shown by the ``rollback`` and
``undo`` commands and by the TUI's rollback dialog. Repository text is never markup."""

from __future__ import annotations

from rich.text import Text

from modeltrail.store.write.plans import RollbackPlan
from modeltrail.store.write.rollback_apply import RollbackResult
from modeltrail.tui.format import fmt_compact, fmt_signed, fmt_version, short_id
from modeltrail.tui.safe_text import clean


def plan_text(plan: RollbackPlan, *, message: bool = True) -> Text:
    """The plan as literal text: what is rolled back, the exact write, metrics, files,
    artifact availability. Repository text is never parsed as markup."""
    t = Text()
    title = "REDO " if plan.redo else "UNDO " if plan.is_undo else ""
    t.append(f"{title}ROLL BACK ", style="bold")
    t.append(clean(plan.model, single_line=True), style="bold")
    t.append(f" {clean(plan.where(), single_line=True)}: ")
    t.append(clean(fmt_version(plan.current.version), single_line=True))
    t.append(" → ")
    t.append(clean(fmt_version(plan.target.version), single_line=True), style="bold")
    t.append(f" ({short_id(plan.target.commit)})\n")
    if plan.kind == "stage":
        t.append("  writes   new annotated GTO tag ")
        t.append(clean(plan.tag, single_line=True), style="bold")
        t.append(f" on {short_id(plan.target.commit)}\n")
        t.append("  work tree: untouched (only a tag is written)\n")
        origin = plan.origin()
        if origin:
            t.append(f"  target   {clean(origin, single_line=True)}\n")
    else:
        t.append("  writes   new commit on ")
        t.append(clean(plan.branch, single_line=True), style="bold")
        t.append(f"; moves {clean(plan.ref, single_line=True)} from {short_id(plan.ref_old)}")
        t.append(" if it has not moved\n")
        if plan.worktree:
            t.append("  work tree: checked out here, the same files change there\n")
    if plan.push is not None:
        t.append_text(push_text(plan))
    if plan.moved:
        t.append(f"  files    now at {clean(plan.path, single_line=True) or '.'}/ → ")
        t.append(f"{clean(plan.new_path, single_line=True) or '.'}/", style="bold")
        t.append(f" (where {clean(plan.target.version, single_line=True)} keeps them)\n")
    if plan.undoes:
        t.append(f"  undoes   {clean(plan.undoes, single_line=True)}\n")
    if message:
        t.append("  message  ")
        t.append(clean(plan.subject(), single_line=True))
        t.append("\n")
    for warning in plan.warnings:
        t.append(f"  !! WARNING: {clean(warning, single_line=True)}\n", style="bold reverse")
    if plan.artifacts and not plan.missing:
        t.append(f"  artifacts: all {len(plan.artifacts)} LFS/DVC objects present locally ✓\n")
    metrics = [m for m in plan.metrics if m.diff != 0]
    if metrics:
        t.append("Metrics (now → target)\n", style="bold")
        width = min(28, max(len(clean(m.key, single_line=True)) for m in metrics))
        for m in metrics:
            key = clean(m.key, single_line=True)
            t.append(
                f"  {key[:width]:<{width}} {fmt_compact(m.current):>8} → {fmt_compact(m.target):<8}"
            )
            if m.diff is not None:
                # one meaning everywhere: ▲ better, ▼ worse; the signed number says which way
                arrow = "▲" if m.better else "▼" if m.better is False else " "
                word = "better" if m.better else "worse" if m.better is False else ""
                style = "green" if m.better else "red" if m.better is False else ""
                t.append(f" {arrow}{fmt_signed(m.diff):<8} ", style=style)
                t.append(word, style=style)
            t.append("\n")
    if plan.files and plan.kind != "stage":
        t.append(f"Files that change ({len(plan.files)})\n", style="bold")
        marks = {"added": "A", "removed": "D", "modified": "M"}
        for f in plan.files:
            t.append(f"  {marks.get(f.change, '?')} {clean(f.path, single_line=True)}")
            if f.storage != "git":
                t.append(f"  [{f.storage}]")
            t.append(f"  ({f.change})\n")
    t.rstrip()
    return t


def push_text(plan: RollbackPlan) -> Text:
    """The plan's push lines: whether, where and why (and a note, loud, when the
    repository asked for more than it gets)."""
    push = plan.push
    assert push is not None
    t = Text()
    ref = clean(plan.ref.removeprefix("refs/tags/").removeprefix("refs/heads/"), single_line=True)
    where = clean(push.remote or "", single_line=True)
    if push.url and push.url != push.remote:
        where += f" ({clean(push.url, single_line=True)})"
    why = clean(push.why, single_line=True)
    t.append("  push     ")
    if push.remote is None:
        t.append("nothing: no remote\n")
    elif push.when == "after":
        t.append("pushes ")
        t.append(ref, style="bold")
        t.append(f" to {where} once written ({why})\n")
    elif push.when == "ask":
        t.append(f"not unless you press p once written: {ref} to {where} ({why})\n")
    else:
        t.append(f"nothing, not to {where} ({why})\n")
    if push.note:
        t.append(f"  !! {clean(push.note, single_line=True)}\n", style="bold")
    return t


def result_text(result: RollbackResult, *, cli: bool = True) -> Text:
    t = Text()
    t.append("✓ " + clean(result.summary(), single_line=True) + "\n", style="bold")
    if not cli:
        pass  # the dialog says what became of the push in its own status line
    elif result.pushed_to:
        t.append(f"  pushed to {clean(result.pushed_to, single_line=True)}\n")
    elif result.push_error:
        t.append("  NOT pushed: the push failed (see below); push it yourself\n", style="bold")
    else:
        t.append("  not pushed (use --push, or git push yourself)\n")
    if result.plan.forced:
        t.append(
            f"  forced: {clean(result.plan.target.version, single_line=True)} was neither "
            f"registered/labelled nor a previous holder of "
            f"{clean(result.plan.stage, single_line=True)}\n"
        )
    if result.removed:
        t.append(f"  replaced {len(result.removed)} untracked/ignored path(s) (--force)\n")
    for w in result.warnings:
        if w not in result.plan.warnings:
            t.append(f"  warning: {clean(w, single_line=True)}\n")
    if cli:
        # after an undo, undoing again puts the rollback back: a redo
        again = "redo" if result.plan.is_undo and not result.plan.redo else "undo"
        t.append(f"  {again} with: modeltrail undo\n")
    t.rstrip()
    return t
