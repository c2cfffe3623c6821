"""Messages the app sends to its screens (workers only post these; handlers own widgets)."""

from __future__ import annotations

from textual.message import Message


class CatalogUpdated(Message, bubble=False):
    """The catalog was (re)indexed and ``app.connection()`` now returns a fresh connection.

    ``summary`` is the indexer's one-line summary (``IndexSummary.line()``); ``changed``
    is False when the index run found nothing new.
    """

    def __init__(self, summary: str = "", changed: bool = True) -> None:
        super().__init__()
        self.summary = summary
        self.changed = changed


class IndexProgress(Message):
    """Progress of the background index run: ``phase`` with ``done`` of ``total`` steps."""

    def __init__(self, phase: str, done: int, total: int) -> None:
        super().__init__()
        self.phase = phase
        self.done = done
        self.total = total


class IndexFinished(Message):
    """The background index run ended: ``summary`` line, or ``error`` (then no change)."""

    def __init__(self, summary: str, changed: bool, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.changed = changed
        self.error = error
