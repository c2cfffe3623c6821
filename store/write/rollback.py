"""Planning a rollback or an undo (docs/ROLLBACK.md): what would change, before anything does.

A :class:`RollbackPlan` holds everything the preview shows and everything
:func:`store.write.rollback_apply.apply_plan` needs to write it, including what the repository
looked like when the plan was made (the branch head, the model's GTO tags), so that a
concurrent commit or tag between plan and apply is refused rather than overwritten.

Two kinds:

- ``stage``: a new annotated GTO tag ``<model>#<stage>#<N>`` on the target's commit (N is
  the next counter, as ``gto assign`` numbers it); its message names model, stage, from,
  to and reason, with ``Rollback-*`` trailers. Chosen with ``stage=``, or by default when
  the model has a GTO stage called ``prod`` or ``production``.
- ``branch``: a new commit on a branch (default: the checked-out one) whose tree is the
  branch head's with the model's directory replaced by the target's.

The trailers (read back by ``store.read.derive`` into ``stage_events``) are ``Rollback-Model``,
``Rollback-Stage`` (stage rollbacks), ``Rollback-Branch`` (branch rollbacks),
``Rollback-From``, ``Rollback-To``, ``Rollback-Reason``, ``Rollback-Undoes`` (undos only:
the tag or commit undone), and ``Rollback-From-Commit``/``Rollback-To-Commit`` (full ids,
so an undo never has to guess which commit a label meant).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import git

from modeltrail.store import remote_repo
from modeltrail.store.config import load_config
from modeltrail.store.errors import Refused, UnknownVersion, UsageError
from modeltrail.store.objectid import OBJECT_ID
from modeltrail.store.query.queries import require_model, resolve_version
from modeltrail.store.query.stages import Holding, StageStory, stage_holders, stage_stories
from modeltrail.store.repo import repo_paths, require_work_tree
from modeltrail.store.trailers import one_line, read_trailers
from modeltrail.store.write.gitwrite import Git
from modeltrail.store.write.plan_facts import (
    _artifact_tags,
    _availability,
    _file_changes,
    _metric_deltas,
    _newest_rollback_seconds,
    _resolve_target,
    _shared_warning,
    _version_at,
    model_path_at,
    next_stage_tag,
)
from modeltrail.store.write.plans import (
    PRODUCTION_STAGES,
    FileChange,
    RollbackPlan,
    VersionRef,
    _when_by,
)
from modeltrail.store.write.scope import model_scope, same_files
from modeltrail.store.write.worktree_checks import (
    check_clean,
    endangered,
    refuse_endangered,
    refuse_links,
    refuse_submodules,
)

_STAGE_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?$")


# --- planning ----------------------------------------------------------------------------


def plan_rollback(
    repo: git.Repo,
    con: duckdb.DuckDBPyConnection,
    model: str,
    to: str | None = None,
    *,
    stage: str | None = None,
    branch: str | None = None,
    reason: str = "",
    force: bool = False,
) -> RollbackPlan:
    """Decide a rollback of ``model`` to version ``to`` (label, tag, stage or commit-ish);
    without ``to``, the stage's previous holder (as ``helm rollback``). ``force``: a stage
    target that is neither a registered/labelled version nor a previous holder of the stage
    is allowed (else refused); a branch rollback replaces untracked or ignored paths that
    stand in the way (else refused)."""
    if stage is not None and branch is not None:
        raise UsageError("give --stage or --branch, not both")
    info = require_model(con, model)
    g = Git(repo)
    if stage is None and branch is None:
        holders = stage_holders(con, model)
        stage = next((s for s in PRODUCTION_STAGES if s in holders), None)
    note: tuple[str, ...]
    if to is None:
        if stage is None:
            raise UsageError(
                f"{one_line(model)} has no production stage: name the version with --to"
            )
        story = stage_stories(con, model, stage).get((model, stage))
        if story is None or story.previous is None:
            raise Refused(_no_previous(model, stage, story))
        target, note = VersionRef(story.previous.version, story.previous.commit), ()
    else:
        target, note = _resolve_target(con, g, model, to)
    if stage is not None:
        plan = _plan_stage(
            _Planning(repo, con, g, info),
            stage,
            target,
            reason,
            undoes=None,
            force=force,
            check=True,
        )
    else:
        plan = _plan_branch(
            _Planning(repo, con, g, info),
            branch,
            target,
            target.commit,
            reason,
            undoes=None,
            force=force,
        )
    return dataclasses.replace(plan, warnings=(*note, *plan.warnings)) if note else plan


def _no_previous(model: str, stage: str, story: StageStory | None) -> str:
    """Why there is no default target, and what to do instead."""
    where = f"{one_line(model)} {one_line(stage)}"
    away = (
        next(
            (
                h
                for h in reversed(story.standing)
                if h.rolled_from and story.away.get(h.rolled_from) is h
            ),
            None,
        )
        if story is not None
        else None
    )
    if story is not None and away is not None:
        rolled = next(
            (h.version for h in reversed(story.standing) if h.commit == away.rolled_from), None
        )
        return (
            f"{where} has no previous holder to go back to: "
            f"{one_line(rolled or (away.rolled_from or '')[:7], 100)} was rolled back from "
            f"({one_line(away.ref, 100)}); modeltrail undo puts it back, or name a version "
            "with --to"
        )
    return f"{where} has no previous holder; name the version with --to"


def _target_risks(
    con: duckdb.DuckDBPyConnection, g: Git, model: str, stage: str, target: VersionRef
) -> tuple[bool, list[Any]]:
    """(safe, warnings) of a stage target: safe when it is a registered or labelled version
    or held the stage safely (``store.query.stages``); a warning when the stage was rolled
    back from it, or it is not on the main branch."""
    row = con.execute(
        "SELECT label_kind, registered FROM versions WHERE model = $1 AND commit = $2",
        [model, target.commit],
    ).fetchone()
    labelled = row is not None and (bool(row[1]) or row[0] != "commit")
    story = stage_stories(con, model, stage).get((model, stage)) or StageStory()
    safe = labelled or target.commit in story.safe
    warnings = []
    away = story.away.get(target.commit)
    if away is not None and target.commit != story.holder:
        why = f" (reason: {one_line(away.reason, 200)})" if away.reason else ""
        warnings.append(
            f"{stage} was rolled back from {one_line(target.version, 100)} by "
            f"{one_line(away.ref, 100)}{_when_by(away)}{why}; this puts it back"
        )
    main = _main_branch(g)
    if main is not None and not g.is_ancestor(target.commit, main[1]):
        warnings.append(
            f"{one_line(target.version, 100)} is not on the main line: "
            f"{target.commit[:7]} was never merged into {one_line(main[0], 100)}"
        )
    return safe, warnings


def _main_branch(g: Git) -> tuple[str, str] | None:
    """(name, head) of the main branch (configured, else main, else master)."""
    for name in (load_config(g.root).main, "main", "master"):
        if not name:
            continue
        head = g.ref_value(f"refs/heads/{name}")
        if head is not None:
            return name, head
    return None


@dataclass(frozen=True)
class _Planning:
    """What a rollback is planned against: the repository, its catalog, its git runner
    and the model's catalog row (``require_model``)."""

    repo: git.Repo
    con: duckdb.DuckDBPyConnection
    g: Git
    info: dict[str, Any]


