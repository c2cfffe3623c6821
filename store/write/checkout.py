"""``checkout MODEL VERSION``: a version's model files into the work tree, no commit.

The model's directory in the index and the work tree becomes the version's (files the
version does not have are removed); everything else, and HEAD, stay as they are. The
result is staged, ready to review (``git diff --cached``) and commit, or to drop
(``git restore --source=HEAD --staged --worktree -- <dir>``). Refused, with nothing
touched, when the directory has uncommitted changes (staged, unstaged or untracked).
LFS pointer files are written as stored (git-lfs does not run); no hook runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import git

from modeltrail.store import remote_repo
from modeltrail.store.errors import Refused
from modeltrail.store.query.queries import require_model, resolve_version
from modeltrail.store.repo import check_writable, require_work_tree
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git
from modeltrail.store.write.plan_facts import _availability, _file_changes, model_path_at
from modeltrail.store.write.plans import FileChange
from modeltrail.store.write.rollback_apply import _journal_path, _remove, _write_journal
from modeltrail.store.write.scope import model_scope, new_tree
from modeltrail.store.write.worktree import LockedMove, clear_paths, restore
from modeltrail.store.write.worktree_checks import (
    check_clean,
    endangered,
    refuse_endangered,
    refuse_links,
    refuse_submodules,
)


@dataclass
class CheckoutResult:
    """What a checkout did: which version's files, and which files changed."""

    model: str
    path: str
    version: str
    commit: str
    files: tuple[FileChange, ...]
    missing: list[str]  # LFS/DVC objects of the version not available locally
    replaced: list[str] = field(default_factory=list)  # untracked paths replaced (--force)

    def summary(self) -> str:
        if not self.files:
            return (
                f"{one_line(self.model)} files in {one_line(self.path) or '.'} already match "
                f"{one_line(self.version)}; nothing changed"
            )
        return (
            f"checked out {one_line(self.model)} {one_line(self.version)} into "
            f"{one_line(self.path) or '.'}/: {len(self.files)} file{'' if len(self.files) == 1 else 's'} changed (staged, not "
            "committed)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "path": self.path,
            "version": self.version,
            "commit": self.commit,
            "files": [
                {"path": f.path, "change": f.change, "storage": f.storage} for f in self.files
            ],
            "missing": self.missing,
            "replaced_untracked": self.replaced,
            "warnings": [
                f"{p}: its LFS/DVC object is not available locally (git lfs fetch / dvc pull)"
                for p in self.missing
            ],
        }


STEPS = ("checked", "tree", "worktree")  # "worktree": files moved, index not yet published


def _noop(step: str) -> None:
    pass


def checkout(
    repo: git.Repo,
    con: duckdb.DuckDBPyConnection,
    model: str,
    version: str,
    checkpoint: Callable[[str], None] = _noop,
    force: bool = False,
) -> CheckoutResult:
    """Put ``version``'s files of ``model`` in the work tree and index (HEAD unchanged).

    The version's files go to its own directory (where it kept them), the current files
    of the model leave theirs. Refused when an untracked or ignored path is in the way,
    unless ``force``. ``checkpoint(step)`` is called after each step (``STEPS``); tests
    inject faults there.
    """
    remote_repo.require_local(repo, "checkout")  # -C URL: clone it first
    require_work_tree(repo, "checkout")
    info = require_model(con, model)
    path = info["path"]
    if path is None:
        raise Refused(f"{one_line(model)} has no directory in the tree; nothing to check out")
    g = Git(repo)
    v = resolve_version(con, model, version, commit_of=g.resolve_commit)
    head = g.resolve_commit("HEAD")
    if head is None:
        raise Refused("this repository has no commit checked out")
    scope = model_scope(con, model, g, (head, v["commit"]))
    path = model_path_at(g, info, head, scope.places) or path
    new_path = model_path_at(g, info, v["commit"], scope.places) or path
    now, then = scope.files(g, head), scope.files(g, v["commit"])
    what = f"checking out {one_line(model)} {one_line(v['version'])}"
    refuse_links(g, [*now, *then], what)
    refuse_submodules(model, now, then)
    check_clean(g, path, allow_untracked=force, scope=scope)
    files = _file_changes(con, now, then)
    missing = [a.path for a in _availability(con, repo, model, v["commit"]) if not a.present]
    result = CheckoutResult(model, new_path, v["version"], v["commit"], files, missing)
    drop, add = tuple(sorted(now)), tuple(then[p] for p in sorted(then))
    lost = endangered(g, drop, [e.path for e in add])
    if lost and not force:
        refuse_endangered(lost, what)
    checkpoint("checked")
    if not files:
        return result
    check_writable(repo, index=True)  # a read-only .git, an index.lock someone left
    tree = new_tree(g, head, drop, add, model)
    checkpoint("tree")
    mover = LockedMove(g)
    journal = _journal_path(g)
    _write_journal(journal, "", head, tree, path, new_path, mover)
    try:
        mover.acquire()
    except BaseException:
        _remove(journal)
        raise
    published = False
    try:
        # again under git's lock: an edit made since the check stays
        check_clean(g, path, allow_untracked=force, scope=scope)
        if lost:
            clear_paths(g, lost)  # --force: the user agreed
            result.replaced = lost
        mover.move(head, tree)  # the index and files of the model's directories
        checkpoint("worktree")
        mover.publish()
        published = True
    except BaseException:
        if not published:
            restore(g, head, tree, sorted({path, new_path}))
            mover.release()
            g.run("update-index", "-q", "--refresh", check=False)
        _remove(journal)
        raise
    _remove(journal)
    return result
