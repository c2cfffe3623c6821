"""``modeltrail undo``: apply the inverse of the last rollback, recorded the same way."""

from __future__ import annotations

import argparse

from modeltrail.store.write.rollback import plan_undo
from modeltrail.tui.commands._common import add_json, catalog_of
from modeltrail.tui.commands.rollback import add_force, confirm_and_apply, start

NAME = "undo"
HELP = "undo the last rollback (a new tag or commit; history is kept)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", metavar="R", default="", help="why (recorded in git)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--push", action="store_true", help="push the new tag or commit")
    add_force(parser)
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo = start(args)
    con = catalog_of(repo)
    plan = plan_undo(repo, con, reason=args.reason, force=args.force)
    con.close()
    return confirm_and_apply(repo, plan, args)
