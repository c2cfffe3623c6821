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
from dataclasses import dataclass

import duckdb
import git
from modeltrail.store.errors import Refused
from modeltrail.store.query.queries import require_model, resolve_version
from modeltrail.store.repo import repo_paths
from modeltrail.store.write.gitwrite import Git
from modeltrail.store.write.rollback import (
    FileChange,
    _availability,
    _file_changes,
    check_clean,
    one_line,
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

    def summary(self) -> str:
        if not self.files:
            return (
                f"{one_line(self.model)} files in {one_line(self.path) or '.'} already match "
                f"{one_line(self.version)}; nothing changed"
            )
        return (
            f"checked out {one_line(self.model)} {one_line(self.version)} into "
            f"{one_line(self.path) or '.'}/: {len(self.files)} files changed (staged, not "
            "committed)"
        )

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "path": self.path,
            "version": self.version,
            "commit": self.commit,
            "files": [
                {"path": f.path, "change": f.change, "storage": f.storage} for f in self.files
            ],
            "missing": self.missing,
        }


STEPS = ("checked", "tree", "worktree")


def _noop(step: str) -> None:
    pass


def checkout(
    repo: git.Repo,
    con: duckdb.DuckDBPyConnection,
    model: str,
    version: str,
    checkpoint: Callable[[str], None] = _noop,
) -> CheckoutResult:
    """Put ``version``'s files of ``model`` in the work tree and index (HEAD unchanged).

    ``checkpoint(step)`` is called after each step (``STEPS``); tests inject faults there.
    """
    info = require_model(con, model)
    path = info["path"]
    if path is None:
        raise Refused(f"{one_line(model)} has no directory in the tree; nothing to check out")
    g = Git(repo_paths(repo).root)
    v = resolve_version(con, model, version, commit_of=g.resolve_commit)
    head = g.resolve_commit("HEAD")
    if head is None:
        raise Refused("this repository has no commit checked out")
    check_clean(g, path)
    files = _file_changes(con, g, head, v["commit"], path)
    missing = [a.path for a in _availability(con, repo, model, v["commit"]) if not a.present]
    result = CheckoutResult(model, path, v["version"], v["commit"], files, missing)
    checkpoint("checked")
    if not files:
        return result
    tree = g.tree_with(head, v["commit"], path)
    checkpoint("tree")
    g.move_worktree(head, tree)  # one step: the index and files of the model's directory
    checkpoint("worktree")
    return result
