"""Shared helpers for the checkout/rollback/undo tests (no tests here).

A session-wide sample repository is built once; each test works on its own copy. Git
runs with fixed identities and dates and without global or system configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modeltrail.sample_repo.generator import build_sample_repo

GTO = Path(sys.executable).parent / "gto"
NOW = 1_774_000_000  # 2026-03-20, after the sample history


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory) -> Path:
    """The sample repository, indexed (copies keep the catalog: no re-index per test)."""
    from modeltrail.store.catalog.files import update_catalog
    from modeltrail.store.repo import open_repo

    path = build_sample_repo(tmp_path_factory.mktemp("template") / "repo")
    update_catalog(open_repo(path))
    return path


@pytest.fixture
def fixed_env(monkeypatch):
    """No global/system git config, a fixed clock; the repo's own user.name applies."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_DATE", f"{NOW} +0000")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{NOW} +0000")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def sample(sample_template, tmp_path, fixed_env) -> Path:
    """A private copy of the sample repository."""
    target = tmp_path / "repo"
    shutil.copytree(sample_template, target, symlinks=True)
    return target


def git(repo: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", *args],
        capture_output=True,
        text=True,
        check=False,
        input=input,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {args} failed: {done.stderr}")
    return done.stdout.strip()


def gto_show(repo: Path) -> dict:
    done = subprocess.run(
        [str(GTO), "show", "--json"], cwd=repo, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def work_files(repo: Path) -> dict[str, str]:
    """Every file of the work tree (outside .git) → sha256 of its bytes."""
    out = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo)
        if rel.parts[0] == ".git" or not p.is_file():
            continue
        out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def snapshot(repo: Path) -> dict:
    """What a user can observe of a repository: refs, HEAD, index, work tree, status."""
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git(repo, "symbolic-ref", "-q", "HEAD", check=False),
        "index": git(repo, "ls-files", "-s"),
        "status": git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        "files": work_files(repo),
        "locks": sorted(p.name for p in (repo / ".git").glob("*.lock")),
        "journal": (repo / ".git" / "modeltrail-rollback.json").exists(),
    }


def tree_entries(repo: Path, rev: str, path: str = "") -> dict[str, str]:
    args = ["ls-tree", "-r", "--full-tree", rev]
    if path:
        args += ["--", path]
    out = {}
    for line in git(repo, *args).splitlines():
        meta, name = line.split("\t", 1)
        out[name] = meta
    return out


def install_marker_hooks(repo: Path, marker: Path) -> None:
    """Hooks (in .git/hooks and via core.hooksPath) that leave a marker if anything runs them."""
    names = (
        "pre-commit",
        "commit-msg",
        "post-commit",
        "post-checkout",
        "reference-transaction",
        "pre-push",
        "post-rewrite",
        "post-index-change",
        "pre-auto-gc",
    )
    for d in (repo / ".git" / "hooks", repo / ".git" / "myhooks"):
        d.mkdir(exist_ok=True)
        for name in names:
            hook = d / name
            hook.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n")
            hook.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(repo / ".git" / "myhooks"))
    # a smudge filter that would mark, as git-lfs would run for LFS pointers
    git(repo, "config", "filter.lfs.smudge", f"sh -c 'echo smudge >> {marker}; cat'")
    git(repo, "config", "filter.lfs.process", f"sh -c 'echo process >> {marker}'")
    git(repo, "config", "filter.lfs.required", "true")
