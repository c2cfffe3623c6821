"""``modeltrail rollback MODEL [--to VERSION]``: preview, confirm, write (docs/ROLLBACK.md).

Without ``--to`` the stage goes back to its previous holder (as ``helm rollback``).

Also home of :func:`plan_text`, the plan as literal Rich text, shared by ``undo`` and the
TUI's rollback dialog.
"""

from __future__ import annotations

import argparse
import sys

from modeltrail.store.errors import Refused
from modeltrail.store.write.rollback import RollbackPlan, plan_rollback
from modeltrail.store.write.rollback_apply import (
    NOT_PUSHED,
    RollbackResult,
    apply_plan,
    recover,
)
from modeltrail.tui.commands._common import add_json, catalog_of, console, print_json, repo_of
from modeltrail.tui.safe_text import clean
from rich.text import Text

NAME = "rollback"
HELP = "roll a model back to an earlier version (a GTO stage tag or a new commit)"
EXIT_STATUSES = """exit status:
  0  done (or, with --dry-run, planned)
  1  refused or failed: nothing was changed
  2  bad usage: unknown model, version or option
  3  done locally, but not pushed (--push with no remote, or the push was rejected)
  4  written, but another process changed the repository meanwhile (see the message)

refused (exit 1, nothing changed): uncommitted changes in the model's directories,
untracked or ignored files the write would overwrite or remove (unless --force),
a submodule in the model's directory, the branch or tags moved since the plan,
a busy repository (.git/index.lock), no --yes when not interactive."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument(
        "--to",
        metavar="VERSION",
        help="label, tag, stage or commit (default: the stage's previous holder)",
    )
    parser.add_argument("--stage", metavar="S", help="roll back this GTO stage (default: prod)")
    parser.add_argument("--branch", metavar="B", help="roll back files on this branch")
    parser.add_argument("--reason", metavar="R", default="", help="why (recorded in git)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--push", action="store_true", help="push the new tag or commit")
    add_force(parser)
    add_json(parser)


def add_force(parser: argparse.ArgumentParser) -> None:
    """``--force`` and the exit statuses in ``--help`` (rollback and undo)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help=(
            "stage: allow a target that is neither registered/labelled nor a previous "
            "holder; branch: replace untracked or ignored files where the target's files go"
        ),
    )
    parser.epilog = EXIT_STATUSES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def run(args: argparse.Namespace) -> int:
    repo = start(args)
    con = catalog_of(repo)
    plan = plan_rollback(
        repo,
        con,
        args.model,
        args.to,
        stage=args.stage,
        branch=args.branch,
        reason=args.reason,
        force=args.force,
    )
    con.close()
    return confirm_and_apply(repo, plan, args)


def start(args: argparse.Namespace):
    """The repository, after finishing the cleanup of any interrupted rollback."""
    repo = repo_of(args)
    note = recover(repo)
    if note:
        print(f"modeltrail: {note}", file=sys.stderr)
    return repo


def confirm_and_apply(repo, plan: RollbackPlan, args: argparse.Namespace) -> int:
    """Shared by rollback and undo: dry run, confirmation, write, report."""
    out = console()
    if args.dry_run:
        if args.json:
            print_json({"dry_run": True, **plan.to_json()})
        else:
            out.print(plan_text(plan))
            out.print(Text("dry run: nothing was written"))
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise Refused("not confirmed: add --yes to write without asking (--dry-run to preview)")
        out.print(plan_text(plan))
        plan = _ask(plan)
    else:
        warn(plan.warnings)  # the preview was not shown: a scripted run must see them
    result = apply_plan(repo, plan, push=args.push)
    if args.json:
        print_json(result.to_json())
    else:
        out.print(result_text(result))
    if result.push_error:
        print(f"modeltrail: {result.push_error}", file=sys.stderr)
        return NOT_PUSHED
    return 0


def warn(warnings) -> None:
    for w in warnings:
        print(f"modeltrail: WARNING: {clean(w, single_line=True)}", file=sys.stderr)


