"""Locating the repository and the catalog that belongs to it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import git

from modeltrail.store import gitcmd
from modeltrail.store.errors import NotARepository, Refused


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


def open_repo(path: str | os.PathLike | None = None) -> git.Repo:
    """The git repository containing ``path`` (default: the current directory)."""
    start = Path(path) if path is not None else Path.cwd()
    if not start.exists():
        raise NotARepository(f"not a git repository: {start} does not exist")
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
    """Refuse ``action`` (which writes files into the work tree) in a bare repository."""
    if not repo.working_tree_dir:
        raise Refused(
            f"{action} needs a work tree, and this is a bare repository (a server's copy); "
            "nothing was written (a stage rollback, --stage, works here)"
        )
