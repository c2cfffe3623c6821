"""``modeltrail undo``: apply the inverse of the last rollback, recorded the same way."""

from __future__ import annotations

import argparse

from modeltrail.store.write.rollback import plan_undo
from modeltrail.tui.commands._common import catalog_of
from modeltrail.tui.commands.rollback import add_write_arguments, confirm_and_apply, start

NAME = "undo"
HELP = "undo the last rollback (a new tag or commit; history is kept)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_write_arguments(parser)


def run(args: argparse.Namespace) -> int:
    repo = start(args)
    con = catalog_of(repo)
    plan = plan_undo(repo, con, reason=args.reason, force=args.force)
    con.close()
    return confirm_and_apply(repo, plan, args)
