"""Messages the app sends to its screens (workers only post these; handlers own widgets)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class CatalogUpdated(Message, bubble=False):
    """The catalog was (re)indexed and ``app.connection()`` now returns a fresh connection.

    ``summary`` is the indexer's one-line summary (``IndexSummary.line()``); ``changed``
    is False when the index run found nothing new.
    """

    summary: str = ""
    changed: bool = True


@dataclass
class IndexProgress(Message):
    """Progress of the background index run: ``phase`` with ``done`` of ``total`` steps."""

    phase: str
    done: int
    total: int
    repo: str | None = None  # the workspace member being indexed


@dataclass
class IndexFinished(Message):
    """The background index run ended: ``summary`` line, or ``error`` (then no change);
    ``lock_note``: an ``index.lock`` someone left (``repo.index_lock_note``)."""

    summary: str
    changed: bool
    error: str | None = None
    lock_note: str | None = None
    repo: str | None = None  # the workspace member that was indexed
