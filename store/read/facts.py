"""The rows an index run makes, in columns: :class:`Columns` (one table under
construction) and :class:`Facts` (every table of a run), handed to the catalog as they
fill (:meth:`Facts.spill`) or at the end. ``store.catalog`` writes them; ``indexer.py``
fills them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from modeltrail.store.read import blobfacts

FileState = dict[str, tuple[str, str]]  # path -> (blob, mode)

MAX_DOCUMENT = 5 * 1024 * 1024  # bytes of a metrics/params/manifest file we parse
#: rows a table holds before :meth:`Facts.spill` hands them to the catalog being written
SPILL_ROWS = 20_000


class Columns:
    """A table under construction: named columns of Python values."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.cols: dict[str, list[Any]] = {n: [] for n in names}

    def add(self, *values: Any) -> None:
        for n, v in zip(self.names, values, strict=True):
            self.cols[n].append(v)

    def appenders(self) -> tuple[Callable[[Any], None], ...]:
        """Each column's ``append``, in order: :meth:`add` without a call per row, for
        a loop that adds many rows (valid until :meth:`clear`)."""
        return tuple(self.cols[n].append for n in self.names)

    def __len__(self) -> int:
        return len(self.cols[self.names[0]])

    def clear(self) -> None:
        """Start afresh (the rows went to the catalog)."""
        self.cols = {n: [] for n in self.names}


@dataclass
class Facts:
    commits: Columns = field(
        default_factory=lambda: Columns(
            "commit",
            "parents",
            "tree",
            "author_name",
            "author_email",
            "author_date",
            "committer_date",
            "subject",
            "message",
            "topo",
        )
    )
    model_commits: Columns = field(
        default_factory=lambda: Columns(
            "model",
            "commit",
            "changed",
            "manifest_version",
            "stale_metrics",
            "changed_files",
            "content",
        )
    )
    version_files: Columns = field(
        default_factory=lambda: Columns("model", "commit", "path", "blob", "mode")
    )
    version_sources: Columns = field(
        default_factory=lambda: Columns(
            "model", "commit", "role", "path", "blob", "origin", "key_path"
        )
    )
    blob_storage: Columns = field(
        default_factory=lambda: Columns("blob", "size", "storage", "object_size", "hash", "present")
    )
    blob_values: Columns = field(
        default_factory=lambda: Columns("blob", "role", "section", "key", "value", "text")
    )
    blob_packages: Columns = field(default_factory=lambda: Columns("blob", "package", "spec"))
    blob_mlmodel: Columns = field(
        default_factory=lambda: Columns("blob", *blobfacts.MLMODEL_FIELDS)
    )
    blob_dvc: Columns = field(
        default_factory=lambda: Columns(
            "blob", "kind", "stage", "path", "hash", "size", "nfiles", "present"
        )
    )
    warnings: Columns = field(default_factory=lambda: Columns("commit", "path", "model", "message"))
    declarations: dict[str, str] = field(default_factory=dict)  # declaring file -> newest blob
    renames: dict[str, str] = field(default_factory=dict)  # moved declaring file -> new path
    #: the files a templated dvc.yaml declaration takes values from -> newest blob (None:
    #: it does not exist), as discovery expanded it (:func:`discover`)
    template_values: dict[str, str | None] = field(default_factory=dict)
    #: where rows go as tables fill (a full index: the new catalog, written as the walk
    #: goes); None keeps every row here until the caller writes them
    sink: Callable[[str, Columns], None] | None = None

    def spill(self, at_least: int | None = None) -> None:
        """Hand every table of at least ``at_least`` rows (default :data:`SPILL_ROWS`)
        to the sink, and empty it. Warnings stay: the run's summary reports them."""
        if self.sink is None:
            return
        at_least = max(SPILL_ROWS if at_least is None else at_least, 1)
        for name, cols in self.tables().items():
            if name != "warnings" and len(cols) >= at_least:
                self.sink(name, cols)
                cols.clear()

    def tables(self) -> dict[str, Columns]:
        """Every table, by name (the fields holding ``Columns``), in declaration order."""
        return {f.name: getattr(self, f.name) for f in _TABLE_FIELDS}


_TABLE_FIELDS = tuple(f for f in fields(Facts) if f.type == "Columns")


@dataclass(slots=True)
class Emitted:
    """A version the walk found: the model, the commit and the model's files there."""

    model: str
    commit: str
    files: FileState
    changed_paths: list[str]
    changed: bool
