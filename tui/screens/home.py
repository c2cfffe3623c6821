"""The home screen: models → versions → details of the selected version.

Models (with stage badges) on the left, or on top below 100 columns; the selected
model's versions as a virtual list; the selected version's details below. ``/`` filters
the versions (``store.query.filter``), ``space`` marks, ``c`` compares the marked versions,
``r`` rolls back (on a model: its stage to the previous holder; on a version: to it),
``z`` undoes, ``f``/``h`` open flow and history.

All catalog reads run in thread workers that post the private messages below; the
handlers own the widgets. A worker that raises is reported by ``worker_failed`` (the
one handler of ``tui.workers``): a note in the status line. The details pane loads (and
reports) the selected version's details itself: the screen says what is selected. A
catalog update (``CatalogUpdated``) reloads everything and keeps
the selection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import get_current_worker

from modeltrail.store.query.stages import stage_order
from modeltrail.store.repo import open_repo
from modeltrail.tui.audit_text import overall
from modeltrail.tui.bindings import HOME_BINDINGS
from modeltrail.tui.format import NO_MODELS
from modeltrail.tui.messages import CatalogUpdated
from modeltrail.tui.palette import PaletteCommand
from modeltrail.tui.safe_text import clean
from modeltrail.tui.screens.help import FILTER_PLACEHOLDER, HOME_LEGEND
from modeltrail.tui.screens.home_messages import (
    FilterApplied,
    ModelsLoaded,
    PreviousLoaded,
    ReproducibleLoaded,
    VersionsLoaded,
    kept_versions,
)
from modeltrail.tui.screens.home_palette import jump_commands, prefix_commands
from modeltrail.tui.widgets.details import DetailsKey, DetailsView
from modeltrail.tui.widgets.kept_rows import KeptRows
from modeltrail.tui.widgets.key_footer import KeyFooter
from modeltrail.tui.widgets.model_list import ModelList
from modeltrail.tui.widgets.status import StatusBar
from modeltrail.tui.widgets.version_list import VersionList
from modeltrail.tui.widgets.version_rows import MARK, VersionRows
from modeltrail.tui.workers import ReportsWorkerFailures
from modeltrail.tui.workspace_models import models_title, workspace_models

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

KEY_METRICS = 3
FIRST_PAGE = 500  # versions shown before the rest of a long list has loaded
REPRO_PART = 5000  # versions whose checks are read at a time (the R column)


class HomeScreen(ReportsWorkerFailures, Screen):
    """Browse models, their versions, and one version's details."""

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    HELP_TITLE = "home"
    HELP_FILTER = True  # the help explains the filter language
    BINDINGS = HOME_BINDINGS
    AUTO_FOCUS = "#models"

    def __init__(self) -> None:
        super().__init__()
        self.models: list[dict] = []
        self.model: str | None = None
        self.model_repo: str | None = None  # the selected model's repository (a workspace)
        self.rows: VersionRows | None = None
        self._metric_keys: dict[str, list[str]] = {}  # model -> its metric keys (cached)
        self.filter_query = ""
        self.filter_count: int | None = None  # matches of filter_query (None: not known yet)
        self.filter_invalid = False  # filter_query is not a valid query
        self.partial = False  # only the newest page of a long list is loaded so far
        self.rest_failed = False  # ... and loading the rest failed (said in the title)
        self._shown_titles: dict[str, str] = {}
        self._filter_running: tuple | None = None  # (model, query, rows) being filtered
        self._pending_commit: str | None = None
        self._keep_commit: str | None = None
        self.all_branches = False  # b: every branch's versions (else the main line)
        self._checks_for: VersionRows | None = None  # the rows whose checks were started
        self._kept_details: tuple[DetailsKey, RenderableType] | None = None

    def help_legend(self) -> tuple[tuple[str, str], ...]:
        return HOME_LEGEND

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="models-pane", classes="pane"):
                yield ModelList(now=self.app.now, id="models")
            with Vertical(id="right"):
                with Vertical(id="versions-pane", classes="pane"):
                    yield Input(
                        placeholder=FILTER_PLACEHOLDER,
                        id="filter",
                    )
                    yield VersionList(id="versions")
                with Vertical(id="details-pane", classes="pane"):
                    yield DetailsView(id="details", on_change=self._details_changed)
        yield StatusBar(id="status")
        yield KeyFooter(compact=True, show_command_palette=False)

    @property
    def model_list(self) -> ModelList:
        return self.query_one("#models", ModelList)

    @property
    def version_list(self) -> VersionList:
        return self.query_one("#versions", VersionList)

    @property
    def details(self) -> DetailsView:
        return self.query_one("#details", DetailsView)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def on_mount(self) -> None:
        self.set_class(self.app.workspace, "-workspace")  # a wider models pane: REPO column
        self.filter_input.display = False
        self._titles()
        waiting = not self.app.has_catalog
        self.version_list.empty_text = (
            "indexing the repository… versions appear when it is done" if waiting else "loading…"
        )
        self._details_message("indexing…" if waiting else "")
        self._models_title()
        self.load_models()

    def _set_title(self, selector: str, title: Text) -> None:
        """Set a pane's border title only when it changes (each change repaints the pane)."""
        pane = self.query_one(selector)
        if self._shown_titles.get(selector) != title.plain:
            self._shown_titles[selector] = title.plain
            pane.border_title = title

    def _models_title(self) -> None:
        """The models pane's title (counts every model: set when the models load, not
        with the other titles on every move of the cursor)."""
        self._set_title("#models-pane", models_title(self.app, self.models))

    def _titles(self) -> None:
        title = Text("2 Versions")
        if self.model is not None:
            title.append(" · ")
            if self.model_repo is not None:
                title.append(clean(self.model_repo, single_line=True) + "/")
            title.append(clean(self.model, single_line=True))
            total = len(self.rows) if self.rows is not None else 0
            if self.partial:
                total = self._model_info().get("versions", total)
            if self.filter_query:
                count = str(self.filter_count)
                if self.filter_invalid:
                    count = "✗"
                elif self.filter_count is None:
                    count = "…"  # its matches are still being counted
                title.append(" · filter ")
                title.append(clean(self.filter_query, single_line=True))
                title.append(f" → {count} of {total}")
            else:
                title.append(f" · {total:,}")
                shown = len(self.rows) if self.rows is not None else 0
                if self.partial and (shown < total or self.rest_failed):
                    title.append(
                        f" (only the newest {shown:,}: the rest failed to load)"
                        if self.rest_failed
                        else " (loading…)"
                    )
            title.append(" · " + self._scope_text())
        marked = len(self.version_list.marked)
        if marked:
            title.append(f" · {marked} marked {MARK}")
        self._set_title("#versions-pane", title)
        self._details_title()

    def _model_info(self) -> dict:
        """The selected model's dict (``list_models``), or {}."""
        key = (self.model_repo, self.model)
        return next((m for m in self.models if (m.get("repo"), m["name"]) == key), {})

    def _scope_text(self) -> str:
        """Which versions the list shows and what its deltas compare against."""
        if self.all_branches:
            return "all branches · Δ vs the version it was built on"
        main = self.rows.main if self.rows is not None else None
        if main is None:
            return "Δ vs previous version"
        return f"main line · Δ vs previous on {clean(main, single_line=True)}"

    def _details_message(self, text: str) -> None:
        """A short message in the details pane instead of a version's details."""
        self.details.show_message(text)

    def _details_changed(self) -> None:
        if self.is_mounted:
            self._details_title()
            if self.details.showing:  # the first screen is up: once it is painted, git's turn
                self.app.call_after_refresh(self.app.start_index_once)
                self._start_checks()

    @property
    def shown_commit(self) -> str | None:
        """The version whose details the pane showed last (for scripts)."""
        return self.details.shown_commit

    def _details_title(self) -> None:
        """The details pane names the version it shows (set with its content)."""
        title = Text("Details")
        commit = self.details.shown_commit if self.details.showing else None
        row = self.rows.row_of(commit) if self.rows is not None and commit is not None else None
        if row is not None and self.rows is not None:
            title.append(" · ")
            title.append(clean(self.rows.value("version", row), single_line=True))
        self._set_title("#details-pane", title)

    # --- loading (workers post, handlers update) ------------------------------------------

    def worker_failed(self, group: str, error: str) -> None:
        """A load that raised: a filter's as the filter's error, any other in the status
        line; one line, literally (the details pane reports its own)."""
        if group == "filter" and self._filter_running is not None:
            model, query, source = self._filter_running
            self.on_filter_applied(FilterApplied(model, query, source, None, error))
        elif group in ("models", "versions", "checks"):
            self.status.set_note(f"⚠ {clean(error, single_line=True)}", problem=True)
            if group == "versions" and self.partial:  # the first page stays, not "loading…"
                self.rest_failed = True
                self._titles()
        else:
            super().worker_failed(group, error)

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def load_models(self) -> None:
        """The models; over a workspace every repository's (``tui.workspace_models``)."""
        if self.app.workspace:
            self.post_message(ModelsLoaded(workspace_models(self.app)))
            return
        models = self.app.first_models()  # read while the app started (the first load)
        if models is None:
            from modeltrail.store.query import queries

            with self.app.connection().cursor() as cursor:
                models = queries.list_models(cursor, self.app.main_line())
        self.post_message(ModelsLoaded(models))

    def on_models_loaded(self, message: ModelsLoaded) -> None:
        self.models = message.models
        self._models_title()
        keep = self.model
        keep_repo = self.model_repo
        self.model_list.set_models(self.models, keep=keep, keep_repo=keep_repo)
        if not self.models:
            self.app.start_index_once()
            self.model = None
            self.rows = None
            self.version_list.empty_text = (
                NO_MODELS
                if self.app.has_catalog and not self.app.indexing
                else "indexing the repository… versions appear when it is done"
            )
            self.version_list.set_rows(None)
            self._details_message(NO_MODELS if not self.app.indexing else "indexing…")
        elif keep is not None and self._model_info():
            self._keep_commit = self.version_list.current_commit
            self.load_versions(keep, self.all_branches, keep_repo)
        self._titles()

    @on(ModelList.Highlighted, "#models")
    def _model_highlighted(self, event: ModelList.Highlighted) -> None:
        current = self.model_list.current
        if current is None:
            return
        repo = current.get("repo")
        if (repo, current["name"]) == (self.model_repo, self.model):
            return
        if current.get("error") is not None:
            self._unread_repo(repo, current["error"])
            return
        self.select_model(current["name"], repo)

    def _unread_repo(self, repo: str | None, error: str) -> None:
        """A workspace's repository that could not be read is selected: say why."""
        self.model, self.model_repo, self.rows, self.partial = None, repo, None, False
        name = clean(repo or "", single_line=True)
        self.version_list.empty_text = f"⚠ repository {name} could not be read (why: below)"
        self.version_list.set_rows(None)
        self._details_message(f"⚠ {name}: {clean(error, single_line=True)}")
        self._titles()

    def select_model(self, name: str, repo: str | None = None) -> None:
        """Show ``name``'s versions (of the workspace's repository ``repo``), loaded in
        the background. Its repository becomes the app's active one: every screen
        opened from here (compare, flow, history, audit, rollback) works there."""
        if repo != self.app.active_repo:
            self.app.use_repo(repo)
            self._metric_keys.clear()  # another catalog: its models' metrics differ
            self.details.forget()
        self.model = name
        self.model_repo = repo
        self.rows = None
        self.partial = False
        self.filter_count = None
        self.version_list.empty_text = "loading…"
        self.version_list.set_rows(None)
        self._details_message("loading…")
        self._titles()
        self.load_versions(name, self.all_branches, repo)

    def action_all_branches(self) -> None:
        """``b``: list every branch's versions, or back to the main line (and the labelled
        or staged versions). The cursor stays on its version when it is still listed."""
        self.all_branches = not self.all_branches
        if self.model is None:
            self._titles()
            return
        self._keep_commit = self.version_list.current_commit
        self.partial = False
        self.load_versions(self.model, self.all_branches, self.model_repo)
        self._titles()

    @work(thread=True, exclusive=True, group="versions", exit_on_error=False)
    def load_versions(
        self, model: str, all_branches: bool = False, repo: str | None = None
    ) -> None:
        """The newest page of versions first (paints at once however many there are),
        then all of them, then the version each was built on (for the deltas). ``repo``:
        the workspace's repository the model is in (else the app's one)."""
        worker = get_current_worker()
        state = self.app.repo_state(repo)
        config = state.config
        assert state.paths is not None  # a model's repository was read
        kept = None if all_branches or repo is not None else self.app.kept_first(model)
        if kept is not None:  # the first screen as kept from the last start: drawn at once
            self.post_message(kept_versions(kept, self.app.config))
            self.app.wait_first_screen()  # then the catalog's own, not competing with it
            if worker.is_cancelled:
                return
        from modeltrail.store.query import browse

        def table_rows(table) -> VersionRows:
            return VersionRows(
                table, keys, config.better, config.direction, line.branch, all_branches, line.sizes
            )

        with self.app.connection(repo).cursor() as cursor:
            line = self.app.main_line(repo)
            scope: dict[str, Any] = {"main": line, "all_branches": all_branches}
            keys = browse.key_metrics(cursor, model, limit=KEY_METRICS)
            table = browse.versions_table(cursor, model, keys, limit=FIRST_PAGE, **scope)
            if len(table) == FIRST_PAGE and not worker.is_cancelled:
                self.post_message(VersionsLoaded(model, table_rows(table), True, repo))
                table = browse.versions_table(cursor, model, keys, **scope)
        rows = table_rows(table)
        if worker.is_cancelled:
            return
        self.post_message(VersionsLoaded(model, rows, repo=repo))
        # then the version each was built on, for the metric deltas (the list shows first)
        with self.app.connection(repo).cursor() as cursor:
            prev_topo = browse.previous_column(cursor, model, rows.table.column("topo"))
        if not worker.is_cancelled:
            self.post_message(PreviousLoaded(model, rows, prev_topo))

    def _start_checks(self) -> None:
        """Read the listed versions' checks (the R column) once the screen shows their
        details: not before, the first screen does not need them (once per list)."""
        if (
            self.details.showing
            and self.model is not None
            and self.rows is not None
            and not self.partial
            and self._checks_for is not self.rows
        ):
            self._checks_for = self.rows
            self.load_checks(self.model, self.rows, self.model_repo)

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def load_checks(self, model: str, rows: VersionRows, repo: str | None = None) -> None:
        """How reproducible each version is (the audit's checks, the R column); ``repo``:
        the workspace's repository the model is in (else the app's one)."""
        from modeltrail.store.query import audit

        worker = get_current_worker()
        state = self.app.repo_state(repo)
        assert state.paths is not None  # a model's repository was read
        with open_repo(state.paths.root) as git_repo:
            remotes = audit.remotes_of(git_repo)
        marks = rows.reproducible_marks()
        with self.app.connection(repo).cursor() as cursor:
            for part in audit.version_checks_by_part(cursor, model, remotes, part=REPRO_PART):
                if worker.is_cancelled:
                    return
                marks.update({commit: overall(c) for commit, c in part.items()})
                del part  # not kept while the next part is read
        self.post_message(ReproducibleLoaded(model, rows, marks, remotes))

    def on_reproducible_loaded(self, message: ReproducibleLoaded) -> None:
        if message.rows is not self.rows:
            return
        message.rows.set_reproducible(message.marks)
        self.details.remotes = message.remotes  # the details need not look again
        self.version_list.redraw()

    def on_previous_loaded(self, message: PreviousLoaded) -> None:
        if message.rows is not self.rows:
            return
        message.rows.set_previous(message.prev_topo)
        self.version_list.redraw()
        commit = self.version_list.current_commit
        if commit is not None:  # its details again, now with the deltas
            self._show_details(commit)
        self._start_checks()

    def on_versions_loaded(self, message: VersionsLoaded) -> None:
        if not message.partial and not len(message.rows):
            self.app.start_index_once()  # the screen is up (no details to show): git's turn
        if (message.repo, message.model) != (self.model_repo, self.model):
            return
        if message.rows.all_branches != self.all_branches:
            return  # the list of before a b: the other one is loading
        pending = self._pending_commit
        if (
            pending is not None
            and not message.partial
            and not self.all_branches
            and message.rows.row_of(pending) is None
        ):  # a jump to a version off the main line: list every branch
            self.all_branches = True
            self.load_versions(message.model, True, message.repo)
            return
        self.rest_failed = False
        replacing_page = (
            self.partial
            and self.rows is not None
            and (not message.partial or isinstance(self.rows, KeptRows))
        )
        self._kept_details = message.kept_details
        self.rows = message.rows
        self.partial = message.partial
        if replacing_page:  # the whole list replaces its first page: stay where the user is
            keep = self._pending_commit or self.version_list.current_commit
        else:
            keep = self._pending_commit or self._keep_commit
            self._keep_commit = None
        self.version_list.empty_text = "no versions"
        self.version_list.set_rows(self.rows, keep_commit=keep, keep_scroll=replacing_page)
        if self.filter_query:
            self._run_filter(self.filter_query)
        found = (
            self._pending_commit is not None and self.rows.row_of(self._pending_commit) is not None
        )
        if found or (self._pending_commit is not None and not self.partial):
            self._pending_commit = None
            self.set_focus(self.version_list)
        self._titles()
        self._start_checks()

    @on(VersionList.Highlighted, "#versions")
    def _version_highlighted(self, event: VersionList.Highlighted) -> None:
        self._titles()
        if event.commit is None or self.model is None or self.rows is None:
            if self.rows is not None:
                self._details_message("no version matches" if self.filter_query else "")
            self.details.deselect()
            return
        self._show_details(event.commit)

    def _show_details(self, commit: str) -> None:
        """Tell the details pane ``commit`` is selected (it loads unless it has them)."""
        assert self.rows is not None and self.model is not None
        row = self.rows.row_of(commit)
        previous = None
        prev_row = self.rows.previous_row(row) if row is not None else None
        if prev_row is not None:
            previous = (self.rows.commit_at(prev_row), self.rows.value("version", prev_row))
        kept, self._kept_details = self._kept_details, None
        if kept is not None and kept[0] == (self.model, commit, previous):
            self.details.show_kept(*kept)  # the full details load once the list is the catalog's
            return
        self.details.show(self.model, commit, previous)

    @property
    def busy(self) -> bool:
        """Whether details or a filter are still to be loaded (for tests and scripts)."""
        return self.details.busy or self._filter_running is not None

    @on(CatalogUpdated)
    def _catalog_updated(self, message: CatalogUpdated) -> None:
        if message.changed:
            self._metric_keys.clear()
            self.details.forget()
            self.load_models()

    # --- filter ---------------------------------------------------------------------------

    def _typing(self) -> None:
        """Let a priority key through as text while the filter box has focus."""
        if self.focused is self.filter_input:
            raise SkipAction()

    def action_filter(self) -> None:
        """Show the filter box and focus it."""
        self._typing()
        self.filter_input.display = True
        self.set_focus(self.filter_input)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._run_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.filter_input.display = False
        self.set_focus(self.version_list)

    def set_filter(self, query: str) -> None:
        """Filter the versions by ``query`` (empty: show all)."""
        self.filter_input.value = query
        self.filter_input.display = bool(query)
        self._run_filter(query)

    def _run_filter(self, query: str) -> None:
        changed = query.strip() != self.filter_query
        if changed:
            self.filter_count = None  # an earlier query's count is not this one's
            self.filter_invalid = False
        self.filter_query = query.strip()
        if changed and self.filter_query:
            self._titles()  # "filter QUERY → … of N" until its matches are counted
        if not self.filter_query:
            self.filter_count = None
            self.status.set_note("")
            self.filter_input.remove_class("-invalid")
            self.version_list.set_view(None, keep_commit=self.version_list.current_commit)
            self._titles()
            return
        if self.model is not None and self.rows is not None and self._filter_running is None:
            # later keys wait for this query, then the newest runs
            self._filter_running = (self.model, self.filter_query, self.rows)
            keys = self._metric_keys.get(self.model)
            self.filter_versions(self.model, self.filter_query, self.rows, keys)

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False)
    def filter_versions(
        self, model: str, query: str, rows: VersionRows, keys: list[str] | None
    ) -> None:
        """The rows matching ``query``; ``keys``: the model's metrics if known (else looked
        up here and posted back, for the handler to keep: a worker writes no state). A
        query that is not valid is an answer (its error), not a failure."""
        from modeltrail.store.query import browse
        from modeltrail.store.query.filter import FilterError, matching_topos

        with self.app.connection().cursor() as cursor:
            if keys is None:  # every metric the model has, to validate queries
                keys = browse.metric_keys(cursor, model)
            try:
                topos = matching_topos(cursor, model, query, keys)
            except FilterError as exc:
                self.post_message(FilterApplied(model, query, rows, None, str(exc), keys))
                return
        matched = rows.rows_of_topos(topos)
        self.post_message(FilterApplied(model, query, rows, matched, metric_keys=keys))

    def on_filter_applied(self, message: FilterApplied) -> None:
        self._filter_running = None
        if message.metric_keys is not None:
            self._metric_keys.setdefault(message.model, message.metric_keys)
        current = (self.model, self.filter_query, self.rows)
        if (message.model, message.query, message.source) != current:
            if self.filter_query:  # the query or the list changed meanwhile: the newest
                self._run_filter(self.filter_query)
            return
        if message.error is not None:
            self.filter_invalid = True
            self._titles()
            self.filter_input.add_class("-invalid")
            self.status.set_note(f"✗ {clean(message.error, single_line=True)}", problem=True)
            return
        self.filter_input.remove_class("-invalid")
        self.status.set_note("")
        self.filter_count = len(message.rows or [])
        self.version_list.empty_text = "no version matches the filter (esc clears it)"
        self.version_list.set_view(message.rows, keep_commit=self.version_list.current_commit)
        self._titles()

    # --- navigation -----------------------------------------------------------------------

    def on_descendant_focus(self, event) -> None:
        self.set_class(self.focused is self.details, "-reading")

    def action_focus_pane(self, pane: str) -> None:
        self._typing()
        target = {"models": "#models", "versions": "#versions", "details": "#details"}[pane]
        self.set_focus(self.query_one(target))

    @on(ModelList.Selected, "#models")
    def _model_selected(self, event: ModelList.Selected) -> None:
        self.set_focus(self.version_list)

    @on(VersionList.Selected, "#versions")
    def _version_selected(self, event: VersionList.Selected) -> None:
        self.set_focus(self.details)

    @on(VersionList.MarksChanged, "#versions")
    def _marks_changed(self, event: VersionList.MarksChanged) -> None:
        self._titles()

    def action_back(self) -> None:
        """esc: leave the filter box, clear a filter, or go back one pane."""
        focused = self.focused
        if focused is self.filter_input:
            self.set_filter("")
            self.set_focus(self.version_list)
        elif self.filter_query:
            self.set_filter("")
        elif focused is self.details:
            self.set_focus(self.version_list)
        elif focused is self.version_list:
            if self.version_list.marked:
                self.version_list.clear_marks()
            else:
                self.set_focus(self.model_list)

    def jump(self, model: str, commit: str | None = None, repo: str | None = None) -> None:
        """Select ``model`` (of the workspace's repository ``repo``; by default the active
        one's) and put the cursor on ``commit`` (clearing a filter hiding it)."""
        repo = repo if repo is not None else self.app.active_repo
        keys = [(m.get("repo"), m["name"]) for m in self.models]
        if (repo, model) not in keys:
            return
        if self.filter_query:
            self.set_filter("")
        if (repo, model) == (self.model_repo, self.model) and self.rows is not None:
            if commit is not None and self.rows.row_of(commit) is None and not self.all_branches:
                self.all_branches = True  # off the main line: list every branch
                self._pending_commit = commit
                self.load_versions(model, True, repo)
                return
            if commit is not None:
                self.version_list.set_view(None, keep_commit=commit)
            self.set_focus(self.version_list)
            return
        self._pending_commit = commit
        self.model_list.highlighted = keys.index((repo, model))
        if commit is None:
            self.set_focus(self.version_list)

    # --- other screens --------------------------------------------------------------------

    def action_compare(self) -> None:
        marked = self.version_list.marked_commits
        if self.model is None or self.rows is None or len(marked) < 2:
            self.notify("mark two or more versions with space, then press c", timeout=4)
            return
        # oldest first, so the comparison reads left to right in time
        rows = self.rows
        ordered = sorted(marked, key=lambda c: -(rows.row_of(c) or 0))
        from modeltrail.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.model, ordered, self.all_branches))

    def action_rollback(self) -> None:
        """``r``: on a model, its production stage back to the previous holder; on a
        version, to that version."""
        if self.model is None:
            self.notify("select a model first", timeout=4)
            return
        info = self._model_info()
        stages = sorted(info.get("stage_details") or {}, key=stage_order)
        commit = self.version_list.current_commit
        on_model = self.focused is self.model_list or self.focused is None
        if on_model:
            commit = None
        elif commit is None:
            self.notify("select a version to roll back to first", timeout=4)
            return
        from modeltrail.tui.screens.rollback import RollbackScreen

        self.app.push_screen(RollbackScreen(self.model, commit, None, stages))

    def action_undo(self) -> None:
        from modeltrail.tui.screens.rollback import UndoScreen

        self.app.push_screen(UndoScreen())

    def action_flow(self) -> None:
        from modeltrail.tui.screens.flow import FlowScreen

        self.app.push_screen(FlowScreen(self.model))

    def action_version_tree(self) -> None:
        from modeltrail.tui.screens.flow import FlowScreen

        if self.model is None:
            self.notify("select a model first", timeout=4)
            return
        self.app.push_screen(FlowScreen(self.model, tree=True))

    def action_history(self) -> None:
        from modeltrail.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.model))

    def action_changes(self) -> None:
        from modeltrail.tui.screens.changes import ChangesScreen

        self.app.push_screen(ChangesScreen())

    def action_audit(self) -> None:
        from modeltrail.tui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen(self.model))

    # --- command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        """Jump to models, stages and labelled versions (over a workspace, every
        repository's, named ``REPO/MODEL``); the screen's actions. (Thread.)"""
        out = jump_commands(self.app, self.jump)
        actions: list[tuple[str, str, Callable[[], object]]] = [
            ("Filter versions", "/ — e.g. test.auc>0.8 branch:main", self.action_filter),
            ("Clear filter", "esc", partial(self.set_filter, "")),
            ("Compare marked versions", "c — mark with space first", self.action_compare),
            (
                "Roll back (model: to the stage's previous holder; version: to it)",
                "r",
                self.action_rollback,
            ),
            ("Undo the last rollback", "z", self.action_undo),
            ("Flow: branches and merges", "f", self.action_flow),
            ("History: stage events and rollbacks", "h", self.action_history),
            ("Audit: reproducibility, time to roll back, moved labels", "a", self.action_audit),
            ("Version tree of the selected model", "f, then t", self.action_version_tree),
            ("Fetch from the remote", "F — ahead/behind in the status bar", self.app.action_fetch),
        ]
        out += [PaletteCommand(title, help_, cb) for title, help_, cb in actions]
        return out

    def search_commands(self, query: str) -> list[PaletteCommand]:
        """Versions whose commit id starts with ``query`` (4+ hex digits). (Thread.)"""
        return prefix_commands(self.app, self.jump, query)
