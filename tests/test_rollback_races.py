"""Races: another process writes between two steps of a write.

Every write publishes with a compare-and-swap (a ref moves only if it still holds what
the plan saw; a tag is created only if no tag of that name exists; a tag is deleted only
if it still holds our object; a push is never forced). Each test here makes another
process write at one step of one write path and checks that the other process's write
survives and that modeltrail says nothing was written. Each of them fails when its
compare-and-swap is removed (``Git.update_ref`` ignoring the expected old value,
``Git.delete_ref`` without it, a forced push).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import git, snapshot

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.errors import Refused
from modeltrail.store.repo import open_repo
from modeltrail.store.write import checkout as checkout_mod
from modeltrail.store.write.rollback import plan_rollback, plan_undo
from modeltrail.store.write.rollback_apply import apply_plan

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


def _plan(repo: Path, model: str, to: str, **kw):
    r = open_repo(repo)
    con = open_catalog(r)
    try:
        return r, plan_rollback(r, con, model, to, reason="race", **kw)
    finally:
        con.close()


def _undo_plan(repo: Path):
    r = open_repo(repo)
    con = open_catalog(r)
    try:
        return r, plan_undo(r, con, reason="race")
    finally:
        con.close()


def _other_commit(repo: Path, parent: str, text: str) -> str:
    """A commit by someone else on top of ``parent`` (made with plumbing, no index lock)."""
    tree = git(repo, "rev-parse", f"{parent}^{{tree}}")
    return git(repo, "commit-tree", tree, "-p", parent, "-m", text)


def _other_tag(repo: Path, name: str, commit: str) -> str:
    """An annotated tag object by someone else (not yet referenced)."""
    body = (
        f"object {commit}\ntype commit\ntag {name}\n"
        "tagger Bo Other <bo@example.com> 1774000100 +0000\n\nsomeone else\n"
    )
    return git(repo, "mktag", input=body)


def _step_hook(step_wanted: str, action):
    fired: list[str] = []

    def checkpoint(step: str) -> None:
        if step == step_wanted and not fired:
            fired.append(step)
            action()

    return checkpoint, fired


# --- branch rollback: the ref moves only from where the plan saw it -------------------------


@pytest.mark.parametrize("step", ["checked", "tree", "commit", "journal"])
def test_branch_moved_before_the_ref_write_is_kept(sample, step):
    """Another process moves the checked-out branch (plumbing: git's index lock does not
    stop it) at each step before the ref is written: their commit stays, nothing of ours."""
    r, plan = _plan(sample, "ranker", "2.1.0")
    assert plan.kind == "branch" and plan.worktree
    theirs = _other_commit(sample, plan.ref_old, "someone else's commit")

    def move():
        git(sample, "update-ref", plan.ref, theirs)

    checkpoint, fired = _step_hook(step, move)
    before_files = snapshot(sample)["files"]
    with pytest.raises(Refused, match="moved"):
        apply_plan(r, plan, checkpoint=checkpoint)
    assert fired
    assert git(sample, "rev-parse", plan.ref) == theirs
    assert snapshot(sample)["files"] == before_files
    assert not (sample / ".git" / "index.lock").exists()


@pytest.mark.parametrize("step", ["checked", "tree", "commit"])
def test_branch_not_checked_out_moved_meanwhile_is_kept(sample, step):
    """The same for a branch that is not checked out here (no work tree to follow)."""
    main_head = git(sample, "rev-parse", "HEAD")
    git(sample, "checkout", "-q", "--detach")
    r, plan = _plan(sample, "ranker", "2.1.0", branch="main")
    assert plan.kind == "branch" and not plan.worktree
    theirs = _other_commit(sample, main_head, "someone else's commit")
    checkpoint, fired = _step_hook(step, lambda: git(sample, "update-ref", plan.ref, theirs))
    with pytest.raises(Refused, match="moved"):
        apply_plan(r, plan, checkpoint=checkpoint)
    assert fired
    assert git(sample, "rev-parse", "refs/heads/main") == theirs


def test_undo_of_a_branch_rollback_does_not_overwrite_a_new_commit(sample):
    r, plan = _plan(sample, "ranker", "2.1.0")
    apply_plan(r, plan)
    r, undo = _undo_plan(sample)
    assert undo.kind == "branch" and undo.is_undo
    theirs = _other_commit(sample, undo.ref_old, "someone else's commit")
    checkpoint, fired = _step_hook("commit", lambda: git(sample, "update-ref", undo.ref, theirs))
    with pytest.raises(Refused, match="moved"):
        apply_plan(r, undo, checkpoint=checkpoint)
    assert fired
    assert git(sample, "rev-parse", undo.ref) == theirs


# --- stage rollback: a tag is created only where none exists --------------------------------


@pytest.mark.parametrize("step", ["checked", "tag-object"])
def test_a_tag_of_the_same_name_made_meanwhile_is_kept(sample, step):
    """Someone else creates the very tag name (same counter) between the check and the
    write: theirs stays, ours is not written."""
    r, plan = _plan(sample, "churn", "v1.2.0")
    assert plan.kind == "stage"
    target = git(sample, "rev-parse", "HEAD")
    theirs = _other_tag(sample, plan.tag, target)
    checkpoint, fired = _step_hook(step, lambda: git(sample, "update-ref", plan.ref, theirs))
    with pytest.raises(Refused, match="someone else"):
        apply_plan(r, plan, checkpoint=checkpoint)
    assert fired
    assert git(sample, "rev-parse", plan.ref) == theirs


def test_undo_of_a_stage_rollback_keeps_a_tag_of_the_same_name(sample):
    r, plan = _plan(sample, "churn", "v1.2.0")
    apply_plan(r, plan)
    r, undo = _undo_plan(sample)
    assert undo.kind == "stage"
    theirs = _other_tag(sample, undo.tag, git(sample, "rev-parse", "HEAD"))
    checkpoint, fired = _step_hook(
        "tag-object", lambda: git(sample, "update-ref", undo.ref, theirs)
    )
    with pytest.raises(Refused):
        apply_plan(r, undo, checkpoint=checkpoint)
    assert fired
    assert git(sample, "rev-parse", undo.ref) == theirs


def test_a_failed_check_removes_only_our_own_tag(sample):
    """Our tag is written, then someone replaces it and our check fails: the tag is
    deleted only if it still holds our object, so theirs stays."""
    r, plan = _plan(sample, "churn", "v1.2.0")
    theirs = _other_tag(sample, plan.tag, git(sample, "rev-parse", "HEAD"))

    def replace_then_fail(step: str) -> None:
        if step == "tag-ref":
            git(sample, "update-ref", plan.ref, theirs)
            raise RuntimeError("check failed")

    with pytest.raises(RuntimeError):
        apply_plan(r, plan, checkpoint=replace_then_fail)
    assert git(sample, "rev-parse", plan.ref) == theirs


def test_a_failed_check_removes_our_tag(sample):
    """The other half of the above: with nobody racing, a failed check leaves no tag."""
    r, plan = _plan(sample, "churn", "v1.2.0")
    before = snapshot(sample)

    def fail(step: str) -> None:
        if step == "tag-ref":
            raise RuntimeError("check failed")

    with pytest.raises(RuntimeError):
        apply_plan(r, plan, checkpoint=fail)
    assert snapshot(sample) == before


# --- checkout: the user's edits made meanwhile survive ----------------------------------------


def test_checkout_keeps_an_edit_made_after_its_check(sample):
    r = open_repo(sample)
    con = open_catalog(r)
    target = sample / "models" / "ranker"
    edited: list[Path] = []

    def edit(step: str) -> None:
        if step == "tree" and not edited:
            f = next(p for p in sorted(target.rglob("*")) if p.is_file())
            f.write_text("my unsaved experiment\n")
            edited.append(f)

    try:
        with pytest.raises(Refused) as refused:
            checkout_mod.checkout(r, con, "ranker", "2.0.0", checkpoint=edit)
        assert "uncommitted" in str(refused.value)
    finally:
        con.close()
    assert edited and edited[0].read_text() == "my unsaved experiment\n"
    assert not (sample / ".git" / "index.lock").exists()


# --- push: never forced ------------------------------------------------------------------------


def _with_remote(sample: Path, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(sample), str(remote)], check=True)
    git(sample, "remote", "add", "origin", str(remote))
    git(sample, "fetch", "-q", "origin")
    git(sample, "branch", "-q", "--set-upstream-to=origin/main", "main")
    return remote


def test_a_push_never_overwrites_a_branch_someone_else_pushed(sample, tmp_path):
    remote = _with_remote(sample, tmp_path)
    r, plan = _plan(sample, "ranker", "2.1.0")
    theirs = _other_commit(sample, plan.ref_old, "pushed by someone else")
    git(sample, "push", "-q", str(remote), f"{theirs}:refs/heads/main")
    result = apply_plan(r, plan, push=True)
    assert result.push_error and result.pushed_to is None
    assert git(remote, "rev-parse", "refs/heads/main") == theirs
    assert git(sample, "rev-parse", plan.ref) == result.commit  # the local change stays


def test_a_push_never_overwrites_a_tag_someone_else_pushed(sample, tmp_path):
    remote = _with_remote(sample, tmp_path)
    r, plan = _plan(sample, "churn", "v1.2.0")
    theirs = _other_tag(sample, plan.tag, git(sample, "rev-parse", "HEAD"))
    git(sample, "push", "-q", str(remote), f"{theirs}:{plan.ref}")
    assert git(sample, "tag", "-l", plan.tag) == ""  # here, nobody knows of it yet
    result = apply_plan(r, plan, push=True)
    assert result.push_error and result.pushed_to is None
    assert git(remote, "rev-parse", plan.ref) == theirs
