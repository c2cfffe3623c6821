"""What ``changes`` found in a catalog, kept beside it: a workspace's ``changes --since
24h`` reads twenty small files instead of opening and querying twenty catalogs.

The file (``changes.cache.json`` in the catalog's folder) holds the changes of one
catalog generation since a start time. It answers a question about the same generation
from that start on (``since`` at or after it); a new generation (an index run that found
something), another start, or another shape of change (:data:`KEYS`, :data:`VERSION`)
makes the caller ask the catalog again and keep the new answer. A computed answer reaches
:data:`WINDOW` back at least, so one made for ``--since 24h`` also answers ``--since 7d``
and every ``--since 24h`` of the week after, until the repository changes.

This module also holds what ``changes`` needs before it knows whether to open a catalog
(:func:`parse_since`, :data:`KEYS`): it imports no DuckDB.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.errors import UsageError
from modeltrail.store.repo import RepoPaths

#: the ``changes --json`` keys of one change, in order (keys may be added, never renamed)
KEYS = (
    "timestamp",
    "date",
    "model",
    "event",
    "stage",
    "version",
    "commit",
    "previous",
    "from",
    "from_commit",
    "author",
    "author_email",
    "reason",
    "ref",
    "metrics",
)

CACHE_FILE = "changes.cache.json"
#: bump when what a change holds, or how it is computed, changes
VERSION = 3
#: how far back a computed answer reaches at least
WINDOW = timedelta(days=7)
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"  # as queries.iso writes them

_RELATIVE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``24h``, ``90m``, ``7d``, ``2w`` before ``now``; or a date (``2026-12-01``, UTC
    midnight) or an ISO time. UsageError (one line) otherwise."""
    text = text.strip()
    if m := _RELATIVE.fullmatch(text):
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give a duration (30m, 24h, 7d, 2w) or a date (2026-12-01)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def window_start(since: datetime, now: datetime) -> datetime:
    """From when to compute an answer that is to be kept: ``since``, or :data:`WINDOW`
    before ``now`` if that is earlier."""
    return min(since, now - WINDOW)


def cached_changes(paths: RepoPaths, since: datetime) -> list[dict[str, Any]] | None:
    """The changes at or after ``since`` as kept for the current catalog generation,
    newest first; None when nothing kept answers it."""
    try:
        doc = json.loads((paths.catalog_dir / CACHE_FILE).read_text(encoding="utf-8"))
        if (
            doc["version"] != VERSION
            or doc["keys"] != list(KEYS)
            or doc["generation"] != current_generation(paths)
            or since < datetime.fromisoformat(doc["start"])
        ):
            return None
        return at_or_after(doc["changes"], since)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def keep_changes(
    paths: RepoPaths, generation: list[Any] | None, start: datetime, found: list[dict[str, Any]]
) -> None:
    """Keep ``found`` (every change at or after ``start`` in the catalog ``generation``,
    as read before the catalog was opened: a generation that replaced it meanwhile is
    then simply not answered from here). Best effort: a catalog folder that cannot be
    written keeps nothing."""
    if generation is None:
        return
    doc = {
        "version": VERSION,
        "keys": list(KEYS),
        "generation": generation,
        "start": start.astimezone(UTC).isoformat(),
        "changes": found,
    }
    tmp = paths.catalog_dir / f".{CACHE_FILE}.{os.getpid()}.{threading.get_ident()}"
    try:
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, paths.catalog_dir / CACHE_FILE)
    except (OSError, ValueError, TypeError):  # only a shortcut
        with contextlib.suppress(OSError):
            tmp.unlink()


def _when(text: str) -> datetime:
    return datetime.strptime(text, _TIMESTAMP).replace(tzinfo=UTC)


def at_or_after(found: list[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    """Those of ``found`` (as :func:`changes` returns them) at or after ``since``."""
    return [c for c in found if c["timestamp"] is not None and _when(c["timestamp"]) >= since]
