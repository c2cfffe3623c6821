"""The audit screen: how reproducible each version is, how long versions held a stage,
and labels that moved.

``AuditScreen(model)`` — pushed by ``a`` (or ``5``) from the home screen; ``model=None``
shows every model. One row per version, newest first: the version, one glyph per check
(``P`` params, ``D`` data, ``E`` environment, ``A`` artifact, ``M`` metrics; ✓ recorded,
✗ missing, ? cannot be known offline: glyphs and words, never colour alone) and the first
reason. Below: the highlighted version's reasons, how long the model's versions held a
stage before it moved, and any label that moved to another commit.

Keys: ``j``/``k`` move, ``a`` switches between this model and all models, ``esc`` back.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import Static

from modeltrail.tui.audit_text import CHECK_LETTERS, GLYPHS, STYLES
from modeltrail.tui.format import fmt_duration, fmt_pct, plural
from modeltrail.tui.safe_text import clean, literal
from modeltrail.tui.screens.table_screen import TableScreen

AUDIT_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="audit_back"),
    Binding("a", "toggle_all", "This model / all", id="audit_all"),
    Binding("j", "cursor_down", "Down", id="audit_down", show=False),
    Binding("k", "cursor_up", "Up", id="audit_up", show=False),
]


def checks_cell(checks: dict) -> Text:
    """``✓ ✗ ✓ ? ✓`` in P D E A M order (the header names the letters)."""
    t = Text()
    for i, name in enumerate(CHECK_LETTERS):
        if i:
            t.append(" ")
        value = checks.get(name)
        t.append(GLYPHS[value], style=STYLES[value])
    return t


class AuditScreen(TableScreen):
    """Reproducibility per version, time held before a stage moved, moved labels."""

    NAME = "audit"
    HELP_TITLE = "audit"

    def help_legend(self) -> list[tuple[str, str]]:
        letters = " ".join(CHECK_LETTERS.values())
        return [
            (
                f"{GLYPHS[True]} {GLYPHS[False]} {GLYPHS[None]}",
                "a check: recorded, missing, cannot be known offline",
            ),
            (letters, "the checks: " + ", ".join(CHECK_LETTERS)),
            ("⚠ label moved", "a tag now points at another commit than it did"),
        ]

    LOADING = "Audit: reading the catalog…"
    TITLE = "Audit"
    BINDINGS = AUDIT_BINDINGS
    CSS_PATH = Path(__file__).with_name("audit.tcss")

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        self.result: dict | None = None

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def load(self) -> None:
        from modeltrail.store.query.audit import audit, remotes_of
        from modeltrail.store.repo import open_repo

        model = self.shown_model
        with open_repo(self.app.paths.root) as repo:  # GitPython objects stay in one thread
            remotes = remotes_of(repo)
        with self.app.connection().cursor() as cursor:
            result = audit(cursor, self.app.paths.catalog_dir, remotes, model)
        self.post_message(self.Loaded(model, result))

    def show_loaded(self, model: str | None, result: dict) -> None:
        self.result = result
        versions = result["versions"]
        cells = []
        for v in versions:
            unknown = [c for c, value in v["checks"].items() if value is None]
            why = ", ".join(v["missing"]) or "– reproducible"
            if unknown:
                why += f" (? {', '.join(unknown)})"
            cells.append(
                [literal(v["version"], single_line=True), checks_cell(v["checks"]), Text(why)]
            )
        columns = ["version", " ".join(CHECK_LETTERS.values()), "missing"]
        title = self._title(model, result)
        self.fill(model, versions, columns, cells, title)

    def _title(self, model: str | None, result: dict) -> Text:
        scope = clean(model, single_line=True) if model else "all models"
        n = len(result["versions"])
        good = sum(v["reproducible"] for v in result["versions"])
        missing = ", ".join(result["missing_most"][:3]) or "nothing"
        t = Text(f"Audit · {scope} · {good} of {plural(n, 'version')} reproducible ")
        t.append(f"({fmt_pct(result['percent_reproducible'])})")
        t.append(f" · missing most: {missing}", style="not bold")
        return t

    def show_detail(self, row: int | None) -> None:
        detail = self.query_one("#audit-detail", Static)
        result = self.result or {}
        t = Text()
        if row is not None and 0 <= row < len(self.rows):
            v = self.rows[row]
            name = clean(v["version"], single_line=True)
            if not v["commit"].startswith(name):
                name += f" {v['commit'][:7]}"
            t.append(f"{name}: ", style="bold")
            t.append("reproducible\n" if v["reproducible"] else "not reproducible\n")
            for name, letter in CHECK_LETTERS.items():
                value = v["checks"][name]
                reason = v["reasons"].get(name, "recorded")
                t.append(f"{GLYPHS[value]} {letter} {name}: ", style=STYLES[value])
                t.append_text(literal(reason, single_line=True))
                t.append("\n")
        elif not self.rows:
            t.append("no versions to audit\n")
        for m in result.get("models", []):
            ttr = m["time_to_rollback_s"]
            if ttr["count"]:
                t.append(f"{clean(m['name'], single_line=True)}: {ttr['count']} stage moves; ")
                t.append(f"a version held its stage {fmt_duration(ttr['median'])} (median), ")
                t.append(f"{fmt_duration(ttr['max'])} at most\n")
        for c in result.get("labels_changed", []):
            t.append("⚠ label moved: ", style="bold yellow")
            t.append_text(literal(f"{c['model']} {c['label']} ({c['tag']})", single_line=True))
            t.append(f" {(c['old_commit'] or '')[:7]} → {(c['new_commit'] or '')[:7]}\n")
        detail.update(t)
