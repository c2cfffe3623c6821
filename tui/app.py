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
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.config import Config, PushPolicy, load_user_config, user_config_path
from modeltrail.store.query import models_answer
from modeltrail.store.repo import RepoPaths, index_lock_note, open_repo
from modeltrail.tui import gc_pause
from modeltrail.tui.app_base import AppBase
from modeltrail.tui.bindings import APP_BINDINGS
from modeltrail.tui.messages import CatalogUpdated, IndexFinished, IndexProgress
from modeltrail.tui.palette import ModeltrailCommands
from modeltrail.tui.remote_view import RemoteView
from modeltrail.tui.repo_state import RepoState
from modeltrail.tui.safe_text import clean
from modeltrail.tui.workers import ReportsWorkerFailures, error_text


@dataclass
class _CatalogReopened(Message):
    """``connection()`` swapped in the current catalog (or found none): tell the screens."""

    usable: bool
    repo: str | None = None  # the workspace member whose catalog it was


@dataclass
class _UnknownKeyIds(Message):
    """Ids in the user's ``[keys]`` that no binding has (found by a worker)."""

    ids: list[str]


_PROGRESS_INTERVAL = 0.1  # seconds between progress messages from the index thread


if TYPE_CHECKING:
    import duckdb
    from git import Repo

    from modeltrail.store.query.mainline import MainLine

T = TypeVar("T")


