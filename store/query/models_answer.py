"""The first screen kept beside the catalog: the TUI's first screen reads one small file
instead of asking DuckDB for 10,000 models (and opening DuckDB at all) while it starts.

The file (``models.answer.json`` in the catalog's folder) holds ``list_models`` of one
catalog generation for one main branch (the configuration's ``main``) and, for the first
of those models, what the home screen shows of it first (:func:`read_first`): the newest
page of its versions as the version list needs them, and the details of its newest
version (the catalog's facts only: the checks that depend on the work tree and on git's
configuration, the reproducibility line, come from the catalog once it is open). It
answers only for that generation file (its name, inode, size and time, as
``current_generation`` reads them off the catalog link) and that main branch: a new
generation (an index run that found something new, a rebuild, a catalog damaged in
place), another main branch or another shape of answer (:data:`VERSION`) is a miss, and
the caller asks the catalog and keeps the new answer. So it is never older than the
catalog the app opens: the caller uses or keeps an answer only for the generation it
read before and after opening its connection (and, when it showed a kept answer before
opening the catalog, reloads if the catalog it then opened is another generation).

An answer is kept only if it reads back exactly as given (a value JSON cannot carry is
not kept, it is asked for again next time). Best effort both ways: a file that cannot be
read or written is a miss. Reading it imports neither DuckDB nor pyarrow.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from modeltrail.store.repo import RepoPaths

if TYPE_CHECKING:
    import duckdb

    from modeltrail.store.query.mainline import MainLine

ANSWER_FILE = "models.answer.json"
#: bump when what ``list_models`` or :func:`read_first` returns changes shape
VERSION = 2


@dataclass
class Kept:
    """What was kept for one catalog generation and main branch."""

    models: list[dict[str, Any]]
    #: the first model's first screen (:func:`read_first`), or None
    first: dict[str, Any] | None


def kept_answer(paths: RepoPaths, generation: list[Any] | None, main: str | None) -> Kept | None:
    """What was kept for catalog ``generation`` and main branch ``main``, or None."""
    if generation is None:
        return None
    try:
        with open(paths.catalog_dir / ANSWER_FILE, "rb") as f:
            doc = orjson.loads(f.read())
        if doc["version"] != VERSION or doc["generation"] != generation or doc["main"] != main:
            return None
        models = _rows(doc["models"])
        _restore(models)
        first = doc.get("first")
        if first is not None:
            _restore_first(first)
        return Kept(models, first)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def kept_models(
    paths: RepoPaths, generation: list[Any] | None, main: str | None
) -> list[dict[str, Any]] | None:
    """The models kept for catalog ``generation`` and main branch ``main``, or None."""
    kept = kept_answer(paths, generation, main)
    return None if kept is None else kept.models


def keep_models(
    paths: RepoPaths,
    generation: list[Any] | None,
    main: str | None,
    models: list[dict[str, Any]],
    first: dict[str, Any] | None = None,
) -> None:
    """Keep ``models`` (``list_models`` of catalog ``generation`` for main branch
    ``main``) and ``first`` (:func:`read_first` of the first of them) for the next
    start, if they read back the same (``first`` is left out if only it does not)."""
    if generation is None:
        return
    doc: dict[str, Any] = {"version": VERSION, "generation": generation, "main": main}
    try:
        # orjson writes a time as RFC 3339 (``2027-01-01T01:00:02+00:00``)
        columns = _columns(models)
        back = _rows(orjson.loads(orjson.dumps(columns)))
        _restore(back)
        if back != models:  # a value JSON does not carry as it was: keep nothing
            return
        doc["models"] = columns
        if first is not None:
            with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                again = orjson.loads(orjson.dumps(first))
                _restore_first(again)
                if again == first:
                    doc["first"] = first
        text = orjson.dumps(doc)
    except (ValueError, TypeError, KeyError, AttributeError):  # orjson's errors are these
        return
    tmp = paths.catalog_dir / f".{ANSWER_FILE}.{os.getpid()}.{threading.get_ident()}"
    try:
        tmp.write_bytes(text)
        os.replace(tmp, paths.catalog_dir / ANSWER_FILE)
    except OSError:  # only a shortcut
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_first(
    con: duckdb.DuckDBPyConnection, line: MainLine, model: str, page: int, keys: int
) -> dict[str, Any]:
    """What the home screen shows first of ``model``, read from the catalog: its
    ``keys`` key metrics (``keys``), the newest ``page`` of its main-line versions
    (``columns``: ``browse.versions_table``'s, as lists; ``complete``: that is all of
    them), per row the row of the version it was built on (``prev``; None: none, or one
    past the page), the main line's branch and sizes, and the details of the newest
    version (``detail``: ``version_detail`` against the one it was built on; None
    without versions)."""
    from modeltrail.store.query import browse, queries

    metric_keys = browse.key_metrics(con, model, limit=keys)
    table = browse.versions_table(
        con, model, metric_keys, limit=page, main=line, all_branches=False
    )
    columns = table.to_pydict()
    rows = {topo: row for row, topo in enumerate(columns["topo"])}
    prev_topo = browse.previous_column(con, model, table.column("topo")).to_pylist()
    prev = [None if t is None else rows.get(t) for t in prev_topo]
    detail = None
    if columns["commit"]:
        before = prev[0]
        previous = None if before is None else columns["commit"][before]
        detail = queries.version_detail(con, model, columns["commit"][0], previous)
    return {
        "model": model,
        "keys": metric_keys,
        "branch": line.branch,
        "sizes": line.sizes,
        "columns": columns,
        "times": [k for k, v in columns.items() if any(isinstance(x, datetime) for x in v)],
        "complete": len(table) < page,
        "prev": prev,
        "detail": detail,
    }


def _columns(models: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The models as one list per key (the keys are written once, not once per model:
    10,000 models read back in half the time). Models whose keys differ fail the read
    back (nothing is kept)."""
    keys = list(models[0]) if models else []
    return {key: [model.get(key) for model in models] for key in keys}


def _rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The models again from :func:`_columns`."""
    if not isinstance(columns, dict):
        raise TypeError("not the models' columns")
    keys = list(columns)
    if len({len(values) for values in columns.values()}) > 1:
        raise ValueError("columns of different lengths")
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _restore(models: list[dict[str, Any]]) -> None:
    """The times JSON carried as text, as ``list_models`` gives them (the previous
    stage holders' ``at``)."""
    for model in models:
        for holder in (model.get("previous_details") or {}).values():
            at = holder.get("at")
            if isinstance(at, str):
                holder["at"] = datetime.fromisoformat(at)


def _restore_first(first: dict[str, Any]) -> None:
    """The time columns JSON carried as text, as ``versions_table`` gives them."""
    columns = first["columns"]
    for name in first["times"]:
        columns[name] = [None if v is None else datetime.fromisoformat(v) for v in columns[name]]
