"""The one way modeltrail runs git, for reads and writes alike.

Every git process starts from a GitPython repository (``repo.git.execute``) through
:func:`run` (or :func:`piped` / :func:`stream` for large inputs and outputs), so one set
of rules holds everywhere:

- ``-c`` options switch off what could run repository code or change what git writes:
  hooks (``core.hooksPath=/dev/null``), fsmonitor, Git LFS's smudge/process filters (an
  LFS pointer file is written as it is stored);
- the environment (:func:`prepare`, when the repository is opened) ignores ``git
  replace`` refs (what is indexed, compared and rolled back is the history as stored),
  reads every pathspec literally (a model directory named ``:(glob)*`` is just a name),
  never prompts, and speaks C; variables a calling hook leaves behind (``GIT_DIR``,
  ``GIT_INDEX_FILE``, ``GIT_WORK_TREE``, ``GIT_PREFIX``, ``GIT_NAMESPACE``) are pinned to
  this repository's own values, so git cannot be pointed elsewhere;
- callers never pass a name from the repository where git could read an option: refs
  are full ``refs/...`` names or object ids, revisions follow ``--end-of-options``.

A command that may wait on the network (``ls-remote``, ``fetch``, ``push``) is given a
``timeout`` (or a ``cancel`` event): it then runs in its own session, so it has no
terminal to prompt on, and when it is stopped (the time is up, ``cancel`` is set, or this
process is interrupted) its whole process group goes: git *and* the helpers it started
(``git-remote-http``, ``ssh``), which would otherwise outlive it and hold its pipes open.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from modeltrail.store.objectid import OBJECT_ID

if TYPE_CHECKING:
    import git  # GitPython: imported where a repository is opened (store/repo.py)

SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "filter.lfs.smudge=",
    "filter.lfs.process=",
    "filter.lfs.required=false",
    "advice.detachedHead=false",
    # map packs 1 MB at a time, 16 MB at most: a cat-file stream over a 100 MB pack held
    # it all mapped (108 MB resident) where 16 MB costs ~10% of its time
    "core.packedGitWindowSize=1m",
    "core.packedGitLimit=16m",
    # and keep 8 MB of delta bases, not 96: the walk of 100,000 commits (git log --raw)
    # held ~60 MB more with git's default, in no less time
    "core.deltaBaseCacheLimit=8m",
)

#: in the environment of every git process modeltrail starts
GIT_ENV = {
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}

#: what a calling hook may have set, and what each is pinned to instead
_HOOK_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_NAMESPACE")


def prepare(repo: git.Repo) -> git.Repo:
    """Give every git process of ``repo`` the environment above (before any starts)."""
    pinned: dict[str, str] = {}
    if any(k in os.environ for k in _HOOK_ENV):
        pinned = {"GIT_DIR": str(repo.git_dir), "GIT_PREFIX": "", "GIT_NAMESPACE": ""}
        if repo.working_tree_dir:
            pinned["GIT_WORK_TREE"] = str(repo.working_tree_dir)
        pinned["GIT_INDEX_FILE"] = os.path.join(repo.git_dir, "index")
    repo.git.update_environment(**GIT_ENV, **pinned)
    return repo


class LightRepo:
    """The usual repository (``repo.open_repo`` finds it) without importing GitPython:
    the parts of ``git.Repo`` modeltrail uses (``git_dir``, ``working_tree_dir``,
    ``common_dir``, ``git.execute`` as this module calls it, ``git.update_environment``,
    ``close``, a ``with`` block) are its own; any other attribute (``repo.head``,
    ``repo.git.rev_parse(...)``: tests, a rare path) comes from a real ``git.Repo`` of
    the same repository made on first use, with the same environment."""

    def __init__(self, working_tree_dir: str, git_dir: str) -> None:
        self.working_tree_dir: str | None = working_tree_dir
        self.git_dir = git_dir
        self.common_dir = git_dir
        self.working_dir = working_tree_dir
        self.git = _LightGit(self)
        self._real: Any = None

    def close(self) -> None:
        if self._real is not None:
            self._real.close()

    def __enter__(self) -> LightRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def real(self) -> Any:
        """The ``git.Repo`` of this repository (GitPython imported now)."""
        if self._real is None:
            import git

            self._real = git.Repo(self.working_tree_dir or self.git_dir)
            self._real.git.update_environment(**self.git.environment)
        return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # attributes callers set on the object, or not
            raise AttributeError(name)
        return getattr(self.real(), name)

    def __eq__(self, other: object) -> bool:  # as git.Repo's: the same git directory
        if isinstance(other, LightRepo) or type(other).__name__ == "Repo":
            return bool(self.git_dir == getattr(other, "git_dir", None))
        return False

    def __hash__(self) -> int:
        return hash(self.git_dir)

    def __repr__(self) -> str:
        return f"<LightRepo {self.git_dir!r}>"


class _LightGit:
    """``git.Repo.git`` for :class:`LightRepo`: runs git as GitPython's ``execute``
    (``as_process=True``) does, in the work tree, with ``LANGUAGE``/``LC_ALL`` ``C`` and
    the environment given to :meth:`update_environment`."""

    def __init__(self, repo: LightRepo | _Dir, drop: tuple[str, ...] = ()) -> None:
        self._repo = repo
        self.environment: dict[str, str] = {}
        self._drop = drop  # variables of this process's environment git must not see

    def update_environment(self, **kwargs: str | None) -> dict[str, str | None]:
        old: dict[str, str | None] = {}
        for key, value in kwargs.items():
            old[key] = self.environment.get(key)
            if value is not None:
                self.environment[key] = value
            else:
                self.environment.pop(key, None)
        return old

    def execute(
        self,
        command: list[str],
        *,
        as_process: bool,
        istream: int | IO[bytes] | None = None,
        with_stdout: bool = True,
        env: Mapping[str, str] | None = None,
        **popen: Any,
    ) -> _Stopping:
        assert as_process  # the only way gitcmd runs git
        inherited = {k: v for k, v in os.environ.items() if k not in self._drop}
        full = {**inherited, "LANGUAGE": "C", "LC_ALL": "C", **self.environment, **(env or {})}
        cwd: str | None = self._repo.working_dir
        if cwd is None or not os.access(cwd, os.X_OK):
            cwd = None
        proc = subprocess.Popen(
            command,
            env=full,
            cwd=cwd,
            bufsize=-1,
            stdin=istream or subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE if with_stdout else subprocess.DEVNULL,
            **popen,
        )
        return _Stopping(proc)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._repo.real().git, name)


class _Stopping:
    """A running git that is stopped when dropped, as GitPython's ``AutoInterrupt``: the
    process is ``proc`` (see :class:`Running`)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc: subprocess.Popen[bytes] | None = proc

    def __del__(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                    proc.stdin.close()
            if proc.poll() is not None:
                return
            with contextlib.suppress(OSError):
                proc.terminate()
        finally:
            for pipe in (proc.stdout, proc.stderr):
                if pipe:
                    with contextlib.suppress(OSError, ValueError):
                        pipe.close()
        with contextlib.suppress(OSError):
            proc.wait()


def git_command_errors() -> tuple[type[BaseException], ...]:
    """GitPython's ``GitCommandError`` when GitPython was imported (only it raises that
    error), else nothing: an ``except`` clause that catches it need not import GitPython."""
    module = sys.modules.get("git")
    error = getattr(module, "GitCommandError", None)
    return (error,) if isinstance(error, type) and issubclass(error, BaseException) else ()


def argv(*args: str) -> list[str]:
    """The full command line of ``git ARGS`` with the safety options (the literal
    pathspec and no-replace rules also as options, so they hold even for a repository
    that did not pass through :func:`prepare`). ``--no-optional-locks``: a read never
    takes ``index.lock`` (``git status`` otherwise writes a refreshed index, and a git
    killed meanwhile leaves the lock behind, blocking every later write); writes take
    the locks they need all the same."""
    cmd = ["git", "--no-replace-objects", "--literal-pathspecs", "--no-optional-locks"]
    for item in SAFE_CONFIG:
        cmd += ["-c", item]
    return cmd + list(args)


@dataclass(frozen=True)
class Done:
    """A finished git command."""

    returncode: int
    stdout: bytes
    stderr: bytes

    def text(self) -> str:
        """stdout as text, stripped (bytes that are not UTF-8 survive as surrogates)."""
        return self.stdout.decode("utf-8", "surrogateescape").strip()

    def first_error(self) -> str:
        """The line of stderr that says what went wrong."""
        err = self.stderr.decode("utf-8", "replace").strip().splitlines()
        first = next((line for line in err if line.startswith(("fatal", "error"))), None)
        if first or err:
            return first or err[0]
        if self.returncode < 0:  # killed: say by what (SIGXFSZ: a file size limit)
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-self.returncode).name}"
        return str(self.returncode)


