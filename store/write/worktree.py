"""Moving the index and work tree of a model's files, as git itself does: under git's own
``index.lock``, never over what git does not hold, and recoverably.

* :func:`endangered` lists the untracked or ignored paths a move would overwrite or
  remove (git's ``read-tree -u`` silently replaces ignored files and deletes ignored
  directories that stand where the new tree has a file); the callers refuse unless told
  ``--force``.
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

from modeltrail.store.errors import Refused
from modeltrail.store.repo import index_lock_note
from modeltrail.store.write.gitwrite import Git


def _lexists(p: Path) -> bool:
    return os.path.lexists(p)


def endangered(g: Git, add_path: str, new_files: Iterable[str]) -> list[str]:
    """Untracked or ignored paths in the work tree that writing ``new_files`` (the new
    tree's files under ``add_path``) would overwrite or remove. Tracked paths are the
    index's; their uncommitted changes are :func:`rollback.check_clean`'s business."""
    root = g.root
    tracked = set(g.index_entries(add_path))
    lost: set[str] = set()
    parts = add_path.split("/") if add_path else []
    for i in range(1, len(parts) + 1):
        anc = "/".join(parts[:i])
        p = root / anc
        if _lexists(p) and (p.is_symlink() or not p.is_dir()) and not g.index_entries(anc):
            return [anc]  # a file or link stands where the model's directory must be
    for rel in new_files:
        bits = rel.split("/")
        blocked = False
        for i in range(len(parts) + 1, len(bits)):
            anc = "/".join(bits[:i])
            p = root / anc
            if _lexists(p) and (p.is_symlink() or not p.is_dir()):
                if anc not in tracked:
                    lost.add(anc)
                blocked = True
                break
        if blocked:
            continue
        p = root / rel
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            if rel not in tracked:
                lost.add(rel)
        elif p.is_dir():
            for dirpath, _dirs, files in os.walk(p):
                for name in files:
                    f = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                    if f not in tracked:
                        lost.add(f)
    return sorted(lost)


def refuse_endangered(paths: list[str], what: str) -> None:
    """Refused naming the paths (exit 1), when there are any."""
    if not paths:
        return
    from modeltrail.store.write.rollback import one_line

    shown = ", ".join(one_line(p, 200) for p in paths[:5])
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    raise Refused(
        f"{what} would overwrite or remove {len(paths)} untracked or ignored "
        f"path{'s' if len(paths) != 1 else ''} that git does not hold: {shown}{more}; "
        "move them away, or add --force to let them be replaced"
    )


def clear_paths(g: Git, paths: list[str]) -> None:
    """Remove the listed untracked paths (the user said --force)."""
    for rel in paths:
        p = g.root / rel
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


def restore(g: Git, old: str, new: str, paths: Iterable[str]) -> tuple[int, int, list[str]]:
    """Make the files under ``paths`` what the real index holds again (the index was never
    published, so it still holds ``old``'s files). Only what the move wrote is undone: a
    file whose bytes are neither the index's nor the new tree's was edited by someone
    meanwhile and stays as it is. Returns (files rewritten, files removed, files left
    because their bytes are not what the move wrote)."""
    roots = sorted({p for p in paths if p is not None})
    index = {}
    for r in roots:
        index.update(g.index_entries(r))
    new_files = {}
    for r in roots:
        new_files.update({e.path: e for e in g.ls_tree(new, r) if e.type == "blob"})
    rewrite, left = [], []
    for rel, oid in index.items():
        p = g.root / rel
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
        p = g.root / rel
        if not _lexists(p):
            continue
        if not p.is_dir() and _hash(g, rel) == entry.oid:
            p.unlink()
            removed += 1
            _prune_empty(g.root, p.parent, roots)
        else:
            left.append(rel)
    for rel in rewrite:
        p = g.root / rel
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.rmdir()
    if rewrite:
        g.run("checkout-index", "-f", "-q", "-z", "--stdin", input="\0".join(rewrite) + "\0")
    return len(rewrite), removed, left


def _hash(g: Git, rel: str) -> str | None:
    p = g.root / rel
    if p.is_symlink():
        data = os.readlink(p).encode("utf-8", "surrogateescape")
        return g.out("hash-object", "--stdin", input=data)
    done = g.run("hash-object", "--no-filters", "--end-of-options", rel, check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _prune_empty(root: Path, d: Path, roots: list[str]) -> None:
    """Remove directories left empty, up to and including the model's own directory."""
    tops = [root / r for r in roots if r]
    while any(d == t or t in d.parents for t in tops):
        try:
            d.rmdir()
        except OSError:
            return
        d = d.parent
