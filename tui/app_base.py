"""The app as its screens and widgets use it, for the type checker.

``ModeltrailApp`` (``tui/app.py``) derives from :class:`AppBase`; a screen declares
``app: AppBase`` for the type checker only (typing.TYPE_CHECKING) to reach the app's
own members (``connection()``, ``paths``, ``config``...) typed, without importing
``tui/app.py``, which imports the screens. At run time the class adds nothing to
Textual's ``App``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

if TYPE_CHECKING:
    from datetime import datetime

    import duckdb

    from modeltrail.store.config import Config, PushPolicy
    from modeltrail.store.query.mainline import MainLine
    from modeltrail.store.repo import RepoPaths
    from modeltrail.tui.repo_state import RepoState


class AppBase(App[Any]):
    """What screens and widgets use of the app (``ModeltrailApp`` defines each)."""

    if TYPE_CHECKING:
        # the active repository's (over a workspace: the selected model's)
        @property
        def paths(self) -> RepoPaths: ...

        @property
        def config(self) -> Config: ...

        @property
        def push_policy(self) -> PushPolicy: ...

        @property
        def indexing(self) -> bool: ...

        location_note: str | None  # a URL's cached copy not fetched this run: its age

        workspace: bool  # over the repositories of a workspace
        repos: list[RepoState]  # one, or a workspace's members in its file's order

        @property
        def active_repo(self) -> str | None: ...

        def use_repo(self, name: str | None) -> bool: ...

        def repo_state(self, name: str | None) -> RepoState: ...

        def connection(self, repo: str | None = None) -> duckdb.DuckDBPyConnection: ...

        def main_line(self, repo: str | None = None) -> MainLine: ...

        def first_models(self) -> list[dict] | None: ...

        def kept_first(self, model: str) -> dict | None: ...

        def wait_first_screen(self) -> None: ...

        @property
        def has_catalog(self) -> bool: ...

        def now(self) -> datetime: ...

        def start_index_once(self) -> None: ...

        def reindex(self, rebuild: bool = False) -> None: ...

        def action_fetch(self) -> None: ...
