"""The usual repository is opened without GitPython (``gitcmd.LightRepo``): it must be
found where GitPython finds it, run git as GitPython runs it, and leave everything else
(linked worktrees, bare repositories, ``GIT_DIR``, another object format) to GitPython."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import git
import pytest
from tui_support import build_tiny_repo

from modeltrail.store import gitcmd
from modeltrail.store.repo import open_repo, repo_paths

_PROBE = """
import json, sys
from modeltrail.tui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\nGITPYTHON=" + json.dumps("git" in sys.modules) + "\\n")
"""


def _gitpython_imported(repo: Path, *args: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("GITPYTHON=")][-1]
    return bool(json.loads(line.removeprefix("GITPYTHON=")))


def test_index_and_models_do_not_import_gitpython(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    for args in (("index", "--rebuild"), ("index",), ("models",)):
        assert not _gitpython_imported(repo, *args), args


def _where(repo: object) -> tuple[object, ...]:
    r = repo  # a LightRepo or a git.Repo: the same attributes
    return (r.git_dir, r.working_tree_dir, r.common_dir, r.working_dir, repo_paths(r))  # type: ignore[attr-defined]


def test_found_where_gitpython_finds_it(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    (repo / "models" / "deep" / "er").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(repo)
    for start in (repo, repo / "models", repo / "models" / "deep" / "er", link / "models"):
        light = open_repo(start)
        assert isinstance(light, gitcmd.LightRepo), start
        real = gitcmd.prepare(git.Repo(start, search_parent_directories=True))
        assert _where(light) == _where(real), start
        assert light == real and hash(light) == hash(real), start  # as git.Repo compares
        light.close()
        real.close()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_anything_unusual_is_left_to_gitpython(tmp_path: Path, monkeypatch) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    _git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    _git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "bare.git"))
    for start in (tmp_path / "linked", tmp_path / "bare.git"):
        opened = open_repo(start)
        assert isinstance(opened, git.Repo), start
        opened.close()
    _git(repo, "config", "core.bare", "true")  # as GitPython reads it: no work tree
    opened = open_repo(repo)
    assert isinstance(opened, git.Repo) and opened.working_tree_dir is None
    opened.close()
    _git(repo, "config", "core.bare", "false")
    assert isinstance(open_repo(repo), gitcmd.LightRepo)
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))  # a calling hook's
    assert isinstance(open_repo(repo), git.Repo)


def _env_seen(repo: object) -> dict[str, str]:
    # a shell alias prints the environment git's own programs get
    out = gitcmd.run(repo, "-c", "alias.shown=!env -0", "shown").stdout  # type: ignore[arg-type]
    seen = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    seen.pop("_", None)
    return seen


def test_git_runs_as_gitpython_runs_it(tmp_path: Path, monkeypatch) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    monkeypatch.setenv("GIT_INDEX_FILE", "/elsewhere/index")  # pinned to the repository's
    light = open_repo(repo)
    assert isinstance(light, gitcmd.LightRepo)
    real = gitcmd.prepare(git.Repo(repo))
    seen = _env_seen(light)
    assert seen == _env_seen(real)
    assert seen["GIT_INDEX_FILE"] == str(repo / ".git" / "index")
    assert seen["LC_ALL"] == "C" and seen["GIT_NO_REPLACE_OBJECTS"] == "1"
    one_off = gitcmd.run(light, "-c", "alias.shown=!env -0", "shown", env={"X_ONE": "1"})
    assert b"X_ONE=1\0" in one_off.stdout
    assert b"X_ONE" not in gitcmd.run(light, "-c", "alias.shown=!env -0", "shown").stdout
    # anything else GitPython offers comes from a real git.Repo, with the same rules
    assert light.git.rev_parse("HEAD") == real.git.rev_parse("HEAD")
    assert light.head.commit.hexsha == real.head.commit.hexsha
    with pytest.raises(AttributeError):
        _ = light._modeltrail_url  # type: ignore[attr-defined]  # set by callers, or absent


def test_a_dropped_git_is_stopped(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    light = open_repo(repo)
    running = gitcmd.stream(light, ["cat-file", "--batch"], stdin=True)  # waits for input
    proc = running.proc
    assert proc.poll() is None
    del running
    gc.collect()
    assert proc.wait(timeout=10) != 0  # terminated, as GitPython's AutoInterrupt does
    assert proc.stdout is not None and proc.stdout.closed


def test_a_directory_outside_any_repository_is_not_one(tmp_path: Path) -> None:
    from modeltrail.store.errors import NotARepository

    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotARepository, match="not a git repository"):
        open_repo(plain)


def test_git_outside_a_repository_ignores_a_hooks_git_dir(tmp_path: Path, monkeypatch) -> None:
    """``run_at`` (where ``git clone`` runs) has no repository to pin a calling hook's
    ``GIT_DIR`` & co. to: git must not see them, or it would act on the hook's repository."""
    hooks = build_tiny_repo(tmp_path / "hooks")
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_DIR", str(hooks / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(hooks))
    monkeypatch.setenv("GIT_INDEX_FILE", str(hooks / ".git" / "index"))
    done = gitcmd.run_at(plain, "rev-parse", "--absolute-git-dir", check=False)
    assert done.returncode != 0, done.text()  # no repository here, whatever the hook said
    assert "not a git repository" in done.first_error()
