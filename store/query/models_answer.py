"""The model list kept beside the catalog: the TUI's first screen reads one small file
instead of asking DuckDB for 10,000 models while it starts.

The file (``models.answer.json`` in the catalog's folder) holds ``list_models`` of one
catalog generation for one main branch (the configuration's ``main``). It answers only
for that generation file (its name, inode, size and time, as ``current_generation``
reads them off the catalog link) and that main branch: a new generation (an index run
that found something new, a rebuild, a catalog damaged in place), another main branch or
another shape of answer (:data:`VERSION`) is a miss, and the caller asks the catalog and
keeps the new answer. So it is never older than the catalog the app has open: the caller
reads the generation before and after opening its connection and uses or keeps an
answer only when both agree (that connection is then to that very generation).

An answer is kept only if it reads back exactly as given (a value JSON cannot carry is
not kept, it is asked for again next time). Best effort both ways: a file that cannot be
read or written is a miss.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import datetime
from typing import Any

import orjson

from modeltrail.store.repo import RepoPaths

ANSWER_FILE = "models.answer.json"
#: bump when what ``list_models`` returns changes shape
VERSION = 1


def kept_models(
    paths: RepoPaths, generation: list[Any] | None, main: str | None
) -> list[dict[str, Any]] | None:
    """The models kept for catalog ``generation`` and main branch ``main``, or None."""
    if generation is None:
        return None
    try:
        with open(paths.catalog_dir / ANSWER_FILE, "rb") as f:
            doc = orjson.loads(f.read())
        if doc["version"] != VERSION or doc["generation"] != generation or doc["main"] != main:
            return None
        models = doc["models"]
        _restore(models)
        return models if isinstance(models, list) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def keep_models(
    paths: RepoPaths, generation: list[Any] | None, main: str | None, models: list[dict[str, Any]]
) -> None:
    """Keep ``models`` (``list_models`` of catalog ``generation`` for main branch
    ``main``) for the next start, if they read back the same."""
    if generation is None:
        return
    try:
        # orjson writes a time as RFC 3339 (``2027-01-01T01:00:02+00:00``)
        doc = {"version": VERSION, "generation": generation, "main": main, "models": models}
        text = orjson.dumps(doc)
        back = orjson.loads(text)["models"]
        _restore(back)
        if back != models:  # a value JSON does not carry as it was: keep nothing
            return
    except (ValueError, TypeError, KeyError, AttributeError):  # orjson's errors are these
        return
    tmp = paths.catalog_dir / f".{ANSWER_FILE}.{os.getpid()}.{threading.get_ident()}"
    try:
        tmp.write_bytes(text)
        os.replace(tmp, paths.catalog_dir / ANSWER_FILE)
    except OSError:  # only a shortcut
        with contextlib.suppress(OSError):
            tmp.unlink()


def _restore(models: list[dict[str, Any]]) -> None:
    """The times JSON carried as text, as ``list_models`` gives them (the previous
    stage holders' ``at``)."""
    for model in models:
        for holder in (model.get("previous_details") or {}).values():
            at = holder.get("at")
            if isinstance(at, str):
                holder["at"] = datetime.fromisoformat(at)
