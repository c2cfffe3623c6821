"""Python's cyclic garbage collector paused while the TUI starts, until its first screen.

Starting the TUI makes hundreds of thousands of objects that live as long as the app
(Textual's and DuckDB's modules, the widgets, a model list of 10,000 entries) and almost
no garbage; each collection on the way traverses all of them again: at 10,000 models,
about 230 collections took 0.1-0.15 s of the start's CPU. ``modeltrail`` (the TUI's
launcher, ``tui/commands/open_tui.py``) pauses the collector before it imports anything
of the app; the app resumes it once its first screen is drawn (``start_index_once``,
after ``gc.freeze()`` has moved what start-up made out of the collector's way) or when
it stops, whichever comes first. An app started any other way (tests) is not affected.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Pause the collector (if it runs) until :func:`resume`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Let the collector run again if :func:`pause` stopped it (else nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def paused() -> bool:
    """Whether :func:`pause` stopped the collector and it has not resumed yet."""
    return _paused
