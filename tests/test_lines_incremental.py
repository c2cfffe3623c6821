"""The branch each commit was made on, kept up to date without walking the whole history.

An index run that only adds commits to branches that advanced gives lines to the new
commits alone (``store/catalog/lines_advance.py``); anything else (a branch created,
deleted or rewound, a new integration branch, a changed priority order) computes every
line again. Either way ``commit_lines`` (and the state kept for the next run) must be
exactly what ``index --rebuild`` of the same repository gives.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog import derive_versions, lines, lines_advance
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.config import load_config
from modeltrail.store.repo import open_repo, repo_paths


def _files(auc: float) -> dict[str, str]:
    """The model's metrics in a file of its own per commit (merges never conflict)."""
    return {
        "models/m/model.yaml": "name: m\n",
        f"models/m/metrics-{auc}.json": json.dumps({"auc": auc}),
    }


def _catalog(path) -> tuple[list[tuple], dict]:
    con = duckdb.connect(str(repo_paths(open_repo(path)).catalog_file), read_only=True)
    try:
        rows = con.execute(
            "SELECT commit, branch, ref, merged FROM commit_lines ORDER BY commit"
        ).fetchall()
        (state,) = con.execute(
            "SELECT value FROM meta WHERE key = $1", [lines_advance.META_KEY]
        ).fetchone()
    finally:
        con.close()
    return rows, json.loads(state)


