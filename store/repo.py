"""Locating the repository and the catalog that belongs to it."""

from __future__ import annotations

import errno
import os
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from modeltrail.store import gitcmd
from modeltrail.store.errors import NotARepository, Refused

if TYPE_CHECKING:
    import git


@dataclass(frozen=True)
class RepoPaths:
    """Where things are for one repository."""

    root: Path  # top of the work tree (a bare repository: its own directory)
    git_dir: Path  # this worktree's git dir
    common_dir: Path  # shared by all worktrees
    bare: bool = False  # no work tree: read, index and stage rollbacks only

    @property
    def catalog_dir(self) -> Path:
        return self.common_dir / "modeltrail"

    @property
    def catalog_file(self) -> Path:
        return self.catalog_dir / "catalog.duckdb"


def open_repo(path: str | os.PathLike[str] | None = None) -> git.Repo:
    """The git repository containing ``path`` (default: the current directory).

    The usual repository (a ``.git`` directory above ``path``, a plain configuration, no
    ``GIT_DIR`` & co. in the environment) is found without GitPython
    (:class:`gitcmd.LightRepo`: importing GitPython costs a small repository's command
    ~0.15 s of CPU); anything else is opened by GitPython as before."""
    start = Path(path) if path is not None else Path.cwd()
    if not start.exists():
        raise NotARepository(f"not a git repository: {start} does not exist")
    found = _plain_repo(start)
    if found is not None:
        # a stand-in with GitPython's interface: what modeltrail uses, its own; anything
        # else from a real ``git.Repo`` made on first use (see LightRepo)
        return gitcmd.prepare(cast("git.Repo", gitcmd.LightRepo(*found)))
    import git

    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotARepository(f"not a git repository: {start}") from None
    gitcmd.prepare(repo)
    if object_format(repo) != "sha1":
        raise NotARepository(
            f"this repository uses {object_format(repo).upper().replace('SHA', 'SHA-')} "
            "object ids; modeltrail reads SHA-1 repositories only (nothing was read)"
        )
    return repo


def _plain_repo(start: Path) -> tuple[str, str] | None:
    """(work tree, git dir) when ``start`` is in the usual repository, found as GitPython
    finds it (``git.Repo(start, search_parent_directories=True)``): the nearest
    directory at or above ``start`` holding a ``.git`` directory with ``objects``,
    ``refs`` and ``HEAD``, paths made absolute without resolving links. None for
    anything else (a ``.git`` file of a linked worktree or submodule, a bare repository,
    ``GIT_DIR`` & co. set, a configuration that sets anything but ``bare = false`` about
    bareness, the object format, a work tree or includes): GitPython opens those."""
    if any(v in os.environ for v in _GIT_LOCATION_ENV):
        return None
    text = os.fspath(start)
    if "$" in text or text.startswith("~"):  # GitPython expands these
        return None
    cur = os.path.normpath(os.path.abspath(text))
    while True:
        dotgit = os.path.join(cur, ".git")
        if os.path.lexists(dotgit):
            if not _is_plain_git_dir(dotgit):
                return None
            return cur, dotgit
        if os.path.isdir(os.path.join(cur, "objects")):  # a bare repository, maybe
            return None
        parent = os.path.dirname(cur)
        if parent == cur:
            return None  # GitPython says what is wrong
        cur = parent


#: what changes where GitPython or git look for the repository
_GIT_LOCATION_ENV = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_WORK_TREE")


def _is_plain_git_dir(d: str) -> bool:
    if not (
        os.path.isdir(d)
        and os.path.isdir(os.path.join(d, "objects"))
        and os.path.isdir(os.path.join(d, "refs"))
        and os.path.isfile(os.path.join(d, "HEAD"))
    ):
        return False
    if os.path.lexists(os.path.join(d, "commondir")):
        return False
    try:
        with open(os.path.join(d, "config"), "rb") as fh:
            config = fh.read().decode("utf-8", "replace").lower()
    except OSError:
        return False
    if any(word in config for word in ("objectformat", "worktree", "include")):
        return False
    bare = [line.strip() for line in config.splitlines() if "bare" in line]
    return all(line.replace(" ", "").replace("\t", "") == "bare=false" for line in bare)


def object_format(repo: git.Repo) -> str:
    """``sha1`` or ``sha256`` (``extensions.objectFormat``), lower case."""
    try:
        reader = repo.config_reader("repository")
        value = reader.get_value("extensions", "objectformat", "sha1")
    except Exception:  # an unreadable config: git itself will say what is wrong
        return "sha1"
    return str(value).strip().lower() or "sha1"


