"""The remote in view: ahead/behind the upstream, the last fetch, fetching, pushing one ref.

- :func:`branch_status` reads only local state (remote-tracking refs and the mtime of
  ``FETCH_HEAD``): no network, cheap enough to run after every index or write.
- :func:`fetch` runs ``git fetch --tags`` with progress, a timeout and a cancel event;
  it never forces a tag over a local one (git refuses to clobber tags) and prunes nothing.
- :func:`remote_stage_tags` lists a model's GTO tags on the remote (``ls-remote``) and
  :func:`stage_tag_differences` says how they differ from the local ones, so a rollback
  dialog can say "someone already acted" before anything is written.
- pushing one ref, ``--atomic`` and never forced, is :func:`store.write.push.push_ref`
  (in the write layer, so that a rollback can push what it wrote).

Every git call goes through :mod:`store.gitcmd` (hooks off, names after
``--end-of-options``, no terminal prompts). Every call that talks to the remote has a
bounded time (:func:`remote_timeout`) and runs in its own session and process group, so
ssh cannot ask for a passphrase on the terminal the TUI is drawing on, and stopping it
(time up, cancelled, Ctrl-C) stops the remote helpers git started too.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeltrail.store import gitcmd, remote_repo
from modeltrail.store.read import gto
from modeltrail.store.trailers import one_line
from modeltrail.store.write.gitwrite import Git, GitFailed
from modeltrail.store.write.push import Where, remote_timeout, run_on_remote
from modeltrail.store.write.push import as_git as _git
from modeltrail.store.write.push import seconds_text as _secs

if TYPE_CHECKING:
    from modeltrail.store.write.plans import RollbackPlan

FETCH_TIMEOUT = 120.0  # seconds before a fetch is stopped
LS_REMOTE_TIMEOUT = 8.0  # seconds the rollback dialog waits to compare stage tags


@dataclass(frozen=True)
class RemoteStatus:
    """Where the checked-out branch stands against its upstream, from local refs only."""

    branch: str | None  # short name of the checked-out branch (None: detached HEAD)
    remote: str | None  # the remote a fetch goes to (None: no remote at all)
    upstream: str | None  # "origin/main" (None: the branch has no upstream)
    ahead: int = 0
    behind: int = 0
    gone: bool = False  # the upstream is configured but its remote-tracking ref is gone
    fetched_at: datetime | None = None  # FETCH_HEAD's time (None: never fetched)
    copy_of: str | None = None  # a URL's cached copy (-C URL): the URL, as shown

    def line(self, age: Callable[[datetime], str] | None = None) -> str:
        """``↑2 ↓1 origin/main · fetched 3h ago`` (``age`` formats the fetch time)."""
        if self.remote is None:
            return "no remote"
        if self.copy_of is not None:
            head = f"copy of {self.copy_of}"
        elif self.upstream is None:
            where = "detached HEAD" if self.branch is None else f"{one_line(self.branch, 40)}"
            head = f"{where}: no upstream"
        elif self.gone:
            head = f"{one_line(self.upstream, 40)} gone"
        elif self.ahead or self.behind:
            head = f"↑{self.ahead} ↓{self.behind} {one_line(self.upstream, 40)}"
        else:
            head = f"= {one_line(self.upstream, 40)}"
        if self.fetched_at is None:
            return f"{head} · never fetched"
        when = age(self.fetched_at) if age is not None else self.fetched_at.isoformat()
        if when == "now":  # the TUI's age format says "now" under a minute
            return f"{head} · fetched just now"
        return f"{head} · fetched {when} ago"


def branch_status(root: Where) -> RemoteStatus:
    """The checked-out branch against its upstream (``git for-each-ref`` track info) and
    when the repository was last fetched (``FETCH_HEAD``'s mtime). No network."""
    g = _git(root)
    if remote_repo.is_cached(g.repo):  # mirrors its URL: no upstream, its own fetch time
        url = remote_repo.display_url(remote_repo.url_of(g.repo) or "")
        when = remote_repo.fetched_at(g.repo)
        return RemoteStatus(None, "origin", None, fetched_at=when, copy_of=url)
    remotes = [r for r in g.out("remote").splitlines() if r]
    head = g.symbolic_head()
    branch = head.removeprefix("refs/heads/") if head and head.startswith("refs/heads/") else None
    upstream = remote = upstream_ref = None
    ahead = behind = 0
    gone = False
    if head is not None and branch is not None:
        raw = g.run(
            "for-each-ref",
            "--format=%(refname)%00%(upstream)%00%(upstream:remotename)%00%(upstream:track,nobracket)",
            head,
        ).stdout.decode("utf-8", "surrogateescape")
        for line in raw.splitlines():
            name, up, rname, track = (line.split("\0") + ["", "", "", ""])[:4]
            if name != head or not up:
                continue
            upstream_ref = up
            upstream = up.removeprefix("refs/remotes/")
            remote = rname or None
            gone = track == "gone"
            ahead = _count(track, "ahead")
            behind = _count(track, "behind")
    if remote is None:
        remote = g.remote_for(head) if remotes else None
    fetched = _fetch_time(g, remote, upstream_ref) if remote is not None else None
    return RemoteStatus(branch, remote, upstream, ahead, behind, gone, fetched)


def _count(track: str, word: str) -> int:
    m = re.search(rf"{word} (\d+)", track)
    return int(m[1]) if m else 0


def _fetch_time(g: Git, remote: str, upstream_ref: str | None) -> datetime | None:
    """When the repository last fetched: ``FETCH_HEAD``'s mtime, else (a fresh clone has
    none) the time of the upstream's or the remote HEAD's reflog, else None."""
    names = ["FETCH_HEAD"] + ([f"logs/{upstream_ref}"] if upstream_ref else [])
    if "/" not in remote and ".." not in remote:
        names.append(f"logs/refs/remotes/{remote}/HEAD")
    for name in names:
        path = Path(g.out("rev-parse", "--git-path", name))
        if not path.is_absolute():
            path = g.root / path
        try:
            return datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            continue
    return None


# --- fetch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchOutcome:
    ok: bool
    message: str  # one line: what happened (or why not)
    cancelled: bool = False
    timed_out: bool = False


_PROGRESS = re.compile(r"^(?:remote: )?([A-Za-z ]+):\s+(\d+)%")


def fetch(
    root: Where,
    remote: str,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[str], None] | None = None,
) -> FetchOutcome:
    """``git fetch --tags REMOTE``: its progress lines go to ``progress``; stopped (with
    its whole process group) when ``cancel`` is set or after ``timeout`` seconds
    (default :data:`FETCH_TIMEOUT`, or ``$MODELTRAIL_REMOTE_TIMEOUT``). A fetch refused
    because a local tag differs from the remote's says which and how to free it."""
    g = _git(root)
    if remote_repo.is_cached(g.repo):  # a URL's cached copy: mirror its heads and tags
        why = remote_repo.fetch(g.repo)
        shown = remote_repo.display_url(remote_repo.url_of(g.repo) or "")
        if why is None:
            return FetchOutcome(True, f"fetched from {shown}")
        return FetchOutcome(False, f"fetch from {shown} failed: {why}")
    if timeout is None:
        timeout = remote_timeout(FETCH_TIMEOUT)
    running = gitcmd.start(
        g.repo,
        ["fetch", "--progress", "--tags", "--no-recurse-submodules", "--end-of-options", remote],
    )
    proc = running.proc
    lines: list[str] = []
    reader = threading.Thread(target=_read_progress, args=(proc, lines, progress), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    stopped = None
    try:
        while True:
            if cancel is not None and cancel.is_set():
                stopped = "cancelled"
            elif time.monotonic() >= deadline:
                stopped = "timeout"
            if stopped:
                gitcmd.stop_group(proc, close=False)  # the reader sees the end of stderr
                break
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
    except BaseException:
        gitcmd.stop_group(proc, close=False)
        raise
    reader.join(timeout=2)
    if not reader.is_alive() and proc.stderr is not None:
        proc.stderr.close()
    name = one_line(remote, 80)
    if stopped == "cancelled":
        return FetchOutcome(False, f"fetch from {name} cancelled", cancelled=True)
    if stopped == "timeout":
        return FetchOutcome(
            False, f"fetch from {name} stopped after {timeout:.0f} s (timeout)", timed_out=True
        )
    if proc.returncode == 0:
        return FetchOutcome(True, f"fetched from {name}")
    stuck = clobbered_tags(g) if any("would clobber" in x for x in lines) else []
    if stuck:
        return FetchOutcome(False, f"fetch from {name} failed: {stuck_message(stuck)}")
    return FetchOutcome(False, f"fetch from {name} failed: {_why(lines)}")


def _read_progress(
    proc: subprocess.Popen[bytes], lines: list[str], progress: Callable[[str], None] | None
) -> None:
    assert proc.stderr is not None
    buf = b""
    while True:
        # what git wrote so far (progress ends in \r); a pipe is a BufferedReader
        chunk = proc.stderr.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        buf += chunk
        parts = re.split(rb"[\r\n]", buf)
        buf = parts.pop()
        for part in parts:
            text = part.decode("utf-8", "replace").strip()
            if not text:
                continue
            lines.append(text)
            if progress is not None:
                m = _PROGRESS.match(text)
                progress(f"{m[1].strip().lower()} {m[2]}%" if m else one_line(text, 120))
    if buf.strip():
        lines.append(buf.decode("utf-8", "replace").strip())


def _why(lines: list[str]) -> str:
    """The most telling line of git's output: a rejected ref, else fatal/error."""
    for line in lines:
        if line.startswith("!") or "[rejected]" in line:
            return one_line(line, 200)
    for line in lines:
        if line.startswith(("fatal", "error")):
            return one_line(line, 200)
    return one_line(lines[-1], 200) if lines else "git fetch failed"


# --- stage tags on the remote ---------------------------------------------------------------


def remote_stage_tags(
    root: Where,
    remote: str,
    model: str,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, str]:
    """The model's GTO tags on ``remote`` (name → the tag ref's own object id), read with
    ``git ls-remote --tags --refs``. GitFailed when the remote cannot be read in time
    (default :data:`LS_REMOTE_TIMEOUT`) or ``cancel`` is set."""
    out = run_on_remote(
        root,
        remote,
        ("ls-remote", "--tags", "--refs"),
        default_timeout=LS_REMOTE_TIMEOUT,
        asking="asking",
        timeout=timeout,
        cancel=cancel,
    ).stdout
    tags: dict[str, str] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        oid, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        parsed = gto.parse_tag(name)
        if parsed is not None and parsed.artifact == model:
            tags[name] = oid.strip()
    return tags


def stage_tag_differences(local: dict[str, str], remote: dict[str, str]) -> list[str]:
    """How the remote's GTO tags of a model differ from the local ones, one line each
    (empty when they agree): tags only on the remote (someone acted), tags that differ."""
    only_remote = sorted(set(remote) - set(local))
    differ = sorted(n for n in set(remote) & set(local) if remote[n] != local[n])
    out = []
    if only_remote:
        shown = ", ".join(one_line(n, 60) for n in only_remote[:3])
        more = f" and {len(only_remote) - 3} more" if len(only_remote) > 3 else ""
        out.append(f"the remote has tags that are not here: {shown}{more}")
    if differ:
        shown = ", ".join(one_line(n, 60) for n in differ[:3])
        out.append(f"the remote's {shown} differ from the local tags of that name")
    return out


# --- a repository a fetch cannot update ---------------------------------------------------


@dataclass(frozen=True)
class ClobberedTag:
    """A local tag whose name the remote holds for another object: ``git fetch --tags``
    refuses to replace it ("would clobber existing tag") and fails every time."""

    name: str
    local: str  # the local tag ref's object id
    remote: str  # what the remote holds under that name (as of the last fetch)
    source: str  # where that fetch came from (as FETCH_HEAD names it)


def clobbered_tags(root: Where) -> list[ClobberedTag]:
    """The local tags the last fetch found held by the remote for another object, read
    from ``FETCH_HEAD`` (git lists every tag it fetched there, the refused ones too). No
    network: ``index`` and a failed fetch both use it."""
    g = _git(root)
    path = Path(g.out("rev-parse", "--git-path", "FETCH_HEAD"))
    if not path.is_absolute():
        path = g.root / path
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    fetched: dict[str, tuple[str, str]] = {}
    for line in raw.decode("utf-8", "surrogateescape").splitlines():
        oid, _, rest = line.partition("\t")
        _, _, what = rest.partition("\t")
        if not what.startswith("tag '") or "' of " not in what:
            continue
        cut = what.rindex("' of ")
        fetched[what[len("tag '") : cut]] = (oid.strip(), what[cut + len("' of ") :])
    if not fetched:
        return []
    local = g.tags()
    return [
        ClobberedTag(name, local[name], oid, source)
        for name, (oid, source) in sorted(fetched.items())
        if name in local and local[name] != oid
    ]


def stuck_message(stuck: list[ClobberedTag]) -> str:
    """One line: which local tags block every fetch, and the one command that frees the
    repository without losing anything that was ever shared."""
    names = " ".join(shlex.quote(one_line(t.name, 80)) for t in stuck)
    ids = ", ".join(f"{one_line(t.name, 80)} was {t.local[:12]}" for t in stuck[:3])
    return (
        f"{one_line(stuck[0].source, 80)} holds another tag named {one_line(stuck[0].name, 80)}"
        + (f" (and {len(stuck) - 1} more)" if len(stuck) > 1 else "")
        + ", so git will not fetch its tags; the local one was never pushed there (a push "
        "would have been refused). Free the repository with: "
        f"git tag -d {names} — then fetch again and roll back anew if still needed "
        f"(the tag object stays in the repository: {ids})"
    )


def remote_url(root: Where, remote: str) -> str | None:
    """Where a push to ``remote`` goes (its push URL), without any user or password."""
    g = _git(root)
    done = g.run("remote", "get-url", "--push", "--end-of-options", remote, check=False)
    url = done.stdout.decode("utf-8", "surrogateescape").strip()
    if done.returncode != 0 or not url:
        return None
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", url)


def with_push_plan(
    root: Where, plan: RollbackPlan, when: str, why: str, note: str | None = None
) -> RollbackPlan:
    """``plan`` saying whether and where its ref will be pushed: ``when`` is ``after``
    (pushed once written), ``ask`` (offered once written) or ``no``; ``why`` says what
    decided it, ``note`` anything the user should know about that decision."""
    from modeltrail.store.write.plans import PushPlan
    from modeltrail.store.write.rollback_apply import push_remote

    g = _git(root)
    remote = push_remote(g, plan)
    url = remote_url(g, remote) if remote is not None else None
    push = PushPlan(when, remote, url, why, note)
    return dataclasses.replace(plan, push=push)


# --- before a rollback is written ---------------------------------------------------------


def with_remote_warnings(
    root: Where, plan: RollbackPlan, fetch_hint: str, cancel: threading.Event | None = None
) -> RollbackPlan:
    """``plan`` checked against the remote: what the remote says against it among its
    warnings (:func:`remote_warnings`), for a stage rollback a tag name the remote does
    not hold, numbered above every counter of the model here and there, and where the
    tag the target came from is. A check that fails says so in the warnings (it is
    advice, not a refusal). ``cancel`` stops the remote's answer being waited for."""
    g = _git(root)
    seen: dict[str, Any] = {}
    try:
        if plan.kind == "stage" and plan.tag is not None:
            plan, extra = _stage_against_remote(g, plan, fetch_hint, cancel, seen)
        else:
            extra = remote_warnings(g, plan.model, plan.ref, fetch_hint, cancel=cancel, seen=seen)
    except Exception as exc:  # noqa: BLE001 - the check is advice: say it failed
        extra = [f"could not check the remote: {one_line(str(exc) or type(exc).__name__, 160)}"]
    if extra:
        plan = dataclasses.replace(plan, warnings=(*plan.warnings, *extra))
    return _with_target_where(root, plan, seen)


def offline_warnings(root: Where, plan: RollbackPlan) -> list[str]:
    """What not asking the remote leaves open (``--offline``): for a stage rollback, that
    the remote may already hold the new tag's name."""
    if plan.kind != "stage" or plan.tag is None:
        return []
    g = _git(root)
    remote = g.remote_for(g.symbolic_head())
    if remote is None:
        return []
    return [
        f"{one_line(remote, 60)} was not checked (--offline): if it already holds "
        f"{one_line(plan.tag, 80)}, the push will be refused; without --offline the tag is "
        "numbered above the remote's"
    ]


def _model_tags(g: Git, model: str) -> dict[str, str]:
    return {
        n: o
        for n, o in g.tags().items()
        if (p := gto.parse_tag(n)) is not None and p.artifact == model
    }


def _stage_against_remote(
    g: Git,
    plan: RollbackPlan,
    fetch_hint: str,
    cancel: threading.Event | None,
    seen: dict[str, Any],
) -> tuple[RollbackPlan, list[str]]:
    from modeltrail.store.write.plan_facts import next_stage_tag

    assert plan.tag is not None and plan.stage is not None
    remote = g.remote_for(g.symbolic_head())
    if remote is None:
        return plan, []
    name = one_line(remote, 60)
    try:
        theirs = remote_stage_tags(g, remote, plan.model, cancel=cancel)
    except GitFailed as exc:
        return plan, [
            f"could not compare the stage tags with {name}: {exc}; the new tag's number "
            f"was not checked against {name}'s tags"
        ]
    seen.update(remote=remote, tags=theirs)
    local = _model_tags(g, plan.model)
    out = [
        f"{name}: {d} — someone may have acted already; {fetch_hint} and look again"
        for d in stage_tag_differences(local, theirs)
    ]
    tag = next_stage_tag(plan.model, plan.stage, [*local, *theirs])
    if tag != plan.tag:
        held = f"holds {one_line(plan.tag, 80)}" if plan.tag in theirs else "has higher counters"
        out.append(
            f"{name} already {held}: the new tag is {one_line(tag, 80)}, numbered above "
            "every counter here and there"
        )
        plan = dataclasses.replace(plan, ref=f"refs/tags/{tag}")
    if plan.tag in theirs:  # cannot happen (numbered above theirs); never write it anyway
        raise GitFailed(f"{name} already holds {one_line(plan.tag, 80)}")
    return plan, out


def _with_target_where(root: Where, plan: RollbackPlan, seen: dict[str, Any]) -> RollbackPlan:
    """Where the tag the target came from is, when the remote check could tell and the
    last fetch did not: on the remote, or only here."""
    h = plan.target_from
    if h is None or plan.target_where is not None:
        return plan
    g = _git(root)
    local = g.tags().get(h.ref)
    if "remote" not in seen:
        where = "here (no remote)" if g.remote_for(g.symbolic_head()) is None else None
    elif seen["tags"].get(h.ref) == local:
        where = f"on {one_line(seen['remote'], 60)} too"
    elif h.ref in seen["tags"]:
        where = f"{one_line(seen['remote'], 60)}'s tag of that name differs"
    else:
        where = f"only here: not on {one_line(seen['remote'], 60)}"
    return dataclasses.replace(plan, target_where=where) if where else plan


def remote_warnings(
    root: Where,
    model: str,
    ref: str,
    fetch_hint: str = "git fetch",
    *,
    cancel: threading.Event | None = None,
    seen: dict[str, Any] | None = None,
) -> list[str]:
    """What the remote says against writing ``ref`` for ``model``, one line each (empty:
    nothing to say, or no remote): for a GTO tag, the model's stage tags on the remote
    that differ from the local ones (``ls-remote``: someone may have acted already); for
    a branch, commits of its upstream that are not here (remote-tracking refs) and a
    remote branch that moved since the last fetch (``ls-remote``). ``fetch_hint`` says
    how to fetch where the lines are read (``git fetch``; the TUI's key). ``seen``, when
    given, receives the remote's name and its stage tags of the model, once read."""
    g = _git(root)
    if ref.startswith("refs/tags/"):
        remote = g.remote_for(g.symbolic_head())
        if remote is None:
            return []
        name = one_line(remote, 60)
        try:
            theirs = remote_stage_tags(g, remote, model, cancel=cancel)
        except GitFailed as exc:
            return [f"could not compare the stage tags with {name}: {exc}"]
        if seen is not None:
            seen.update(remote=remote, tags=theirs)
        return [
            f"{name}: {d} — someone may have acted already; {fetch_hint} and look again"
            for d in stage_tag_differences(_model_tags(g, model), theirs)
        ]
    if not ref.startswith("refs/heads/"):
        return []
    remote = g.remote_for(ref)
    if remote is None:
        return []
    raw = g.run(
        "for-each-ref", "--format=%(refname)%00%(upstream)%00%(upstream:track,nobracket)", ref
    ).stdout.decode("utf-8", "surrogateescape")
    out = []
    for line in raw.splitlines():
        name, up, track = (line.split("\0") + ["", "", ""])[:3]
        if name != ref or not up:
            continue
        behind = _count(track, "behind")
        short = one_line(up.removeprefix("refs/remotes/"), 60)
        if behind:
            out.append(
                f"{short} has {behind} commit(s) that are not on this branch: pull them "
                "first, or the push will be rejected"
            )
        timeout = remote_timeout(LS_REMOTE_TIMEOUT)
        try:
            done = g.run(
                "ls-remote",
                "--heads",
                "--end-of-options",
                remote,
                ref,
                timeout=timeout,
                cancel=cancel,
            )
        except subprocess.TimeoutExpired:
            out.append(f"could not read {one_line(remote, 60)}: no answer within {_secs(timeout)}")
            continue
        except (gitcmd.Cancelled, GitFailed) as exc:
            out.append(f"could not read {one_line(remote, 60)}: {one_line(str(exc), 120)}")
            continue
        heads = dict(
            (r, o) for o, _, r in (x.partition("\t") for x in done.stdout.decode().splitlines())
        )
        there = heads.get(ref)
        if there is not None and there != g.ref_value(up):
            out.append(
                f"{one_line(remote, 60)}'s {one_line(ref.removeprefix('refs/heads/'), 60)} "
                f"moved since the last fetch — someone may have acted already; {fetch_hint}"
            )
    return out
