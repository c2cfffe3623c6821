"""``?``: the key bindings of the screen it was opened on, with their ids, and its glyphs.

Lists what ``screen.active_bindings`` holds at that moment (the focused widget's, the
screen's and the app's), so it always matches the keys in force, including any the user
remapped in the configuration. Below them, the glyphs that screen draws and what each
means there (the screen's ``help_legend()``), and the filter language where the screen
has ``/`` (``HELP_FILTER``). ``escape``, ``q`` or ``?`` close it.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from modeltrail.tui.bindings import HELP_BINDINGS


def own_config_text() -> str:
    """The user's own configuration file, with the home directory as ``~``."""
    from pathlib import Path

    from modeltrail.store.config import user_config_path

    path = user_config_path()
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


#: what the home screen's glyphs mean (models, versions, details); a glyph means one
#: thing on a screen, and each screen's help lists its own (``help_legend``)
HOME_LEGEND = (
    ("▶", "cursor"),
    ("■", "marked (space marks the row under the cursor, in place) — compare with c"),
    ("★", "latest version"),
    (
        "= v1.1.0 ↶",
        "a branch rollback commit: it restores v1.1.0's content (the details say from what)",
    ),
    ("● ◐ ○ ◆", "stage: prod, staging, dev, other (the name is always shown)"),
    ("● prod v2 ← v1 3d", "models: v2 holds prod, v1 held it before, for 3 days"),
    ("▲ ▼ =", "metric better, worse, same as the previous version (by the metric's direction)"),
    ("↑ ↓", "in a metric's header: higher is better, lower is better"),
    ("~", "stale metrics: params or code changed, metrics did not"),
    ("✓ ✗ ?", "R column: reproducible, not reproducible, cannot be known offline (the audit)"),
    ("‹ ›", "in the header: columns scrolled off to the left, hidden to the right (← →)"),
    (
        "main / merged: / unmerged:",
        "branch column: on main's first-parent line, merged into main, not merged "
        "(the list shows the main line and labelled or staged versions; b: every branch)",
    ),
)

#: the filter's examples, each working on the demo repository's churn model
#: (``tests/test_filter_demo.py`` runs them there)
FILTER_EXAMPLES = (
    "test.auc>0.8",
    "f1>=0.6",
    "branch:main",
    "branch:exp/*",
    "author:ana",
    "stage:prod",
    "label:v1.2",
    "commit:37a5",
    "message:holdout",
    "is:latest|stale|labelled|staged",
    "is:semver|calendar|sequential",
    "date>=2026-01-31",
    "-stage:prod (not)",
    '"focal loss"',
)

FILTER_HELP = (
    "  ".join(FILTER_EXAMPLES)
    + "  bare words search label, subject, author, commit. A metric is named whole or by"
    " its last part when only one metric ends so (f1 is test.f1; auc with test.auc and"
    " train.auc: say which)."
)

#: the filter box's placeholder: one query that matches on the demo's churn
FILTER_PLACEHOLDER = "filter: test.auc>0.8 branch:main stage:prod author:eli"


def screen_legend(screen: Screen) -> list[tuple[str, str]]:
    """The glyphs ``screen`` draws and what each means there (its ``help_legend()``)."""
    legend = getattr(screen, "help_legend", None)
    return list(legend()) if callable(legend) else []


def bindings_table(screen: Screen) -> Table:
    """The active bindings of ``screen``: key, what it does, binding id."""
    table = Table(box=None, padding=(0, 2), show_edge=False, expand=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    table.add_column("id", style="dim", no_wrap=True)
    rows: dict[tuple[str, str], list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or binding.action.endswith("copy_text"):
            continue
        description = binding.description or binding.action
        ident = binding.id or ""
        display = screen.app.get_key_display(binding)
        rows.setdefault((description, ident), [])
        if display not in rows[(description, ident)]:
            rows[(description, ident)].append(display if key else key)
    for (description, ident), keys in rows.items():
        table.add_row(Text(" ".join(keys)), Text(description), Text(ident))
    return table


class HelpScreen(ModalScreen[None]):
    """The bindings of ``screen`` in a scrollable box, with the glyph legend."""

    BINDINGS = HELP_BINDINGS

    CSS_PATH = Path(__file__).with_name("help.tcss")

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._target = screen

    def compose(self) -> ComposeResult:
        name = getattr(self._target, "HELP_TITLE", type(self._target).__name__)
        with VerticalScroll() as box:
            box.border_title = Text(f"Keys — {name}")
            box.border_subtitle = Text("esc / q / ? close")
            yield Static(bindings_table(self._target))
            glyphs = screen_legend(self._target)
            if glyphs:
                legend = Table(box=None, padding=(0, 2), show_header=False)
                legend.add_column(style="bold", no_wrap=True)
                legend.add_column()
                for glyph, meaning in glyphs:
                    legend.add_row(Text(glyph), Text(meaning))
                yield Static(Text("\nGlyphs", style="bold underline"))
                yield Static(legend)
            if getattr(self._target, "HELP_FILTER", False):
                yield Static(Text("\nFilter (/)", style="bold underline"))
                yield Static(Text(FILTER_HELP))
            yield Static(
                Text(
                    f"\nRemap any key by id in your own {own_config_text()}:"
                    '  [keys]  compare = "C"',
                    style="dim",
                )
            )
