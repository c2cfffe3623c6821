"""The messages the home screen's workers post to it (the handlers own the widgets), and
the first page of versions as kept beside the catalog from the last start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual.message import Message

from modeltrail.tui.widgets.details import DetailsKey, render_details
from modeltrail.tui.widgets.kept_rows import KeptRows
from modeltrail.tui.widgets.version_rows import ReproMarks, VersionRows

if TYPE_CHECKING:
    from modeltrail.store.config import Config


@dataclass
class ModelsLoaded(Message):
    models: list[dict]


@dataclass
class VersionsLoaded(Message):
    """Versions of ``model`` (``partial``: only the newest page, the rest follows)."""

    model: str
    rows: VersionRows
    partial: bool = False
    repo: str | None = None  # the workspace's repository of the model
    #: the newest version's details as kept from the last start (the first screen's)
    kept_details: tuple[DetailsKey, RenderableType] | None = None


@dataclass
class PreviousLoaded(Message):
    """The version each row was built on (for the deltas)."""

    model: str
    rows: VersionRows
    prev_topo: object  # browse.previous_column's column


@dataclass
class ReproducibleLoaded(Message):
    """Each version's reproducibility as one value, by commit (``audit_text.overall``)."""

    model: str
    rows: VersionRows
    marks: ReproMarks
    remotes: dict[str, bool]  # can missing LFS/DVC objects be fetched (audit.remotes_of)


@dataclass
class FilterApplied(Message):
    """The rows of ``source`` matching ``query`` (or the error that it is)."""

    model: str
    query: str
    source: VersionRows
    rows: Sequence[int] | None  # ascending
    error: str | None = None
    metric_keys: list[str] | None = None  # every metric of the model (the handler caches it)


def kept_versions(kept: dict[str, Any], config: Config) -> VersionsLoaded:
    """The first screen's versions and details as kept beside the catalog
    (``models_answer.read_first``), as a first page of the list. (Thread.)"""
    columns = kept["columns"]
    rows = KeptRows(
        columns,
        kept["prev"],
        kept["keys"],
        config.better,
        config.direction,
        kept["branch"],
        kept["sizes"],
    )
    details = None
    detail = kept["detail"]
    if detail is not None and len(rows):
        before = rows.previous_row(0)
        previous = (
            None if before is None else (rows.commit_at(before), rows.value("version", before))
        )
        key: DetailsKey = (kept["model"], rows.commit_at(0), previous)
        renderable = render_details(
            detail,
            detail.get("previous_metrics", {}),
            previous[1] if previous else None,
            config.better,
        )
        details = (key, renderable)
    return VersionsLoaded(kept["model"], rows, True, None, details)
