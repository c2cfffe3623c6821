"""Plain tables written a line at a time, exactly as Rich prints
``Table(box=None, pad_edge=False, collapse_padding=True)`` with ``no_wrap`` columns cut
with an ellipsis (``max_width`` on some), but without building a Rich renderable per
cell: 100,000 rows in a couple of seconds instead of most of a minute.

Rich's rules, as this module follows them (``tests/test_plain_table.py`` holds Rich's
own Table as the reference and compares on generated hostile tables):

* every column but the last is followed by one space of padding;
* a column is as wide as its widest cell (Rich's measure: the widest of the text's
  ``splitlines()``) plus its padding, at most the console's width, and at most its
  ``max_width`` plus padding; a width of 0 counts as 1;
* if the columns are wider than the console, all are narrowed evenly (Rich's
  ``ratio_reduce``) and measured again;
* a cell that fits is its text padded with spaces; one that does not is rendered by
  Rich itself (``Text`` in ``Padding``, the very calls the Table makes), so truncation,
  wide characters and trailing whitespace behave as Rich's do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from modeltrail.tui.safe_text import clean

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment

# what str.splitlines() splits on: Rich measures a text by its longest such line
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def cell_text(value: Any) -> str:
    """Repository text as one literal line (``safe_text.clean(single_line=True)``)."""
    return clean(value, single_line=True)


def measure(text: str) -> int:
    """The width Rich measures a text at: its widest line, in terminal cells."""
    if _LINE_BREAKS.search(text):
        return max((cell_len(line) for line in text.splitlines()), default=0)
    return cell_len(text)


def width_of(text: str) -> int:
    """:func:`measure` with a shortcut for ASCII text (nearly every cell): its length.
    Printable ASCII holds no line breaks and takes one cell a character."""
    return len(text) if text.isascii() and text.isprintable() else measure(text)


def paddings(columns: int) -> list[int]:
    """The space after each column: one, none after the last."""
    return [1] * (columns - 1) + [0] if columns else []


def column_widths(measures: Sequence[int], limits: Sequence[int | None], total: int) -> list[int]:
    """Each column's width with its padding (Rich's ``Table._calculate_column_widths``
    for no-wrap columns): ``measures`` the widest cell of each column (header included),
    ``limits`` each column's ``max_width``, ``total`` the console's width."""
    from rich._ratio import ratio_reduce

    pads = paddings(len(measures))

    def measured(widest: int, pad: int, limit: int | None, width: int) -> int:
        if width < 1:
            return 0
        got = width if width - pad < 1 else min(widest + pad, width)
        return got if limit is None else min(got, limit + pad)

    widths = [
        measured(m, p, lim, total) or 1 for m, p, lim in zip(measures, pads, limits, strict=True)
    ]
    if sum(widths) > total:
        widths = ratio_reduce(sum(widths) - total, [1] * len(widths), widths, widths)
        widths = [
            measured(m, p, lim, w)
            for m, p, lim, w in zip(measures, pads, limits, widths, strict=True)
        ]
    return widths


class Cells:
    """Turns rows of cell texts into table lines of the given column widths."""

    def __init__(self, console: Console, widths: Sequence[int]) -> None:
        self.console = console
        self.widths = list(widths)
        # narrowing evenly can leave the columns wider than the console (a column at
        # its max_width gives nothing): the console crops each line
        total = console.options.max_width
        self._crop = total if sum(self.widths) > total else None
        self.pads = paddings(len(widths))
        # (width available to the text, padding after it) per column
        self._slots = [(w - p, p) for w, p in zip(self.widths, self.pads, strict=True)]

    def line(self, cells: Sequence[str]) -> str:
        """One row's line, padded to the table's width (``cells``: :func:`cell_text`)."""
        out = []
        for text, (room, pad) in zip(cells, self._slots, strict=True):
            if room >= 1 and len(text) <= room:
                if text.isascii() and text.isprintable():  # one cell a character
                    out.append(text.ljust(room + pad))
                    continue
                used = cell_len(text)
                if used <= room:
                    out.append(text + " " * (room - used + pad))
                    continue
            out.append("".join(s.text for s in self.segments(text, len(out))))
        if self._crop is None:
            return "".join(out)
        from rich.segment import Segment

        cropped = Segment.adjust_line_length([Segment("".join(out))], self._crop, pad=False)
        return "".join(s.text for s in cropped)

    def segments(self, text: str, column: int, style: str = "") -> list[Segment]:
        """One cell as Rich's Table renders it (a ``Text`` in ``Padding``, cut with …)."""
        return self._row([self._lines(text, column, style)], [self.widths[column]])[0]

    def _lines(self, text: str, column: int, style: str) -> tuple[list[list[Segment]], Any]:
        from rich.padding import Padding
        from rich.style import Style
        from rich.text import Text

        options = self.console.options.update(
            width=self.widths[column],
            justify="left",  # a Column's default
            no_wrap=True,
            overflow="ellipsis",
            height=None,
            highlight=False,
        )
        cell_style = self.console.get_style(style) if style else Style.null()
        padded = Padding(Text(text), (0, self.pads[column], 0, 0))
        return self.console.render_lines(padded, options, style=cell_style), cell_style

    def _row(
        self, cells: list[tuple[list[list[Segment]], Any]], widths: list[int]
    ) -> list[list[Segment]]:
        """Cells' rendered lines shaped into one line each, as the Table shapes a row: a
        cell too narrow to render anything is blank in its style, unless all are."""
        from rich.segment import Segment

        height = max(len(lines) for lines, _ in cells)
        out = []
        for width, (lines, style) in zip(widths, cells, strict=True):
            if len(lines) < height:
                lines = Segment.align_bottom(lines, width, height, style)
            (line,) = Segment.set_shape(lines[:1] or [[]], width, 1)
            out.append(line)
        return out

    def header(self, titles: Sequence[str]) -> list[Segment]:
        """The header line's segments (bold where the console has styles), newline included."""
        from rich.segment import Segment

        rendered = [self._lines(t, n, "table.header") for n, t in enumerate(titles)]
        out = [s for line in self._row(rendered, self.widths) for s in line]
        out.append(Segment.line())
        return out
