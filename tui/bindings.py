"""Every key binding of the browse screens, with its id, in one place.

Users remap any of them by id in their own configuration (``[keys]`` in
``$XDG_CONFIG_HOME/modeltrail/config.toml``, e.g. ``compare = "C"``; never in the
repository's file); the app applies that map with ``App.set_keymap``, and warns of an
id no binding has (:func:`tui.binding_ids.known_binding_ids`). Keys follow lazygit/tig habits.
The help screen (``?``, :mod:`tui.screens.help`) lists the bindings active where it
was opened, with their ids; the README lists the keys.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", id="help", key_display="?"),
    Binding(
        "ctrl+p", "command_palette", "Palette", id="command_palette", show=False, priority=True
    ),
]

# Pane switching and "/" are priority bindings: the focus moves as soon as the key is
# read, so keys typed right after it (a fast typist, a paste) reach the new pane. While
# the filter box has focus the home screen skips them and they are typed as text.
HOME_BINDINGS: list[BindingType] = [
    Binding("1", "focus_pane('models')", "Models", id="focus_models", show=False, priority=True),
    Binding(
        "2", "focus_pane('versions')", "Versions", id="focus_versions", show=False, priority=True
    ),
    Binding("slash", "filter", "Filter", id="filter", key_display="/", priority=True),
    Binding("escape", "back", "Back", id="back", show=False),
    Binding("b", "all_branches", "Branches", id="all_branches"),
    Binding("c", "compare", "Compare", id="compare"),
    Binding("r", "rollback", "Rollback", id="rollback"),
    Binding("z", "undo", "Undo", id="undo"),
    Binding("f,3", "flow", "Flow", id="flow"),
    Binding("h,4", "history", "History", id="history"),
    Binding("a,5", "audit", "Audit", id="audit", show=False),
    Binding("w,6", "changes", "Changes", id="changes", show=False),
    Binding("F", "app.fetch", "Fetch", id="fetch"),
]

# The same keys move a list's cursor and scroll the details pane: (keys, label) in the
# order of the actions each of them names.
_MOVES = (
    ("down,j", "Down"),
    ("up,k", "Up"),
    ("home,g", "Top"),
    ("end,G", "Bottom"),
    ("pagedown,ctrl+d", "Page down"),
    ("pageup,ctrl+u", "Page up"),
)


def _moves(actions: tuple[str, ...], ids: tuple[str, ...] | None = None) -> list[BindingType]:
    """Hidden bindings of the ``_MOVES`` keys to ``actions``, in that order; each
    binding's id is its action unless ``ids`` names them."""
    return [
        Binding(keys, action, label, id=binding_id, show=False)
        for (keys, label), action, binding_id in zip(_MOVES, actions, ids or actions, strict=True)
    ]


LIST_BINDINGS: list[BindingType] = [
    *_moves(("cursor_down", "cursor_up", "cursor_top", "cursor_bottom", "page_down", "page_up")),
    Binding("enter", "select", "Open", id="select", show=False),
]

VERSION_LIST_BINDINGS: list[BindingType] = [
    *LIST_BINDINGS,
    Binding("space", "toggle_mark", "Mark (in place)", id="mark", key_display="space"),
    Binding("right", "scroll_columns(1)", "More columns", id="columns_right", show=False),
    Binding("left", "scroll_columns(-1)", "Columns back", id="columns_left", show=False),
]

DETAILS_BINDINGS: list[BindingType] = _moves(
    ("scroll_down", "scroll_up", "scroll_home", "scroll_end", "page_down", "page_up"),
    ids=(
        "scroll_down",
        "scroll_up",
        "scroll_top",
        "scroll_bottom",
        "scroll_page_down",
        "scroll_page_up",
    ),
)

HELP_BINDINGS: list[BindingType] = [
    Binding("escape,q,question_mark", "dismiss", "Close", id="close_help"),
]
