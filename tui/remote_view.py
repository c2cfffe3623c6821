"""The remote in view, for the app: ahead/behind and the last fetch in the status bar,
and ``F`` (binding id ``fetch``) to fetch in a worker, with progress, a timeout, and
``F`` again to cancel.

``RemoteView`` is mixed into the app. ``check_remote()`` reads local refs only (no
network) in a thread worker; it runs at start, after every index run and after a fetch.
The fetch itself (``store.remote.fetch``) runs in a thread worker that posts progress
and its outcome; the handlers own ``remote_status``. A worker that raises reaches
``worker_failed`` (the app's ``tui.workers`` handler): a check that failed says so in
``remote_status``, a fetch that failed is an unsuccessful outcome. A successful fetch
reindexes, so new remote-tracking branches and stage tags reach the catalog.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive

from modeltrail.tui.format import fmt_age
from modeltrail.tui.safe_text import clean

# store.remote is imported when the remote is first asked about, after the first screen
# (its imports, GTO's and the write path's included, cost the TUI's start 0.06 s)
if TYPE_CHECKING:
    from modeltrail.store.remote import FetchOutcome, RemoteStatus
    from modeltrail.tui.app_base import AppBase as _AppBase  # what it is mixed into
else:
    _AppBase = object

_PROGRESS_INTERVAL = 0.1


@dataclass
class RemoteChecked(Message):
    status: RemoteStatus


@dataclass
class FetchProgress(Message):
    remote: str
    text: str


@dataclass
class FetchFinished(Message):
    outcome: FetchOutcome


class RemoteView(_AppBase):
    """App mixin: ``remote_status`` (one line for the status bar), ``check_remote``,
    ``action_fetch``."""

    remote_status: reactive[str] = reactive("")
    """Where the checked-out branch stands against its upstream, or a fetch's progress."""

    def init_remote(self) -> None:
        self.remote: RemoteStatus | None = None
        self._fetch_cancel: threading.Event | None = None  # set: a fetch is running

    @property
    def fetching(self) -> bool:
        return self._fetch_cancel is not None

    def check_remote(self) -> None:
        """Read where the branch stands (local refs only) in a worker."""
        self.run_worker(
            self._check_remote, thread=True, group="remote", exclusive=True, exit_on_error=False
        )

    def _check_remote(self) -> None:
        from modeltrail.store.remote import branch_status

        self.post_message(RemoteChecked(branch_status(self.paths.root)))

    def worker_failed(self, group: str, error: str) -> None:
        """A check that raised: no remote known, and why in ``remote_status``; a fetch
        that raised: a failed fetch. Other groups: the app's own handler."""
        if group == "remote":
            self._set_remote(None)
            self.remote_status = "⚠ remote: " + clean(error, single_line=True)[:60]
        elif group == "fetch":
            from modeltrail.store.remote import FetchOutcome

            self.on_fetch_finished(FetchFinished(FetchOutcome(False, f"fetch failed: {error}")))
        else:
            super().worker_failed(group, error)  # type: ignore[misc]

    def on_remote_checked(self, message: RemoteChecked) -> None:
        self._set_remote(message.status)
        if not self.fetching:
            self._show_remote()

    def _set_remote(self, status: RemoteStatus | None) -> None:
        had = self.has_remote
        self.remote = status
        if had != self.has_remote:
            self.screen.refresh_bindings()  # F shows in the footer only with a remote

    @property
    def has_remote(self) -> bool:
        return self.remote is not None and self.remote.remote is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``fetch`` is offered (footer, key) only when there is a remote to fetch from."""
        if action == "fetch":
            return self.has_remote or self.fetching
        return super().check_action(action, parameters)

    def _show_remote(self) -> None:
        status = self.remote
        if status is None or status.remote is None:
            self.remote_status = ""  # no remote: nothing to say on every screen
            return
        line = status.line(self._age)
        note = getattr(self, "location_note", None)
        if note and status.copy_of is not None:  # not fetched this run: say so first
            line = (
                "⚠ " + ("offline" if note.startswith("offline") else "fetch failed") + ": " + line
            )
        self.remote_status = clean(line, single_line=True)

    def _age(self, then: datetime) -> str:
        now = self.now()
        return fmt_age(then, now)  # a fetch just after the (frozen) clock: "now"

    # --- fetch ----------------------------------------------------------------------------

    def action_fetch(self) -> None:
        """Fetch from the branch's remote (or cancel the fetch that is running)."""
        if self._fetch_cancel is not None:
            self._fetch_cancel.set()
            self.remote_status = "cancelling the fetch…"
            return
        remote = self.remote.remote if self.remote is not None else None
        if remote is None:  # the key is not offered then; from the palette, say why
            self.notify("no remote to fetch from (git remote add origin URL)", timeout=4)
            return
        self._fetch_cancel = threading.Event()
        self.remote_status = f"fetching {clean(remote, single_line=True)[:30]}… (F cancels)"
        self.run_worker(
            lambda: self._fetch(remote, self._fetch_cancel),
            thread=True,
            group="fetch",
            exclusive=True,
            exit_on_error=False,
        )

    def _fetch(self, remote: str, cancel: threading.Event) -> None:
        last = 0.0

        def progress(text: str) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _PROGRESS_INTERVAL:
                last = now
                self.post_message(FetchProgress(remote, text))

        from modeltrail.store.remote import fetch

        self.post_message(
            FetchFinished(fetch(self.paths.root, remote, cancel=cancel, progress=progress))
        )

    def on_fetch_progress(self, message: FetchProgress) -> None:
        cancel = self._fetch_cancel  # (set while fetching)
        if cancel is not None and not cancel.is_set():
            name = clean(message.remote, single_line=True)[:30]
            text = clean(message.text, single_line=True)[:40]
            self.remote_status = f"fetching {name}: {text} (F cancels)"

    def on_fetch_finished(self, message: FetchFinished) -> None:
        self._fetch_cancel = None
        outcome = message.outcome
        text = clean(outcome.message, single_line=True)
        if outcome.ok:
            self.location_note = None  # the copy is fresh now
            self.notify(text, timeout=3, markup=False)
            self.reindex()  # new remote-tracking branches and tags into the catalog
        else:
            severity: SeverityLevel = "warning" if outcome.cancelled else "error"
            self.notify(text, title="Fetch", severity=severity, timeout=8, markup=False)
        self._show_remote()
        self.check_remote()