class _Counting:
    """Counts the full computations (``lines.assign``) an index run makes."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        real = lines.assign

        def assign(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(lines, "assign", assign)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("m 1.0", _files(0.80))
    g.tag("m@v1.0.0")
    g.branch("integration")
    g.branch("exp/a")
    g.checkout("exp/a")
    g.commit("exp/a: better m", _files(0.81))
    g.checkout("integration")
    g.merge("exp/a", "Merge branch 'exp/a' into integration")
    g.commit("integration: evaluate", _files(0.82))
    g.branch("feature/x")
    g.checkout("main")
    g.commit("main: docs", {"README.md": "hello\n"})
    update_catalog(open_repo(g.path), rebuild=True)
    return g


def _index_and_compare(g: GitRepo, tmp_path, counting: _Counting, step: str) -> bool:
    """Index incrementally, compare with a rebuild of a copy; whether the shortcut ran."""
    counting.calls = 0
    assert update_catalog(open_repo(g.path)).mode != "unchanged", step
    shortcut = counting.calls == 0
    incremental = _catalog(g.path)
    copy = tmp_path / f"rebuilt-{step}"
    shutil.copytree(g.path, copy, symlinks=True)
    assert update_catalog(open_repo(copy), rebuild=True).mode == "full"
    assert incremental[0] == _catalog(copy)[0], step
    # and the state the next run starts from is the one a full computation keeps
    again = tmp_path / f"again-{step}.duckdb"
    shutil.copyfile(repo_paths(open_repo(g.path)).catalog_file, again)
    con = duckdb.connect(str(again))
    try:
        relined, state = derive_versions._write_lines(con, load_config(g.path))
    finally:
        con.close()
    assert relined == [], step
    assert json.loads(state) == incremental[1], step
    return shortcut


def test_new_commits_get_the_lines_a_rebuild_gives(repo, tmp_path, monkeypatch):
    g = repo
    counting = _Counting(monkeypatch)
    taken: dict[str, bool] = {}

    def step(name: str) -> None:
        taken[name] = _index_and_compare(g, tmp_path, counting, name)

    g.commit("main: one more", _files(0.83))
    step("advance main")

    g.checkout("feature/x")
    g.commit("feature/x: first", _files(0.84))
    g.commit("feature/x: second", _files(0.85))
    step("advance a feature branch")

    g.checkout("main")
    g.merge("feature/x", "Merge branch 'feature/x'")
    step("merge a branch")

    g.checkout("feature/x")  # goes on after being merged: the old merge still names it
    g.commit("feature/x: after the merge", _files(0.86))
    g.checkout("integration")
    g.merge("feature/x", "Merge branch 'feature/x' into integration")
    step("advance a merged branch and merge it elsewhere")

    g.branch("tmp")  # a branch merged, then deleted before the index saw it
    g.checkout("tmp")
    g.commit("tmp: quick fix", _files(0.87))
    g.commit("tmp: quick fix 2", _files(0.88))
    g.checkout("integration")
    g.merge("tmp", "Merge branch 'tmp' into integration")
    g.git("branch", "-D", "tmp")
    step("merge a deleted branch")

    g.git("checkout", "-q", "--detach", "main")  # a commit only a tag holds
    g.commit("tagged only", _files(0.89))
    g.tag("m@v2.0.0")
    g.checkout("main")
    step("a commit on no branch")

    g.commit("main: before a new branch", _files(0.90))
    g.branch("exp/b", "HEAD~1")
    step("create a branch")

    g.checkout("exp/b")
    g.commit("exp/b: try", _files(0.91))
    g.checkout("main")
    g.git("branch", "-D", "exp/a")
    step("delete a branch")

    g.checkout("feature/x")
    g.git("reset", "-q", "--hard", "HEAD~1")
    g.commit("feature/x: rewritten", _files(0.92))
    g.checkout("main")
    step("force-push a branch")

    g.checkout("exp/b")
    g.git("reset", "-q", "--hard", "HEAD~1")
    g.checkout("main")
    step("rewind a branch")

    g.commit("main: later", _files(0.94))
    g.checkout("exp/b")
    g.merge("main", "Merge branch 'main' into exp/b")
    g.commit("exp/b: again", _files(0.93))
    g.checkout("main")
    step("advance two branches, one with a merge")

    g.git("merge", "-q", "--ff-only", "exp/b")  # main takes exp/b's commits as its own
    step("fast-forward main to a branch")

    # a branch that collects two others and is merged into main: found as integration
    g.branch("staging")
    for name in ("exp/c", "exp/d"):
        g.branch(name)
        g.checkout(name)
        g.commit(f"{name}: work", _files(0.95))
    step("branches for a new integration branch")
    g.checkout("staging")
    g.merge("exp/c", "Merge branch 'exp/c' into staging")
    g.merge("exp/d", "Merge branch 'exp/d' into staging")
    g.checkout("main")
    step("a branch collects two others")
    g.merge("staging", "Merge branch 'staging'")
    step("an integration branch found")

    g.checkout("staging")
    g.commit("staging: more", _files(0.96))
    g.checkout("main")
    step("advance with a found integration branch")

    assert taken == {
        "advance main": True,
        "advance a feature branch": True,
        "merge a branch": True,
        "advance a merged branch and merge it elsewhere": True,
        "merge a deleted branch": True,
        "a commit on no branch": True,
        "create a branch": False,
        "delete a branch": False,
        "force-push a branch": False,
        "rewind a branch": False,
        "advance two branches, one with a merge": True,
        "fast-forward main to a branch": False,
        "branches for a new integration branch": False,
        "a branch collects two others": False,  # its merges put it first among branches
        "an integration branch found": False,
        "advance with a found integration branch": False,
    }


def test_a_merge_that_changes_the_branch_order_computes_every_line(repo, tmp_path, monkeypatch):
    """Two branches sharing history: the one with more merges since main claims it first,
    so a merge on the other one can hand the shared commits over."""
    g = repo
    counting = _Counting(monkeypatch)
    g.branch("exp/p")
    g.checkout("exp/p")
    g.commit("shared", _files(0.5))
    g.branch("exp/q")
    g.commit("exp/p: own", _files(0.51))
    g.checkout("exp/q")
    g.commit("exp/q: own", _files(0.52))
    g.checkout("main")
    assert not _index_and_compare(g, tmp_path, counting, "two branches")
    g.checkout("exp/q")
    g.merge("integration", "Merge branch 'integration' into exp/q")
    g.checkout("main")
    assert not _index_and_compare(g, tmp_path, counting, "order changed")
    names = [h[0] for h in _catalog(g.path)[1]["heads"]]
    assert names.index("exp/q") < names.index("exp/p")


def test_new_commits_that_touch_old_lines_compute_every_line(repo, tmp_path, monkeypatch):
    g = repo
    counting = _Counting(monkeypatch)
    g.git("branch", "-D", "exp/a")
    g.branch("zz/e")  # a branch at main's head, merged; main moves on
    g.commit("main: next", _files(0.6))
    g.checkout("integration")
    g.merge("zz/e", "Merge branch 'zz/e' into integration")
    g.checkout("main")
    g.branch("tmp")  # a branch merged, then deleted
    g.checkout("tmp")
    old = g.commit("tmp: fix", _files(0.61))
    g.checkout("main")
    g.merge("tmp", "Merge branch 'tmp'")
    g.git("branch", "-D", "tmp")
    assert not _index_and_compare(g, tmp_path, counting, "setup")  # branches changed

    # zz/e moves on: the merge of its old head now names the line that holds that commit
    g.checkout("zz/e")
    g.commit("zz/e: more", _files(0.62))
    g.checkout("main")
    assert not _index_and_compare(g, tmp_path, counting, "a merged head moves on")

    # a new deleted branch built on the old one's commit takes that commit's line over
    g.git("checkout", "-q", "--detach", old)
    g.commit("tmp2: on top of tmp", _files(0.63))
    g.git("branch", "tmp2")
    g.checkout("main")
    g.merge("tmp2", "Merge branch 'tmp2'")
    g.git("branch", "-D", "tmp2")
    assert not _index_and_compare(g, tmp_path, counting, "a deleted branch built on")

    # the deleted branch's commit merged once more, elsewhere, by a message naming nothing
    g.checkout("integration")
    g.git("merge", "-q", "--no-ff", "-m", "Take the old fix", old, env=g.env())
    g.checkout("main")
    assert not _index_and_compare(g, tmp_path, counting, "merged again")


def test_remote_branches_and_experiments_advance_too(repo, tmp_path, monkeypatch):
    g = repo
    counting = _Counting(monkeypatch)
    exp_ref = "refs/exps/9f/3c1e0b7d2a4f6e8c0b1d3f5a7c9e1b3d5f7a9c0e/crumb-hobo"
    g.git("checkout", "-q", "--detach", "main")
    g.git("update-ref", exp_ref, g.commit("dvc: crumb-hobo", _files(0.7)))
    g.git("checkout", "-q", "--detach", "integration")
    g.git("update-ref", "refs/remotes/origin/dev", g.commit("dev: fetched", _files(0.71)))
    g.checkout("main")
    assert not _index_and_compare(g, tmp_path, counting, "new refs")

    g.git("checkout", "-q", "--detach", exp_ref)
    g.git("update-ref", exp_ref, g.commit("dvc: crumb-hobo again", _files(0.72)))
    g.git("checkout", "-q", "--detach", "origin/dev")
    g.commit("dev: more", _files(0.73))
    g.git("update-ref", "refs/remotes/origin/dev", g.commit("dev: and more", _files(0.74)))
    g.checkout("main")
    assert _index_and_compare(g, tmp_path, counting, "both advance")