def _plan_stage(
    at: _Planning,
    stage: str,
    target: VersionRef,
    reason: str | None,
    undoes: str | None,
    force: bool = False,
    check: bool = False,
) -> RollbackPlan:
    repo, con, g, info = at.repo, at.con, at.g, at.info
    model = info["name"]
    if not _STAGE_NAME.match(stage or ""):
        raise Refused(f"{one_line(stage)!r} is not a GTO stage name")
    holders = stage_holders(con, model)
    if stage not in holders:
        known = ", ".join(sorted(holders)) or "none"
        raise Refused(f"{one_line(model)} has no version in stage {stage!r} (stages: {known})")
    current = _version_at(con, model, holders[stage][1])
    current = VersionRef(holders[stage][0], current.commit)
    if current.commit == target.commit:
        raise Refused(f"{one_line(model)} {stage} is already {one_line(target.version)}")
    risks: list[str] = []
    forced = False
    if check:
        safe, risks = _target_risks(con, g, model, stage, target)
        if not safe and not force:
            raise Refused(
                f"{one_line(target.version, 100)} is neither a registered or labelled version "
                f"of {one_line(model)} nor a previous holder of {stage}; "
                "add --force to roll back to it anyway"
            )
        if not safe:
            forced = True
            risks.insert(
                0,
                f"risky target: {one_line(target.version, 100)} is neither registered/labelled "
                f"nor a previous holder of {stage}",
            )
    tags = _artifact_tags(g, model)
    origin = _target_origin(con, model, stage, target.commit)
    name = next_stage_tag(model, stage, list(g.tags()))
    floor = max([_newest_rollback_seconds(con), *g.tag_seconds(list(tags.values())).values()])
    return RollbackPlan(
        kind="stage",
        model=model,
        path=info["path"],
        stage=stage,
        branch=None,
        current=current,
        target=target,
        source=target.commit,
        ref=f"refs/tags/{name}",
        ref_old=None,
        reason=one_line(reason),
        undoes=undoes,
        files=_stage_files(con, g, info, current.commit, target.commit),
        metrics=_metric_deltas(con, load_config(g.root), model, current.commit, target.commit),
        artifacts=_availability(con, repo, model, target.commit),
        guard=tuple(sorted(tags.items())),
        floor_seconds=floor + 1,
        warnings=(*risks, *_warnings(con, repo, model, target.commit)),
        forced=forced,
        target_from=origin,
        target_where=_fetched_from(g, origin.ref, tags.get(origin.ref)) if origin else None,
    )


