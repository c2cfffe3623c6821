"""Filling a ``DataTable`` at once, with the column widths given rather than measured later.

Textual measures a table's columns when the table is next idle, but a table painted before
that (a loaded machine, an SSH session) caches its rows at the headers' widths and keeps
showing them cut. :func:`fill_table` computes each column's width from its cells and gives
it to the table with the rows, so the first paint is already right.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable


def text_width(text: Text | str) -> int:
    """The cells the widest line of ``text`` takes on screen."""
    plain = text.plain if isinstance(text, Text) else text
    return max((cell_len(line) for line in plain.split("\n")), default=0)


def column_widths(labels: Sequence[Text | str], rows: Sequence[Sequence[Text]]) -> list[int]:
    """Each column's width: its widest line, the label's included."""
    widths = [text_width(label) for label in labels]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], text_width(cell))
    return widths


def fill_table(
    table: DataTable,
    columns: Sequence[tuple[Text | str, str | None]],
    rows: Sequence[Sequence[Text]],
    *,
    keys: Sequence[str] | None = None,
    heights: Sequence[int] | None = None,
) -> None:
    """Empty ``table`` and fill it: ``columns`` as (label, key), ``rows`` of cells, each
    row with its key and height when given."""
    table.clear(columns=True)
    widths = column_widths([label for label, _key in columns], rows)
    for (label, key), width in zip(columns, widths, strict=True):
        table.add_column(label, width=width, key=key)
    for i, row in enumerate(rows):
        table.add_row(
            *row,
            key=keys[i] if keys is not None else None,
            height=heights[i] if heights is not None else 1,
        )