class GitError(Exception):
    """A git command failed; the message is its first error line."""


class Cancelled(Exception):
    """A command was stopped because its ``cancel`` event was set."""


def run(
    repo: git.Repo,
    *args: str,
    input: bytes | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> Done:
    """Run ``git ARGS`` in ``repo`` (stdin ``input``); raise :class:`GitError` on failure
    unless ``check`` is false. ``env`` adds variables for this one command. Text
    ``input`` is written as UTF-8, bytes that came in undecoded (surrogate-escaped: an
    argument in a C locale, a file name) as they were.

    With ``timeout`` or ``cancel``, git runs in its own session and process group (see
    the module's notes): after ``timeout`` seconds the group is stopped and
    ``subprocess.TimeoutExpired`` raised; once ``cancel`` is set, :class:`Cancelled`; an
    exception in this thread while it waits (Ctrl-C) stops the group and propagates."""
    data = input.encode("utf-8", "surrogateescape") if isinstance(input, str) else input
    grouped = timeout is not None or cancel is not None
    proc = repo.git.execute(
        argv(*args),
        as_process=True,
        istream=subprocess.PIPE,
        env=dict(env) if env else None,
        **({"start_new_session": True} if grouped else {}),
    )
    popen = proc.proc
    assert popen is not None  # (as_process: always a process)
    if grouped:
        out, err = _wait_grouped(popen, data, args, timeout, cancel)
    else:
        out, err = popen.communicate(data)
    done = Done(popen.returncode, out or b"", err or b"")
    if check and done.returncode != 0:
        raise GitError(f"git {args[0]} failed: {done.first_error()}")
    return done


class _Dir:
    """A directory with no repository of its own (yet): where ``git clone`` runs. A
    calling hook's ``GIT_DIR`` & co. would point git at the hook's repository: they are
    left out of git's environment (there is no repository here to pin them to)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.working_dir: str | None = os.fspath(path)
        self.git = _LightGit(self, drop=_HOOK_ENV)
        self.git.update_environment(**GIT_ENV)

    def real(self) -> Any:
        raise AttributeError("a directory without a repository has no git.Repo")


def run_at(path: str | os.PathLike[str], *args: str, **kwargs: Any) -> Done:
    """:func:`run` in a directory that is not (yet) a repository (``git clone``), with
    the same options and environment."""
    return run(_Dir(path), *args, **kwargs)  # type: ignore[arg-type]


#: seconds for every remote operation instead of its default (a slow link; tests)
TIMEOUT_ENV = "MODELTRAIL_REMOTE_TIMEOUT"


def remote_timeout(default: float) -> float:
    """``default`` seconds, or the value of ``$MODELTRAIL_REMOTE_TIMEOUT`` when it is a
    positive number (every command that talks to a remote: fetch, push, ``ls-remote``,
    clone)."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, ""))
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


_POLL = 0.05  # seconds between looks at a cancel event


def _wait_grouped(
    proc: subprocess.Popen[bytes],
    data: bytes | None,
    args: tuple[str, ...],
    timeout: float | None,
    cancel: threading.Event | None,
) -> tuple[bytes, bytes]:
    """``proc.communicate(data)``, stopping ``proc``'s process group on a timeout, a
    cancel or an exception."""
    deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
    first = True
    stopped: Exception | None = None
    try:
        while stopped is None:
            step = _POLL if cancel is not None else None
            if deadline is not None:
                left = max(deadline - time.monotonic(), 0.0)
                step = left if step is None else min(step, left)
            try:
                # retried without input: communicate keeps what it has read and written
                return proc.communicate(data if first else None, timeout=step)
            except subprocess.TimeoutExpired:
                first = False
                if deadline is not None and time.monotonic() >= deadline:
                    stopped = subprocess.TimeoutExpired(["git", *args], timeout or 0.0)
                elif cancel is not None and cancel.is_set():
                    stopped = Cancelled(f"git {args[0]} cancelled")
    except BaseException:
        stop_group(proc)  # Ctrl-C, or anything else: nothing of it may outlive the wait
        raise
    stop_group(proc)
    raise stopped


class Running(Protocol):
    """A started git (GitPython's ``AutoInterrupt``, which stops it when dropped): keep
    it while git runs; ``proc`` is the process, with the pipes that were asked for."""

    @property
    def proc(self) -> subprocess.Popen[bytes]: ...


def start(repo: git.Repo, args: list[str], *, stdout: bool = False) -> Running:
    """A running ``git ARGS`` in its own session and process group (stdin empty, stderr a
    pipe; stdout a pipe when ``stdout``), for a caller that reads its output as it comes
    (``.proc``; keep the returned object while it runs) and stops it with
    :func:`stop_group`."""
    return cast(  # as_process: always a process (its ``proc`` is never None)
        Running,
        repo.git.execute(argv(*args), as_process=True, with_stdout=stdout, start_new_session=True),
    )


def stop_group(proc: subprocess.Popen[bytes], grace: float = 2.0, *, close: bool = True) -> None:
    """Stop the process group ``proc`` leads (started by :func:`start` or a grouped
    :func:`run`): SIGTERM (git removes its lock files), SIGKILL after ``grace`` seconds,
    then reap ``proc`` and (``close``) close its pipes, never waiting on a helper that got
    away. A caller with a thread still reading a pipe passes ``close=False``."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # the helpers may outlive git itself (git-remote-http waits on a silent server)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if not close:
        return
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()


def _feed(pipe: IO[bytes], payload: bytes) -> None:
    try:
        pipe.write(payload)
    except (BrokenPipeError, ValueError, OSError):
        pass  # git stopped reading (it failed or was killed)
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def piped(repo: git.Repo, args: list[str], payload: bytes) -> bytes:
    """The output of ``git ARGS`` fed ``payload`` on stdin (from a thread, so a large
    payload and output never block each other)."""
    return b"".join(piped_chunks(repo, args, payload))


def piped_chunks(
    repo: git.Repo, args: list[str], payload: bytes, chunk: int = 1 << 20
) -> Iterator[bytes]:
    """:func:`piped`'s output as it comes, ``chunk`` bytes at a time, so a caller can
    parse a large output without holding all of it."""
    proc = stream(repo, args, stdin=True)
    out = proc.proc.stdout
    assert out is not None  # (a pipe, as stream makes it)
    feeder = threading.Thread(target=_feed, args=(proc.proc.stdin, payload), daemon=True)
    feeder.start()
    try:
        while data := out.read(chunk):
            yield data
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()  # the caller stopped early (at the end: git is exiting anyway)
        feeder.join()
        proc.proc.wait()


def stream(repo: git.Repo, args: list[str], *, stdin: bool = False) -> Running:
    """A running ``git ARGS`` whose stdout the caller reads (``.proc.stdout``)."""
    return cast(  # as_process: always a process (its ``proc`` is never None)
        Running,
        repo.git.execute(argv(*args), as_process=True, istream=subprocess.PIPE if stdin else None),
    )


def resolve_commit(repo: git.Repo, name: str) -> str | None:
    """The commit a name (ref, tag, id, ``HEAD~2``) points at, or None; never read as an
    option."""
    if not isinstance(name, str) or not name or "\x00" in name:
        return None
    done = run(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{name}^{{commit}}",
        check=False,
    )
    oid = done.text()
    return oid if done.returncode == 0 and OBJECT_ID.match(oid) else None
