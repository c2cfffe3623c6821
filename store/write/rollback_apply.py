"""Writing a planned rollback or undo, so that a failure at any point changes nothing.

Each write path is a short sequence of atomic git steps; the one that publishes the
change is a compare-and-swap ``update-ref``:

* stage rollback: check the model's GTO tags are as planned → write the tag object
  (unreferenced) → create ``refs/tags/<name>`` only if it does not exist → check with
  GTO's rules that the target now holds the stage (else delete the tag again).
* branch rollback: check the branch head and the work tree are as planned → build the
  tree in a temporary index → ``commit-tree`` → (branch checked out here: write a
  journal) → move the branch from the planned head to the new commit → bring the index
  and work tree along (``read-tree -m -u``; only the model's paths differ) → remove the
  journal.

Before the ref moves, nothing a user can see has changed (new objects are unreferenced).
If an exception stops a branch rollback after the ref moved but before the work tree
followed, the branch is moved back. If the process is killed there, the journal stays;
:func:`recover` (run first by every write command, and safe to run any time) finds it
and puts the branch back where it was, or, if the work tree did follow, just removes it.
Nothing is pushed unless asked; a push happens last, after the local change is complete.

``checkpoint(step)`` is called after every step; tests use it to inject failures.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from modeltrail.store.errors import ModeltrailError, Refused, UsageError
from modeltrail.store.read import derive, gitio, gto
from modeltrail.store.repo import JOURNAL, check_writable
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, GitFailed, Ident
from modeltrail.store.write.plans import RollbackPlan
from modeltrail.store.write.push import push_ref
from modeltrail.store.write.scope import new_tree
from modeltrail.store.write.worktree import LockedMove, clear_paths, remove_own_lock, restore
from modeltrail.store.write.worktree_checks import (
    check_clean,
    endangered,
    refuse_endangered,
    refuse_links,
)

Checkpoint = Callable[[str], object]  # what it returns is ignored

STAGE_STEPS = ("checked", "tag-object", "tag-ref", "verified", "catalog", "pushed")
BRANCH_STEPS = (
    "checked",
    "tree",
    "commit",
    "journal",
    "ref",
    "worktree",
    "done",
    "catalog",
    "pushed",
)
NOT_PUSHED = 3  # exit status: written locally, not pushed


class WriteIncomplete(ModeltrailError):
    """The new commit was written but the repository is not as the plan says (exit 4)."""

    exit_status = 4


@dataclass
class RollbackResult:
    """What was written: the ref, its new object, the tag or commit, and where it went."""

    plan: RollbackPlan
    ref: str
    object: str  # the tag object or the new commit
    commit: str  # the commit the ref now leads to (the target for a tag)
    pushed_to: str | None = None
    warnings: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # untracked paths replaced (--force)
    push_error: str | None = None  # done locally, the push failed (exit 3)

    def summary(self) -> str:
        p = self.plan
        what = (
            "Redid the rollback"
            if p.redo
            else "Undid the last rollback"
            if p.is_undo
            else "Rolled back"
        )
        where = f"{p.stage}" if p.kind == "stage" else f"branch {p.branch}"
        how = f"tag {p.tag}" if p.kind == "stage" else f"commit {self.object[:12]}"
        return (
            f"{what}: {one_line(p.model)} {one_line(where)} is now {one_line(p.target.version)} "
            f"(was {one_line(p.current.version)}); {how}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "done": True,
            "kind": self.plan.kind,
            "model": self.plan.model,
            "stage": self.plan.stage,
            "branch": self.plan.branch,
            "from": self.plan.current.to_json(),
            "to": self.plan.target.to_json(),
            "ref": self.ref,
            "tag": self.plan.tag,
            "object": self.object,
            "commit": self.commit,
            "undoes": self.plan.undoes,
            "reason": self.plan.reason,
            "pushed_to": self.pushed_to,
            "push_error": self.push_error,
            "replaced_untracked": self.removed,
            "warnings": self.warnings,
        }


def _noop(step: str) -> None:
    pass


def apply_plan(
    repo: git.Repo,
    plan: RollbackPlan,
    *,
    push: bool = False,
    checkpoint: Checkpoint = _noop,
    update_catalog: bool = True,
) -> RollbackResult:
    """Write ``plan``; Refused (nothing changed) if the repository moved since it was made,
    UsageError if it is a rollback without a reason (an undo's reason is optional)."""
    if plan.needs_reason and not plan.reason.strip():
        raise UsageError("a rollback needs a reason (it is recorded in git); nothing was written")
    g = Git(repo)
    recover(repo)
    # a read-only .git, or an index.lock someone left, stops the write before it starts
    lock_warnings = check_writable(repo, index=plan.kind == "branch" and plan.worktree)
    if plan.kind == "stage":
        result = _apply_stage(g, plan, checkpoint)
    elif plan.kind == "branch":
        result = _apply_branch(g, plan, checkpoint)
    else:  # pragma: no cover - plans come from store.write.rollback
        raise ValueError(plan.kind)
    if update_catalog:
        _refresh(repo, result)
    checkpoint("catalog")
    result.warnings[:0] = [*plan.warnings, *lock_warnings]
    if push:
        try:
            result.pushed_to = _push(g, plan, result)
        except Refused as exc:
            result.push_error = str(exc)
        except KeyboardInterrupt:  # git and its helpers are stopped; the write is done
            result.push_error = _not_pushed(g, plan, result, "the push was interrupted")
        _forget_if_cached(repo, result, update_catalog)
    checkpoint("pushed")
    return result


def _forget_if_cached(repo: git.Repo, result: RollbackResult, update_catalog: bool) -> None:
    """In a URL's cached copy the tag exists to be pushed: when its push failed, delete
    it again (the cache holds only what the remote holds) and say that nothing changed."""
    from modeltrail.store import remote_repo

    if result.push_error is None or not remote_repo.is_cached(repo):
        return
    if not remote_repo.forget_unpushed_tag(repo, result.ref, result.object):
        return
    why = result.push_error.partition(" locally, but ")[2].partition("; the local change")[0]
    result.push_error = (
        f"{why or result.push_error}; the tag {one_line(result.plan.tag or result.ref, 80)} was "
        f"deleted from the cached copy again: nothing changed"
    )
    if update_catalog:
        _refresh(repo, result)


def _stamp(g: Git, plan: RollbackPlan) -> tuple[Ident, int]:
    """Identity and time for the new tag or commit: now, but after every earlier event."""
    committer = g.committer()
    return committer, max(committer.seconds, plan.floor_seconds)


# --- stage --------------------------------------------------------------------------------


def _apply_stage(g: Git, plan: RollbackPlan, checkpoint: Checkpoint) -> RollbackResult:
    assert plan.tag is not None and plan.stage is not None
    tagger, seconds = _stamp(g, plan)
    now = {n: o for n, o in g.tags().items() if _is_model_tag(n, plan.model)}
    if tuple(sorted(now.items())) != plan.guard:
        added = sorted(set(now) - {n for n, _ in plan.guard})
        what = f" ({one_line(added[0], 80)} appeared)" if added else ""
        raise Refused(
            f"the GTO tags of {one_line(plan.model)} changed since the plan was made{what}; "
            "nothing was written, look at the new state and try again"
        )
    checkpoint("checked")
    obj = g.make_tag(plan.tag, plan.target.commit, plan.message(), tagger, seconds)
    checkpoint("tag-object")
    try:
        g.update_ref(plan.ref, obj, None, f"modeltrail: {plan.subject()}")
    except GitFailed:
        raise Refused(
            f"tag {one_line(plan.tag)} was created by someone else meanwhile; nothing was written"
        ) from None
    try:
        checkpoint("tag-ref")
        holder = _gto_holder(g, plan.model, plan.stage)
        if holder != plan.target.commit:
            raise Refused(
                f"GTO would not make {one_line(plan.target.version)} the holder of "
                f"{one_line(plan.stage)} with this tag; it was removed, nothing changed"
            )
    except BaseException:
        with contextlib.suppress(GitFailed):
            g.delete_ref(plan.ref, obj)
        raise
    checkpoint("verified")
    return RollbackResult(plan, plan.ref, obj, plan.target.commit)


def _is_model_tag(name: str, model: str) -> bool:
    if gto.artifact_part(name) != model:  # cheap: most of 100,000 tags stop here
        return False
    parsed = gto.parse_tag(name)
    return parsed is not None and parsed.artifact == model


def _gto_holder(g: Git, model: str, stage: str) -> str | None:
    """Who holds ``stage`` now, as GTO computes it from the model's own tags (only they
    decide an artifact's state, so only they are read)."""
    mine = [f"refs/tags/{n}" for n in g.tags() if gto.artifact_part(n) == model]
    refs = gitio.read_refs(g.repo, mine)
    state = gto.evaluate(derive.tag_records(refs)).get(model)
    holder = state.stages.get(stage) if state else None
    return holder.commit if holder else None


# --- branch -------------------------------------------------------------------------------


def _apply_branch(g: Git, plan: RollbackPlan, checkpoint: Checkpoint) -> RollbackResult:
    assert plan.path is not None and plan.ref_old is not None
    new_path = plan.new_path
    assert new_path is not None
    head = g.ref_value(plan.ref)
    if head != plan.ref_old:
        raise Refused(
            f"branch {one_line(plan.branch)} moved since the plan was made "
            f"({plan.ref_old[:12]} → {(head or 'deleted')[:12]}); nothing was written"
        )
    if plan.worktree:
        _check_worktree(g, plan)
    author = g.author()
    committer, seconds = _stamp(g, plan)
    checkpoint("checked")
    tree = new_tree(g, plan.ref_old, plan.drop, plan.add, plan.model)
    if tree == g.tree_of(plan.ref_old):
        raise Refused(f"{one_line(plan.model)} already has those files; nothing to roll back")
    checkpoint("tree")
    commit = g.commit_tree(tree, plan.ref_old, plan.message(), author, committer, seconds)
    checkpoint("commit")
    if not plan.worktree:
        checkpoint("journal")
        _publish_ref(g, plan, commit, None)
        checkpoint("ref")
        checkpoint("worktree")
        checkpoint("done")
        return RollbackResult(plan, plan.ref, commit, commit)
    mover = LockedMove(g)
    journal = _journal_path(g)
    _write_journal(journal, plan.ref, plan.ref_old, commit, plan.path, new_path, mover)
    try:
        mover.acquire()
    except BaseException:
        _remove(journal)
        raise
    checkpoint("journal")
    published = False
    try:
        # under git's index lock: no commit can slip in between the ref and the files
        lost = _check_worktree(g, plan)
        if lost:  # --force: the user agreed to replace them
            clear_paths(g, lost)
            mover.cleared = lost
        _publish_ref(g, plan, commit, None)
        checkpoint("ref")
        mover.move(plan.ref_old, commit)
        checkpoint("worktree")
        mover.publish()
        published = True
    except BaseException:
        if not published:
            _undo_move(g, plan, commit, mover)
        _remove(journal)
        raise
    _remove(journal)
    checkpoint("done")
    _verify(g, plan, commit)
    return RollbackResult(plan, plan.ref, commit, commit, removed=list(mover.cleared))


def _check_worktree(g: Git, plan: RollbackPlan) -> list[str]:
    """The branch is still checked out here, the model's files are clean, and nothing
    untracked or ignored is in the way; with --force, returns what is in the way."""
    assert plan.path is not None and plan.new_path is not None
    if g.symbolic_head() != plan.ref:
        raise Refused(
            f"branch {one_line(plan.branch)} is no longer checked out here; nothing written"
        )
    what = f"rolling back {one_line(plan.model)}"
    refuse_links(g, [*plan.drop, *(e.path for e in plan.add)], what)
    check_clean(g, plan.path, allow_untracked=plan.force, scope=plan.scope)
    if plan.scope is None and plan.new_path != plan.path:
        check_clean(g, plan.new_path, allow_untracked=plan.force)
    lost = endangered(g, plan.drop, [e.path for e in plan.add])
    if lost and not plan.force:
        refuse_endangered(lost, f"rolling back {one_line(plan.model)}")
    return lost


def _publish_ref(g: Git, plan: RollbackPlan, commit: str, _unused: object) -> None:
    assert plan.ref_old is not None
    try:
        g.update_ref(plan.ref, commit, plan.ref_old, f"modeltrail: {plan.subject()}")
    except GitFailed:
        raise Refused(
            f"branch {one_line(plan.branch)} moved while the rollback was being written; "
            "nothing was changed"
        ) from None


def _undo_move(g: Git, plan: RollbackPlan, commit: str, mover: LockedMove) -> str:
    """Back to the state before: files as the (unpublished) index holds, ref back, lock gone."""
    assert plan.ref_old is not None
    rewritten, removed, left = restore(g, plan.ref_old, commit, _paths(plan.path, plan.new_path))
    mover.release()
    moved_back = False
    with contextlib.suppress(GitFailed):
        if g.ref_value(plan.ref) == commit:
            g.update_ref(plan.ref, plan.ref_old, commit, "modeltrail: rollback abandoned")
            moved_back = True
    g.run("update-index", "-q", "--refresh", check=False)
    return _account(plan.ref, plan.ref_old, moved_back, rewritten, removed, left)


def _paths(*paths: str | None) -> list[str]:
    return sorted({p for p in paths if p is not None})


def _account(
    ref: str, old: str, moved_back: bool, rewritten: int, removed: int, left: list[str]
) -> str:
    parts = []
    if moved_back:
        parts.append(f"{one_line(ref.removeprefix('refs/heads/'), 100)} is back at {old[:12]}")
    if rewritten:
        parts.append(f"{rewritten} model file(s) restored")
    if removed:
        parts.append(f"{removed} file(s) it had written removed")
    if left:
        parts.append(
            f"{len(left)} file(s) it did not write left in place ({one_line(left[0], 120)})"
        )
    return "; ".join(parts) or "nothing had changed yet"


def _verify(g: Git, plan: RollbackPlan, commit: str) -> None:
    """After the write: the branch, HEAD and the model's index entries are what the plan
    says; anything else is reported as it is, never as success."""
    head = g.ref_value(plan.ref)
    problems = []
    if head != commit:
        problems.append(f"{one_line(plan.branch)} is at {(head or 'nothing')[:12]}")
    if g.symbolic_head() != plan.ref:
        problems.append("HEAD no longer points at the branch")
    assert plan.ref_old is not None  # (a branch write: _publish_ref moved it from there)
    differs = _index_differs(g, plan.ref_old, commit)
    if differs:
        problems.append(f"the index differs at {one_line(differs[0], 200)}")
    if problems:
        raise WriteIncomplete(
            f"commit {commit[:12]} was written, but then {'; '.join(problems)}: another "
            "process changed the repository meanwhile; check with git status and git log"
        )


def _index_differs(g: Git, old: str, new: str) -> list[str]:
    """The paths the move from ``old`` to ``new`` changes whose index entry is not
    ``new``'s (none: the index followed)."""
    changed = g.changed_paths(old, new)
    if not changed:
        return []
    tops = sorted({p.split("/", 1)[0] for p in changed})
    index = g.index_entries(*tops)
    wanted = set(changed)
    target = {e.path: e.oid for e in g.ls_tree(new, *tops) if e.path in wanted}
    return [p for p in changed if index.get(p) != target.get(p)]


# --- journal and recovery -----------------------------------------------------------------


def _journal_path(g: Git) -> Path:
    return g.git_dir() / JOURNAL


def _write_journal(
    path: Path, ref: str, old: str, new: str, model_path: str, new_path: str, mover: LockedMove
) -> None:
    data = {
        "ref": ref,
        "old": old,
        "new": new,
        "path": model_path,
        "new_path": new_path,
        "token": mover.token,
        "temp_index": mover.temp.name,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "time": time.time(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise Refused("another rollback is being written in this work tree; try again") from None
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())


def _remove(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(repo: git.Repo | str | os.PathLike[str]) -> str | None:
    """Finish the cleanup of a branch rollback that was killed half-way, if there is one.

    Returns a one-line account of exactly what it did, or None when there was nothing
    to do. When the new index had been published the rollback is complete and only the
    journal goes. Otherwise the index still holds the old files: every file of the model
    is put back to it (files the rollback wrote are removed only if their bytes are what
    it wrote), the branch is moved back, and the index.lock it took (and only that one,
    recognised by its token) is removed.
    """
    g = Git.at(repo) if isinstance(repo, str | os.PathLike) else Git(repo)
    path = _journal_path(g)
    swept = _sweep_temp_indexes(g.git_dir())
    try:
        data = json.loads(path.read_text())
        ref, old, new, model_path = data["ref"], data["old"], data["new"], data["path"]
        new_path = data.get("new_path", model_path)
        token = str(data.get("token", ""))
    except FileNotFoundError:
        if swept:
            return f"removed {swept} temporary index file(s) an interrupted modeltrail left"
        return None
    except (OSError, ValueError, KeyError, TypeError):
        _remove(path)
        return "removed an unreadable rollback journal (nothing else touched)"
    if _alive(int(data.get("pid", 0)), str(data.get("host", ""))):
        return None  # another modeltrail is writing it right now
    git_dir = g.git_dir()
    temp = str(data.get("temp_index", ""))
    if temp.startswith("modeltrail-index-") and "/" not in temp:
        for p in (git_dir / temp, git_dir / f"{temp}.lock"):
            _remove(p)
    lock = git_dir / "index.lock"
    own_lock = bool(token) and _owns_lock(lock, token)
    if os.path.lexists(lock) and not own_lock:
        return (
            "an interrupted rollback needs cleaning up, but another git process holds "
            ".git/index.lock; nothing was touched (run modeltrail again once it is done)"
        )
    head = g.ref_value(ref) if str(ref).startswith("refs/heads/") else None
    paths = _paths(model_path, new_path)
    published = (head == new or not ref) and not _index_differs(g, old, new)
    if published:
        removed_lock = own_lock and remove_own_lock(lock, token)
        _remove(path)
        extra = "; removed the index.lock it held" if removed_lock else ""
        what = "rollback" if ref else "checkout"
        return f"an interrupted {what} had completed; removed its journal{extra}"
    rewritten, removed, left = restore(g, old, new, paths)
    removed_lock = own_lock and remove_own_lock(lock, token)
    moved_back = False
    if head == new:
        try:
            g.update_ref(ref, old, new, "modeltrail: interrupted rollback undone")
            moved_back = True
        except GitFailed:
            pass
    g.run("update-index", "-q", "--refresh", check=False)
    _remove(path)
    what = _account(ref, old, moved_back, rewritten, removed, left)
    if removed_lock:
        what += "; removed the index.lock it held"
    if ref and head not in (old, new):
        what += f"; {one_line(ref, 100)} had been moved on by someone else and was left alone"
    return f"an interrupted {'rollback' if ref else 'checkout'} was undone: {what}"


def _sweep_temp_indexes(git_dir: Path) -> int:
    """Remove throw-away index files (``modeltrail-index-<pid>-*``) of dead processes."""
    host = socket.gethostname()
    n = 0
    for p in git_dir.glob("modeltrail-index-*"):
        pid = p.name.split("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid), host):
            _remove(p)
            n += 1
    return n


def _owns_lock(lock: Path, token: str) -> bool:
    """Whether ``lock`` is the one this journal's rollback took (its token is inside)."""
    try:
        return lock.read_text(errors="replace").strip() == f"modeltrail {token}"
    except (FileNotFoundError, IsADirectoryError):
        return False


# --- after the write ----------------------------------------------------------------------


def _refresh(repo: git.Repo, result: RollbackResult) -> None:
    from modeltrail.store.catalog.files import update_catalog

    try:
        update_catalog(repo)
    except Exception as exc:  # the write is done; a stale catalog heals on the next run
        result.warnings.append(f"catalog not updated ({type(exc).__name__}); run modeltrail index")


def push_result(repo: git.Repo | str | os.PathLike[str], result: RollbackResult) -> RollbackResult:
    """Push exactly the ref ``result`` wrote (atomically, never forced) and record the
    outcome in ``result``: ``pushed_to`` on success, ``push_error`` otherwise. The local
    change stays either way."""
    g = Git.at(repo) if isinstance(repo, str | os.PathLike) else Git(repo)
    try:
        result.pushed_to = _push(g, result.plan, result)
        result.push_error = None
    except Refused as exc:
        result.push_error = str(exc)
    _forget_if_cached(g.repo, result, True)
    return result


def push_remote(g: Git, plan: RollbackPlan) -> str | None:
    """The remote a push of ``plan``'s ref goes to (the branch's upstream remote, else
    ``origin``), or None when there is none."""
    return g.remote_for(plan.ref if plan.kind == "branch" else g.symbolic_head())


def _push(g: Git, plan: RollbackPlan, result: RollbackResult) -> str:
    remote = push_remote(g, plan)
    if remote is None:
        raise Refused(
            f"{result.summary()} locally, but there is no remote to push to; push it yourself"
        )
    try:
        push_ref(g, remote, plan.ref)
    except GitFailed as exc:
        why = f"pushing {one_line(plan.ref, 200)} to {one_line(remote, 80)} failed ({exc})"
        if "already exists" in str(exc) and plan.tag is not None:
            why += (
                f"; {one_line(remote, 80)} holds another tag of that name, so fetching its "
                f"tags will fail until the local one is renamed or deleted (git tag -d "
                f"{shlex.quote(one_line(plan.tag, 80))} frees it; the tag object "
                f"{result.object[:12]} stays)"
            )
        raise Refused(_not_pushed(g, plan, result, why)) from None
    return remote


def _not_pushed(g: Git, plan: RollbackPlan, result: RollbackResult, why: str) -> str:
    """One line: what was written locally, why it is not on the remote, how to push it."""
    remote = push_remote(g, plan) or "origin"
    return (
        f"{result.summary()} locally, but {why}; the local change stays: push it yourself "
        f"with git push --atomic {shlex.quote(one_line(remote, 80))} "
        f"{shlex.quote(one_line(plan.ref, 200))}"
    )
