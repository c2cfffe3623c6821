"""Text whose long lines wrap under their value, not at the left edge.

``Hanging(text)`` renders ``text`` line by line; a line too long for the width goes on
under where its value starts: after a label and two or more spaces (``  target   v1.2.0
was given prod …``), else two cells in from the line's own indent. A continuation line
at the left edge looks like a line of its own (another plan line, another row).
"""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

_LABEL = re.compile(r"^(\s*\S+(?: \S+)?:?\s{2,}|\s*\S+:\s+)")
_MIN_ROOM = 20  # never indent so far that less than this is left


def hang_of(line: str) -> int:
    """Where a line's continuation lines start."""
    match = _LABEL.match(line)
    if match and len(match.group(1)) < len(line):
        return len(match.group(1))
    return len(line) - len(line.lstrip(" ")) + 2


class Hanging:
    """A Rich renderable: ``text`` with hanging indents (see the module)."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        out = Text(end="")
        for i, line in enumerate(self.text.split("\n", allow_blank=True)):
            if i:
                out.append("\n")
            out.append_text(wrap_hanging(console, line, width))
        yield out

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def wrap_hanging(console: Console, line: Text, width: int) -> Text:
    """One line wrapped to ``width`` with its continuation lines indented."""
    if line.cell_len <= width:
        return line
    indent = min(hang_of(line.plain), max(width - _MIN_ROOM, 0))
    first = line.wrap(console, width, no_wrap=False)[0]
    rest = line[len(first.plain) :]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
    out = Text(end="")
    first.rstrip()
    out.append_text(first)
    for part in rest.wrap(console, max(width - indent, 1)):
        part.rstrip()
        out.append("\n" + " " * indent)
        out.append_text(part)
    return out
