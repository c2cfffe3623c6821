"""The changes screen over a workspace: what changed in every repository, newest first,
each change tagged with its ``repo``; a repository that could not be read, or whose
catalog fails, is named with why (the screen shows it as a warning line), never the end
of the others.

As ``modeltrail --workspace FILE changes`` does, a repository's answer kept beside its
catalog (``store.query.changes_cache``) is used when it answers; otherwise the app's own
catalog snapshot is asked from a week back at least, and the answer is kept for the next
look (the command's or this screen's) when that snapshot is the current generation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.query.changes import changes, judge
from modeltrail.store.query.changes_cache import (
    at_or_after,
    cached_changes,
    keep_changes,
    window_start,
)
from modeltrail.store.workspace import newest_first
from modeltrail.tui.workers import error_text

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase
    from modeltrail.tui.repo_state import RepoState


def workspace_changes(
    app: AppBase, since: datetime
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(every repository's changes at or after ``since``, each with its ``repo``, newest
    first; (repository, why) for each one that could not be read). Run in a worker."""
    found: list[dict[str, Any]] = []
    unread: list[tuple[str, str]] = []
    now = app.now()
    for state in app.repos:
        name = state.name
        assert name is not None  # a workspace's members are named
        if state.error is not None:
            unread.append((name, state.error))
            continue
        try:
            found += [{"repo": name, **c} for c in _repo_changes(app, state, since, now)]
        except Exception as exc:  # noqa: BLE001 - a damaged catalog: its line says so
            unread.append((name, error_text(exc)))
    return newest_first(found), unread


def _repo_changes(
    app: AppBase, state: RepoState, since: datetime, now: datetime
) -> list[dict[str, Any]]:
    """One repository's changes: kept, or asked of the app's snapshot (and kept), each
    metric judged by the repository's own metric directions."""
    assert state.paths is not None  # readable
    kept = cached_changes(state.paths, since)
    if kept is not None:
        return judge(kept, state.config.better)
    generation = current_generation(state.paths)  # before the snapshot is looked at
    start = window_start(since, now)
    with app.connection(state.name).cursor() as cursor:
        found = changes(cursor, start)
    # keep it only if the snapshot asked was that generation: a real catalog (not the
    # placeholder before the first index run), checked against the file as it is now by
    # connection(), and no other generation installed meanwhile
    if state.real_catalog and current_generation(state.paths) == generation:
        keep_changes(state.paths, generation, start, found)
    return judge(at_or_after(found, since), state.config.better)
