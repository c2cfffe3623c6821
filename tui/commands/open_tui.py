"""Opening the TUI (``modeltrail`` with no command)."""

from __future__ import annotations

import argparse

from modeltrail.tui.commands._common import repo_of


def run_tui(args: argparse.Namespace) -> int:
    repo = repo_of(args)
    from modeltrail.store.write.rollback_apply import recover
    from modeltrail.tui.app import ModeltrailApp

    note = recover(repo)  # finish or undo a rollback that was interrupted mid-way
    if note:
        print(f"modeltrail: {note}")

    app = ModeltrailApp(
        repo_path=repo.working_tree_dir or repo.git_dir,
        location_note=getattr(args, "location_note", None),
    )
    app.run()
    return app.return_code or 0
