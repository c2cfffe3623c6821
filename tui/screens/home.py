"""The home screen: models → versions → details of the selected version.

Models (with stage badges) on the left, or on top below 100 columns; the selected
model's versions as a virtual list; the selected version's details below. ``/`` filters
the versions (``store.filter``), ``space`` marks, ``c`` compares the marked versions,
``r`` rolls back to the selected one, ``z`` undoes, ``f``/``h`` open flow and history.

All catalog reads run in thread workers that post the private messages below; the
handlers own the widgets. A catalog update (``CatalogUpdated``) reloads everything and
keeps the selection.
"""

from __future__ import annotations

import importlib
from functools import partial

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList
from textual.worker import get_current_worker

from store import queries
from store.filter import FilterError, matching_commits, model_metric_keys
from store.previous import previous_versions
from tui.bindings import HOME_BINDINGS
from tui.messages import CatalogUpdated
from tui.palette import PaletteCommand
from tui.safe_text import clean
from tui.widgets.details import DetailsView, render_details
from tui.widgets.model_list import ModelList
from tui.widgets.status import StatusBar
from tui.widgets.version_list import VersionList
from tui.widgets.version_rows import VersionRows, stage_glyph

KEY_METRICS = 3
_HEX = set("0123456789abcdef")


class ModelsLoaded(Message):
    def __init__(self, models: list[dict] | None, error: str | None = None) -> None:
        super().__init__()
        self.models = models
        self.error = error


class VersionsLoaded(Message):
    def __init__(
        self, model: str, rows: VersionRows | None, metric_keys: list[str], error: str | None = None
    ) -> None:
        super().__init__()
        self.model = model
        self.rows = rows
        self.metric_keys = metric_keys
        self.error = error


class DetailsLoaded(Message):
    def __init__(self, model: str, commit: str, renderable) -> None:
        super().__init__()
        self.model = model
        self.commit = commit
        self.renderable = renderable


class FilterApplied(Message):
    def __init__(
        self, model: str, query: str, rows: list[int] | None, error: str | None = None
    ) -> None:
        super().__init__()
        self.model = model
        self.query = query
        self.rows = rows
        self.error = error


