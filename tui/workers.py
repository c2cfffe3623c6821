"""What happens when a worker fails: one handler for every worker of the app.

Workers are started with ``exit_on_error=False`` and simply raise. Textual then posts
``Worker.StateChanged`` (state ``ERROR``) to the screen that started the worker; a screen
that mixes in :class:`ReportsWorkerFailures` shows the error where it belongs
(:meth:`~ReportsWorkerFailures.worker_failed`, by worker group); anything else bubbles to
the app, which shows it as a notification. Either way the user reads one line, with
repository text in it rendered literally, and never a traceback.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from modeltrail.store.errors import ModeltrailError
from modeltrail.tui.safe_text import clean


def error_text(exc: BaseException | None) -> str:
    """The one line a failure is shown as: our own errors as they say it, others typed."""
    if exc is None:
        return "failed"
    if isinstance(exc, ModeltrailError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class ReportsWorkerFailures:
    """Mix into a Screen (or the App): a failed worker is reported by ``worker_failed``."""

    #: the notification title of failures this class does not place itself
    FAILURE_TITLE = "modeltrail"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        event.stop()
        self.worker_failed(event.worker.group, error_text(event.worker.error))

    def worker_failed(self, group: str, error: str) -> None:
        """Show a failed worker's error; by default as a notification."""
        self.notify(  # type: ignore[attr-defined]
            clean(error), title=self.FAILURE_TITLE, severity="error", markup=False
        )
