"""The full index's background writer: batches written in order, the caller's lists
free to start afresh, a failure raised to the caller and nothing written after it."""

from __future__ import annotations

import threading
import weakref

import pytest

from modeltrail.store.catalog.writer import BackgroundWriter
from modeltrail.store.read.facts import Columns


def _batch(*values: int) -> Columns:
    cols = Columns("n")
    for v in values:
        cols.add(v)
    return cols


def test_batches_are_written_in_order_as_handed_over() -> None:
    written: list[tuple[str, list[int], str]] = []
    writer = BackgroundWriter(
        lambda table, cols: written.append((table, cols.cols["n"], threading.current_thread().name))
    )
    cols = _batch(1, 2)
    writer("a", cols)
    cols.clear()  # the owner starts new lists: the batch handed over keeps its rows
    cols.add(3)
    writer("b", cols)
    for i in range(10):
        writer("c", _batch(i))
    writer.close()
    assert [(t, n) for t, n, _ in written] == [("a", [1, 2]), ("b", [3])] + [
        ("c", [i]) for i in range(10)
    ]
    assert {name for _t, _n, name in written} == {"catalog-writer"}


def test_a_failure_is_raised_to_the_caller_and_nothing_after_it_is_written() -> None:
    written: list[int] = []

    def write(table: str, cols: Columns) -> None:
        if cols.cols["n"] == [2]:
            raise ValueError("disk full")
        written.append(cols.cols["n"][0])

    writer = BackgroundWriter(write)
    with pytest.raises(ValueError, match="disk full"):
        for i in range(1000):  # raised at a later batch, or at close
            writer("t", _batch(i))
        writer.close()
    writer.close()  # raised once
    assert written == [0, 1]


def test_an_abandoned_writer_stops_without_raising() -> None:
    started, release = threading.Event(), threading.Event()
    written: list[int] = []

    def write(table: str, cols: Columns) -> None:
        started.set()
        release.wait()
        written.append(cols.cols["n"][0])
        raise ValueError("not raised: the run failed already")

    writer = BackgroundWriter(write)
    writer("t", _batch(0))
    writer("t", _batch(1))
    started.wait()
    release.set()
    writer.abandon()  # returns once the writer's thread ended
    assert written == [0]  # nothing after a failure, nor after abandoning
    writer.close()


def test_a_written_batch_is_let_go_before_the_next_one_comes() -> None:
    """A full index hands over the 100,000 commits' rows and then parses for a minute
    before its next batch: the rows written must not wait in the writer meanwhile."""
    released = threading.Event()

    def write(table: str, cols: Columns) -> None:
        weakref.finalize(cols, released.set)

    writer = BackgroundWriter(write)
    writer("commits", _batch(1, 2, 3))
    try:
        assert released.wait(timeout=10), "the written batch is still held"
    finally:
        writer.close()
