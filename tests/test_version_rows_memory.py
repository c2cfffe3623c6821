"""The version list holds its versions once: ``VersionRows`` reads cells from the Arrow
table it is given, not from a copy of it (100,000 versions: a copy is 15 MB more at
the TUI's peak, whose bar is 300 MB)."""

from __future__ import annotations

import pyarrow as pa

from modeltrail.tui.widgets.version_rows import VersionRows

N = 20_000


def _table(chunks: int) -> pa.Table:
    per = N // chunks
    batches = [
        pa.record_batch(
            {
                "version": pa.array([f"v{i}" for i in range(k * per, (k + 1) * per)]),
                "commit": pa.array([f"{i:040x}" for i in range(k * per, (k + 1) * per)]),
                "topo": pa.array(range(k * per, (k + 1) * per), pa.int64()),
                "metric_0": pa.array([i / N for i in range(k * per, (k + 1) * per)]),
            }
        )
        for k in range(chunks)
    ]
    return pa.Table.from_batches(batches)


def _rows(table: pa.Table) -> VersionRows:
    return VersionRows(table, ["auc"], lambda key, old, new: None)


def test_rows_of_one_chunk_are_not_copied() -> None:
    table = _table(1)
    before = pa.total_allocated_bytes()
    rows = _rows(table)
    assert pa.total_allocated_bytes() - before < table.nbytes // 10
    assert rows.commit_at(5) == f"{5:040x}" and rows.metric(0, 7) == 7 / N
    assert rows.row_of(f"{123:040x}") == 123


def test_rows_of_several_chunks_read_as_one() -> None:
    rows = _rows(_table(4))
    assert rows.commit_at(N - 1) == f"{N - 1:040x}"
    assert rows.row_of(f"{N // 2:040x}") == N // 2
    assert list(rows.rows_of_topos(pa.array([3, N - 2], pa.int64()))) == [3, N - 2]