def _ask(plan: RollbackPlan) -> RollbackPlan:
    if not plan.reason:
        plan = plan.with_reason(input("Reason (recorded in git): "))
    if plan.confirm_word:
        typed = input(f"Type {plan.confirm_word!r} to roll back production: ")
        ok = typed.strip() == plan.confirm_word
    else:
        ok = input("Proceed? [y/N] ").strip().lower() in ("y", "yes")
    if not ok:
        raise Refused("cancelled; nothing was written")
    return plan


# --- rendering ---------------------------------------------------------------------------


def number(value: float | None) -> str:
    """A metric value, compact: integers without a point, else up to 4 significant digits."""
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


def signed(value: float | None) -> str:
    if value is None:
        return ""
    text = number(value)
    return text if text.startswith("-") else f"+{text}"


def plan_text(plan: RollbackPlan, *, message: bool = True) -> Text:
    """The plan as literal text: what is rolled back, the exact write, metrics, files,
    artifact availability. Repository text is never parsed as markup."""
    t = Text()
    title = "REDO " if plan.redo else "UNDO " if plan.is_undo else ""
    t.append(f"{title}ROLL BACK ", style="bold")
    t.append(clean(plan.model, single_line=True), style="bold")
    t.append(f" {clean(plan.where(), single_line=True)}: ")
    t.append(clean(plan.current.version, single_line=True))
    t.append(" → ")
    t.append(clean(plan.target.version, single_line=True), style="bold")
    t.append(f" ({plan.target.commit[:12]})\n")
    if plan.kind == "stage":
        t.append("  writes   new annotated GTO tag ")
        t.append(clean(plan.tag, single_line=True), style="bold")
        t.append(f" on {plan.target.commit[:12]}\n")
    else:
        t.append("  writes   new commit on ")
        t.append(clean(plan.branch, single_line=True), style="bold")
        t.append(f"; moves {clean(plan.ref, single_line=True)} from {plan.ref_old[:12]}")
        t.append(" if it has not moved\n")
        if plan.worktree:
            t.append(f"  work tree: {clean(plan.path, single_line=True) or '.'}/ updated too\n")
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
            t.append(f"  {key[:width]:<{width}} {number(m.current):>8} → {number(m.target):<8}")
            if m.diff is not None:
                # one meaning everywhere: ▲ better, ▼ worse; the signed number says which way
                arrow = "▲" if m.better else "▼" if m.better is False else " "
                word = "better" if m.better else "worse" if m.better is False else ""
                style = "green" if m.better else "red" if m.better is False else ""
                t.append(f" {arrow}{signed(m.diff):<8} ", style=style)
                t.append(word, style=style)
            t.append("\n")
    if plan.files:
        t.append(f"Files that change ({len(plan.files)})\n", style="bold")
        marks = {"added": "A", "removed": "D", "modified": "M"}
        for f in plan.files:
            t.append(f"  {marks.get(f.change, '?')} {clean(f.path, single_line=True)}")
            if f.storage != "git":
                t.append(f"  [{f.storage}]")
            t.append(f"  ({f.change})\n")
    t.rstrip()
    return t


def result_text(result: RollbackResult, *, cli: bool = True) -> Text:
    t = Text()
    t.append("✓ " + clean(result.summary(), single_line=True) + "\n", style="bold")
    if result.pushed_to:
        t.append(f"  pushed to {clean(result.pushed_to, single_line=True)}\n")
    elif result.push_error:
        t.append("  NOT pushed: the push failed (see below); push it yourself\n", style="bold")
    else:
        t.append("  not pushed (use --push, or git push yourself)\n")
    if result.removed:
        t.append(f"  replaced {len(result.removed)} untracked/ignored path(s) (--force)\n")
    for w in result.warnings:
        if w not in result.plan.warnings:
            t.append(f"  warning: {clean(w, single_line=True)}\n")
    if cli:
        t.append("  undo with: modeltrail undo\n")
    t.rstrip()
    return t
