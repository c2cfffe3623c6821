"""``modeltrail index``: bring the catalog up to date, with progress, and print counts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.catalog.generations import sole_user
from modeltrail.store.repo import index_lock_note, repo_paths
from modeltrail.tui.commands._common import repo_of

if TYPE_CHECKING:
    from modeltrail.store.catalog.generations import IndexSummary
    from modeltrail.store.remote import ClobberedTag

NAME = "index"
HELP = "bring the catalog up to date and print what it holds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "workspace_entries", None) is not None:
        return _across(args)
    repo = repo_of(args)
    with sole_user():  # this command opens no catalog: a small change is made in place
        summary = _update(repo, args)
    stuck = _clobbered_tags(repo)  # local tags that make every fetch fail
    if args.json:
        from modeltrail.tui.commands._common import print_json

        print_json({**summary.__dict__, "stuck_tags": [t.__dict__ for t in stuck]})
    else:
        print(summary.line())
    note = index_lock_note(repo_paths(repo).git_dir)
    if note:  # every write will fail until it is gone: say so now, not at the next write
        print(f"modeltrail: warning: {note}", file=sys.stderr)
    if stuck:
        from modeltrail.tui.safe_text import clean

        print(
            f"modeltrail: WARNING: {clean(_stuck_message(stuck), single_line=True)}",
            file=sys.stderr,
        )
    if summary.new_warnings and not args.json:
        from modeltrail.tui.safe_text import clean

        rows = sorted(summary.new_warnings, key=lambda w: (w["path"] or "", w["commit"] or ""))
        for w in rows[:20]:
            where = clean(w["path"] or "", single_line=True)
            at = f" @ {w['commit'][:7]}" if w["commit"] else ""
            where = f"{where}{at}: " if where or at else ""
            print(f"warning: {where}{clean(w['message'], single_line=True)}")
        if len(rows) > 20:
            print(f"... and {len(rows) - 20} more (modeltrail sql 'select * from warnings')")
    return 0


def _update(repo: Any, args: argparse.Namespace) -> IndexSummary:
    if sys.stderr.isatty() and not args.json:
        from rich.progress import Progress, TaskID

        from modeltrail.tui.commands._common import console

        with Progress(transient=True, console=console(stderr=True)) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(f"reading {phase}", total=max(total, 1))
                bar.update(tasks[phase], completed=done, total=max(total, 1))

            return update_catalog(repo, progress=progress, rebuild=args.rebuild)
    return update_catalog(repo, rebuild=args.rebuild)


def _across(args: argparse.Namespace) -> int:
    """Every repository of the workspace indexed in parallel: one line each (a
    repository that could not be read says why); exit 1 if none could be."""
    from modeltrail.tui.commands._workspace import open_members

    members, opened = open_members(
        args.workspace_entries, args.rebuild, getattr(args, "cache_only", False), catalogs=False
    )
    for _m, con in opened:
        con.close()
    rows = [
        {
            "repo": m.name,
            "error": m.error,
            "summary": None if m.summary is None else m.summary.__dict__,
        }
        for m in members
    ]
    if args.json:
        from modeltrail.tui.commands._common import print_json

        print_json(rows)
    else:
        for m in members:
            print(f"{m.name}: {m.summary.line() if m.summary else 'not read: ' + str(m.error)}")
    return 0 if any(m.error is None for m in members) or not members else 1


def _clobbered_tags(repo: Any) -> list[ClobberedTag]:
    """``remote.clobbered_tags``, read only when a fetch left a ``FETCH_HEAD`` (in the
    work tree's git directory or the common one): a repository never fetched into
    spares the git process and the remote module's imports."""
    paths = repo_paths(repo)
    if not any((d / "FETCH_HEAD").exists() for d in (paths.git_dir, paths.common_dir)):
        return []
    from modeltrail.store.remote import clobbered_tags

    return clobbered_tags(repo)


def _stuck_message(stuck: list[ClobberedTag]) -> str:
    from modeltrail.store.remote import stuck_message

    return stuck_message(stuck)
