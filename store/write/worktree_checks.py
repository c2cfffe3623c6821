"""Checking the work tree before a write touches it: what would refuse a rollback or a
checkout before anything is written.

* :func:`check_clean`: uncommitted changes to the model's files (or a git operation in
  progress) refuse the write.
* :func:`refuse_links`: a path the write touches lies below a symbolic link.
* :func:`endangered` / :func:`refuse_endangered`: untracked or ignored paths that stand
  in the way of the new files (git's ``read-tree -u`` silently replaces ignored files
  and deletes ignored directories); the callers refuse unless told ``--force``.
* :func:`refuse_submodules`: the model's files hold a submodule, whose checkout would not
  follow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from modeltrail.store import pathtext
from modeltrail.store.errors import Refused
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, TreeEntry
from modeltrail.store.write.scope import Scope


def _lexists(p: Path) -> bool:
    return os.path.lexists(p)


def linked_ancestor(root: Path, rel: str) -> str | None:
    """The first directory above ``rel`` (inside the work tree) that is a symbolic link
    on disk, or None: what lies below it is not the work tree's."""
    bits = rel.split("/")
    for i in range(1, len(bits)):
        anc = "/".join(bits[:i])
        p = root / pathtext.to_os(anc)
        if p.is_symlink():
            return anc
        if not p.is_dir():
            return None  # nothing below a file or a missing directory exists
    return None


def refuse_links(g: Git, paths: Iterable[str], what: str) -> None:
    """Refused, whatever --force says, when any of ``paths`` lies below a symbolic link
    in the work tree that leaves the work tree or that git tracks: nothing is ever read,
    replaced or removed through such a link. (An untracked link that stays inside is
    merely in the way: :func:`endangered` names it, and --force replaces the link.)"""
    root = g.root
    real_root = os.path.realpath(root)
    checked: set[str] = set()
    for rel in paths:
        anc = linked_ancestor(root, rel)
        if anc is None or anc in checked:
            continue
        checked.add(anc)
        target = os.path.realpath(g.file(anc))
        try:
            leaves = os.path.commonpath([target, real_root]) != real_root
        except ValueError:
            leaves = True
        tracked = bool(g.index_entries(anc))  # the link itself, or files git has below it
        if not leaves and not tracked:
            continue
        where = " out of the work tree" if leaves else ""
        fix = f"git rm {one_line(anc, 200)}" if tracked else "move the link away"
        raise Refused(
            f"{what}: {one_line(anc, 200)} is a symbolic link{where} and the files go below "
            "it; nothing is read, written or removed through a link, --force included: "
            f"put a real directory there ({fix}) and try again"
        )


def endangered(g: Git, drop: Iterable[str], new_files: Iterable[str]) -> list[str]:
    """Untracked or ignored paths in the work tree that a move removing ``drop`` (the
    model's tracked files now) and writing ``new_files`` would overwrite or remove (git's
    ``read-tree -u`` silently replaces ignored files and deletes ignored directories that
    stand where the new tree has a file). Tracked paths are the index's; their
    uncommitted changes are :func:`check_clean`'s business. Call
    :func:`refuse_links` first: nothing here looks below a link."""
    root = g.root
    new_files = list(new_files)
    gone = set(drop)
    tops = sorted({p.split("/", 1)[0] for p in new_files})
    tracked = set(g.index_entries(*tops)) if tops else set()
    lost: set[str] = set()
    for rel in new_files:
        bits = rel.split("/")
        blocked = False
        for i in range(1, len(bits)):
            anc = "/".join(bits[:i])
            p = g.file(anc)
            if not _lexists(p):
                blocked = True  # nothing below exists
                break
            if p.is_symlink() or not p.is_dir():
                if anc not in tracked:
                    lost.add(anc)  # an untracked file or link where a directory goes
                elif anc not in gone:
                    raise Refused(
                        f"{one_line(anc, 200)} is a tracked file that is not the model's, "
                        "where a directory of its files must go; nothing was changed"
                    )
                blocked = True
                break
        if blocked:
            continue
        p = g.file(rel)
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            if rel not in tracked:
                lost.add(rel)
        elif p.is_dir():
            for dirpath, dirs, files in os.walk(p):  # never follows links
                links = [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]
                for name in (*files, *links):
                    f = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                    f = pathtext.to_catalog(f)
                    if f not in tracked:
                        lost.add(f)
    return sorted(lost)


def refuse_endangered(paths: list[str], what: str) -> None:
    """Refused naming the paths (exit 1), when there are any."""
    if not paths:
        return
    shown = ", ".join(one_line(p, 200) for p in paths[:5])
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    raise Refused(
        f"{what} would overwrite or remove {len(paths)} untracked or ignored "
        f"path{'s' if len(paths) != 1 else ''} that git does not hold: {shown}{more}; "
        "move them away, or add --force to let them be replaced"
    )


def refuse_submodules(model: str, *files: dict[str, TreeEntry]) -> None:
    """Refused when the model's files (any of ``files``) hold a submodule: its checkout
    would not follow the gitlink, and undo would then be refused."""
    for entries in files:
        subs = sorted(p for p, e in entries.items() if e.type == "commit")
        if subs:
            raise Refused(
                f"{one_line(model)} has a submodule at {one_line(subs[0], 200)}: a rollback "
                "cannot move a submodule's checkout with it; roll it back with git "
                "(git checkout --recurse-submodules) instead"
            )


def check_clean(
    g: Git, path: str, *, allow_untracked: bool = False, scope: Scope | None = None
) -> None:
    """Refuse when the work tree has uncommitted changes to the model's files (or git is
    busy): under ``path``, or, given the model's ``scope``, in the files it owns (other
    models' files beside or inside it are not its business); untracked files count too
    unless ``allow_untracked`` (--force)."""
    busy = g.in_progress()
    if busy:
        raise Refused(f"{busy} is in progress in this work tree; finish or abort it first")
    if scope is None:
        dirty = g.status_under(path)
    else:
        dirty = (
            [d for d in g.status_under(*scope.roots) if scope.owns(d[3:])] if scope.roots else []
        )
    if allow_untracked:
        dirty = [d for d in dirty if not d.startswith("??")]
    if dirty:
        where = f"{path}/" if path else "the work tree"
        first = one_line(dirty[0], 120)
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise Refused(
            f"uncommitted changes under {one_line(where, 200)} ({first}{more}); "
            "commit or stash them first"
        )
