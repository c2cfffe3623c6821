"""Moving the index and work tree of a model's files, as git itself does: under git's own
``index.lock``, never over what git does not hold, and recoverably.

* What would stand in the way of a move (:func:`worktree_checks.endangered` and the
  other checks) is checked first, in ``worktree_checks.py``.
* :class:`LockedMove` takes ``.git/index.lock`` (the lock every git command that writes
  the index takes, so no ``git commit`` can slip in), writes the new index into a
  private copy while ``read-tree -m -u`` updates the files, and publishes it with one
  atomic rename. The lock holds a random token, so recovery removes only a lock it owns.
* :func:`restore` puts every file of the given paths back to what the (unchanged) real
  index holds, deleting only files whose bytes are exactly what the move wrote.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from modeltrail.store import pathtext
from modeltrail.store.errors import Refused
from modeltrail.store.repo import index_lock_note
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git
from modeltrail.store.write.worktree_checks import _lexists, linked_ancestor


def clear_paths(g: Git, paths: list[str]) -> None:
    """Remove the listed untracked paths (the user said --force); a link is removed
    itself, and nothing below a link is ever removed."""
    for rel in paths:
        if linked_ancestor(g.root, rel) is not None:
            raise Refused(f"{one_line(rel, 200)} lies below a symbolic link; nothing removed")
        p = g.file(rel)
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


class LockedMove:
    """Holds ``index.lock`` while the files and a private index move to a new tree."""

    def __init__(self, g: Git) -> None:
        self.g = g
        self.git_dir = g.git_dir()
        self.lock = self.git_dir / "index.lock"
        self.index = self.git_dir / "index"
        self.token = secrets.token_hex(16)
        self.temp = self.git_dir / f"modeltrail-index-{os.getpid()}-{self.token[:12]}"
        self.held = False
        self.cleared: list[str] = []

    def acquire(self) -> None:
        try:
            fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            note = index_lock_note(self.git_dir) or "another git process holds .git/index.lock"
            raise Refused(f"nothing was changed: {note}") from None
        with os.fdopen(fd, "w") as fh:
            fh.write(f"modeltrail {self.token}\n")
        self.held = True
        if self.index.exists():
            shutil.copy2(self.index, self.temp)

    def move(self, old: str, new: str) -> None:
        """``read-tree -m -u old new`` on the private index: the files follow."""
        env = {"GIT_INDEX_FILE": str(self.temp)}
        self.g.run("update-index", "-q", "--refresh", env=env, check=False)
        self.g.run("read-tree", "-m", "-u", old, new, env=env)

    def publish(self) -> None:
        """The new index becomes the index (one rename), then the lock goes."""
        os.replace(self.temp, self.index)
        self.release()

    def release(self) -> None:
        for p in (self.temp, Path(f"{self.temp}.lock")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        if self.held:
            remove_own_lock(self.lock, self.token)
            self.held = False


def remove_own_lock(lock: Path, token: str) -> bool:
    """Remove ``lock`` only if it is the one holding ``token``."""
    try:
        text = lock.read_text(errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return False
    if text.strip() != f"modeltrail {token}":
        return False
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
    return True


def restore(g: Git, old: str, new: str, roots: Iterable[str]) -> tuple[int, int, list[str]]:
    """Make the files the move from ``old`` to ``new`` changes what the real index holds
    again (the index was never published, so it still holds ``old``'s files). Only what
    the move wrote is undone: a file whose bytes are neither the index's nor the new
    tree's was edited by someone meanwhile and stays as it is. Returns (files rewritten,
    files removed, files left because their bytes are not what the move wrote). Empty
    directories are pruned up to the model's own (``roots``); nothing below a symbolic
    link is read or removed."""
    prune = sorted({p for p in roots if p is not None})
    changed = [p for p in g.changed_paths(old, new) if linked_ancestor(g.root, p) is None]
    tops = sorted({p.split("/", 1)[0] for p in changed})
    index = g.index_entries(*tops) if tops else {}
    index = {p: index[p] for p in changed if p in index}
    wanted = set(changed)
    listed = g.ls_tree(new, *tops) if tops else []
    new_files = {e.path: e for e in listed if e.type == "blob" and e.path in wanted}
    rewrite, left = [], []
    for rel, oid in index.items():
        p = g.file(rel)
        if not _lexists(p) or (p.is_dir() and not p.is_symlink()):
            rewrite.append(rel)
            continue
        now = _hash(g, rel)
        if now == oid:
            continue
        wrote = new_files.get(rel)
        if wrote is not None and now == wrote.oid:
            rewrite.append(rel)  # the move wrote these bytes: put the old ones back
        else:
            left.append(rel)  # bytes neither side holds: someone's edit, never overwritten
    removed = 0
    for rel, entry in sorted(new_files.items()):
        if rel in index:
            continue
        p = g.file(rel)
        if not _lexists(p):
            continue
        if not p.is_dir() and _hash(g, rel) == entry.oid:
            p.unlink()
            removed += 1
            _prune_empty(g.root, p.parent, prune)
        else:
            left.append(rel)
    for rel in rewrite:
        p = g.file(rel)
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.rmdir()
    if rewrite:
        names = "".join(f"{pathtext.to_os(rel)}\0" for rel in rewrite)
        g.run("checkout-index", "-f", "-q", "-z", "--stdin", input=names)
    return len(rewrite), removed, left


def _hash(g: Git, rel: str) -> str | None:
    p = g.file(rel)
    if p.is_symlink():
        data = os.readlink(p).encode("utf-8", "surrogateescape")
        return g.out("hash-object", "--stdin", input=data)
    done = g.run(
        "hash-object", "--no-filters", "--end-of-options", pathtext.to_os(rel), check=False
    )
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _prune_empty(root: Path, d: Path, roots: list[str]) -> None:
    """Remove directories left empty, up to and including the model's own directory."""
    tops = [root / pathtext.to_os(r) for r in roots if r]
    while any(d == t or t in d.parents for t in tops):
        try:
            d.rmdir()
        except OSError:
            return
        d = d.parent