def repo_paths(repo: git.Repo) -> RepoPaths:
    git_dir = Path(repo.git_dir).resolve()
    common = Path(repo.common_dir).resolve() if hasattr(repo, "common_dir") else git_dir
    tree = repo.working_tree_dir
    root = Path(tree).resolve() if tree else common
    return RepoPaths(root=root, git_dir=git_dir, common_dir=common, bare=not tree)


def require_work_tree(repo: git.Repo, action: str) -> None:
    """Refuse ``action`` (which writes files into the work tree) in a bare repository
    (a URL's cached copy: ``remote_repo.require_local`` first says to clone it)."""
    if not repo.working_tree_dir:
        raise Refused(
            f"{action} needs a work tree, and this is a bare repository (a server's copy); "
            "nothing was written (a stage rollback, --stage, works here)"
        )


# --- what stops a write: a read-only .git, an index.lock someone left ---------------------

#: the journal a branch rollback or checkout keeps while it holds ``index.lock``
#: (``store.write.rollback_apply`` writes it; recovery finishes what it records)
JOURNAL = "modeltrail-rollback.json"
#: the start of the throw-away index files a write makes in the git dir
TEMP_INDEX_PREFIX = "modeltrail-index-"


def write_left_behind(git_dir: Path) -> bool:
    """Whether an interrupted write may have left something in ``git_dir`` (this
    worktree's) for ``store.write.rollback_apply.recover`` to finish or clean up: its
    journal or a throw-away index file. One look at the directory, so that opening the
    TUI imports the write path (and runs git for it) only when there is something."""
    try:
        with os.scandir(git_dir) as entries:
            return any(e.name == JOURNAL or e.name.startswith(TEMP_INDEX_PREFIX) for e in entries)
    except OSError:
        return True  # cannot tell: let recover look


def index_lock_note(git_dir: Path) -> str | None:
    """One line about ``index.lock`` in ``git_dir`` when one is there that modeltrail did
    not take (the one a rollback being written, or an interrupted one, holds is its own
    business): how old it is and the command that removes it. None when there is none.

    Git takes that lock to write the index and removes it when done; a git killed
    meanwhile (``kill -9``, a file size limit, a full disk) leaves it behind, and every
    command that writes the index then fails until someone removes it."""
    lock = git_dir / "index.lock"
    try:
        made = os.lstat(lock).st_mtime
    except OSError:
        return None
    if _modeltrail_holds(lock, git_dir):
        return None
    age = _age(time.time() - made)
    shown = os.path.relpath(lock)  # .git/index.lock, run from the top of the work tree
    if shown.startswith(".."):
        shown = str(lock)
    return (
        f"{shown} exists (made {age}): another git command is running in this repository, "
        "or one was stopped and left it behind, and git cannot write the index until it "
        f"is gone; if no git command is running, remove it: rm {shlex.quote(shown)}"
    )


def _modeltrail_holds(lock: Path, git_dir: Path) -> bool:
    try:
        mark = lock.read_text(errors="replace")
    except OSError:
        return False
    return mark.startswith("modeltrail ") and os.path.lexists(git_dir / JOURNAL)


def _age(seconds: float) -> str:
    if seconds < 60:
        return "just now" if seconds < 1 else f"{int(seconds)} s ago"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''} ago"
    return "just now"  # pragma: no cover


def read_only_message(exc: OSError, where: str | os.PathLike[str]) -> str:
    """The one line for a write that failed because the repository cannot be written."""
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
    return f"the repository is read-only: cannot write in {where} ({reason}); nothing was changed"


def check_writable(repo: git.Repo, *, index: bool) -> list[str]:
    """Before a write: Refused (nothing changed) when ``.git`` cannot be written (a
    read-only mount, no permission: tried, not guessed from the mode bits, which root
    ignores) or, for a write that needs git's index lock (``index``), when someone left
    ``index.lock``. Returns what a write that does not need the index should say about
    such a lock (a warning)."""
    paths = repo_paths(repo)
    for where in (paths.git_dir, paths.common_dir / "objects"):
        _try_writing(where)
    note = index_lock_note(paths.git_dir)
    if note and index:
        raise Refused(f"nothing was changed: {note}")
    return [note] if note else []


def _try_writing(where: Path) -> None:
    # named as a throw-away index (in .git) or as git's own temporary object (in
    # objects/): if the process dies in between, recovery or git's prune removes it
    name = f"modeltrail-index-{os.getpid()}-probe"
    if where.name == "objects":
        name = f"tmp_obj_modeltrail_{os.getpid()}"
    probe = where / name
    try:
        if os.path.lexists(probe):  # left by a killed process that had our pid
            os.unlink(probe)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise Refused(read_only_message(exc, where)) from None
        raise Refused(f"cannot write in {where} ({exc.strerror}); nothing was changed") from None
    os.close(fd)
    os.unlink(probe)
