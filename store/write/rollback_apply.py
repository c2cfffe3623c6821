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
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import git
from modeltrail.store.errors import Refused
from modeltrail.store.read import derive, gitio, gto
from modeltrail.store.repo import repo_paths
from modeltrail.store.write.gitwrite import Git, GitFailed
from modeltrail.store.write.rollback import RollbackPlan, check_clean, one_line

Checkpoint = Callable[[str], None]

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
JOURNAL = "modeltrail-rollback.json"


@dataclass
class RollbackResult:
    """What was written: the ref, its new object, the tag or commit, and where it went."""

    plan: RollbackPlan
    ref: str
    object: str  # the tag object or the new commit
    commit: str  # the commit the ref now leads to (the target for a tag)
    pushed_to: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        p = self.plan
        what = "Undid the last rollback" if p.is_undo else "Rolled back"
        where = f"{p.stage}" if p.kind == "stage" else f"branch {p.branch}"
        how = f"tag {p.tag}" if p.kind == "stage" else f"commit {self.object[:12]}"
        return (
            f"{what}: {one_line(p.model)} {one_line(where)} is now {one_line(p.target.version)} "
            f"(was {one_line(p.current.version)}); {how}"
        )

    def to_json(self) -> dict:
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
    """Write ``plan``; Refused (nothing changed) if the repository moved since it was made."""
    g = Git(repo_paths(repo).root)
    recover(repo)
    if plan.kind == "stage":
        result = _apply_stage(g, plan, checkpoint)
    elif plan.kind == "branch":
        result = _apply_branch(g, plan, checkpoint)
    else:  # pragma: no cover - plans come from store.rollback
        raise ValueError(plan.kind)
    if update_catalog:
        _refresh(repo, result)
    checkpoint("catalog")
    if push:
        result.pushed_to = _push(g, plan, result)
    checkpoint("pushed")
    return result


def _stamp(g: Git, plan: RollbackPlan):
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
    parsed = gto.parse_tag(name)
    return parsed is not None and parsed.artifact == model


def _gto_holder(g: Git, model: str, stage: str) -> str | None:
    repo = gitio.prepare(git.Repo(g.root))
    try:
        refs = gitio.read_refs(repo)
    finally:
        repo.close()
    state = gto.evaluate(derive.tag_records(refs)).get(model)
    holder = state.stages.get(stage) if state else None
    return holder.commit if holder else None


# --- branch -------------------------------------------------------------------------------


def _apply_branch(g: Git, plan: RollbackPlan, checkpoint: Checkpoint) -> RollbackResult:
    assert plan.path is not None and plan.ref_old is not None
    head = g.ref_value(plan.ref)
    if head != plan.ref_old:
        raise Refused(
            f"branch {one_line(plan.branch)} moved since the plan was made "
            f"({plan.ref_old[:12]} → {(head or 'deleted')[:12]}); nothing was written"
        )
    if plan.worktree:
        if g.symbolic_head() != plan.ref:
            raise Refused(
                f"branch {one_line(plan.branch)} is no longer checked out here; nothing written"
            )
        check_clean(g, plan.path)
    author = g.author()
    committer, seconds = _stamp(g, plan)
    checkpoint("checked")
    tree = g.tree_with(plan.ref_old, plan.source, plan.path)
    if tree == g.tree_of(plan.ref_old):
        raise Refused(f"{one_line(plan.model)} already has those files; nothing to roll back")
    checkpoint("tree")
    commit = g.commit_tree(tree, plan.ref_old, plan.message(), author, committer, seconds)
    checkpoint("commit")
    journal = _journal_path(g) if plan.worktree else None
    if journal is not None:
        _write_journal(journal, plan.ref, plan.ref_old, commit, plan.path)
    checkpoint("journal")
    try:
        g.update_ref(plan.ref, commit, plan.ref_old, f"modeltrail: {plan.subject()}")
    except GitFailed:
        _remove(journal)
        raise Refused(
            f"branch {one_line(plan.branch)} moved while the rollback was being written; "
            "nothing was changed"
        ) from None
    moved = False
    try:
        checkpoint("ref")
        if plan.worktree:
            g.move_worktree(plan.ref_old, commit)
        moved = True
        checkpoint("worktree")
    except BaseException:
        if not moved:
            # the files did not follow: put the branch back, as before
            with contextlib.suppress(GitFailed):
                g.update_ref(plan.ref, plan.ref_old, commit, "modeltrail: rollback abandoned")
        _remove(journal)
        raise
    _remove(journal)
    checkpoint("done")
    return RollbackResult(plan, plan.ref, commit, commit)


# --- journal and recovery -----------------------------------------------------------------


def _journal_path(g: Git) -> Path:
    return g.git_dir() / JOURNAL


def _write_journal(path: Path, ref: str, old: str, new: str, model_path: str) -> None:
    data = {
        "ref": ref,
        "old": old,
        "new": new,
        "path": model_path,
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


def recover(repo: git.Repo | str | os.PathLike) -> str | None:
    """Finish the cleanup of a branch rollback that was killed half-way, if there is one.

    Returns a one-line account of what it did, or None when there was nothing to do.
    The branch is moved back to where it was when the files had not followed yet; when
    they had, the rollback is complete and only the journal is removed.
    """
    root = repo_paths(repo).root if isinstance(repo, git.Repo) else Path(repo)
    g = Git(root)
    path = _journal_path(g)
    try:
        data = json.loads(path.read_text())
        ref, old, new, model_path = data["ref"], data["old"], data["new"], data["path"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        _remove(path)
        return "removed an unreadable rollback journal"
    if _alive(int(data.get("pid", 0)), str(data.get("host", ""))):
        return None  # another modeltrail is writing it right now
    head = g.ref_value(ref) if str(ref).startswith("refs/heads/") else None
    if head != new:
        _remove(path)  # it never moved, or someone moved it on since: leave it
        return None if head == old else "removed a stale rollback journal"
    index = g.index_entries(model_path)
    wanted_new = {e.path: e.oid for e in g.ls_tree(new, model_path)}
    if index == wanted_new:
        _remove(path)
        return "an interrupted rollback had completed; removed its journal"
    try:
        g.update_ref(ref, old, new, "modeltrail: interrupted rollback undone")
    except GitFailed:
        return None
    _remove(path)
    return (
        f"an interrupted rollback was undone: {ref.removeprefix('refs/heads/')} is back at "
        f"{old[:12]}"
    )


# --- after the write ----------------------------------------------------------------------


def _refresh(repo: git.Repo, result: RollbackResult) -> None:
    from modeltrail.store.catalog.files import update_catalog

    try:
        update_catalog(repo)
    except Exception as exc:  # the write is done; a stale catalog heals on the next run
        result.warnings.append(f"catalog not updated ({type(exc).__name__}); run modeltrail index")


def _push(g: Git, plan: RollbackPlan, result: RollbackResult) -> str:
    remote = g.remote_for(plan.ref if plan.kind == "branch" else g.symbolic_head())
    if remote is None:
        raise Refused(
            f"{result.summary()} locally, but there is no remote to push to; push it yourself"
        )
    try:
        g.push(remote, f"{plan.ref}:{plan.ref}")
    except GitFailed as exc:
        raise Refused(
            f"{result.summary()} locally, but pushing to {one_line(remote, 80)} failed ({exc}); "
            f"push {plan.ref} yourself"
        ) from None
    return remote