class HomeScreen(Screen):
    """Browse models, their versions, and one version's details."""

    HELP_TITLE = "home"
    BINDINGS = HOME_BINDINGS
    AUTO_FOCUS = "#models"

    def __init__(self) -> None:
        super().__init__()
        self.models: list[dict] = []
        self.model: str | None = None
        self.rows: VersionRows | None = None
        self.metric_keys: list[str] = []
        self.filter_query = ""
        self.filter_count: int | None = None
        self._pending_commit: str | None = None
        self._keep_commit: str | None = None

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="models-pane", classes="pane"):
                yield ModelList(now=self.app.now, id="models")
            with Vertical(id="right"):
                with Vertical(id="versions-pane", classes="pane"):
                    yield Input(
                        placeholder="filter: auc>0.8 branch:main author:ana stage:prod",
                        id="filter",
                    )
                    yield VersionList(id="versions")
                with Vertical(id="details-pane", classes="pane"):
                    yield DetailsView(id="details")
        yield StatusBar(id="status")
        yield Footer(compact=True, show_command_palette=False)

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
        self.filter_input.display = False
        self._titles()
        waiting = not self.app.has_catalog
        self.version_list.empty_text = (
            "indexing the repository… versions appear when it is done" if waiting else "loading…"
        )
        self.details.show_message("indexing…" if waiting else "")
        self.load_models()

    def _titles(self) -> None:
        models_pane = self.query_one("#models-pane")
        models_pane.border_title = Text(f"1 Models ({len(self.models)})")
        title = Text("2 Versions")
        if self.model is not None:
            title.append(" · ")
            title.append(clean(self.model, single_line=True))
            total = len(self.rows) if self.rows is not None else 0
            if self.filter_query and self.filter_count is not None:
                title.append(" · filter ")
                title.append(clean(self.filter_query, single_line=True))
                title.append(f" → {self.filter_count} of {total}")
            else:
                title.append(f" · {total}")
        marked = len(self.version_list.marked)
        if marked:
            title.append(f" · {marked} marked ✓")
        self.query_one("#versions-pane").border_title = title
        details_title = Text("Details")
        commit = self.version_list.current_commit
        if self.rows is not None and commit is not None:
            row = self.rows.row_of(commit)
            if row is not None:
                details_title.append(" · ")
                details_title.append(clean(self.rows.value("version", row), single_line=True))
        self.query_one("#details-pane").border_title = details_title

    # --- loading (workers post, handlers update) ------------------------------------------

    @work(thread=True, exclusive=True, group="models")
    def load_models(self) -> None:
        try:
            cursor = self.app.connection().cursor()
            try:
                models = queries.list_models(cursor)
            finally:
                cursor.close()
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(ModelsLoaded(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(ModelsLoaded(models))

    def on_models_loaded(self, message: ModelsLoaded) -> None:
        if message.error is not None:
            self.status.set_note(f"⚠ {clean(message.error, single_line=True)}", problem=True)
            return
        self.models = message.models or []
        keep = self.model
        self.model_list.set_models(self.models, keep=keep)
        if not self.models:
            self.model = None
            self.rows = None
            self.version_list.empty_text = (
                "no models found in this repository"
                if self.app.has_catalog and not self.app.indexing
                else "indexing the repository… versions appear when it is done"
            )
            self.version_list.set_rows(None)
            self.details.show_message("no models yet" if not self.app.indexing else "indexing…")
        elif keep is not None and keep in [m["name"] for m in self.models]:
            self._keep_commit = self.version_list.current_commit
            self.load_versions(keep)
        self._titles()

    @on(OptionList.OptionHighlighted, "#models")
    def _model_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        current = self.model_list.current
        if current is None or current["name"] == self.model:
            return
        self.select_model(current["name"])

    def select_model(self, name: str) -> None:
        """Show ``name``'s versions (loaded in the background)."""
        self.model = name
        self.rows = None
        self.filter_count = None
        self.version_list.empty_text = "loading…"
        self.version_list.set_rows(None)
        self.details.show_message("loading…")
        self._titles()
        self.load_versions(name)

    @work(thread=True, exclusive=True, group="versions")
    def load_versions(self, model: str) -> None:
        worker = get_current_worker()
        try:
            cursor = self.app.connection().cursor()
            try:
                keys = queries.key_metrics(cursor, model, limit=KEY_METRICS)
                table = queries.versions_table(cursor, model, keys)
                all_keys = model_metric_keys(cursor, model)
                previous = previous_versions(cursor, model)
            finally:
                cursor.close()
            config = self.app.config
            rows = VersionRows(table, keys, config.better, config.direction, previous)
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(VersionsLoaded(model, None, [], f"{type(exc).__name__}: {exc}"))
            return
        if not worker.is_cancelled:
            self.post_message(VersionsLoaded(model, rows, all_keys))

    def on_versions_loaded(self, message: VersionsLoaded) -> None:
        if message.model != self.model:
            return
        if message.error is not None:
            self.status.set_note(f"⚠ {clean(message.error, single_line=True)}", problem=True)
            return
        self.rows = message.rows
        self.metric_keys = message.metric_keys
        keep = self._pending_commit or self._keep_commit
        self._keep_commit = None
        self.version_list.empty_text = "no versions"
        self.version_list.set_rows(self.rows, keep_commit=keep)
        if self.filter_query:
            self._run_filter(self.filter_query)
        if self._pending_commit is not None:
            self._pending_commit = None
            self.set_focus(self.version_list)
        self._titles()

    @on(VersionList.Highlighted, "#versions")
    def _version_highlighted(self, event: VersionList.Highlighted) -> None:
        self._titles()
        if event.commit is None or self.model is None or self.rows is None:
            if self.rows is not None:
                self.details.show_message("no version matches" if self.filter_query else "")
            return
        row = self.rows.row_of(event.commit)
        previous = None
        prev_row = self.rows.previous_row(row) if row is not None else None
        if prev_row is not None:
            previous = (self.rows.commits[prev_row], self.rows.value("version", prev_row))
        self.load_details(self.model, event.commit, previous)

    @work(thread=True, exclusive=True, group="details")
    def load_details(self, model: str, commit: str, previous: tuple[str, str] | None) -> None:
        worker = get_current_worker()
        try:
            cursor = self.app.connection().cursor()
            try:
                detail = queries.version_detail(cursor, model, commit)
                prev_metrics: dict[str, float | None] = {}
                if previous is not None:
                    prev_metrics = dict(
                        cursor.execute(
                            "SELECT key, value FROM metrics WHERE model = ? AND commit = ?",
                            [model, previous[0]],
                        ).fetchall()
                    )
            finally:
                cursor.close()
            renderable = render_details(
                detail, prev_metrics, previous[1] if previous else None, self.app.config.better
            )
        except Exception as exc:  # noqa: BLE001 - shown in the pane
            renderable = Text(f"⚠ {clean(f'{type(exc).__name__}: {exc}')}", style="bold")
        if not worker.is_cancelled:
            self.post_message(DetailsLoaded(model, commit, renderable))

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        if message.model == self.model and message.commit == self.version_list.current_commit:
            self.details.show(message.renderable)

    @on(CatalogUpdated)
    def _catalog_updated(self, message: CatalogUpdated) -> None:
        if message.changed:
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
        self.filter_query = query.strip()
        if not self.filter_query:
            self.filter_count = None
            self.status.set_note("")
            self.filter_input.remove_class("-invalid")
            self.version_list.set_view(None, keep_commit=self.version_list.current_commit)
            self._titles()
            return
        if self.model is not None and self.rows is not None:
            self.filter_versions(self.model, self.filter_query, self.metric_keys, self.rows)

    @work(thread=True, exclusive=True, group="filter")
    def filter_versions(
        self, model: str, query: str, metric_keys: list[str], rows: VersionRows
    ) -> None:
        worker = get_current_worker()
        try:
            cursor = self.app.connection().cursor()
            try:
                commits = matching_commits(cursor, model, query, metric_keys)
            finally:
                cursor.close()
        except FilterError as exc:
            self.post_message(FilterApplied(model, query, None, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(FilterApplied(model, query, None, f"{type(exc).__name__}: {exc}"))
            return
        found = [r for r in map(rows.row_of, commits) if r is not None]
        if not worker.is_cancelled:
            self.post_message(FilterApplied(model, query, found))

    def on_filter_applied(self, message: FilterApplied) -> None:
        if message.model != self.model or message.query != self.filter_query:
            return
        if message.error is not None:
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

    @on(OptionList.OptionSelected, "#models")
    def _model_selected(self, event: OptionList.OptionSelected) -> None:
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

    def jump(self, model: str, commit: str | None = None) -> None:
        """Select ``model`` and put the cursor on ``commit`` (clearing a filter hiding it)."""
        names = [m["name"] for m in self.models]
        if model not in names:
            return
        if self.filter_query:
            self.set_filter("")
        if model == self.model and self.rows is not None:
            if commit is not None:
                self.version_list.set_view(None, keep_commit=commit)
            self.set_focus(self.version_list)
            return
        self._pending_commit = commit
        self.model_list.highlighted = names.index(model)
        if commit is None:
            self.set_focus(self.version_list)

    # --- other screens --------------------------------------------------------------------

    def _open(self, module: str, name: str, *args) -> None:
        try:
            mod = importlib.import_module(f"tui.screens.{module}")
            screen_class = getattr(mod, name)
        except ModuleNotFoundError as exc:
            if exc.name != f"tui.screens.{module}":
                raise
            self.notify(f"{name} is not available in this build", severity="warning")
            return
        except AttributeError:
            self.notify(f"{name} is not available in this build", severity="warning")
            return
        self.app.push_screen(screen_class(*args))

    def action_compare(self) -> None:
        marked = self.version_list.marked_commits
        if self.model is None or self.rows is None or len(marked) < 2:
            self.notify("mark two or more versions with space, then press c", timeout=4)
            return
        # oldest first, so the comparison reads left to right in time
        ordered = sorted(marked, key=lambda c: -(self.rows.row_of(c) or 0))
        self._open("compare", "CompareScreen", self.model, ordered)

    def action_rollback(self) -> None:
        commit = self.version_list.current_commit
        if self.model is None or commit is None:
            self.notify("select a version to roll back to first", timeout=4)
            return
        self._open("rollback", "RollbackScreen", self.model, commit)

    def action_undo(self) -> None:
        self._open("rollback", "UndoScreen")

    def action_flow(self) -> None:
        self._open("flow", "FlowScreen")

    def action_history(self) -> None:
        self._open("history", "HistoryScreen", self.model)

    # --- command palette ------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        """Jump to models, stages and labelled versions; the screen's actions. (Thread.)"""
        cursor = self.app.connection().cursor()
        try:
            models = queries.list_models(cursor)
            labelled = cursor.execute(
                "SELECT model, version, commit FROM versions WHERE len(labels) > 0 "
                "ORDER BY model, topo DESC LIMIT 5000"
            ).fetchall()
        finally:
            cursor.close()
        out: list[PaletteCommand] = []
        for m in models:
            out.append(
                PaletteCommand(
                    f"Model: {m['name']}", "show its versions", partial(self.jump, m["name"])
                )
            )
            for stage, info in sorted((m.get("stage_details") or {}).items()):
                out.append(
                    PaletteCommand(
                        f"Stage: {m['name']} {stage_glyph(stage)} {stage} → {info['version']}",
                        "go to the version holding this stage",
                        partial(self.jump, m["name"], info["commit"]),
                    )
                )
        for model, version, commit in labelled:
            out.append(
                PaletteCommand(
                    f"Version: {model} {version}",
                    "go to this version",
                    partial(self.jump, model, commit),
                    discover=False,
                )
            )
        actions = [
            ("Filter versions", "/ — e.g. auc>0.8 branch:main", self.action_filter),
            ("Clear filter", "esc", partial(self.set_filter, "")),
            ("Compare marked versions", "c — mark with space first", self.action_compare),
            ("Roll back to the selected version", "r", self.action_rollback),
            ("Undo the last rollback", "z", self.action_undo),
            ("Flow: branches and merges", "f", self.action_flow),
            ("History: stage events and rollbacks", "h", self.action_history),
        ]
        out += [PaletteCommand(title, help_, cb) for title, help_, cb in actions]
        return out

    def search_commands(self, query: str) -> list[PaletteCommand]:
        """Versions whose commit id starts with ``query`` (4+ hex digits). (Thread.)"""
        if len(query) < 4 or not set(query.lower()) <= _HEX:
            return []
        cursor = self.app.connection().cursor()
        try:
            rows = cursor.execute(
                "SELECT model, version, commit FROM versions WHERE starts_with(commit, ?) "
                "ORDER BY topo DESC LIMIT 20",
                [query.lower()],
            ).fetchall()
        finally:
            cursor.close()
        return [
            PaletteCommand(
                f"Version: {model} {version} {commit[:10]}",
                "go to this version",
                partial(self.jump, model, commit),
                discover=False,
            )
            for model, version, commit in rows
        ]

    def focus_widget(self) -> Widget | None:
        return self.focused
