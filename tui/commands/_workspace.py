"""The command line over a workspace (``--workspace FILE``, or the user's own
``workspace.toml``): which file, the repositories opened and indexed with one progress
line, and ``REPO/MODEL`` resolved to one repository for the commands that work on one."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from modeltrail.store.errors import UnknownModel, UsageError
from modeltrail.tui.safe_text import raw_stream

if TYPE_CHECKING:
    import duckdb

    from modeltrail.store.workspace import Entry, Member

#: commands that read every repository of a workspace themselves
ACROSS = ("models", "changes", "export", "index")
#: commands that need no repository at all
NO_REPO = ("demo",)


def workspace_entries(args: argparse.Namespace) -> list[Entry] | None:
    """The workspace's repositories: from ``--workspace FILE``; else, when no ``-C`` is
    given and the current directory is in no repository, from the user's own
    ``workspace.toml`` if there is one; else None (one repository, as always)."""
    from modeltrail.store.workspace import default_file, load_workspace

    file = getattr(args, "workspace", None)
    if file is not None:
        if args.repo_path is not None:
            raise UsageError("give -C PATH or --workspace FILE, not both")
        return load_workspace(file)
    if args.repo_path is not None or getattr(args, "command", None) in NO_REPO:
        return None
    default = default_file()
    if not default.is_file():
        return None
    from modeltrail.store.errors import NotARepository
    from modeltrail.store.repo import open_repo

    try:
        open_repo(None).close()
        return None  # inside a repository: that one, as without a workspace
    except NotARepository:
        return load_workspace(default)


def open_members(
    entries: list[Entry],
    rebuild: bool = False,
    offline: bool = False,
    catalogs: bool = True,
) -> tuple[list[Member], list[tuple[Member, duckdb.DuckDBPyConnection]]]:
    """Every repository indexed (in parallel, one progress line on a terminal's stderr)
    and the catalogs of the readable ones; each unreadable one is a warning line. Without
    ``catalogs`` (``index``: the summaries are enough), only those of the members whose
    catalog could not be written are opened (that is how they get their summary)."""
    from modeltrail.store.workspace import open_catalogs

    members = index_members(entries, rebuild=rebuild, offline=offline)
    opened = open_catalogs(members if catalogs else [m for m in members if m.careful])
    warn(members)
    return members, opened


def index_members(
    entries: list[Entry], rebuild: bool = False, offline: bool = False
) -> list[Member]:
    """Every repository opened and indexed (in parallel), with one progress line on a
    terminal's stderr; an unreadable one is a member with an ``error``."""
    from modeltrail.store.workspace import index_all

    err = raw_stream(sys.stderr)
    tty = err.isatty()

    def progress(done: int, total: int, name: str) -> None:
        if tty:
            err.write(f"\r\x1b[Kindexing repositories: {done}/{total}")
            err.flush()

    members = index_all(entries, progress, rebuild=rebuild, offline=offline)
    if tty:
        err.write("\r\x1b[K")
        err.flush()
    return members


def warn(members: list[Member]) -> None:
    """One warning line on stderr for each member that could not be read or has
    something to say."""
    for m in members:
        if m.error is not None:
            print(f"modeltrail: warning: repository {m.name}: {m.error}", file=sys.stderr)
        elif m.warning:
            print(f"modeltrail: warning: repository {m.name}: {m.warning}", file=sys.stderr)


def resolve(args: argparse.Namespace, entries: list[Entry]) -> None:
    """Point a one-repository command at the repository its model is in: ``args.model``
    may be ``REPO/MODEL``, and must be when the name is in several repositories."""
    from modeltrail.store.query.queries import model_names
    from modeltrail.store.workspace import split_model

    spec = getattr(args, "model", None)
    if not spec:
        what = args.command
        name_one = "name a model (REPO/MODEL) or " if hasattr(args, "model") else ""
        raise UsageError(
            f"with a workspace, {what} works on one repository: {name_one}give -C PATH"
        )
    members, opened = open_members(entries, offline=getattr(args, "cache_only", False))
    names: dict[str, list[str]] = {}
    for m, con in opened:
        try:
            names[m.name] = model_names(con)
        finally:
            con.close()
    found = split_model(names, spec)
    if not found:
        unread = [m.name for m in members if m.error is not None]
        more = f" ({', '.join(unread)} could not be read)" if unread else ""
        raise UnknownModel(f"no model {spec!r} in the workspace's repositories{more}")
    if len(found) > 1:
        candidates = ", ".join(f"{r}/{model}" for r, model in found)
        raise UsageError(
            f"model {spec!r} is in more than one repository: {candidates}; name one as REPO/MODEL"
        )
    repo_name, args.model = found[0]
    member = next(m for m in members if m.name == repo_name)
    entry = member.entry
    args.repo_path = entry.url if entry.path is None else os.fspath(entry.path)
    args.workspace_repo = repo_name


def only(entries: list[Entry], name: str | None) -> list[Entry]:
    """``entries``, or just the one named ``name`` (``--repo NAME``)."""
    if name is None:
        return entries
    chosen = [e for e in entries if e.name == name]
    if not chosen:
        names = ", ".join(e.name for e in entries)
        raise UsageError(f"no repository named {name!r} in the workspace (it has: {names})")
    return chosen
