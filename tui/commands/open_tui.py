"""Opening the TUI (``modeltrail`` with no command): on one repository, or on every
repository of a workspace (``--workspace FILE``, or the user's own ``workspace.toml``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from modeltrail.store.errors import ModeltrailError, Refused
from modeltrail.tui import gc_pause

if TYPE_CHECKING:
    from modeltrail.store.workspace import Entry
    from modeltrail.tui.app import ModeltrailApp

#: a workspace's repository as the app takes it: (name, path or None, error, warning)
Member = tuple[str, str | None, str | None, str | None]


def run_tui(args: argparse.Namespace) -> int:
    entries = getattr(args, "workspace_entries", None)
    if entries is not None:
        return _run_workspace(args, entries)
    gc_pause.pause()  # until the first screen (tui.gc_pause)
    try:
        app = make_app(args)
        _follow_the_terminal()
        app.run()
    finally:
        gc_pause.resume()
    return app.return_code or 0


def make_app(args: argparse.Namespace) -> ModeltrailApp:
    """The app on ``args``' repository, as ``modeltrail`` opens it: a rollback that was
    interrupted mid-way finished or undone first (the write path is imported only when
    the git dir shows one may have been)."""
    from modeltrail.store.repo import write_left_behind
    from modeltrail.tui.app import ModeltrailApp
    from modeltrail.tui.commands._common import repo_of

    repo = repo_of(args)
    if write_left_behind(Path(repo.git_dir)):
        from modeltrail.store.write.rollback_apply import recover

        note = recover(repo)  # finish or undo a rollback that was interrupted mid-way
        if note:
            print(f"modeltrail: {note}")
    return ModeltrailApp(
        repo_path=repo.working_tree_dir or repo.git_dir,
        location_note=getattr(args, "location_note", None),
    )


def _follow_the_terminal() -> None:
    """Textual sizes the screen with ``shutil.get_terminal_size``, which prefers exported
    ``COLUMNS``/``LINES``: set by a shell, a script or a test runner, they drew the app
    for a terminal that is not there, and kept it so on every resize. The screen follows
    the real terminal (the CLI's tables still take ``COLUMNS``)."""
    if sys.__stdout__ is not None and sys.__stdout__.isatty():
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)


def _run_workspace(args: argparse.Namespace, entries: list[Entry]) -> int:
    """Every repository opened and indexed first (one progress line), then the TUI over
    all of them; one that cannot be read is a warning row in its models pane."""
    from modeltrail.tui.app import ModeltrailApp

    rows = workspace_members(entries, offline=getattr(args, "cache_only", False))
    if all(path is None for _, path, _, _ in rows):
        errors = "; ".join(f"{name}: {error}" for name, _, error, _ in rows)
        raise Refused(f"no repository of the workspace could be read ({errors})")
    app = ModeltrailApp(workspace=rows)
    _follow_the_terminal()
    app.run()
    return app.return_code or 0


def workspace_members(entries: list[Entry], offline: bool = False) -> list[Member]:
    """The workspace's repositories opened and indexed (in parallel), an interrupted
    rollback finished in each, as ``ModeltrailApp(workspace=...)`` takes them: (name,
    path or None, why it could not be read, a warning). The write path is imported, and
    asked, only for a repository whose git dir shows an interrupted write may be there."""
    from modeltrail.store.repo import write_left_behind
    from modeltrail.tui.commands._workspace import index_members

    members = index_members(entries, offline=offline)
    rows: list[Member] = []
    for m in members:
        path = None
        error = m.error
        if m.repo is not None:
            try:
                if write_left_behind(Path(m.repo.git_dir)):
                    from modeltrail.store.write.rollback_apply import recover

                    note = recover(m.repo)  # a rollback interrupted mid-way, in that one
                    if note:
                        print(f"modeltrail: repository {m.name}: {note}")
                path = os.fspath(m.repo.working_tree_dir or m.repo.git_dir)
            except ModeltrailError as exc:  # its row says why; the others open
                error = str(exc)
            finally:
                m.repo.close()
        rows.append((m.name, path, error, m.warning))
    return rows
