"""One model's versions as table rows: cell texts, metric deltas and the column layout.

Holds the Arrow table from ``store.query.browse.versions_table`` (newest first) and turns a
row index into display cells on demand, so 100,000 versions cost nothing until drawn.
Every repository string goes through ``tui.safe_text.clean``. No Textual here.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from modeltrail.store.query.stages import stage_order
from modeltrail.tui.audit_text import GLYPHS
from modeltrail.tui.format import MISSING, fmt_branch, fmt_date, fmt_delta, fmt_number, stage_glyph
from modeltrail.tui.safe_text import clean

if TYPE_CHECKING:
    import pyarrow as pa

LATEST = "★"
ROLLBACK = "↶"
MARK = "■"  # not ✓: the R column's ✓ says "reproducible"
CURSOR = "▶"
#: the narrowest the branch column gets before it gives way (its name cut with …)
BRANCH_MIN = 12


#: a reproducibility mark as one byte per row: True, False, None (not knowable offline,
#: or not known yet)
_CODES: dict[bool | None, int] = {True: 1, False: 0, None: 2}
_STATES: tuple[bool | None, ...] = (False, True, None)


class ReproMarks:
    """Reproducibility marks for the rows of a :class:`VersionRows`, one byte per row
    (100,000 versions: 100 kB, where a dict by commit held 12 MB)."""

    def __init__(self, commits: pa.Array) -> None:
        self._commits = commits
        self.codes = bytearray([_CODES[None]]) * len(commits)

    def update(self, marks: dict[str, bool | None]) -> None:
        """Set the marks of the given commits (those that are rows; the others are not
        listed)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = pc.index_in(pa.array(list(marks), pa.string()), value_set=self._commits)
        for row, state in zip(rows.to_pylist(), marks.values(), strict=True):
            if row is not None:
                self.codes[row] = _CODES[state]


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array, without a copy when it is one already (``combine_chunks``
    copies even a single chunk: at 100,000 versions, the whole table again, 15 MB)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def fit(text: str, width: int, align: str = "left") -> str:
    """``text`` cut (with …) or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


@dataclass(frozen=True)
class Column:
    """A column of the versions table: its key, header, width and alignment."""

    key: str
    title: str
    width: int
    align: str = "left"


@dataclass(frozen=True)
class Cell:
    """One cell's text and its kind (for styling: ``better``, ``worse``, ``stage`` ...)."""

    text: str
    kind: str = ""


