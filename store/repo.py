"""Locating the repository and the catalog that belongs to it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import git
from modeltrail.store import gitcmd
from modeltrail.store.errors import NotARepository


@dataclass(frozen=True)
class RepoPaths:
    """Where things are for one repository."""

    root: Path  # top of the work tree
    git_dir: Path  # this worktree's git dir
    common_dir: Path  # shared by all worktrees

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
    if repo.bare:
        raise NotARepository(f"bare repositories are not supported: {start}")
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
    root = Path(repo.working_tree_dir).resolve()
    git_dir = Path(repo.git_dir).resolve()
    common = Path(repo.common_dir).resolve() if hasattr(repo, "common_dir") else git_dir
    return RepoPaths(root=root, git_dir=git_dir, common_dir=common)
