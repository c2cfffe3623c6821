"""``print_table`` writes its lines itself (``tui/plain_table.py``): it must print exactly
what the Rich Table it replaced printed, piped and on terminals of several widths, for
realistic and hostile cells. The Rich-based implementation lives here as the reference."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from modeltrail.tui.commands import _common
from modeltrail.tui.commands._common import console, fit_columns, output_width, safe


def rich_print_table(
    titles: list[str], rows: list[list[str]], drop_first: list[int], flex: int | None = None
) -> None:
    """``print_table`` as it was: a Rich Table laid out whole (the reference)."""
    from rich.table import Table

    width = output_width()
    keep = fit_columns(width, titles, rows, drop_first, flex)
    natural = {i: max([cell_len(titles[i])] + [cell_len(r[i]) for r in rows]) for i in keep}
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    for i in keep:
        limit = None
        if i == flex and width is not None:  # what the other columns leave
            limit = max(1, width - sum(w for j, w in natural.items() if j != i) - len(keep) + 1)
        table.add_column(safe(titles[i]), no_wrap=True, overflow="ellipsis", max_width=limit)
    for row in rows:
        table.add_row(*(safe(row[i]) for i in keep))
    console().print(table)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


_ENV = ("COLUMNS", "LINES", "NO_COLOR", "TERM", "FORCE_COLOR", "TTY_COMPATIBLE", "COLORTERM")


@contextmanager
def _output(columns: int | None, colour: bool) -> Iterator[io.StringIO]:
    """stdout piped (``columns`` None) or a terminal ``columns`` wide (the settings the
    CLI tests use: TERM=xterm, NO_COLOR=1; ``colour``: without NO_COLOR, bold headers)."""
    saved_env = {k: os.environ.get(k) for k in _ENV}
    saved_out = sys.stdout
    for k in _ENV:
        os.environ.pop(k, None)
    os.environ["TERM"] = "xterm"
    if not colour:
        os.environ["NO_COLOR"] = "1"
    if columns is not None:
        os.environ["COLUMNS"] = str(columns)
        os.environ["LINES"] = "24"
    buf = _Terminal() if columns is not None else io.StringIO()
    sys.stdout = buf
    try:
        yield buf
    finally:
        sys.stdout = saved_out
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _both(table: tuple, columns: int | None, colour: bool = False) -> tuple[str, str]:
    titles, rows, drop_first, flex = table
    with _output(columns, colour) as old:
        rich_print_table(titles, rows, drop_first, flex)
    with _output(columns, colour) as new:
        _common.print_table(titles, rows, drop_first, flex)
    return old.getvalue(), new.getvalue()


_REALISTIC = st.sampled_from(
    [
        "v1.3.0 (latest)",
        "v1.1.0, rolled back from v1.2.0",
        "6d10021",
        "2026-11-26",
        "-",
        "prod,staging",
        "main",
        "0.9863 ▲+0.0014 better",
        "10.49 ▼+1.9 worse",
        "—",
        "big: retrain #100000",
        "fix: a long commit subject that goes on and on about what the change did and why",
        "",
        "  leading and trailing  ",
        "訓練モデル v2 — 精度向上",
        "🚀 ship it 🎉",
        "e\u0301te\u0301",
        "tab\there",
        "line\nbreak",
        "\x1b[31mred\x1b[0m",
        "\x1b]8;;https://evil\x07link\x1b]8;;\x07",
        "bidi \u202eevil\u202c",
        "[bold]markup[/bold]",
        "nul\x00del\x7f c1\x9b",
        "sep\u2028arator\u2029",
        "wide\u3000space\u3000",
        "zero\u200bwidth\ufeff",
    ]
)
_HOSTILE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("\x1b\x07\n\r\t \u2028\u3000…▲▼é漢🎉\u0301\u200d"),
    max_size=30,
)
_CELL = st.one_of(_REALISTIC, _REALISTIC, _HOSTILE, st.text(max_size=60))


@st.composite
def _tables(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 6))
    titles = draw(
        st.lists(
            _REALISTIC | st.sampled_from(["VERSION", "auc", "MESSAGE"]), min_size=n, max_size=n
        )
    )
    rows = draw(st.lists(st.lists(_CELL, min_size=n, max_size=n), max_size=8))
    drop_first = draw(st.permutations(range(n)))[: draw(st.integers(0, n))]
    flex = draw(st.none() | st.integers(0, n - 1))
    return titles, rows, drop_first, flex


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_piped_tables_print_what_rich_printed(table):
    old, new = _both(table, None)
    assert new == old


@settings(max_examples=300, deadline=None)
@given(_tables(), st.sampled_from([80, 120, 40, 12, 3]))
def test_terminal_tables_print_what_rich_printed(table, columns):
    old, new = _both(table, columns)
    assert new == old


@settings(max_examples=40, deadline=None)
@given(_tables(), st.sampled_from([80, 40]))
def test_terminal_tables_keep_the_bold_header(table, columns):
    old, new = _both(table, columns, colour=True)
    assert new == old


@pytest.mark.parametrize("columns", [None, 80, 40])
def test_wide_rows_are_cut_as_rich_cut_them(columns):
    """Past the console's width (200 when piped) Rich narrowed every column evenly."""
    titles = ["VERSION", "COMMIT", "MESSAGE"]
    rows = [["v1.0.0", "6d10021", "x" * 300], ["v2 漢字" * 20, "-", "🎉" * 150], ["", "", ""]]
    old, new = _both((titles, rows, [1, 2], 2), columns)
    assert new == old
    assert "…" in new


def test_an_empty_cell_and_hostile_title_print_as_before():
    titles = ["\x1b[2J", "", "A"]
    rows = [["", "", ""], ["a\tb", "\u202e", "x"]]
    for columns in (None, 80):
        old, new = _both((titles, rows, [], None), columns)
        assert new == old
        assert "\x1b[2J" not in new and "\\x1b[2J" in new


_SUBJECT = "fix: a long commit subject that goes on and on about what the change did and why"


def test_a_cell_cut_in_a_later_column_is_cut_at_that_column():
    titles = ["v1.3.0 (latest)"] * 6
    rows = [[titles[0]] * 3 + [_SUBJECT] + [titles[0]] * 2]
    old, new = _both((titles, rows, [], None), 80)
    assert new == old
    assert "fix: a long commit subject that goes on and on about what the cha…" in new


def test_columns_left_wider_than_the_terminal_are_cropped_as_rich_cropped_them():
    """Narrowed evenly, a flex column at its limit gives nothing back: the table is wider
    than the terminal, and the console crops each line."""
    titles = ["v1.3.0 (latest)"] * 4 + ["v1.1.0, rolled back from v1.2.0", "v1.3.0 (latest)"]
    rows = [["v1.3.0 (latest)"] * 6]
    old, new = _both((titles, rows, [], 5), 80)
    assert new == old
    assert all(len(line) == 80 for line in new.splitlines()[1:])