class VersionRows:
    """The versions of one model, newest first, with lazily formatted cells.

    ``table`` comes from ``store.query.browse.versions_table`` (columns ``metric_0``… for
    ``metric_keys``); ``better(key, old, new)`` says whether a change is
    an improvement and ``direction(key)`` which way a metric improves. Nothing here holds
    a Python object per version: cells are read from the Arrow columns when drawn.
    """

    def __init__(
        self,
        table: pa.Table,
        metric_keys: Sequence[str],
        better: Callable[[str, float | None, float | None], bool | None],
        direction: Callable[[str], str] | None = None,
        main: str | None = None,
        all_branches: bool = True,
        branch_sizes: dict[str, int] | None = None,
    ) -> None:
        self.table = table
        self.main = main  # the main line's branch (the branch column names it)
        self.branch_sizes = branch_sizes or {}  # commits per branch (names the smallest)
        self.all_branches = all_branches  # every version (else the main line + labelled)
        self.metric_keys = list(metric_keys)
        self._better = better
        self._direction = direction or (lambda key: "higher")
        self._cols = {name: _one_array(table.column(name)) for name in table.column_names}
        # the row of the version each row was built on; unknown until set_previous()
        self._prev: pa.Array | None = None
        # per row: reproducible (REPRO_CODES); until set_reproducible(), the column shows
        # a placeholder
        self._repro: bytes | None = None

    def set_previous(self, prev_topo: pa.Array) -> None:
        """Give, per row, the ``topo`` of the version it was built on (null: none); metric
        deltas are shown from then on."""
        import pyarrow.compute as pc

        self._prev = pc.index_in(prev_topo, value_set=self._cols["topo"])

    def reproducible_marks(self) -> ReproMarks:
        """An empty set of reproducibility marks for these rows, to fill and then give
        to :meth:`set_reproducible`."""
        return ReproMarks(self._cols["commit"])

    def set_reproducible(self, marks: ReproMarks) -> None:
        """Give each version's reproducibility (``audit_text.overall`` of its
        ``audit.version_checks``): False when a check fails, None when one cannot be
        known offline, else True."""
        self._repro = bytes(marks.codes)

    @property
    def has_previous(self) -> bool:
        return self._prev is not None

    def __len__(self) -> int:
        return self.table.num_rows

    def commit_at(self, row: int) -> str:
        """The full commit id of a row."""
        return self._cols["commit"][row].as_py()

    def row_of(self, commit: str) -> int | None:
        """The row holding ``commit``, if it is a version of this model."""
        import pyarrow.compute as pc

        if not len(self):
            return None
        row = pc.index(self._cols["commit"], commit).as_py()
        return None if row < 0 else row

    def rows_of_topos(self, topos: pa.Array) -> array:
        """The rows (ascending) whose ``topo`` is in ``topos``, as a compact integer array
        (a filter may keep 100,000 rows: 0.8 MB, where a list of ints took 6 MB)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        mask = pc.is_in(self._cols["topo"], value_set=topos)
        rows = pc.indices_nonzero(mask).cast(pa.int64())
        out = array("q")
        if len(rows):
            data = memoryview(rows.buffers()[1]).cast("B")
            out.frombytes(data[8 * rows.offset : 8 * (rows.offset + len(rows))])
        return out

    def value(self, name: str, row: int):
        """One raw value (Python object) of the table."""
        return self._cols[name][row].as_py()

    def metric(self, i: int, row: int) -> float | None:
        return self._cols[f"metric_{i}"][row].as_py()

    def previous_row(self, row: int) -> int | None:
        """The row of the version ``row`` was built on (nearest first-parent ancestor)."""
        return self._prev[row].as_py() if self._prev is not None else None

    def previous_metric(self, i: int, row: int) -> float | None:
        """The same metric at the version this one was built on."""
        prev = self.previous_row(row)
        return self.metric(i, prev) if prev is not None else None

    def max_width(self, name: str, cap: int) -> int:
        """The widest text of a string column, at most ``cap``."""
        import pyarrow.compute as pc

        col = self._cols.get(name)
        if col is None or len(col) == 0:
            return 0
        widest = pc.max(pc.utf8_length(col)).as_py() or 0
        return min(int(widest), cap)

    # --- layout ---------------------------------------------------------------------------

    def stages_width(self) -> int:
        """The widest stages cell (stage names are never cut), at least its title's."""
        import pyarrow.compute as pc

        col = self._cols.get("stages")
        if col is None or len(col) == 0:
            return len("stages")
        held = col.filter(pc.greater(pc.list_value_length(col), 0))  # the few stage holders
        texts = [self._stages_text(stages) for stages in held.to_pylist()]
        return max([len("stages"), *(cell_len(t) for t in texts)])

    def columns(self) -> list[Column]:
        """Every column at its natural width, in display order: the most useful first, so
        the ones to the right give way first when the list is narrow (the branch, date,
        commit and author before any metric). The version column comes first and stays."""
        label_w = max(7, self.max_width("version", 16)) + 2  # + latest glyph
        columns = [
            Column("label", "version", label_w),
            Column("stages", "stages", self.stages_width()),
            Column("repro", "R", 1),  # reproducible: ✓ ✗ ? (the audit's checks)
        ]
        for i, key in enumerate(self.metric_keys):
            arrow = "↓" if self._direction(key) == "lower" else "↑"
            title = f"{clean(key, single_line=True)} {arrow}"
            columns.append(Column(f"metric_{i}", title, 16))
        columns += [
            Column("branches", "branch", BRANCH_MIN + 2),
            Column("date", "date", 10),
            Column("commit", "commit", 7),
            Column("author", "author", 12),
        ]
        return columns

    def layout(self, width: int, first: int = 0) -> list[Column]:
        """The columns shown in ``width`` cells: the version column, then, from the
        ``first`` of the others on (scrolled horizontally), as many as fit in order.
        A column that does not fit ends the row (the ones after it are less useful); the
        branch column narrows to fit (its name then cut with …) and takes the room left."""
        label, *rest = self.columns()
        used = 2 + label.width + 1  # cursor and mark glyphs, the version column
        shown = [label]
        for col in rest[first:]:
            need = col.width + 1
            if used + need > width:
                room = width - used - 1
                if col.key == "branches" and room >= BRANCH_MIN:
                    shown.append(Column(col.key, col.title, room, col.align))
                    used = width
                break
            shown.append(col)
            used += need
        spare = width - used
        return [
            Column(c.key, c.title, c.width + min(spare, 30), c.align)
            if c.key == "branches" and spare > 0
            else c
            for c in shown
        ]

    def column_count(self) -> int:
        """How many columns there are besides the version column (the horizontal scroll's
        extent)."""
        return len(self.columns()) - 1

    # --- cells ----------------------------------------------------------------------------

    def cell(self, key: str, row: int) -> Cell:
        """The display text of one cell."""
        if key == "label":
            text = clean(self.value("version", row), single_line=True)
            if self.value("is_latest", row):
                text += f" {LATEST}"
            if "rolled_back_from" in self._cols and self.value("rolled_back_from", row):
                text += f" {ROLLBACK}"  # a branch rollback commit (the details say from what)
            return Cell(text, "label")
        if key == "commit":
            return Cell((self.value("commit", row) or "")[:7], "dim")
        if key == "repro":
            if self._repro is None:
                return Cell("·", "dim")
            state = _STATES[self._repro[row]]
            return Cell(GLYPHS[state], "better" if state else "worse" if state is False else "")
        if key == "date":
            return Cell(fmt_date(self.value("date", row)), "dim")
        if key == "author":
            return Cell(clean(self.value("author_name", row), single_line=True))
        if key == "branches":
            return self._branch_cell(row)
        if key == "stages":
            stages = self.value("stages", row) or []
            return Cell(self._stages_text(stages), "stage" if stages else "")
        if key.startswith("metric_"):
            i = int(key.removeprefix("metric_"))
            value = self.metric(i, row)
            if value is None:
                return Cell(MISSING, "dim")
            old = self.previous_metric(i, row)
            delta = None if old is None else value - old
            better = self._better(self.metric_keys[i], old, value)
            text = fit(fmt_number(value), 7, "right") + " " + fit(fmt_delta(delta, better), 8)
            kind = "better" if better else "worse" if better is False else ""
            return Cell(text, kind)
        return Cell("")

    @staticmethod
    def _stages_text(stages: Sequence[str]) -> str:
        """``● prod ◐ staging``: prod first, as the models pane orders them."""
        ordered = sorted(stages, key=stage_order)
        return " ".join(f"{stage_glyph(s)} {clean(s, single_line=True)}" for s in ordered)

    def _branch_cell(self, row: int) -> Cell:
        """The version's branch (``format.fmt_branch``)."""
        branches = [str(b) for b in self.value("branches", row) or []]
        on_main = self.value("main_line", row) if "main_line" in self._cols else None
        branch = self.value("branch", row) if "branch" in self._cols else None
        merged = self.value("merged", row) if "merged" in self._cols else None
        text = fmt_branch(
            branches, on_main, self.main, self.branch_sizes, branch, [str(m) for m in merged or []]
        )
        text = clean(text, single_line=True)
        return Cell(text, "unmerged" if text.startswith("unmerged") else "dim")
