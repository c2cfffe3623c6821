"""The command line's plain tables (``tui/plain_table.py``): piped, every value whole,
one row per line; on a terminal, columns sized by importance and dates never cut.

Through ``modeltrail.tui.cli.main`` on the demo repository (plus a version with long
values), stdout captured (not a terminal) or a terminal of a forced width."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from tui_support import commit, git, index, write

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.tui.cli import main as cli
from modeltrail.tui.plain_table import cell_text, layout, line

LONG_BRANCH = "exp/churn-" + "a-really-long-experiment-name-" * 3 + "end"
LONG_SUBJECT = "churn: " + "a long commit subject that says a great deal " * 6 + "END"
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo repository, and on a long-named branch a version with a long subject."""
    root = build_sample_repo(tmp_path_factory.mktemp("tables") / "models")
    git(root, "checkout", "-q", "-b", LONG_BRANCH)
    metrics = json.loads((root / "models/churn/metrics.json").read_text())
    metrics["latency_ms"] = 99.5
    write(root, "models/churn/metrics.json", metrics)
    commit(root, LONG_SUBJECT, "2026-03-18T10:00:00Z")
    git(root, "checkout", "-q", "main")
    index(root)
    return root


def _piped(capsys, *args: str) -> str:
    capsys.readouterr()
    assert cli(list(args)) == 0
    out = capsys.readouterr().out
    assert not sys.stdout.isatty()
    return out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _on_terminal(monkeypatch, columns: int, *args: str) -> list[str]:
    """What the command prints on a terminal ``columns`` wide (escapes removed)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("LINES", "24")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    buf = _Terminal()
    monkeypatch.setattr(sys, "stdout", buf)
    assert cli(list(args)) == 0
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    return text.rstrip("\n").split("\n")


# --- piped: never cut ---------------------------------------------------------------------


def test_piped_versions_are_whole_one_row_per_line(demo, capsys):
    out = _piped(capsys, "-C", str(demo), "versions", "churn", "--all")
    rows = json.loads(_piped(capsys, "-C", str(demo), "versions", "churn", "--all", "--json"))
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == len(rows) + 1  # the header, then one line per version
    assert "…" not in out
    for row, text in zip(rows, lines[1:], strict=True):
        assert row["commit"][:7] in text
        assert row["date"][:10] in text  # never 2026-0…
        assert row["message"].split("\n")[0] in text  # the whole subject
        assert ",".join(row["stages"]) in text  # dev,prod, never dev,p…
    assert LONG_SUBJECT in out and LONG_BRANCH in out
    assert "v1.3.0 (latest)" in out
    assert all(line == line.rstrip() for line in lines)  # no padding at the ends


def test_piped_filtered_versions_and_models_and_history_are_whole(demo, capsys):
    out = _piped(capsys, "-C", str(demo), "versions", "churn", "--filter", "branch:main")
    assert "…" not in out and "v1.3.0 (latest)" in out and "dev,prod" in out
    out = _piped(capsys, "-C", str(demo), "history", "churn")
    assert "…" not in out
    assert "Assigning stage staging to artifact churn version v1.2.0" in out
    assert all(DATE.search(line) for line in out.splitlines()[1:])
    out = _piped(capsys, "-C", str(demo), "models")
    assert "…" not in out
    assert "● prod v1.3.0 ← v1.2.0" in out and "dvc-artifact,dvc" in out


def test_an_exported_columns_does_not_cut_piped_output(demo, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = _piped(capsys, "-C", str(demo), "versions", "churn", "--all")
    assert LONG_SUBJECT in out and "MESSAGE" in out


# --- on a terminal: by importance, dates whole ---------------------------------------------


@pytest.mark.parametrize("columns", [120, 80, 40])
def test_terminal_versions_fit_and_keep_dates_whole(demo, monkeypatch, columns):
    lines = _on_terminal(monkeypatch, columns, "-C", str(demo), "versions", "churn", "--all")
    assert all(cell_len(line) <= columns for line in lines), columns
    heads = lines[0].split()
    assert heads[:1] == ["VERSION"] and "DATE" in heads and "STAGES" in heads
    assert all(DATE.search(line) for line in lines[1:])  # the date of every row, whole
    assert any("v1.3.0 (latest)" in line and "dev,prod" in line for line in lines)


def test_terminal_columns_give_way_by_importance(demo, monkeypatch):
    wide = _on_terminal(monkeypatch, 200, "-C", str(demo), "versions", "churn", "--all")
    assert wide[0].split() == [
        "VERSION", "COMMIT", "DATE", "STAGES", "BRANCH",
        "latency_ms", "test.auc", "test.f1", "MESSAGE",
    ]  # fmt: skip
    # 140: the branch is cut to make room before a metric goes
    mid = _on_terminal(monkeypatch, 140, "-C", str(demo), "versions", "churn", "--all")
    assert "test.f1" in mid[0] and "BRANCH" in mid[0]
    assert any(re.search(r" unmerged: exp/churn-\S*… ", line) for line in mid)
    assert all(cell_len(line) <= 140 for line in mid)
    # 60: metrics, then the commit, then the branch went; the message is cut
    narrow = _on_terminal(monkeypatch, 60, "-C", str(demo), "versions", "churn", "--all")
    assert narrow[0].split() == ["VERSION", "DATE", "STAGES", "MESSAGE"]
    assert any(line.endswith("…") for line in narrow[1:])


def test_terminal_history_keeps_when_whole(demo, monkeypatch):
    for columns in (80, 50, 30):
        lines = _on_terminal(monkeypatch, columns, "-C", str(demo), "history", "churn")
        assert all(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", line) for line in lines[1:])


# --- the layout itself ---------------------------------------------------------------------


def test_piped_layout_is_every_column_at_its_natural_width():
    assert layout([5, 300, 10], None, [1], flex=1) == ([0, 1, 2], [5, 300, 10])


def test_a_whole_column_is_never_cut_even_past_the_terminal():
    keep, widths = layout([15, 10, 8, 40], 12, [3], flex=3, whole=(1,))
    assert keep == [0, 1, 2] and widths[1] == 10
    row = ["v1.3.0 (latest)", "2026-03-09", "dev,prod"]
    assert "2026-03-09" in line(row, keep, widths)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=7),
    st.integers(20, 200),
    st.data(),
)
def test_a_terminal_layout_fits_when_its_whole_columns_do(natural, width, data):
    n = len(natural)
    drop = data.draw(st.permutations(range(n)))[: data.draw(st.integers(0, n))]
    flex = data.draw(st.none() | st.integers(0, n - 1))
    whole = data.draw(st.sets(st.integers(0, n - 1), max_size=2))
    keep, widths = layout(natural, width, drop, flex, 12, {}, whole)
    assert keep and all(w >= 1 for w in widths)
    for i, w in zip(keep, widths, strict=True):
        assert w <= natural[i]
        if i in whole:
            assert w == natural[i]
    if sum(natural[i] for i in keep if i in whole) + len(keep) * 2 <= width:
        assert sum(widths) + len(keep) - 1 <= width


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=5), st.sampled_from([None, 30, 80]))
def test_hostile_cells_print_literally_on_one_line(cells, columns):
    """Piped or on a terminal, a row is one line, with nothing a terminal would act on."""
    from modeltrail.tui.commands._common import print_table

    saved, columns_env = sys.stdout, os.environ.get("COLUMNS")
    sys.stdout = _Terminal() if columns else io.StringIO()
    os.environ["COLUMNS"] = str(columns or 80)
    try:
        print_table([f"T{i}" for i in range(len(cells))], [cells], [], flex=0)
        out = sys.stdout.getvalue()
    finally:
        sys.stdout = saved
        if columns_env is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns_env
    text = re.sub(r"\x1b\[[0-9;]*m", "", out)  # the bold header on a terminal
    assert text.count("\n") == 2  # the header and the row
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    if columns is None:  # piped: every value whole
        row = text.split("\n")[1]
        assert all(cell_text(c).strip(" ") in row for c in cells)


def test_piped_sql_and_audit_are_whole(demo, capsys):
    query = "SELECT repeat('x', 250) AS a, NULL AS b, 'end' AS c"
    out = _piped(capsys, "-C", str(demo), "sql", query)
    assert out.splitlines()[1] == "x" * 250 + " NULL end"
    out = _piped(capsys, "-C", str(demo), "audit", "churn", "--all")
    assert "…" not in out
    assert "artifact: not present locally and no remote configured: models/churn/model.pkl" in out


def test_piped_diff_and_flow_are_whole_one_row_per_line(demo, capsys):
    out = _piped(capsys, "-C", str(demo), "diff", "churn", "v1.0.0", "v1.3.0", "--all")
    (features,) = [line for line in out.splitlines() if line.startswith("features ")]
    assert features.endswith('"payment_method", "tenure_bucket"]')  # both sides, one line
    assert '"contract_type", "payment_method"]  ' in features
    out = _piped(capsys, "-C", str(demo), "flow")
    assert "…" not in out
    assert any(line.startswith(LONG_BRANCH + " ") for line in out.splitlines())


_CELL = st.one_of(
    st.sampled_from(["-", "v1.1.0", "● prod v1.1.0 ← v1.0.0 3d", "ｗｉｄｅ", "a\tb", ""]),
    st.text(max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.lists(st.lists(_CELL, min_size=n, max_size=n), max_size=6)
    ),
    st.sampled_from([None, 12, 30, 80]),
)
def test_a_table_is_printed_a_column_at_a_time_as_a_row_at_a_time(rows, columns):
    """The column-at-a-time printer (plain columns taken in one pass) writes exactly the
    lines of cleaning, measuring and fitting each cell on its own: plain ASCII columns,
    wide and hostile cells alike, piped and on a terminal."""
    from modeltrail.tui.commands._common import print_table
    from modeltrail.tui.plain_table import natural_widths

    count = len(rows[0]) if rows else 2
    titles = [f"T{i}" for i in range(count)]
    heads = [cell_text(t) for t in titles]
    texts = [[cell_text(c) for c in row] for row in rows]
    keep, widths = layout(natural_widths(heads, texts), columns, [0], flex=count - 1)
    expected = [line(row, keep, widths) for row in texts]
    saved, columns_env = sys.stdout, os.environ.get("COLUMNS")
    sys.stdout = _Terminal() if columns else io.StringIO()
    os.environ["COLUMNS"] = str(columns or 80)
    try:
        print_table(titles, rows, [0], flex=count - 1)
        out = sys.stdout.getvalue()
    finally:
        sys.stdout = saved
        if columns_env is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns_env
    assert out.split("\n")[1:] == [*expected, ""]
