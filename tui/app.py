"""The Textual application: the repository, its catalog, indexing, and the key map.

``ModeltrailApp(repo_path)`` opens the repository and whatever catalog already exists,
paints the home screen at once, and brings the catalog up to date in a background
thread. When that run ends the app reopens its read-only connection and posts
``CatalogUpdated`` to every screen. Screens query through ``app.connection()``
(use ``.cursor()`` inside workers). ``connection()`` also notices when the catalog file
is no longer the one it opened (rebuilt by ``modeltrail index``, or damaged in place):
it reopens the current catalog, or starts a rebuild when it cannot be opened.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from modeltrail.store import remote_repo
from modeltrail.store.catalog.files import empty_catalog, open_snapshot
from modeltrail.store.config import (
    Config,
    PushPolicy,
    load_config,
    load_user_config,
    push_policy,
    user_config_path,
)
from modeltrail.store.query.mainline import MainLine, main_line
from modeltrail.store.query.queries import model_names
from modeltrail.store.repo import index_lock_note, open_repo, repo_paths
from modeltrail.tui.app_base import AppBase
from modeltrail.tui.bindings import APP_BINDINGS
from modeltrail.tui.messages import CatalogUpdated, IndexFinished, IndexProgress
from modeltrail.tui.palette import ModeltrailCommands
from modeltrail.tui.remote_view import RemoteView
from modeltrail.tui.safe_text import clean
from modeltrail.tui.workers import ReportsWorkerFailures, error_text


@dataclass
class _CatalogReopened(Message):
    """``connection()`` swapped in the current catalog (or found none): tell the screens."""

    usable: bool


@dataclass
class _UnknownKeyIds(Message):
    """Ids in the user's ``[keys]`` that no binding has (found by a worker)."""

    ids: list[str]


_PROGRESS_INTERVAL = 0.1  # seconds between progress messages from the index thread
_INDEX_DELAY = 1.0  # seconds after start-up at the latest before checking git for news