def _stage_files(
    con: duckdb.DuckDBPyConnection, g: Git, info: dict[str, Any], current: str, target: str
) -> tuple[FileChange, ...]:
    if info["path"] is None:
        return ()
    scope = model_scope(con, info["name"], g, (current, target))
    return _file_changes(con, scope.files(g, current), scope.files(g, target))


def _target_origin(
    con: duckdb.DuckDBPyConnection, model: str, stage: str, commit: str
) -> Holding | None:
    """The standing event that gave ``commit`` the stage, else its GTO registration."""
    story = stage_stories(con, model, stage).get((model, stage))
    found = story.holding(commit) if story is not None else None
    if found is not None:
        return found
    row = con.execute(
        "SELECT version, timestamp, ref, author_name, author_email FROM stage_events "
        "WHERE model = $1 AND commit = $2 AND event = 'registration' "
        "ORDER BY timestamp DESC LIMIT 1",
        [model, commit],
    ).fetchone()
    if row is None:
        return None
    return Holding("registration", row[0], commit, row[1], row[2], row[3], row[4])


def _fetched_from(g: Git, tag: str, oid: str | None) -> str | None:
    """ "fetched from URL" when the last fetch (``FETCH_HEAD``) brought ``tag`` as it is
    here; None when it does not say (the remote check may: ``store.remote``)."""
    if oid is None:
        return None
    done = g.run("rev-parse", "--git-path", "FETCH_HEAD", check=False)
    path = Path(done.stdout.decode("utf-8", "surrogateescape").strip() or "FETCH_HEAD")
    if not path.is_absolute():
        path = Path(g.root) / path
    try:
        lines = path.read_bytes()[: 1 << 24].decode("utf-8", "surrogateescape").splitlines()
    except OSError:
        return None
    for line in lines:
        fetched, _, rest = line.partition("\t")
        _, _, what = rest.partition("\t")
        head, sep, url = what.partition("' of ")
        if sep and head == f"tag '{tag}" and fetched == oid:
            return f"fetched from {one_line(url, 200)}"
    return None


def _branch_ref(g: Git, branch: str | None) -> tuple[str, str]:
    """(full ref, short name) of the branch to roll back; the checked-out one by default."""
    if branch is None:
        ref = g.symbolic_head()
        if ref is None or not ref.startswith("refs/heads/"):
            raise Refused("HEAD is detached: name the branch to roll back with --branch")
        return ref, ref[len("refs/heads/") :]
    name = branch.removeprefix("refs/heads/")
    if not name or g.ref_value(f"refs/heads/{name}") is None:
        raise Refused(f"no branch named {one_line(branch)!r}")
    return f"refs/heads/{name}", name


