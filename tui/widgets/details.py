"""Everything about one version: message, metrics with deltas, params, MLflow's record,
artifacts, lineage.

``render_details`` turns a ``store.query.queries.version_detail`` dict into Rich renderables
built only from literal ``Text`` (repository text is never parsed as markup);
``DetailsView`` is the scrollable pane that shows them. The pane loads what it shows: its
screen says which version is selected (``DetailsView.show``) and the pane reads its details
in a thread worker, one load at a time, waiting for a cursor moved quickly to rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from modeltrail.store.query.stages import stage_order
from modeltrail.tui.audit_text import CHECK_LETTERS, GLYPHS, STYLES, overall
from modeltrail.tui.bindings import DETAILS_BINDINGS
from modeltrail.tui.format import fmt_delta, fmt_number, fmt_size, plural, stage_glyph
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.widgets.version_rows import LATEST
from modeltrail.tui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

Better = Callable[[str, float | None, float | None], bool | None]


def _grid(*columns: dict[str, Any]) -> Table:
    """A table without lines, two cells apart, of ``columns`` (each the keyword
    arguments of one ``Table.add_column``)."""
    table = Table.grid(padding=(0, 2))
    for column in columns:
        table.add_column(**column)
    return table


def _heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _value_text(row: dict) -> str:
    if row.get("value") is not None and row.get("text") in (None, "true", "false"):
        return row["text"] or fmt_number(row["value"])
    if row.get("value") is not None:
        return fmt_number(row["value"])
    return clean(row.get("text"), single_line=True)


def _header(d: dict) -> list[RenderableType]:
    title = Text()
    title.append(clean(d["version"], single_line=True), style="bold")
    if d.get("rolled_back_from"):  # a branch rollback: '= v1.1.0, rolled back from v1.2.0'
        title.append(f", rolled back from {clean(d['rolled_back_from'], single_line=True)}")
    if d.get("is_latest"):
        title.append(f" {LATEST} latest", style="bold")
    for stage in sorted(d.get("stages", []), key=stage_order):  # prod first, as the list
        title.append("  ")
        title.append(f"{stage_glyph(stage)} {clean(stage, single_line=True)}", style="bold yellow")
    if d.get("stale_metrics"):
        title.append("  ~ stale metrics", style="italic")
    lines: list[RenderableType] = [title]
    when = (d.get("date") or "").replace("T", " ").replace("Z", " UTC")
    meta = Text()
    meta.append(f"commit {d['commit']}\n", style="dim")
    meta.append(f"{when}  ")
    meta.append(clean(d.get("author_name"), single_line=True))
    if d.get("author_email"):
        meta.append(f" <{clean(d['author_email'], single_line=True)}>", style="dim")
    lines.append(meta)
    if d.get("branch"):
        made = d["branch"] + (f" ← {', '.join(d['merged'])}" if d.get("merged") else "")
        lines.append(Text("made on: ", style="dim") + literal(made, single_line=True))
    if d.get("branches"):
        lines.append(
            Text("branches: ", style="dim") + literal(", ".join(d["branches"]), single_line=True)
        )
    if d.get("labels"):
        lines.append(
            Text("labels: ", style="dim") + literal(", ".join(d["labels"]), single_line=True)
        )
    lines += _reproducibility(d)
    lines.append(Text(""))
    lines.append(literal((d.get("message") or "").rstrip()))
    return lines


def _reproducibility(d: dict) -> list[RenderableType]:
    """One line: ``✗ not reproducible · P✓ D✗ E✓ A? M✓ · data: no dvc.lock…`` (the
    first failing check's reason; the audit screen, ``a``, has them all)."""
    r = d.get("reproducibility")
    if not r:
        return []
    checks = r["checks"]
    state = overall(r)
    word = {True: "reproducible", False: "not reproducible", None: "reproducible?"}[state]
    line = Text(f"{GLYPHS[state]} {word} ·", style=STYLES[state])
    for name, letter in CHECK_LETTERS.items():
        line.append(f" {letter}{GLYPHS[checks.get(name)]}", style=STYLES[checks.get(name)])
    first = next((c for c in CHECK_LETTERS if checks.get(c) is False), None)
    if first is None:
        first = next((c for c in CHECK_LETTERS if checks.get(c) is None), None)
    if first is not None and r["reasons"].get(first):
        line.append(f" · {first}: ", style="dim")
        line.append_text(literal(r["reasons"][first], style="dim", single_line=True))
    line.no_wrap = True
    line.overflow = "ellipsis"
    out: list[RenderableType] = [line]
    return out


def _metrics(
    d: dict, previous: dict[str, float | None], prev_label: str | None, better: Better
) -> list[RenderableType]:
    if not d.get("metrics"):
        problems = [w for w in d.get("warnings") or [] if w.get("role") == "metrics"]
        if problems:  # the metrics file is there but could not be read: say why
            return [
                _heading("Metrics"),
                *(
                    Text("  ⚠ ", style="bold") + literal(w["message"], single_line=True)
                    for w in problems
                ),
            ]
        return [_heading("Metrics"), Text("  none", style="dim")]
    title = "Metrics" + (
        f" (change vs {clean(prev_label, single_line=True)})" if prev_label else ""
    )
    table = _grid({}, {"justify": "right"}, {})
    for row in d["metrics"]:
        key = row["key"]
        value = row.get("value")
        change = Text("")
        old = previous.get(key)
        if value is not None and old is not None:
            delta = value - old
            verdict = better(key, old, value)
            if delta == 0:
                change = Text("= same", style="dim")
            else:
                word = "better" if verdict else "worse"
                change = Text(
                    f"{fmt_delta(delta, bool(verdict), gap=' ')} {word}",
                    style="green" if verdict else "red",
                )
        elif value is not None and prev_label and key not in previous:
            change = Text("new", style="dim")
        if row.get("origin") == "dvc-cache":
            change.append(" (from the DVC cache)", style="dim")
        table.add_row(literal(key, single_line=True), Text(_value_text(row)), change)
    return [_heading(title), table]


def _params(d: dict) -> list[RenderableType]:
    if not d.get("params"):
        return []
    table = _grid({}, {"overflow": "fold"})
    for row in d["params"]:
        table.add_row(literal(row["key"], single_line=True), Text(_value_text(row)))
    return [_heading("Params"), table]


def _artifacts(d: dict) -> list[RenderableType]:
    if not d.get("artifacts"):
        return []
    table = _grid({"overflow": "fold"}, {}, {"justify": "right"}, {})
    for row in d["artifacts"]:
        storage = row.get("storage") or "?"
        if row.get("nfiles"):
            storage += f" ({plural(row['nfiles'], 'file')})"
        if storage.startswith("git"):
            local = Text("✓ in git", style="dim")
        elif row.get("present"):
            local = Text("✓ local", style="green")
        else:
            local = Text("✗ missing", style="red")
        table.add_row(
            literal(row["path"], single_line=True),
            Text(storage),
            Text(fmt_size(row.get("size"))),
            local,
        )
    return [_heading("Artifacts"), table]


def _environment(d: dict) -> list[RenderableType]:
    if not d.get("environment"):
        return []
    by_file: dict[str, list[str]] = {}
    for row in d["environment"]:
        by_file.setdefault(row["file"], []).append(f"{row['package'] or ''}{row['spec'] or ''}")
    out: list[RenderableType] = [_heading("Environment")]
    for file, packages in by_file.items():
        out.append(
            literal(file, style="dim", single_line=True)
            + Text(": ")
            + literal(", ".join(packages), single_line=True)
        )
    return out


def spec_text(spec: object) -> str:
    """One MLflow signature entry for people: ``tenure: double``, ``tensor float32
    [-1, 4]``; anything else as its text."""
    if not isinstance(spec, dict):
        return str(spec)
    kind = spec.get("type")
    tensor = spec.get("tensor-spec")
    if isinstance(tensor, dict):
        kind = f"tensor {tensor.get('dtype', '?')} {tensor.get('shape', '')}".rstrip()
    if spec.get("required") is False:
        kind = f"{kind} (optional)"
    name = spec.get("name")
    text = f"{name}: {kind}" if name is not None else str(kind)
    if "default" in spec:  # a signature param
        text += f" = {spec['default']}"
    return text


def _mlflow(d: dict) -> list[RenderableType]:
    ml = d.get("mlflow")
    if not ml:
        return []
    table = _grid({"style": "dim"}, {"overflow": "fold"})
    fields = (
        ("flavors", ", ".join(ml.get("flavors") or [])),
        ("run_id", ml.get("run_id")),
        ("model_uuid", ml.get("model_uuid")),
        ("created (UTC)", ml.get("utc_time_created")),
        ("mlflow", ml.get("mlflow_version")),
        ("model_id", ml.get("model_id")),
        ("artifact_path", ml.get("artifact_path")),
        (
            "size (bytes)",
            None if ml.get("model_size_bytes") is None else str(ml["model_size_bytes"]),
        ),
    )
    for label, value in fields:
        if value:
            table.add_row(Text(label), literal(value, single_line=True))
    signature = ml.get("signature") or {}
    for part in ("inputs", "outputs", "params"):
        specs = signature.get(part)
        if isinstance(specs, list):
            text = ", ".join(spec_text(s) for s in specs) or "none"
            table.add_row(Text(part), literal(text, single_line=True))
    title = "MLflow model"
    if ml.get("path"):
        title += f" ({clean(ml['path'], single_line=True)})"
    return [_heading(title), table]


def _lineage(d: dict) -> list[RenderableType]:
    if not d.get("lineage"):
        return []
    table = _grid({}, {"overflow": "fold"}, {})
    for row in d["lineage"]:
        table.add_row(
            literal(row.get("stage") or "", single_line=True),
            literal(row.get("path"), single_line=True),
            Text((row.get("hash") or "")[:10], style="dim"),
        )
    return [_heading("Lineage (data)"), table]


def _warnings(d: dict) -> list[RenderableType]:
    if not d.get("warnings"):
        return []
    out: list[RenderableType] = [_heading("⚠ Index warnings")]
    for row in d["warnings"]:
        out.append(
            Text("⚠ ")
            + literal(row.get("path") or "", style="bold", single_line=True)
            + Text(": ")
            + literal(row.get("message"), single_line=True)
        )
    return out


def render_details(
    d: dict, previous: dict[str, float | None], prev_label: str | None, better: Better
) -> RenderableType:
    """The details of version ``d`` (a ``version_detail`` dict) as one renderable."""
    parts: list[RenderableType] = []
    parts += _header(d)
    parts += _metrics(d, previous, prev_label, better)
    parts += _params(d)
    parts += _mlflow(d)
    parts += _artifacts(d)
    parts += _environment(d)
    parts += _lineage(d)
    parts += _warnings(d)
    return Group(*parts)


DETAILS_REST = 0.06  # s: moves closer together than this wait for the cursor to rest

#: what the pane is asked to show: (model, commit, previous version as (commit, version)
#: or None)
DetailsKey = tuple[str, str, tuple[str, str] | None]


@dataclass
class DetailsLoaded(Message):
    """Details for ``key`` (a ``DetailsKey``)."""

    key: DetailsKey
    renderable: RenderableType


class DetailsView(ReportsWorkerFailures, ScrollView, can_focus=True, inherit_bindings=False):
    """The details pane: one version's details, loaded by the pane, drawn line by line.

    The renderable is rendered to lines once per update (and on resize); showing new
    details changes only this pane's virtual size, never the screen's layout, so moving
    through versions repaints nothing else.
    """

    if TYPE_CHECKING:
        app: AppBase  # the app it runs in (Textual types it as any App)

    BINDINGS = DETAILS_BINDINGS

    def __init__(
        self, *, id: str | None = None, on_change: Callable[[], None] | None = None
    ) -> None:
        super().__init__(id=id)
        self._renderable: RenderableType = Text("no version selected", style="dim italic")
        self._strips: list[Strip] = []
        self._width = -1
        self._on_change = on_change  # told when the pane starts or stops showing a version
        self.shown_commit: str | None = None  # the version whose details were last shown
        self.showing = False  # the pane shows shown_commit (not a message)
        self.remotes: dict[str, bool] | None = None  # can missing objects be fetched
        self._selected: DetailsKey | None = None  # what the screen has selected
        self._wanted: DetailsKey | None = None  # what is to be shown (None: reload)
        self._loading: DetailsKey | None = None  # the details a running load is for
        self._timer: Timer | None = None  # a load waiting for the cursor to rest
        self._last_request = 0.0  # when details were last asked for (monotonic)
        self._queued = False  # a load will start after the next refresh

    # --- what is selected (the screen says), loaded here ------------------------------------

    def show(
        self,
        model: str,
        commit: str,
        previous: tuple[str, str] | None = None,
    ) -> None:
        """Show the details of ``commit`` of ``model`` (``previous``: the version its
        changes are against), loading them unless they are loading or shown already."""
        wanted = (model, commit, previous)
        self._selected = wanted
        if wanted == self._wanted:
            return
        self._wanted = wanted
        now = time.monotonic()
        first = self._last_request == 0.0
        rapid = now - self._last_request < DETAILS_REST
        self._last_request = now
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if first:  # the first screen's: read while the list is drawn, not after it
            self._start()
        elif rapid:  # a key held down: load once the cursor rests, the list stays fluid
            self._timer = self.set_timer(DETAILS_REST, self._start)
        elif not self._queued:  # after the moved list is drawn, not competing with it
            self._queued = True
            self.call_after_refresh(self._start)

    def show_kept(self, key: DetailsKey, renderable: RenderableType) -> None:
        """Show details kept from an earlier start for ``key`` (the first screen's, drawn
        before the catalog is open: ``store.query.models_answer``); the pane loads them in
        full (the checks too) the next time ``show`` asks for them."""
        self.deselect()
        self._selected = key
        self._paint(renderable)
        self.shown_commit = key[1]
        self.showing = True
        if self._on_change is not None:
            self._on_change()

    def deselect(self) -> None:
        """Nothing is selected: a running load's details are not shown."""
        self._selected = None
        self._wanted = None

    def show_message(self, message: str) -> None:
        """A short plain message (loading, nothing selected...) instead of a version."""
        self.deselect()
        self._paint(Text(message, style="dim italic"))
        self.showing = False
        if self._on_change is not None:
            self._on_change()

    def forget(self) -> None:
        """The catalog changed: what is shown is loaded again when next asked for (or
        when a running load ends)."""
        self._wanted = None

    @property
    def busy(self) -> bool:
        """Whether details are still to be loaded (for tests and scripts)."""
        return self._timer is not None or self._queued or self._loading is not None

    def _start(self) -> None:
        self._timer = None
        self._queued = False
        if self._loading is None and self._wanted is not None:
            self._loading = self._wanted  # else it starts when this one ends
            self.load(*self._wanted, self.remotes)

    @work(thread=True, exclusive=True, group="details", exit_on_error=False)
    def load(
        self,
        model: str,
        commit: str,
        previous: tuple[str, str] | None,
        remotes: dict[str, bool] | None = None,
    ) -> None:
        # the catalog's modules are imported here, off the first screen's path
        from modeltrail.store.query import audit, queries
        from modeltrail.store.repo import open_repo

        if remotes is None:  # before the list's checks arrived
            with open_repo(self.app.paths.root) as repo:
                remotes = audit.remotes_of(repo)
        with self.app.connection().cursor() as cursor:
            # one read of the version's facts serves the pane, the previous version's
            # metrics (for the changes) and the reproducibility line
            detail = queries.version_detail(
                cursor, model, commit, previous[0] if previous else None
            )
            detail["reproducibility"] = audit.detail_checks(cursor, model, detail, remotes)
        renderable = render_details(
            detail,
            detail.get("previous_metrics", {}),
            previous[1] if previous else None,
            self.app.config.better,
        )
        self.post_message(DetailsLoaded((model, commit, previous), renderable))

    def worker_failed(self, group: str, error: str) -> None:
        """Details that cannot be read say why in the pane, on one line, literally."""
        if group == "details" and self._loading is not None:
            renderable = Text(f"⚠ {clean(error)}", style="bold")
            self.on_details_loaded(DetailsLoaded(self._loading, renderable))
        else:
            super().worker_failed(group, error)

    def on_details_loaded(self, message: DetailsLoaded) -> None:
        """Show loaded details if still wanted; else load what is wanted now (one load runs
        at a time: holding j never queues a query per row)."""
        self._loading = None
        if message.key == self._wanted:
            self._paint(message.renderable)
            self.shown_commit = message.key[1]
            self.showing = True
            if self._on_change is not None:
                self._on_change()
        elif self._wanted is not None:
            if self._timer is None:
                self._start()
        elif self._selected is not None:
            self.show(*self._selected)

    # --- drawing ------------------------------------------------------------------------------

    def _paint(self, renderable: RenderableType) -> None:
        """Replace what the pane shows and scroll back to its top."""
        self._renderable = renderable
        self._width = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._layout_lines()

    def _layout_lines(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            return
        if width != self._width:
            self._width = width
            console = self.app.console
            options = console.options.update_width(width)
            lines = console.render_lines(self._renderable, options, style=self.rich_style)
            self._strips = [Strip(line).adjust_cell_length(width) for line in lines]
            size = Size(width, len(self._strips))
            if size != self.virtual_size:
                # Not through the reactive: that would lay out the whole screen again. The
                # scrollbar is always shown (overflow-y: scroll), so nothing moves.
                self.set_reactive(Widget.virtual_size, size)
                self._scroll_update(size)
        self.refresh()

    def on_resize(self) -> None:
        self._layout_lines()

    def on_mount(self) -> None:
        self._layout_lines()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if 0 <= index < len(self._strips):
            return self._strips[index].adjust_cell_length(width, self.rich_style)
        return Strip.blank(width, self.rich_style)
