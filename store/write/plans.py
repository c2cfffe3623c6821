"""What a rollback plan holds (docs/ROLLBACK.md): :class:`RollbackPlan` and its parts,
and the exact tag or commit message it writes. ``rollback.py`` decides a plan;
``rollback_apply.py`` writes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from modeltrail.store.objectid import OBJECT_ID
from modeltrail.store.query.stages import Holding
from modeltrail.store.trailers import MAX_VALUE, one_line, trailer_lines
from modeltrail.store.write.gitwrite import TreeEntry
from modeltrail.store.write.scope import Scope

PRODUCTION_STAGES = ("prod", "production")


@dataclass(frozen=True)
class VersionRef:
    """A version as a plan names it: its display label and full commit id."""

    version: str
    commit: str

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "commit": self.commit}


@dataclass(frozen=True)
class FileChange:
    """A model file that differs between the current and the target version."""

    path: str
    change: str  # added | modified | removed (what the rollback does to it)
    storage: str  # git | lfs
    size: int | None  # target's size (current's when removed)


@dataclass(frozen=True)
class MetricDelta:
    """One numeric metric, current → target; ``diff = target - current``."""

    key: str
    current: float | None
    target: float | None
    diff: float | None
    better: bool | None  # is the target better? None when equal or unknown
    direction: str  # lower | higher


@dataclass(frozen=True)
class Availability:
    """An LFS or DVC object the target version needs, and whether it is here."""

    path: str
    storage: str  # lfs | dvc
    hash: str | None
    size: int | None
    present: bool


@dataclass(frozen=True)
class PushPlan:
    """Whether and where the written ref goes once the local write is done."""

    when: str  # after (pushed once written) | ask (offered once written) | no
    remote: str | None  # the remote it would go to (None: there is none)
    url: str | None  # that remote's push URL, without user or password
    why: str  # what decided ``when`` (--push, the configuration, no remote)
    note: str | None = None  # what the user should know about that decision

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RollbackPlan:
    """One rollback (or undo), fully decided, not yet written."""

    kind: str  # stage | branch
    model: str
    path: str | None  # the model's directory ('' = the whole repository)
    stage: str | None
    branch: str | None  # short branch name (branch rollbacks)
    current: VersionRef
    target: VersionRef
    source: str  # commit whose model files the new tree takes (branch rollbacks)
    ref: str  # the exact ref that will be written: refs/tags/... or refs/heads/...
    ref_old: str | None  # what it must hold when written (None: must not exist)
    reason: str = ""
    undoes: str | None = None  # the tag or commit this undoes
    files: tuple[FileChange, ...] = ()
    metrics: tuple[MetricDelta, ...] = ()
    artifacts: tuple[Availability, ...] = ()
    worktree: bool = False  # the branch is checked out here: index and files follow
    guard: tuple[tuple[str, str], ...] = ()  # the model's GTO tags at plan time
    floor_seconds: int = 0  # the new tag/commit is dated at least this (keeps order)
    warnings: tuple[str, ...] = ()
    target_path: str | None = None  # the target version's own directory (None: = path)
    force: bool = False  # replace untracked/ignored paths in the way (--force)
    drop: tuple[str, ...] = ()  # the model's own files at ref_old: they leave the tree
    add: tuple[TreeEntry, ...] = ()  # the model's own files at source: they come in
    scope: Scope | None = field(default=None, compare=False, repr=False)  # whose files

    @property
    def new_path(self) -> str | None:
        """Where the target version's files go: its own directory."""
        return self.path if self.target_path is None else self.target_path

    @property
    def moved(self) -> bool:
        """The target version's directory is not the current one."""
        return self.target_path is not None and self.target_path != self.path

    forced: bool = False  # an unsafe stage target, allowed by --force: type the version
    redo: bool = False  # an undo of an undo: it redoes the rollback
    push: PushPlan | None = None  # whether and where it is pushed (None: not decided here)
    # the tag that gave the target the stage (else registered it), and where that tag is
    # known: "fetched from URL", "on REMOTE", "only here, not on REMOTE" (None: not known)
    target_from: Holding | None = None
    target_where: str | None = None

    @property
    def tag(self) -> str | None:
        return self.ref[len("refs/tags/") :] if self.ref.startswith("refs/tags/") else None

    @property
    def production(self) -> bool:
        """A production stage: the TUI asks to type the stage's name to confirm."""
        return self.kind == "stage" and (self.stage or "").lower() in PRODUCTION_STAGES

    @property
    def confirm_word(self) -> str | None:
        """What the TUI asks to type: the version for a forced target, else the stage's
        name for a production stage."""
        if self.forced:
            return self.target.version
        return self.stage if self.production else None

    @property
    def missing(self) -> list[Availability]:
        return [a for a in self.artifacts if not a.present]

    @property
    def is_undo(self) -> bool:
        return self.undoes is not None

    def where(self) -> str:
        """``prod`` or ``branch main``: what is rolled back."""
        return f"{self.stage}" if self.kind == "stage" else f"branch {self.branch}"

    def origin(self) -> str | None:
        """Where the target came from, in words (stage rollbacks): the tag that gave it
        the stage or registered it, when, by whom, and whether it is here only."""
        h = self.target_from
        if h is None:
            return None
        did = "registered" if h.event == "registration" else f"given {self.stage}"
        where = f"; {self.target_where}" if self.target_where else ""
        return (
            f"{one_line(self.target.version, 100)} was {did} by {one_line(h.ref, 100)}"
            f"{_when_by(h)}{where}"
        )

    def with_reason(self, reason: str) -> RollbackPlan:
        return dataclasses.replace(self, reason=one_line(reason))

    def subject(self) -> str:
        model, to, frm = (
            one_line(self.model, 200),
            one_line(self.target.version, 100),
            one_line(self.current.version, 100),
        )
        where = one_line(self.stage if self.kind == "stage" else self.branch, 200)
        if self.redo:
            return f"Redo rollback of {model} {where}: back to {to} (from {frm})"
        if self.is_undo:
            return f"Undo rollback of {model} {where}: back to {to} (from {frm})"
        if self.kind == "stage":
            return f"Roll back {model} {where} to {to} (from {frm})"
        return f"Roll back {model} to {to} on {where} (from {frm})"

    @property
    def needs_reason(self) -> bool:
        """A rollback is written only with a reason; an undo's is optional."""
        return not self.is_undo

    def default_reason(self) -> str:
        """What the message says when no reason was given (an undo: what it undoes)."""
        if self.undoes is None:
            return "no reason given"
        return f"undo {self.undoes[:12] if OBJECT_ID.match(self.undoes) else self.undoes}"

    def message(self) -> str:
        """The exact tag or commit message that will be written."""
        reason = one_line(self.reason) or self.default_reason()
        body = [self.subject(), "", f"Reason: {reason}"]
        if self.kind == "branch":
            body.append(
                f"Files of {one_line(self.model, 200)} set to those of "
                f"{one_line(self.target.version, 100)} ({self.target.commit[:12]}); "
                "other models' files unchanged."
            )
        lines: list[tuple[str, str | None]] = [("Rollback-Model", self.model)]
        if self.kind == "stage":
            lines.append(("Rollback-Stage", self.stage))
        else:
            lines.append(("Rollback-Branch", self.branch))
        lines += [
            ("Rollback-From", self.current.version),
            ("Rollback-To", self.target.version),
            ("Rollback-Reason", reason[:MAX_VALUE]),
        ]
        if self.undoes:
            lines.append(("Rollback-Undoes", self.undoes))
        lines += [
            ("Rollback-From-Commit", self.current.commit),
            ("Rollback-To-Commit", self.target.commit),
        ]
        body += ["", *trailer_lines(lines)]
        return "\n".join(body) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.model,
            "path": self.path,
            "stage": self.stage,
            "branch": self.branch,
            "from": self.current.to_json(),
            "to": self.target.to_json(),
            "ref": self.ref,
            "ref_old": self.ref_old,
            "tag": self.tag,
            "undoes": self.undoes,
            "reason": self.reason,
            "message": self.message(),
            "production": self.production,
            "forced": self.forced,
            "redo": self.redo,
            "worktree": self.worktree,
            "target_path": self.new_path,
            "force": self.force,
            "files": [dataclasses.asdict(f) for f in self.files],
            "metrics": {
                m.key: {
                    "old": m.current,
                    "new": m.target,
                    "diff": m.diff,
                    "better": m.better,
                    "direction": m.direction,
                }
                for m in self.metrics
            },
            "artifacts": [dataclasses.asdict(a) for a in self.artifacts],
            "missing": [a.path for a in self.missing],
            "warnings": list(self.warnings),
            "push": self.push.to_json() if self.push is not None else None,
            "target_from": (
                {**self.target_from.to_json(), "where": self.target_where}
                if self.target_from is not None
                else None
            ),
        }


def _when_by(h: Holding) -> str:
    """`` on 2026-01-05 10:00 UTC by Ana Silva <ana@example.com>`` (what is known)."""
    out = ""
    if h.at is not None:
        out += f" on {h.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if h.by_name or h.by_email:
        who = one_line(h.by_name or "", 80)
        mail = f" <{one_line(h.by_email, 80)}>" if h.by_email else ""
        out += f" by {who}{mail}".replace("by  <", "by <")
    return out