def _branch_head(g: Git, ref: str, short: str) -> str:
    head = g.ref_value(ref)
    if head is None or g.resolve_commit(head) is None:
        raise Refused(
            f"branch {one_line(short)} has no commit yet (unborn); there is nothing to roll back"
        )
    return head


def _plan_branch(
    at: _Planning,
    branch: str | None,
    target: VersionRef,
    source: str,
    reason: str | None,
    undoes: str | None,
    force: bool = False,
    current_path: str | None = None,
) -> RollbackPlan:
    repo, con, g, info = at.repo, at.con, at.g, at.info
    model = info["name"]
    remote_repo.require_local(repo, "a branch rollback")  # -C URL: clone it first
    require_work_tree(repo, "a branch rollback")
    if info["path"] is None:
        raise Refused(f"{one_line(model)} has no directory in the tree; only a stage rollback")
    ref, short = _branch_ref(g, branch)
    head = _branch_head(g, ref, short)
    scope = model_scope(con, model, g, (head, source))
    places = scope.places
    path = current_path if current_path is not None else model_path_at(g, info, head, places)
    new_path = model_path_at(g, info, source, places)
    if path is None or new_path is None:
        raise Refused(f"{one_line(model)} has no directory in the tree; only a stage rollback")
    here = Path(repo_paths(repo).root).resolve()
    checked_out = {r: p.resolve() for r, p in g.worktree_heads().items()}
    worktree = checked_out.get(ref) == here
    if ref in checked_out and not worktree:
        raise Refused(
            f"branch {one_line(short)} is checked out in another work tree "
            f"({checked_out[ref]}); run the rollback there"
        )
    now, then = scope.files(g, head), scope.files(g, source)
    what = f"rolling back {one_line(model)}"
    if worktree:
        refuse_links(g, [*now, *then], what)
    refuse_submodules(model, now, then)
    if worktree:
        check_clean(g, path, allow_untracked=force, scope=scope)
    if same_files(now, then):
        raise Refused(
            f"{one_line(model)} on {one_line(short)} already has the files of "
            f"{one_line(target.version)}; nothing to roll back"
        )
    last = g.last_commit_changing(head, scope.roots, scope.owns)
    current = _version_at(con, model, last) if last else VersionRef("none", head)
    plan = RollbackPlan(
        kind="branch",
        model=model,
        path=path,
        stage=None,
        branch=short,
        current=current,
        target=target,
        source=source,
        ref=ref,
        ref_old=head,
        reason=one_line(reason),
        undoes=undoes,
        files=_file_changes(con, now, then),
        metrics=_metric_deltas(con, load_config(g.root), model, current.commit, target.commit),
        artifacts=_availability(con, repo, model, target.commit),
        worktree=worktree,
        floor_seconds=max(_newest_rollback_seconds(con), g.committer_seconds(head)) + 1,
        warnings=_moved_warning(model, path, new_path, target)
        + _shared_warning(scope, g, head, source, target.version)
        + _warnings(con, repo, model, target.commit),
        target_path=new_path,
        force=force,
        drop=tuple(sorted(now)),
        add=tuple(then[p] for p in sorted(then)),
        scope=scope,
    )
    if worktree:
        lost = endangered(g, plan.drop, [e.path for e in plan.add])
        if lost and not force:
            refuse_endangered(lost, what)
    return plan


def _moved_warning(model: str, path: str, new_path: str, target: VersionRef) -> tuple[str, ...]:
    if path == new_path:
        return ()
    return (
        f"{one_line(model)} {one_line(target.version)} lived in {one_line(new_path, 200) or '.'}/"
        f", not {one_line(path, 200) or '.'}/ where it is now: its files there are removed and "
        f"{one_line(target.version)}'s restored at {one_line(new_path, 200) or '.'}/ "
        "(declaration files such as artifacts.yaml are not changed)",
    )