class _FromActive(Generic[T]):
    """An attribute of the app that is the active repository's own (``app._active.NAME``):
    the repository, its configuration, its push policy, whether it is a URL or indexing."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, app: ModeltrailApp, owner: type | None = None) -> T:
        return cast(T, getattr(app._active, self.name))


class ModeltrailApp(RemoteView, ReportsWorkerFailures, AppBase):
    """Browse, compare and roll back the model versions of one git repository, or of
    every repository of a workspace.

    ``index=False`` skips the background index run (tests and benchmarks that built the
    catalog already); ``now`` is the clock used for ages such as ``3d`` (frozen in tests).
    ``workspace``: the members of a workspace, as ``(name, path or None, error or None,
    warning or None)`` (``repo_path`` is then not used); the selected model's repository is
    the *active* one, which ``connection()``, ``paths``, ``config`` and the screens use.
    """

    # widgets.tcss first: app.tcss wins a tie, as it did over the widgets' own CSS
    CSS_PATH = [Path(__file__).with_name("widgets.tcss"), Path(__file__).with_name("app.tcss")]
    TITLE = "modeltrail"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {ModeltrailCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    INDEX_DELAY = 3.0
    """Seconds after start-up at the latest before git is asked for news (normally the
    home screen asks as soon as it is up: ``start_index_once``)."""

    index_status: reactive[str] = reactive("")
    """One line about the catalog: indexing progress, the last summary, or a problem."""

    def __init__(
        self,
        repo_path: str | os.PathLike[str] | None = None,
        *,
        index: bool = True,
        now: Callable[[], datetime] | None = None,
        location_note: str | None = None,
        workspace: Sequence[tuple[str, str | None, str | None, str | None]] | None = None,
    ) -> None:
        super().__init__()
        self.user_config: Config = load_user_config()
        self.workspace = workspace is not None
        if workspace is None:
            # the catalog is opened by the thread that reads the first screen (DuckDB is
            # imported there, and only after that screen when it was kept beside it)
            self.repos = [RepoState.open(None, repo_path, self.user_config, defer=True)]
        else:
            self.repos = [self._member(*member) for member in workspace]
        readable = [s for s in self.repos if s.readable]
        if not readable:
            raise ValueError("no repository of the workspace could be read")
        self._active = readable[0]
        # the copy was not fetched this run (--offline, a failed fetch): how old it is
        self.location_note = location_note
        self._now = now or (lambda: datetime.now(UTC))
        self._index_on_mount = index
        self._con_lock = threading.Lock()
        self._index_thread: threading.Thread | None = None
        self._index_pending: dict[int, bool] = {}  # id(state) -> rebuild, for the thread
        self._index_started = False
        self._remote_deferred = False  # the remote is checked once the first screen is up
        self._frozen = False
        self._set_sub_title()
        self._clash_reported: set[str] = set()
        self.init_remote()
        self._first_screen_up = threading.Event()  # set by start_index_once
        self._open_now = threading.Event()  # the catalog is wanted (or the first screen is up)
        self._prefetch: threading.Thread | None = None
        self._first_models: (
            Future[tuple[duckdb.DuckDBPyConnection | None, list[dict]] | None] | None
        ) = None
        self._kept_first: dict | None = None  # the first model's screen, kept (models_answer)
        if not self.workspace and self._active.real_catalog:
            self._prefetch_models()

    def _member(
        self, name: str, path: str | None, error: str | None, warning: str | None
    ) -> RepoState:
        """A workspace member's state; one that cannot be opened is a warning row."""
        if path is None:
            return RepoState.failed(name, error or "could not be read")
        try:
            state = RepoState.open(name, path, self.user_config)
        except Exception as exc:  # noqa: BLE001 - one member failing never ends the others
            return RepoState.failed(name, error_text(exc))
        state.warning = warning
        return state

    # --- the active repository ------------------------------------------------------------

    repo: _FromActive[Repo] = _FromActive()
    config: _FromActive[Config] = _FromActive()
    push_policy: _FromActive[PushPolicy] = _FromActive()
    by_url: _FromActive[bool] = _FromActive()
    indexing: _FromActive[bool] = _FromActive()

    @property
    def paths(self) -> RepoPaths:
        assert self._active.paths is not None  # the active one is always readable
        return self._active.paths

    @property
    def active_repo(self) -> str | None:
        """The active repository's workspace name (None without a workspace)."""
        return self._active.name

    def use_repo(self, name: str | None) -> bool:
        """Make the workspace member ``name`` the active repository (the selected
        model's): screens read and write there from now on. False if it cannot be."""
        if name == self._active.name:
            return True
        state = next((s for s in self.repos if s.name == name and s.readable), None)
        if state is None:
            return False
        self._active = state
        if state.summary and not any(s.indexing for s in self.repos):
            self.index_status = self._about(state.name, state.summary)
        self._set_sub_title()
        self.remote_status = ""
        self.check_remote()
        return True

    def _set_sub_title(self) -> None:
        state = self._active
        assert state.paths is not None
        name = state.name if state.name is not None else state.paths.root.name
        self.sub_title = clean(name, single_line=True)

    def repo_state(self, name: str | None) -> RepoState:
        """The workspace member ``name`` (None: the active repository)."""
        if name is None:
            return self._active
        return next(s for s in self.repos if s.name == name)

    def _prefetch_models(self) -> None:
        """Start reading the first screen now, while Textual starts up and draws it: the
        home screen's first load takes the models (``first_models``) and its first
        versions load the first model's (``kept_first``). A plain thread, as the index
        run's: no worker can start before the app runs.

        When the first screen was kept beside this catalog generation
        (``store.query.models_answer``) it is all read from there, and the catalog is
        opened (DuckDB imported) only once that screen is up, or as soon as a load asks
        for ``connection()``; if the catalog then opened is another generation (or none
        can be), the screens are told as when it changes on disk. Else the thread opens
        the catalog at once, reads the models there, and, once the first screen is up (not
        competing with it), keeps them and the first model's screen for the next start.

        It touches nothing else of the app but that one message: no ``connection()``,
        no reactive. Whatever happens to it, its future ends with an answer or None:
        None sends the first load to the catalog itself (it never becomes the load's
        failure: a read that failed here, and only here, would otherwise lose the first
        screen, with nothing left to load the models again)."""
        state = self._active
        future: Future[tuple[duckdb.DuckDBPyConnection | None, list[dict]] | None] = Future()
        self._first_models = future
        paths = self.paths
        main = state.config.main

        def read() -> None:
            answer: tuple[duckdb.DuckDBPyConnection | None, list[dict]] | None = None
            generation = line = None
            missed = None  # the generation nothing was found kept for (the file read once)
            try:
                if state.opened is not None and not state.opened.is_set():
                    shown = current_generation(paths)
                    kept = models_answer.kept_answer(paths, shown, main)
                    if kept is None:
                        missed = shown
                    else:  # the first screen is drawn from it
                        self._kept_first = kept.first
                        answer = (None, kept.models)
                        future.set_result(answer)
                        self._open_now.wait(self.INDEX_DELAY)
                    self._open_catalog(state, shown if kept is not None else None)
                    if kept is not None:
                        return
                con = state.con
                if con is None:
                    return
                generation = state.generation  # the one con is on (None: not known for sure)
                models = None
                if generation != missed:  # (kept_models of None is None too)
                    models = models_answer.kept_models(paths, generation, main)
                if models is not None:  # as kept beside this very catalog generation
                    answer = (con, models)
                    return
                from modeltrail.store.query.mainline import main_line

                with con.cursor() as cursor:
                    line = main_line(cursor, main)
                    answer = (con, self._read_first_models(cursor, line))
                with self._con_lock:  # the versions need the same main line: computed once
                    if state.con is con and state.main_line is None:
                        state.main_line = (con, line)
            except Exception:  # noqa: BLE001 - the first load reads them itself
                answer = None
            finally:
                if not future.done():
                    future.set_result(answer)
            # kept for the next start once this one's first screen is up (not competing
            # with it); an app that ends before keeps nothing (a daemon thread)
            if answer is not None and answer[0] is not None and generation is not None:
                self._first_screen_up.wait()
                if line is None:  # the models were kept, the first screen may not be
                    return
                self._keep_first_screen(answer[0], generation, line, answer[1])

        self._prefetch = threading.Thread(target=read, name="modeltrail-first-models", daemon=True)
        self._prefetch.start()

    def _open_catalog(self, state: RepoState, shown: list | None) -> None:
        """Open the catalog whose opening was deferred (``RepoState.open``). A first
        screen drawn from what was kept for generation ``shown`` is read again when the
        catalog opened is another generation (or none can be opened: then rebuilt)."""
        with self._con_lock:
            state.open_catalog()
        if shown is not None and (state.con is None or state.generation != shown):
            self.post_message(_CatalogReopened(state.con is not None, state.name))

    def _keep_first_screen(
        self,
        con: duckdb.DuckDBPyConnection,
        generation: list,
        line: MainLine,
        models: list[dict],
    ) -> None:
        """Keep ``models`` and what the home screen shows first of the first of them."""
        from modeltrail.tui.screens.home import FIRST_PAGE, KEY_METRICS

        first = None
        if models:
            try:
                with con.cursor() as cursor:
                    first = models_answer.read_first(
                        cursor, line, models[0]["name"], FIRST_PAGE, KEY_METRICS
                    )
            except Exception:  # noqa: BLE001 - only a shortcut: the models alone then
                first = None
        models_answer.keep_models(self.paths, generation, self._active.config.main, models, first)

    def _read_first_models(self, cursor: duckdb.DuckDBPyConnection, line: MainLine) -> list[dict]:
        """The models, as the home screen's loads read them."""
        from modeltrail.store.query import queries

        return queries.list_models(cursor, line)

    def first_models(self) -> list[dict] | None:
        """The models read while the app started (once; waits for them: call it in a
        worker), or None when there are none to take, the read failed, or the catalog
        was swapped meanwhile: the load then asks the catalog as every later one does."""
        future, self._first_models = self._first_models, None
        answer = None if future is None else future.result()
        if answer is None:
            return None
        con, models = answer
        if con is not None and con is not self._active.con:
            return None
        return models

    def kept_first(self, model: str) -> dict | None:
        """What the home screen shows first of ``model`` as kept beside the catalog
        (``models_answer.read_first``), once, or None."""
        first, self._kept_first = self._kept_first, None
        return first if first is not None and first.get("model") == model else None

    def wait_first_screen(self) -> None:
        """Wait (in a worker) until the first screen is up, a few seconds at the most."""
        self._first_screen_up.wait(self.INDEX_DELAY)

    # --- public API for screens -----------------------------------------------------------

    def connection(self, repo: str | None = None) -> duckdb.DuckDBPyConnection:
        """The current read-only catalog connection of the active repository (or of the
        workspace member ``repo``): an empty catalog before the first index run has
        finished. Use ``.cursor()`` on it inside worker threads."""
        state = self.repo_state(repo)
        opened = state.opened
        if opened is not None and not opened.is_set():  # the first screen was kept: open it now
            self._open_now.set()
            opened.wait()
        with self._con_lock:
            if state.real_catalog and state.catalog_ident() != state.con_ident:
                self._reopen(state)
            if state.con is None:
                from modeltrail.store.catalog.files import empty_catalog

                state.con = empty_catalog()
            return state.con

    def main_line(self, repo: str | None = None) -> MainLine:
        """The current catalog's main line (``store.query.mainline``), computed once per
        catalog: the models and the versions both need it, and at 100,000 commits each
        walk costs ~50 ms and ~40 MB while it runs. Safe in worker threads."""
        state = self.repo_state(repo)
        con = self.connection(state.name)
        with self._con_lock:
            if state.main_line is not None and state.main_line[0] is con:
                return state.main_line[1]
        from modeltrail.store.query.mainline import main_line

        with con.cursor() as cursor:
            line = main_line(cursor, state.config.main)
        with self._con_lock:
            state.main_line = (con, line)
        return line

    def _reopen(self, state: RepoState) -> None:
        """The catalog file changed under the open connection: open the current one, or,
        when it is damaged or gone, keep an empty placeholder and rebuild it. A catalog
        generation is never rewritten in place (the indexer writes a new file and swaps
        the link), so the same file with another size or time is damage."""
        import duckdb

        from modeltrail.store.catalog.files import empty_catalog, open_snapshot
        from modeltrail.store.query.queries import model_names

        assert state.paths is not None
        old, state.con_ident = state.con_ident, state.catalog_ident()
        new = state.con_ident
        damaged = new is None or (old is not None and old[:2] == new[:2])
        fresh = None if damaged else open_snapshot(state.paths.catalog_file)
        if fresh is not None:
            try:
                model_names(fresh)  # a damaged file fails here
            except duckdb.Error:
                fresh.close()
                fresh = None
        if fresh is None:
            self._swap_connection(state, empty_catalog())
        else:
            self._swap_connection(state, fresh)
        self.post_message(_CatalogReopened(fresh is not None, state.name))  # thread-safe

    def on__catalog_reopened(self, message: _CatalogReopened) -> None:
        if message.usable:
            self.index_status = self._about(message.repo, "catalog changed on disk; reopened")
            self.broadcast(CatalogUpdated("catalog reopened", True))
        else:
            self.reindex(rebuild=True, repo=message.repo)
            self.index_status = self._about(
                message.repo, "⚠ the catalog was damaged or gone; rebuilding it…"
            )

    def _about(self, repo: str | None, text: str) -> str:
        """A status line about one repository: named in a workspace."""
        return f"{clean(repo, single_line=True)}: {text}" if repo is not None else text

    @property
    def has_catalog(self) -> bool:
        """Whether a real catalog (not the empty placeholder) is open."""
        return self._active.real_catalog

    def now(self) -> datetime:
        """The clock for relative ages (frozen in tests and screenshots)."""
        return self._now()

    def start_index_once(self) -> None:
        """Called when the home screen is up (its first version's details shown, or none
        to show): start the start-up index run (once, of every repository; later runs come
        from ``reindex``)."""
        self._first_screen_up.set()
        self._open_now.set()
        if not self._frozen:
            # Everything built so far lives as long as the app: keep it out of the cyclic
            # collector, whose full passes over it would stall key presses for ~50 ms.
            gc.freeze()
            atexit.register(gc.unfreeze)  # whatever happens, let the last collection see them
            self._frozen = True
        gc_pause.resume()  # paused by the launcher until this first screen (tui.gc_pause)
        if self._index_on_mount and not self._index_started:
            if self._remote_deferred:  # not checked at mount: the first screen came first
                self._remote_deferred = False
                self.check_remote()
            self._index_started = True
            for state in self.repos:
                if state.readable:
                    self.reindex(repo=state.name)

    def reindex(self, rebuild: bool = False, repo: str | None = None) -> None:
        """Start a background index run of the active repository (or of the workspace
        member ``repo``) unless one is running or waiting (``rebuild``: from scratch)."""
        state = self.repo_state(repo)
        self._index_started = True
        if state.indexing:
            return
        state.indexing = True
        self.index_status = self._about(state.name, "indexing…")
        with self._con_lock:
            self._index_pending[id(state)] = rebuild
            if self._index_thread is not None:
                return  # the running thread takes it next
            # A daemon thread, not a worker: quitting never waits for a long index run (the
            # catalog is written to a temporary file and renamed, so stopping is harmless).
            self._index_thread = threading.Thread(
                target=self._index_runs, name="modeltrail-index", daemon=True
            )
            self._index_thread.start()

    def _index_runs(self) -> None:
        """The index thread: one repository after the other, while any is waiting."""
        while True:
            with self._con_lock:
                if not self._index_pending:
                    self._index_thread = None
                    return
                key, rebuild = next(iter(self._index_pending.items()))
                del self._index_pending[key]
            state = next(s for s in self.repos if id(s) == key)
            self._index_run(state, rebuild)

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        for state in self.repos:  # each repository's configuration problems
            for warning in state.config.warnings:
                text = self._about(state.name, warning)
                self.notify(clean(text), severity="warning", markup=False)
        for warning in self.user_config.warnings:
            self.notify(clean(warning), severity="warning", markup=False)
        if self.location_note:  # -C URL not fetched this run: how old its copy is
            self.notify(clean(self.location_note), severity="warning", markup=False)
        for state in self.repos:
            if state.warning:  # a workspace member's URL not fetched, and the like
                text = self._about(state.name, state.warning)
                self.notify(clean(text), severity="warning", markup=False)
        self._apply_personal(self.user_config)
        from modeltrail.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if not self._index_on_mount:
            self.check_remote()
            if self._active.real_catalog:
                self.index_status = "catalog opened"
        elif all(s.real_catalog for s in self.repos if s.readable):
            # paint from the catalog first; ask git for news (where the branch stands, then
            # the index run) once the home screen is up (start_index_once), or after a
            # moment at the latest: git's processes would compete with the first screen
            self._remote_deferred = True
            self.index_status = "catalog opened; checking the repository…"
            self.set_timer(self.INDEX_DELAY, self.start_index_once)
        else:
            self.check_remote()
            self.start_index_once()

    def _index_run(self, state: RepoState, rebuild: bool = False) -> None:
        last = 0.0
        name = state.name
        assert state.paths is not None

        def progress(phase: str, done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _PROGRESS_INTERVAL or done == total:
                last = now
                self.post_message(IndexProgress(phase, done, total, name))

        try:
            # the indexer is imported (off the UI thread) only when something is new
            from modeltrail.store.catalog.files import update_catalog

            # GitPython objects are not shared by threads: this one is the thread's own
            with open_repo(state.paths.root) as repo:
                summary = update_catalog(repo, rebuild=rebuild, progress=progress)
        except Exception as exc:  # noqa: BLE001 - reported by worker_failed, as a worker's
            self.post_message(IndexFinished("", False, error_text(exc), repo=name))
            return
        note = index_lock_note(state.paths.git_dir)
        changed = summary.mode != "unchanged"
        self.post_message(IndexFinished(summary.line(), changed, None, note, repo=name))

    def on_index_progress(self, message: IndexProgress) -> None:
        phase = clean(message.phase, single_line=True)
        if message.total:
            pct = int(100 * message.done / message.total)
            text = f"indexing: {phase} {message.done}/{message.total} ({pct}%)"
        else:
            text = f"indexing: {phase}…"
        self.index_status = self._about(message.repo, text)

    def on_index_finished(self, message: IndexFinished) -> None:
        state = self.repo_state(message.repo)
        assert state.paths is not None
        state.indexing = False
        if state is self._active:
            self.check_remote()  # a write or a fetch may have moved the branch or its upstream
        if message.error:
            self.worker_failed("index", self._about(message.repo, message.error))
            return
        state.summary = clean(message.summary, single_line=True)
        if not any(s.indexing for s in self.repos):  # the last run: the active one's line
            shown = self._active if self._active.summary else state
            self.index_status = self._about(shown.name, shown.summary)
        if message.lock_note and not state.lock_note:
            # every write (a rollback, git commit) fails until it is gone: once per lock
            text = self._about(message.repo, message.lock_note)
            self.notify(clean(text), severity="warning", markup=False, timeout=20)
        state.lock_note = message.lock_note
        from modeltrail.store.catalog.files import open_snapshot

        with self._con_lock:
            ident = state.catalog_ident()
            fresh = open_snapshot(state.paths.catalog_file)
            if fresh is None:
                self.index_status = self._about(
                    message.repo, "⚠ the catalog could not be opened after indexing"
                )
                return
            # a catalog file other than the open one (rebuilt elsewhere, or after damage)
            # is swapped in even when this run found nothing new
            swap = message.changed or not state.real_catalog or ident != state.con_ident
            if swap:
                self._swap_connection(state, fresh)
                state.con_ident = ident
                state.real_catalog = True
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

    def _swap_connection(self, state: RepoState, fresh: duckdb.DuckDBPyConnection) -> None:
        # Workers may still hold cursors of the old connection: close it one swap later.
        import duckdb

        for old in state.retired:
            with contextlib.suppress(duckdb.Error):
                old.close()
        state.retired = [state.con] if state.con is not None else []
        state.con = fresh
        state.main_line = None
        state.generation = None  # the models kept for the old one are not this one's

    def broadcast(self, message_factory: CatalogUpdated) -> None:
        """Post a copy of a ``CatalogUpdated`` to every screen on the stack."""
        for screen in self.screen_stack:
            screen.post_message(CatalogUpdated(message_factory.summary, message_factory.changed))

    def on_unmount(self) -> None:
        if self._fetch_cancel is not None:  # quitting never waits on a silent remote
            self._fetch_cancel.set()
        gc_pause.resume()  # stopped before its first screen: collect as usual again
        if self._prefetch is not None and self._first_screen_up.is_set():
            self._prefetch.join(timeout=5)  # the models it keeps for the next start
        if self._frozen:  # let the interpreter's last collection see those objects again
            gc.unfreeze()
        for state in self.repos:
            for con in [*state.retired, state.con]:
                if con is not None:  # (DuckDB was imported: a connection is open)
                    import duckdb

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
