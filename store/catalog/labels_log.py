"""``labels.log``: an append-only record of which commit each label's tag pointed at.

The catalog is a cache that can be rebuilt at any time, so it cannot remember that a tag
once pointed elsewhere. This file beside it (``<git common dir>/modeltrail/labels.log``)
can: one JSON object per line, ``{"seen_at", "tag", "model", "label", "commit"}``,
appended by an index run for every tag seen for the first time or seen on another commit
than last recorded. A label *moved* when its tag's recorded commit changed. Lines are only
ever appended; a line that does not parse is skipped.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

LOG_FILE = "labels.log"


#: Up to this many tags, ``record`` reads only the log lines that mention them.
_FEW_TAGS = 64


def _lines(catalog_dir: Path, tags: Collection[str] | None = None) -> list[str]:
    """The log's lines (with ``tags``: only those that mention one)."""
    try:
        text = (catalog_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if tags is None:
        return text.splitlines()
    needles = [json.dumps(t, ensure_ascii=False) for t in tags]
    if not any(n in text for n in needles):
        return []  # new tags: one scan of the text, no split into lines
    return [line for line in text.splitlines() if any(n in line for n in needles)]


def _entries(catalog_dir: Path, tags: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The log's entries (with ``tags``: only theirs)."""
    out = []
    for line in _lines(catalog_dir, tags):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        ok = isinstance(entry, dict) and isinstance(entry.get("tag"), str)
        if ok and (tags is None or entry["tag"] in tags):
            out.append(entry)
    return out


#: A line as :func:`record` writes it, with no escape in any string: ``json.loads``
#: would read exactly these texts, so the tag and commit are taken from the match.
_TEXT = r'"[^"\\\x00-\x1f]*"'
_OWN_LINE = re.compile(
    rf'\{{"seen_at": {_TEXT}, "tag": "([^"\\\x00-\x1f]*)", "model": {_TEXT}, '
    rf'"label": {_TEXT}, "commit": "([^"\\\x00-\x1f]*)"\}}'
)


def _last_commits(catalog_dir: Path, tags: Collection[str] | None = None) -> dict[str, Any]:
    """Tag -> the commit of its last entry (``{e["tag"]: e.get("commit")}`` over
    :func:`_entries`), the log's own lines read by one regex instead of ``json.loads``."""
    last: dict[str, Any] = {}
    for line in _lines(catalog_dir, tags):
        own = _OWN_LINE.fullmatch(line)
        if own is not None:
            tag, commit = own[1], own[2]
        else:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not (isinstance(entry, dict) and isinstance(entry.get("tag"), str)):
                continue
            tag, commit = entry["tag"], entry.get("commit")
        if tags is None or tag in tags:
            last[tag] = commit
    return last


class LastRecorded:
    """Every tag's last recorded commit, read in a thread while an index run reads git
    (at 100,000 tags the log holds 100,000 lines). Only a writer holding the catalog lock
    appends to the log, and the caller holds it, so what is read stays current."""

    def __init__(self, catalog_dir: Path) -> None:
        self._last: dict[str, Any] = {}
        self._thread = threading.Thread(
            target=self._read, args=(catalog_dir,), name="labels-log", daemon=True
        )
        self._thread.start()

    def _read(self, catalog_dir: Path) -> None:
        self._last = _last_commits(catalog_dir)

    def result(self) -> dict[str, Any]:
        self._thread.join()
        return self._last


def record(
    catalog_dir: Path,
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    tags: Collection[str] | None = None,
    recorded: LastRecorded | None = None,
) -> int:
    """Append the tags that are new or point at another commit than last recorded
    (``tags``: only these were added, moved or deleted, so only they are looked at;
    ``recorded``: the log as already read). Returns how many lines were appended (0 when
    the file cannot be written)."""
    return append(catalog_dir, pending(catalog_dir, con, now, tags, recorded))


def pending(
    catalog_dir: Path,
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    tags: Collection[str] | None = None,
    recorded: LastRecorded | None = None,
) -> list[str]:
    """The lines :func:`record` would append, read from ``con`` (a full index asks the
    catalog it is writing, before closing it, rather than open it again) and written
    later by :func:`append`."""
    if tags is not None and not tags:
        return []
    few = set(tags) if tags is not None and len(tags) <= _FEW_TAGS else None
    if recorded is not None and few is None:
        last = recorded.result()
    else:
        last = _last_commits(catalog_dir, few)
    with con.cursor() as cur:
        rows = cur.execute(
            "SELECT DISTINCT tag, model, label, commit FROM labels "
            "WHERE tag IS NOT NULL AND ($1 IS NULL OR list_contains($1, tag)) "
            "ORDER BY tag, model",
            [sorted(few) if few is not None else None],
        ).fetchall()
    seen_at = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        json.dumps(
            {"seen_at": seen_at, "tag": tag, "model": model, "label": label, "commit": commit},
            ensure_ascii=False,
        )
        for tag, model, label, commit in rows
        if last.get(tag) != commit
    ]
    return lines


def append(catalog_dir: Path, lines: list[str]) -> int:
    """Append ``lines`` (from :func:`pending`) to the log; how many (0 when the file
    cannot be written)."""
    if not lines:
        return 0
    try:
        fd = os.open(catalog_dir / LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        return 0
    return len(lines)


def moves(catalog_dir: Path) -> list[dict[str, Any]]:
    """Every recorded move of a label: ``{"model", "tag", "label", "old_commit",
    "new_commit", "seen_at"}``, oldest first."""
    last: dict[str, dict[str, Any]] = {}
    out = []
    for entry in _entries(catalog_dir):
        before = last.get(entry["tag"])
        if before is not None and before.get("commit") != entry.get("commit"):
            out.append(
                {
                    "model": entry.get("model"),
                    "tag": entry["tag"],
                    "label": entry.get("label"),
                    "old_commit": before.get("commit"),
                    "new_commit": entry.get("commit"),
                    "seen_at": entry.get("seen_at"),
                }
            )
        last[entry["tag"]] = entry
    return out
