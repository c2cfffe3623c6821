"""The home screen's models over a workspace: every repository's, grouped by repository
in the workspace file's order, each model's dict tagged with its ``repo``; a repository
that could not be read, or whose catalog fails, is a row with its ``error`` (the models
pane shows it as a warning), never the end of the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from modeltrail.tui.workers import error_text

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase


def workspace_models(app: AppBase) -> list[dict]:
    """Every repository's models (``list_models`` dicts with ``repo``). Run in a worker."""
    models: list[dict] = []
    for state in app.repos:
        name = state.name
        assert name is not None  # a workspace's members are named
        if state.error is not None:
            models.append({"name": name, "repo": name, "error": state.error})
            continue
        try:
            with app.connection(name).cursor() as cursor:
                from modeltrail.store.query import queries

                found = queries.list_models(cursor, app.main_line(name))
        except Exception as exc:  # noqa: BLE001 - a damaged catalog: its row says so
            models.append({"name": name, "repo": name, "error": error_text(exc)})
            continue
        models += [{**m, "repo": name} for m in found]
    return models


def models_title(app: AppBase, models: list[dict]) -> Text:
    """``1 Models (N)``; over a workspace, also how many repositories (and unread)."""
    count = sum(m.get("error") is None for m in models)
    title = Text(f"1 Models ({count})")
    if app.workspace:
        unread = sum(not s.readable for s in app.repos)
        title.append(f" · {len(app.repos)} repos")
        if unread:
            title.append(f", ⚠ {unread} unread")
    return title
