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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

LOG_FILE = "labels.log"


def _entries(catalog_dir: Path) -> list[dict[str, Any]]:
    try:
        text = (catalog_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("tag"), str):
            out.append(entry)
    return out


def record(catalog_dir: Path, con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> int:
    """Append the tags that are new or point at another commit than last recorded.
    Returns how many lines were appended (0 when the file cannot be written)."""
    last = {e["tag"]: e.get("commit") for e in _entries(catalog_dir)}
    with con.cursor() as cur:
        rows = cur.execute(
            "SELECT DISTINCT tag, model, label, commit FROM labels "
            "WHERE tag IS NOT NULL ORDER BY tag, model"
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
    last: dict[str, dict] = {}
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
