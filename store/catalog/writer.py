"""Rows written into the new catalog by a thread, in order, while the walk goes on.

DuckDB lets go of Python's lock while it inserts (about half of a full index's inserts
is DuckDB compressing and writing the new file), so a full index hands each batch of
rows to this writer and goes on with the next commits and documents meanwhile. At most
:data:`DEPTH` batches wait, so memory stays bounded whatever the writer's speed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from modeltrail.store.read.facts import Columns

#: batches handed over and not yet written, at most (each at most ``facts.SPILL_ROWS``
#: rows of one table)
DEPTH = 2

Write = Callable[[str, Columns], None]


class BackgroundWriter:
    """``write(table, columns)`` for every batch, in a thread, in the order given.

    A batch is taken as it is when handed over: its owner must start new lists rather
    than append to those (``Columns.clear`` does). The first failure is raised to the
    caller, at its next batch or at :meth:`close`, and nothing after it is written."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._queue: queue.Queue[tuple[str, Columns] | None] = queue.Queue(DEPTH)
        self._error: BaseException | None = None
        self._abandoned = False
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="catalog-writer", daemon=True
        )
        self._thread.start()

    def __call__(self, table: str, cols: Columns) -> None:
        self._raise_failure()
        batch = Columns(*cols.names)
        batch.cols = dict(cols.cols)  # the lists as they are now (cleared by rebinding)
        self._queue.put((table, batch))

    def close(self) -> None:
        """Wait for every batch to be written; raise the writer's failure, if any."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        self._raise_failure()

    def abandon(self) -> None:
        """Stop after the batch being written (the run failed): nothing more is written
        and no failure is raised."""
        self._abandoned = True  # its own failure, if any, is not raised either
        self._error = self._error or _Abandoned()
        thread, self._thread = self._thread, None
        if thread is not None:
            while True:  # make room for the end marker without writing what waits
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put(None)
            thread.join()

    def _raise_failure(self) -> None:
        error = self._error
        if error is not None and not self._abandoned and not isinstance(error, _Abandoned):
            self._error = _Abandoned()  # raised once
            raise error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # after a failure: drain, write nothing
            try:
                self._write(*item)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                if self._error is None:
                    self._error = exc
            # let the rows go now, not when the next batch comes (the 100,000 commits'
            # rows of a full index, ~70 MB, waited through a minute of parsing)
            del item


class _Abandoned(Exception):
    """The writer stopped: its earlier failure was raised already, or the run failed."""