class ModeltrailApp(RemoteView, ReportsWorkerFailures, AppBase):
    """Browse, compare and roll back the model versions of one git repository.

    ``index=False`` skips the background index run (tests and benchmarks that built the
    catalog already); ``now`` is the clock used for ages such as ``3d`` (frozen in tests).
    """

    # widgets.tcss first: app.tcss wins a tie, as it did over the widgets' own CSS
    CSS_PATH = [Path(__file__).with_name("widgets.tcss"), Path(__file__).with_name("app.tcss")]
    TITLE = "modeltrail"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {ModeltrailCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    index_status: reactive[str] = reactive("")
    """One line about the catalog: indexing progress, the last summary, or a problem."""

    def __init__(
        self,
        repo_path: str | os.PathLike[str] | None = None,
        *,
        index: bool = True,
        now: Callable[[], datetime] | None = None,
        location_note: str | None = None,
    ) -> None:
        super().__init__()
        self.repo = open_repo(repo_path)
        self.paths = repo_paths(self.repo)
        self.config: Config = load_config(self.paths.root)
        self.user_config: Config = load_user_config()
        # the rollback dialog's push: the user's own config decides, never the repository alone
        self.push_policy: PushPolicy = push_policy(self.config, self.user_config)
        # a URL's cached copy (-C URL): a stage rollback's tag exists to be pushed there
        self.by_url = remote_repo.is_cached(self.repo)
        if self.by_url:
            self.push_policy = PushPolicy("always", "the repository was opened by URL")
        # the copy was not fetched this run (--offline, a failed fetch): how old it is
        self.location_note = location_note
        self._now = now or (lambda: datetime.now(UTC))
        self._index_on_mount = index
        self._con_lock = threading.Lock()
        self._con_ident = self._catalog_ident()
        self._con: duckdb.DuckDBPyConnection | None = open_snapshot(self.paths.catalog_file)
        self._real_catalog = self._con is not None
        self._retired: list[duckdb.DuckDBPyConnection] = []
        # the main line of a connection's catalog (main_line())
        self._main_line: tuple[duckdb.DuckDBPyConnection, MainLine] | None = None
        self._index_thread: threading.Thread | None = None
        self._index_started = False
        self._frozen = False
        self._lock_note: str | None = None  # the index.lock warning last shown
        self.indexing = False
        self.sub_title = clean(self.paths.root.name, single_line=True)
        self._clash_reported: set[str] = set()
        self.init_remote()

    # --- public API for screens -----------------------------------------------------------

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The current read-only catalog connection (an empty catalog before the first
        index run has finished). Use ``.cursor()`` on it inside worker threads."""
        with self._con_lock:
            if self._real_catalog and self._catalog_ident() != self._con_ident:
                self._reopen()
            if self._con is None:
                self._con = empty_catalog()
            return self._con

    def main_line(self) -> MainLine:
        """The current catalog's main line (``store.query.mainline``), computed once per
        catalog: the models and the versions both need it, and at 100,000 commits each
        walk costs ~50 ms and ~40 MB while it runs. Safe in worker threads."""
        con = self.connection()
        with self._con_lock:
            if self._main_line is not None and self._main_line[0] is con:
                return self._main_line[1]
        with con.cursor() as cursor:
            line = main_line(cursor, self.config.main)
        with self._con_lock:
            self._main_line = (con, line)
        return line

    def _catalog_ident(self) -> tuple[int, ...] | None:
        """The catalog file now (device, inode, size, mtime): a rebuild or damage in
        place changes it. None when there is no catalog file."""
        try:
            st = os.stat(self.paths.catalog_file)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def _reopen(self) -> None:
        """The catalog file changed under the open connection: open the current one, or,
        when it is damaged or gone, keep an empty placeholder and rebuild it. A catalog
        generation is never rewritten in place (the indexer writes a new file and swaps
        the link), so the same file with another size or time is damage."""
        old, self._con_ident = self._con_ident, self._catalog_ident()
        new = self._con_ident
        damaged = new is None or (old is not None and old[:2] == new[:2])
        fresh = None if damaged else open_snapshot(self.paths.catalog_file)
        if fresh is not None:
            try:
                model_names(fresh)  # a damaged file fails here
            except duckdb.Error:
                fresh.close()
                fresh = None
        if fresh is None:
            self._swap_connection(empty_catalog())
        else:
            self._swap_connection(fresh)
        self.post_message(_CatalogReopened(fresh is not None))  # thread-safe

    def on__catalog_reopened(self, message: _CatalogReopened) -> None:
        if message.usable:
            self.index_status = "catalog changed on disk; reopened"
            self.broadcast(CatalogUpdated("catalog reopened", True))
        else:
            self.reindex(rebuild=True)
            self.index_status = "⚠ the catalog was damaged or gone; rebuilding it…"

    @property
    def has_catalog(self) -> bool:
        """Whether a real catalog (not the empty placeholder) is open."""
        return self._real_catalog

    def now(self) -> datetime:
        """The clock for relative ages (frozen in tests and screenshots)."""
        return self._now()

    def start_index_once(self) -> None:
        """Called when the home screen shows its first versions: start the start-up index
        run (once; later runs come from ``reindex``)."""
        if not self._frozen:
            # Everything built so far lives as long as the app: keep it out of the cyclic
            # collector, whose full passes over it would stall key presses for ~50 ms.
            gc.freeze()
            atexit.register(gc.unfreeze)  # whatever happens, let the last collection see them
            self._frozen = True
        if self._index_on_mount and not self._index_started:
            self.reindex()

    def reindex(self, rebuild: bool = False) -> None:
        """Start a background index run unless one is running (``rebuild``: from scratch)."""
        if self._index_thread is not None and self._index_thread.is_alive():
            return
        self._index_started = True
        self.indexing = True
        self.index_status = "indexing…"
        # A daemon thread, not a worker: quitting never waits for a long index run (the
        # catalog is written to a temporary file and renamed, so stopping is harmless).
        self._index_thread = threading.Thread(
            target=self._index_run, args=(rebuild,), name="modeltrail-index", daemon=True
        )
        self._index_thread.start()

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        for warning in (*self.config.warnings, *self.user_config.warnings):
            self.notify(clean(warning), severity="warning", markup=False)
        if self.location_note:  # -C URL not fetched this run: how old its copy is
            self.notify(clean(self.location_note), severity="warning", markup=False)
        self._apply_personal(self.user_config)
        from modeltrail.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.check_remote()
        if not self._index_on_mount:
            if self._con is not None:
                self.index_status = "catalog opened"
        elif self._real_catalog:
            # paint from the catalog first; check git for news once the home screen shows
            # its versions (start_index_once), or after a moment at the latest
            self.index_status = "catalog opened; checking the repository…"
            self.set_timer(_INDEX_DELAY, self.start_index_once)
        else:
            self.start_index_once()

    def _index_run(self, rebuild: bool = False) -> None:
        last = 0.0

        def progress(phase: str, done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _PROGRESS_INTERVAL or done == total:
                last = now
                self.post_message(IndexProgress(phase, done, total))

        try:
            # the indexer is imported (off the UI thread) only when something is new
            from modeltrail.store.catalog.files import update_catalog

            # GitPython objects are not shared by threads: this one is the thread's own
            with open_repo(self.paths.root) as repo:
                summary = update_catalog(repo, rebuild=rebuild, progress=progress)
        except Exception as exc:  # noqa: BLE001 - reported by worker_failed, as a worker's
            self.post_message(IndexFinished("", False, error_text(exc)))
            return
        note = index_lock_note(self.paths.git_dir)
        self.post_message(IndexFinished(summary.line(), summary.mode != "unchanged", None, note))

    def on_index_progress(self, message: IndexProgress) -> None:
        phase = clean(message.phase, single_line=True)
        if message.total:
            pct = int(100 * message.done / message.total)
            self.index_status = f"indexing: {phase} {message.done}/{message.total} ({pct}%)"
        else:
            self.index_status = f"indexing: {phase}…"

    def on_index_finished(self, message: IndexFinished) -> None:
        self.indexing = False
        self.check_remote()  # a write or a fetch may have moved the branch or its upstream
        if message.error:
            self.worker_failed("index", message.error)
            return
        self.index_status = clean(message.summary, single_line=True)
        if message.lock_note and not self._lock_note:
            # every write (a rollback, git commit) fails until it is gone: once per lock
            self.notify(clean(message.lock_note), severity="warning", markup=False, timeout=20)
        self._lock_note = message.lock_note
        with self._con_lock:
            ident = self._catalog_ident()
            fresh = open_snapshot(self.paths.catalog_file)
            if fresh is None:
                self.index_status = "⚠ the catalog could not be opened after indexing"
                return
            # a catalog file other than the open one (rebuilt elsewhere, or after damage)
            # is swapped in even when this run found nothing new
            swap = message.changed or not self._real_catalog or ident != self._con_ident
            if swap:
                self._swap_connection(fresh)
                self._con_ident = ident
                self._real_catalog = True
        if swap:
            self.broadcast(CatalogUpdated(message.summary, True))
        else:
            fresh.close()
            self.broadcast(CatalogUpdated(message.summary, False))

    def worker_failed(self, group: str, error: str) -> None:
        """The app's share of the one failure handler (``tui.workers``): a failed index
        run in the status line and a notification; the remote's in ``RemoteView``; any
        other worker's as a notification."""
        if group == "index":
            self.index_status = f"⚠ index failed: {clean(error, single_line=True)}"
            self.notify(clean(error), title="Index failed", severity="error", markup=False)
            return
        super().worker_failed(group, error)

    def _swap_connection(self, fresh: duckdb.DuckDBPyConnection) -> None:
        # Workers may still hold cursors of the old connection: close it one swap later.
        for old in self._retired:
            with contextlib.suppress(duckdb.Error):
                old.close()
        self._retired = [self._con] if self._con is not None else []
        self._con = fresh
        self._main_line = None

    def broadcast(self, message_factory: CatalogUpdated) -> None:
        """Post a copy of a ``CatalogUpdated`` to every screen on the stack."""
        for screen in self.screen_stack:
            screen.post_message(CatalogUpdated(message_factory.summary, message_factory.changed))

    def on_unmount(self) -> None:
        if self._fetch_cancel is not None:  # quitting never waits on a silent remote
            self._fetch_cancel.set()
        if self._frozen:  # let the interpreter's last collection see those objects again
            gc.unfreeze()
        for con in [*self._retired, self._con]:
            if con is not None:
                with contextlib.suppress(duckdb.Error):
                    con.close()

    # --- keys and help --------------------------------------------------------------------

    def _apply_personal(self, own: Config) -> None:
        """The user's own key map and theme (never the repository's); an id no binding
        has, or a theme Textual does not know, is a warning."""
        if own.theme is not None:
            if own.theme in self.available_themes:
                self.theme = own.theme
            else:
                themes = ", ".join(sorted(self.available_themes))
                self.notify(
                    clean(f"theme {own.theme!r} ignored: not a theme (themes: {themes})"),
                    severity="warning",
                    markup=False,
                )
        if own.keys:
            self.set_keymap(own.keys)
            self._check_key_ids(sorted(own.keys))

    @work(thread=True, exit_on_error=False, group="key-ids")
    def _check_key_ids(self, ids: list[str]) -> None:
        """Find the ids no binding has (importing every screen: off the UI thread)."""
        from modeltrail.tui.binding_ids import known_binding_ids

        unknown = [i for i in ids if i not in known_binding_ids()]
        if unknown:
            self.post_message(_UnknownKeyIds(unknown))

    def on__unknown_key_ids(self, message: _UnknownKeyIds) -> None:
        self.notify(
            clean(
                f"[keys] in {user_config_path()}: no binding has the id "
                f"{', '.join(message.ids)} (? lists the ids)"
            ),
            severity="warning",
            markup=False,
        )

    def action_help(self) -> None:
        """Show the bindings of the current screen."""
        from modeltrail.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node) -> None:
        """A user key map made two bindings share a key: say so once per binding."""
        for binding in clashed_bindings:
            key = binding.id or binding.action
            if key in self._clash_reported:
                continue
            self._clash_reported.add(key)
            self.notify(
                f"key map: {clean(binding.key)} of {clean(key)} is taken by another binding",
                severity="warning",
                markup=False,
            )
