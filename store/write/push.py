"""Pushing one ref to a remote, the one write that leaves this machine, and the time
limit every remote operation keeps.

It lives in the write layer, below :mod:`store.remote` (fetch, ``ls-remote``, the remote's state) so that a
rollback (:mod:`store.write.rollback_apply`) can push what it wrote without the write
layer importing the layer above it. Every git call goes through :mod:`store.gitcmd`.
"""

from __future__ import annotations

import os
import subprocess
import threading

import git

from modeltrail.store import gitcmd
from modeltrail.store.gitcmd import TIMEOUT_ENV as TIMEOUT_ENV  # (theirs too)
from modeltrail.store.gitcmd import remote_timeout as remote_timeout
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, GitFailed

Where = git.Repo | Git | str | os.PathLike[str]  # a repository, or the path of its work tree
PUSH_TIMEOUT = 60.0


def as_git(where: Where) -> Git:
    """The :class:`Git` runner of a repository given as any :data:`Where`."""
    if isinstance(where, Git):
        return where
    if isinstance(where, str | os.PathLike):
        return Git.at(where)
    return Git(gitcmd.prepare(where))  # a git.Repo, or what repo.open_repo made


def seconds_text(seconds: float) -> str:
    """A time limit in words: ``8 s``, ``0.5 s``."""
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"


def run_on_remote(
    root: Where,
    remote: str,
    command: tuple[str, ...],
    refspecs: tuple[str, ...] = (),
    *,
    default_timeout: float,
    asking: str,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    check: bool = True,
) -> gitcmd.Done:
    """Run ``git COMMAND -- REMOTE REFSPECS`` (``--end-of-options``) within ``timeout``
    (default: ``default_timeout``, or the user's :data:`TIMEOUT_ENV`); GitFailed when the
    remote gives no answer in time or ``cancel`` is set (``asking``: what was being done,
    for the message: "the push to"). ``check``: GitFailed when git fails, too."""
    g = as_git(root)
    if timeout is None:
        timeout = remote_timeout(default_timeout)
    try:
        return g.run(
            *command,
            "--end-of-options",
            remote,
            *refspecs,
            timeout=timeout,
            cancel=cancel,
            check=check,
        )
    except subprocess.TimeoutExpired:
        raise GitFailed(
            f"no answer from {one_line(remote, 80)} within {seconds_text(timeout)}"
        ) from None
    except gitcmd.Cancelled:
        raise GitFailed(f"{asking} {one_line(remote, 80)} was cancelled") from None


def push_ref(
    root: Where,
    remote: str,
    ref: str,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Push exactly ``ref`` to the same name on ``remote``: ``--atomic``, never forced
    (no ``+``, no ``--force``). GitFailed (with git's reason) when it is rejected, when
    the remote gives no answer within ``timeout`` (default :data:`PUSH_TIMEOUT`) or when
    ``cancel`` is set; an interrupt (Ctrl-C) stops git and its helpers and propagates."""
    if not ref.startswith(("refs/heads/", "refs/tags/")) or ref.startswith("+"):
        raise ValueError(f"push_ref takes one full branch or tag ref, not {ref!r}")
    done = run_on_remote(
        root,
        remote,
        ("push", "--atomic", "--no-verify", "--porcelain"),
        (f"{ref}:{ref}",),
        default_timeout=PUSH_TIMEOUT,
        asking="the push to",
        timeout=timeout,
        cancel=cancel,
        check=False,
    )
    if done.returncode != 0:
        raise GitFailed(_push_reason(done.stdout, done.stderr))


def _push_reason(stdout: bytes, stderr: bytes) -> str:
    """Why a push failed: the porcelain line of the rejected ref, else git's error."""
    for line in stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("!"):
            parts = line.split("\t")
            return "rejected " + one_line(parts[-1].strip(), 200)
    err = stderr.decode("utf-8", "replace").strip().splitlines()
    first = next((x for x in err if x.startswith(("fatal", "error"))), err[0] if err else "")
    return one_line(first or "git push failed", 200)
