"""The first screen's version rows as kept beside the catalog (``store.query.models_answer``):
:class:`VersionRows` over plain Python lists, so the home screen draws its first model's
versions before pyarrow is imported. The catalog's own rows replace them as soon as they
are read (the screen treats these as a first page): filters, checks and the rest work on
those."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len

from modeltrail.tui.widgets.version_rows import VersionRows


class KeptRows(VersionRows):
    """The newest versions of one model from ``models_answer.read_first``: ``columns``
    (``versions_table``'s, as lists) and ``prev`` (per row, the row it was built on)."""

    def __init__(
        self,
        columns: dict[str, list[Any]],
        prev: Sequence[int | None],
        metric_keys: Sequence[str],
        better: Callable[[str, float | None, float | None], bool | None],
        direction: Callable[[str], str] | None = None,
        main: str | None = None,
        branch_sizes: dict[str, int] | None = None,
    ) -> None:
        # not VersionRows.__init__: that one reads Arrow columns
        self.table = None
        self.main = main
        self.branch_sizes = branch_sizes or {}
        self.all_branches = False  # the main line (and the labelled or staged versions)
        self.metric_keys = list(metric_keys)
        self._better = better
        self._direction = direction or (lambda key: "higher")
        self._cols = columns
        self._rows = {commit: row for row, commit in enumerate(columns["commit"])}
        self._prev_rows = list(prev)
        self._repro = None

    @property
    def has_previous(self) -> bool:
        return True

    def __len__(self) -> int:
        return len(self._cols["commit"])

    def commit_at(self, row: int) -> str:
        return self._cols["commit"][row]

    def row_of(self, commit: str) -> int | None:
        return self._rows.get(commit)

    def value(self, name: str, row: int):
        return self._cols[name][row]

    def metric(self, i: int, row: int) -> float | None:
        return self._cols[f"metric_{i}"][row]

    def previous_row(self, row: int) -> int | None:
        return self._prev_rows[row]

    def max_width(self, name: str, cap: int) -> int:
        values = self._cols.get(name) or []
        return min(max((len(v) for v in values if v is not None), default=0), cap)

    def stages_width(self) -> int:
        texts = [self._stages_text(s) for s in self._cols.get("stages") or [] if s]
        return max([len("stages"), *(cell_len(t) for t in texts)])

    def rows_of_topos(self, topos) -> array:
        wanted = set(topos.to_pylist())
        return array("q", [row for row, t in enumerate(self._cols["topo"]) if t in wanted])
