"""``modeltrail rollback MODEL [--to VERSION]``: preview, confirm, write (docs/ROLLBACK.md).

Without ``--to`` the stage goes back to its previous holder (as ``helm rollback``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from rich.text import Text

from modeltrail.store import remote_repo
from modeltrail.store.errors import Refused, UsageError
from modeltrail.store.remote import offline_warnings, with_push_plan, with_remote_warnings
from modeltrail.store.trailers import one_line
from modeltrail.store.write.plans import RollbackPlan
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import (
    NOT_PUSHED,
    apply_plan,
    recover,
)
from modeltrail.tui.commands._common import add_json, catalog_of, console, print_json, repo_of
from modeltrail.tui.rollback_text import plan_text, result_text
from modeltrail.tui.safe_text import clean

NAME = "rollback"
NO_REASON = "a rollback needs a reason"
REASON_ATTEMPTS = 3  # empty answers before the prompt gives up
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
a busy repository (.git/index.lock, named with its age), a read-only .git,
no --yes when not interactive.
A rollback needs a reason (--reason, or asked for); an undo's is optional."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument(
        "--to",
        metavar="VERSION",
        help="label, tag, stage or commit (default: the stage's previous holder)",
    )
    parser.add_argument("--stage", metavar="S", help="roll back this GTO stage (default: prod)")
    parser.add_argument("--branch", metavar="B", help="roll back files on this branch")
    add_write_arguments(parser)


def add_write_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every command that writes a rollback (``rollback``, ``undo``)."""
    parser.add_argument("--reason", metavar="R", default="", help="why (recorded in git)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--push", action="store_true", help="push the new tag or commit")
    parser.add_argument(
        "--offline",
        action="store_true",
        help=(
            "do not ask the remote whether someone acted already or which tag numbers it "
            "holds (git ls-remote, up to 8 s)"
        ),
    )
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
    if args.yes and not args.dry_run and not one_line(args.reason):
        raise UsageError(NO_REASON + ": add --reason R (it is recorded in git)")
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
    by_url = remote_repo.is_cached(repo)
    if by_url and getattr(args, "cache_only", False):
        raise Refused(
            "a rollback in a repository opened by URL is pushed there: run it without "
            "--offline (nothing was written)"
        )
    if not args.offline:  # someone may have moved the stage or the branch already
        plan = with_remote_warnings(repo, plan, "git fetch")
    else:
        plan = replace(plan, warnings=(*plan.warnings, *offline_warnings(repo, plan)))
    if by_url:  # the cached copy holds only what its URL holds: the tag goes there
        args.push = True
        plan = with_push_plan(repo, plan, "after", "the repository was opened by URL")
    elif args.push:
        plan = with_push_plan(repo, plan, "after", "--push")
    else:
        plan = with_push_plan(repo, plan, "no", "without --push")
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
        return 1 if by_url else NOT_PUSHED  # by URL: the tag was deleted again
    return 0


def warn(warnings) -> None:
    for w in warnings:
        print(f"modeltrail: WARNING: {clean(w, single_line=True)}", file=sys.stderr)


def _ask(plan: RollbackPlan) -> RollbackPlan:
    """A reason (asked again while empty, for a rollback; optional for an undo), then
    the confirmation. End of input cancels."""
    try:
        plan = _ask_reason(plan)
        if plan.confirm_word:
            why = "risky target" if plan.forced else "production"
            typed = input(f"{why}: confirm by typing {plan.confirm_word!r}: ")
            ok = typed.strip() == plan.confirm_word
        else:
            ok = input("Proceed? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        print()
        ok = False
    if not ok:
        raise Refused("cancelled; nothing was written")
    return plan


def _ask_reason(plan: RollbackPlan) -> RollbackPlan:
    if plan.reason:
        return plan
    if not plan.needs_reason:
        return plan.with_reason(input("Reason (optional, recorded in git): "))
    for attempt in range(REASON_ATTEMPTS):
        if attempt:
            print(f"{NO_REASON}: it is recorded in git with the rollback")
        reason = one_line(input("Reason (recorded in git): "))
        if reason:
            return plan.with_reason(reason)
    raise Refused(f"{NO_REASON}; nothing was written")


# --- rendering ---------------------------------------------------------------------------
