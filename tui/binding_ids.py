"""Every binding id the app has, to check the ids of a user's key map against.

It imports every screen and widget, which all import :mod:`tui.bindings`, so it lives
apart from that module (no import cycle) and is imported only when there is a key map
to check.
"""

from __future__ import annotations

from types import ModuleType

from textual.binding import Binding

from modeltrail.tui.bindings import APP_BINDINGS


def known_binding_ids() -> set[str]:
    """Every binding id of the app, its screens and widgets (importing them all: asked
    only when the user has a key map to check, off the UI thread). A new screen or
    widget module is added here (``tests/test_personal_config.py`` finds any missed)."""
    from modeltrail.tui.screens import (
        audit,
        changes,
        compare,
        flow,
        help,
        history,
        home,
        rollback,
        rollback_form,
        table_screen,
    )
    from modeltrail.tui.widgets import (
        cursor_view,
        details,
        flow_graph,
        model_list,
        status,
        trend_plot,
        version_list,
    )

    modules: tuple[ModuleType, ...] = (audit, changes, compare, flow, help, history, home)
    modules += (rollback, rollback_form)
    modules += (table_screen, cursor_view, details, flow_graph, model_list, status)
    modules += (trend_plot, version_list)
    ids = {b.id for b in APP_BINDINGS if isinstance(b, Binding) and b.id}
    for module in modules:
        for value in vars(module).values():
            bindings = getattr(value, "BINDINGS", None) if isinstance(value, type) else None
            for b in bindings or ():
                if isinstance(b, Binding) and b.id:
                    ids.add(b.id)
    return ids