def _warnings(
    con: duckdb.DuckDBPyConnection, repo: git.Repo, model: str, commit: str
) -> tuple[str, ...]:
    missing = [a for a in _availability(con, repo, model, commit) if not a.present]
    if not missing:
        return ()
    names = ", ".join(one_line(a.path, 120) for a in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return (
        f"the target's {missing[0].storage.upper()} objects are NOT available locally: "
        f"{names}{more} (fetch them with git lfs fetch / dvc pull before deploying)",
    )


# --- undo --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastRollback:
    """The newest rollback or undo in the catalog's history."""

    model: str
    event: str  # rollback | undo
    stage: str | None
    version: str | None
    commit: str
    ref: str
    reason: str | None
    message: str
    trailers: dict[str, str] = field(default_factory=dict)


def last_rollback(con: duckdb.DuckDBPyConnection) -> LastRollback | None:
    row = con.execute(
        """
        SELECT model, event, stage, version, commit, ref, reason, message FROM stage_events
        WHERE event IN ('rollback', 'undo')
        ORDER BY timestamp DESC, counter DESC NULLS LAST, ref DESC LIMIT 1
        """
    ).fetchone()
    if row is None:
        return None
    model, event, stage, version, commit, ref, reason, message = row
    return LastRollback(
        model, event, stage, version, commit, ref, reason, message or "", read_trailers(message)
    )


def plan_undo(
    repo: git.Repo, con: duckdb.DuckDBPyConnection, reason: str = "", force: bool = False
) -> RollbackPlan:
    """The inverse of the newest rollback or undo, checked against the repository now."""
    last = last_rollback(con)
    if last is None:
        raise Refused("no rollback to undo")
    g = Git(repo)
    info = require_model(con, last.model)
    t = last.trailers
    before = t.get("Rollback-From-Commit", "")
    if not OBJECT_ID.match(before) or g.resolve_commit(before) is None:
        spec = t.get("Rollback-From")
        try:
            before = (
                resolve_version(con, last.model, spec, g.resolve_commit)["commit"] if spec else ""
            )
        except UnknownVersion:
            before = ""
    if not before:
        raise Refused(
            f"cannot tell what {one_line(last.ref, 80)} rolled back from; nothing to undo"
        )
    target = _version_at(con, last.model, before)
    if t.get("Rollback-From"):
        target = VersionRef(one_line(t["Rollback-From"], 100), before)
    if "Rollback-Branch" not in t and last.stage:
        holders = stage_holders(con, last.model)
        now = holders.get(last.stage)
        if now is None or now[1] != last.commit:
            held = one_line(now[0], 100) if now else "nothing"
            raise Refused(
                f"{one_line(last.model)} {one_line(last.stage)} is now {held}, not what "
                f"{one_line(last.ref)} set; not undoing over a newer change"
            )
        plan = _plan_stage(
            _Planning(repo, con, g, info), last.stage, target, reason, undoes=last.ref
        )
        return dataclasses.replace(plan, redo=last.event == "undo")
    branch = t.get("Rollback-Branch")
    if not branch or not OBJECT_ID.match(last.commit):
        raise Refused(f"cannot tell which branch {one_line(last.ref, 80)} was on")
    ref = f"refs/heads/{branch}"
    head = g.ref_value(ref)
    if head is None:
        raise Refused(f"branch {one_line(branch)} no longer exists; nothing to undo")
    if not g.is_ancestor(last.commit, head):
        raise Refused(f"the rollback commit {last.commit[:12]} is not on {one_line(branch)}")
    # the files are where the undone rollback put them: its target's own directory
    to_commit = t.get("Rollback-To-Commit", "")
    where = to_commit if OBJECT_ID.match(to_commit) and g.resolve_commit(to_commit) else head
    scope = model_scope(con, last.model, g, (head, last.commit, where))
    path = model_path_at(g, info, where, scope.places) if info["path"] is not None else None
    if path is None or not same_files(scope.files(g, head), scope.files(g, last.commit)):
        raise Refused(
            f"{one_line(last.model)} changed on {one_line(branch)} since the rollback "
            f"{last.commit[:12]}; not undoing over newer work"
        )
    parent = g.resolve_commit(f"{last.commit}~1")
    if parent is None:
        raise Refused("the rollback commit has no parent; nothing to undo")
    plan = _plan_branch(
        _Planning(repo, con, g, info),
        branch,
        target,
        parent,
        reason,
        undoes=last.commit,
        force=force,
        current_path=path,
    )
    return dataclasses.replace(plan, redo=last.event == "undo")
