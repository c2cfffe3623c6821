"""A repository given by URL: a partial clone kept in the user's cache.

``modeltrail -C URL`` (``https://``, ``ssh://``, ``git://``, ``file://``, or scp-like
``user@host:path``) reads a bare partial clone (``--filter=blob:none``) kept in
``$XDG_CACHE_HOME/modeltrail/repos/<name>`` (default ``~/.cache/...``), where ``<name>``
is made from the URL's host and path (no user or password) and a digest of the whole URL.
Each run fetches heads and tags into it (the cache mirrors the remote: moved and deleted
refs follow it) unless ``offline``; a fetch that fails is a warning and the cache answers,
saying how old it is. Blobs come only when the index asks for them, many per fetch
(:func:`prefetch_blobs`), never one by one as git's lazy fetch would.

The URL is hostile text: it is checked (:func:`check_url`) before git sees it (no
leading ``-``, no control characters, only the transports in :data:`PROTOCOLS`, never
``ext::`` or another ``transport::address``), it follows ``--end-of-options``, and the
cache's own configuration allows only those transports (``protocol.allow``), so every
later git command in it (a fetch, a push, ``ls-remote``) keeps to them too.

A cached repository has no work tree: a branch rollback or a checkout is refused in one
line (:func:`require_local`); a stage rollback writes its tag into the cache and pushes
exactly that tag to the URL, and a push that fails deletes the tag again
(:func:`forget_unpushed_tag`), so the cache never holds a tag the remote does not.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from modeltrail.store import gitcmd
from modeltrail.store.errors import NotARepository, Refused, UsageError
from modeltrail.store.objectid import OBJECT_ID
from modeltrail.store.trailers import one_line

if TYPE_CHECKING:
    import git  # GitPython: imported where a repository is opened (store/repo.py)

#: transports a URL may use (git's names, as ``GIT_ALLOW_PROTOCOL`` takes them)
PROTOCOLS = ("file", "git", "http", "https", "ssh")
ALLOW_PROTOCOL = ":".join(PROTOCOLS)
#: the cache's own configuration: every git command in it keeps to these transports
PROTOCOL_CONFIG = ("protocol.allow=never", *(f"protocol.{p}.allow=always" for p in PROTOCOLS))
#: ``git config`` key in the cache that records the URL it mirrors (as given)
URL_KEY = "modeltrail.url"
FETCHED_STAMP = "modeltrail-fetched"  # in the cache's git dir: touched by every fetch
BLOB_BATCH = 10_000  # blob ids per fetch
CLONE_TIMEOUT = 600.0
FETCH_TIMEOUT = 120.0

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")  # ext::, fd::, a remote helper
# [user@]host:path, git's scp-like form: a colon before any slash
_SCP = re.compile(r"^(?:[^@/:\s]+@)?(\[[^\]/]+\]|[^@/:\s\[\]]+):(?!//)(.*)$", re.S)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_SCHEME_ALIASES = {"git+ssh": "ssh", "ssh+git": "ssh"}


def is_url(location: str) -> bool:
    """Whether ``-C`` names a remote repository rather than a local directory: a
    ``scheme://`` URL, a ``transport::address`` (refused later), or git's scp-like
    ``host:path`` (or anything starting with ``-``, refused later) when no such local
    path exists."""
    if _SCHEME.match(location) or _TRANSPORT.match(location):
        return True
    if os.path.exists(location):
        return False
    return bool(_SCP.match(location)) or location.startswith("-")  # -...: refused


def check_url(url: str) -> str:
    """``url`` if modeltrail may hand it to git; UsageError (one line) otherwise."""
    shown = display_url(url)
    if url.startswith("-"):
        raise UsageError(f"refused URL {shown}: it starts with '-' (git would read an option)")
    if _CONTROL.search(url):
        raise UsageError(f"refused URL {shown}: it holds spaces or control characters")
    if _TRANSPORT.match(url) and not _SCHEME.match(url):
        raise UsageError(
            f"refused URL {shown}: transport::address URLs (ext::, fd::, remote helpers) "
            f"can run commands; use one of {', '.join(PROTOCOLS)}"
        )
    m = _SCHEME.match(url)
    if m:
        scheme = _SCHEME_ALIASES.get(m[1].lower(), m[1].lower())
        if scheme not in PROTOCOLS:
            raise UsageError(
                f"refused URL {shown}: transport {one_line(m[1], 20)!r} is not one of "
                f"{', '.join(PROTOCOLS)}"
            )
        host = url[m.end() :].split("/", 1)[0].rpartition("@")[2]
        if host.startswith("-"):
            raise UsageError(f"refused URL {shown}: its host starts with '-'")
        if scheme != "file" and not host:
            raise UsageError(f"refused URL {shown}: it names no host")
        return url
    scp = _SCP.match(url)
    if scp is None:
        raise UsageError(f"refused URL {shown}: not a URL git can fetch from")
    if scp[1].startswith("-"):
        raise UsageError(f"refused URL {shown}: its host starts with '-'")
    return url


def display_url(url: str) -> str:
    """The URL as shown to the user: without a user or password, on one line."""
    return one_line(re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", url), 200)


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/modeltrail/repos`` (``~/.cache/modeltrail/repos``)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "modeltrail" / "repos"


def cache_name(url: str) -> str:
    """A directory name for ``url``: its host and path made safe, and a digest of the
    whole URL (two URLs never share a cache; a password never appears in the name)."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", display_url(url))
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", bare).strip("._-")[:60] or "repo"
    digest = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{readable}-{digest}.git"


def cache_path(url: str) -> Path:
    return cache_root() / cache_name(url)


@dataclass(frozen=True)
class Location:
    """An opened repository: a local one (``url`` None) or a cached copy of ``url``."""

    repo: git.Repo
    url: str | None = None
    fetched_at: datetime | None = None  # when the cache last fetched (None: local)
    note: str | None = None  # the cache was not refreshed this run: why, and how old it is

    @property
    def remote(self) -> bool:
        return self.url is not None


def open_location(location: str | os.PathLike[str] | None, *, offline: bool = False) -> Location:
    """The repository at ``location``: a local path (as ``git -C``), or a URL whose
    cached partial clone is made or fetched first (not fetched when ``offline``)."""
    from modeltrail.store.repo import open_repo

    text = os.fspath(location) if location is not None else None
    if text is None or not is_url(text):
        return Location(open_repo(text))
    return open_url(text, offline=offline)


def open_url(url: str, *, offline: bool = False, cancel: threading.Event | None = None) -> Location:
    """The cached partial clone of ``url``, cloned when there is none, else fetched
    (unless ``offline``); a failed fetch answers from the cache with a note. Setting
    ``cancel`` stops the clone or fetch (:class:`gitcmd.Cancelled`; another thread's
    Ctrl-C: a workspace opens its repositories in threads)."""
    check_url(url)
    path = cache_path(url)
    shown = display_url(url)
    if not (path / "HEAD").exists():
        if offline:
            raise NotARepository(
                f"no cached copy of {shown} (--offline): run once without --offline"
            )
        _clone(url, path, cancel)
        repo = _open_cache(path, url)
        return Location(repo, url, fetched_at(repo))
    repo = _open_cache(path, url)
    if offline:
        when = fetched_at(repo)
        return Location(repo, url, when, f"offline: {shown} as fetched {age_text(when)}")
    why = fetch(repo, cancel)
    when = fetched_at(repo)
    if why is not None:
        note = f"could not fetch {shown} ({why}): using the copy fetched {age_text(when)}"
        return Location(repo, url, when, note)
    return Location(repo, url, when)


def _open_cache(path: Path, url: str) -> git.Repo:
    from modeltrail.store.repo import open_repo

    repo = open_repo(path)
    recorded = gitcmd.run(repo, "config", "--get", URL_KEY, check=False).text()
    if recorded != url:
        raise NotARepository(
            f"{path} is not modeltrail's copy of {display_url(url)}; remove it to fetch anew"
        )
    return repo


def _clone(url: str, path: Path, cancel: threading.Event | None = None) -> None:
    """``git clone --bare --filter=blob:none URL`` into a temporary directory beside
    ``path``, renamed into place once complete (an interrupted clone leaves no cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    args = ["clone", "--bare", "--quiet", "--filter=blob:none", "--no-recurse-submodules"]
    for item in PROTOCOL_CONFIG:
        args += ["--config", item]
    args += ["--config", f"{URL_KEY}={url}", "--end-of-options", url, str(tmp)]
    timeout = _timeout(CLONE_TIMEOUT)
    try:
        gitcmd.run_at(path.parent, *args, env=_ENV, timeout=timeout, cancel=cancel)
        stamp(tmp)
        try:
            os.rename(tmp, path)
        except OSError:  # another modeltrail cloned it meanwhile: use theirs
            if not (path / "HEAD").exists():
                raise
    except subprocess.TimeoutExpired:
        raise Refused(f"cloning {display_url(url)} stopped after {timeout:.0f} s") from None
    except gitcmd.GitError as exc:
        raise Refused(f"cannot clone {display_url(url)}: {one_line(str(exc), 200)}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_ENV = {"GIT_ALLOW_PROTOCOL": ALLOW_PROTOCOL}
#: what a fetch brings: the remote's branches and tags, as they are there
REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


def _timeout(default: float) -> float:
    return gitcmd.remote_timeout(default)


def fetch(repo: git.Repo, cancel: threading.Event | None = None) -> str | None:
    """Bring the cache up to date with its URL (heads and tags, pruned: the cache mirrors
    the remote); None when done, else why not (one line)."""
    timeout = _timeout(FETCH_TIMEOUT)
    try:
        done = gitcmd.run(
            repo,
            "fetch",
            "--quiet",
            "--prune",
            "--no-recurse-submodules",
            "--no-write-fetch-head",
            "--end-of-options",
            "origin",
            *REFSPECS,
            env=_ENV,
            timeout=timeout,
            cancel=cancel,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:.0f} s"
    if done.returncode != 0:
        return one_line(done.first_error(), 200)
    stamp(Path(repo.git_dir))
    return None


def stamp(git_dir: Path) -> None:
    (git_dir / FETCHED_STAMP).write_bytes(b"")
    os.utime(git_dir / FETCHED_STAMP)


def fetched_at(repo: git.Repo) -> datetime | None:
    try:
        return datetime.fromtimestamp((Path(repo.git_dir) / FETCHED_STAMP).stat().st_mtime, UTC)
    except OSError:
        return None


def age_text(when: datetime | None, now: float | None = None) -> str:
    """``3 h ago``, ``2 days ago``, ``just now``; ``at an unknown time``."""
    if when is None:
        return "at an unknown time"
    seconds = max((now if now is not None else time.time()) - when.timestamp(), 0.0)
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''} ago"
    return "just now"  # pragma: no cover


# --- a cached repository and its blobs ----------------------------------------------------


def is_cached(repo: git.Repo) -> bool:
    """Whether ``repo`` is modeltrail's cached copy of a URL (cached on the object)."""
    known = getattr(repo, "_modeltrail_url", None)
    if known is None:
        done = gitcmd.run(repo, "config", "--get", URL_KEY, check=False)
        known = done.text() if done.returncode == 0 else ""
        repo._modeltrail_url = known  # type: ignore[attr-defined]
    return bool(known)


def url_of(repo: git.Repo) -> str | None:
    return repo._modeltrail_url or None if is_cached(repo) else None  # type: ignore[attr-defined]


def require_local(repo: git.Repo, action: str) -> None:
    """Refuse ``action`` (a branch rollback, a checkout) in a cached copy, in one line."""
    if is_cached(repo):
        raise Refused(
            f"{action} needs a work tree: clone {display_url(url_of(repo) or '')} first "
            "(nothing was written)"
        )


#: what :func:`origin_settings` reads: the URL names a root model, ``promisor`` marks a
#: partial clone (an index asks both: one ``git config`` answers them)
_ORIGIN_KEYS = r"^remote\.origin\.(url|promisor)$"


def origin_settings(repo: git.Repo) -> dict[str, str]:
    """``remote.origin.url`` and ``remote.origin.promisor`` as they are set now (the
    last value of each, as ``git config --get`` gives it; a key not set is absent), from
    one ``git config``. Whether the repository is a partial clone is kept on ``repo``
    (decided by the first look, as :func:`_is_partial` always did); the URL is not (a
    long-lived TUI sees a new one)."""
    done = gitcmd.run(repo, "config", "-z", "--get-regexp", _ORIGIN_KEYS, check=False)
    found: dict[str, str] = {}
    if done.returncode == 0:
        for entry in done.stdout.decode("utf-8", "surrogateescape").split("\x00"):
            key, _nl, value = entry.partition("\n")
            if key:
                found[key] = value
    if getattr(repo, "_modeltrail_partial", None) is None:
        partial = found.get("remote.origin.promisor", "").strip().lower() in _TRUE
        repo._modeltrail_partial = partial  # type: ignore[attr-defined]
    return found


_TRUE = ("true", "yes", "on", "1")


def _is_partial(repo: git.Repo) -> bool:
    known = getattr(repo, "_modeltrail_partial", None)
    if known is None:
        origin_settings(repo)
        known = repo._modeltrail_partial  # type: ignore[attr-defined]
    return bool(known)


def missing_objects(repo: git.Repo, oids: list[str]) -> list[str]:
    """Those of ``oids`` the repository does not hold (asked without fetching: the list
    of objects present, which in a blob-less clone is its commits, trees and the blobs
    fetched so far)."""
    wanted = dict.fromkeys(o for o in oids if OBJECT_ID.match(o))
    if not wanted:
        return []
    out = gitcmd.piped(
        repo,
        [
            "cat-file",
            "--batch-all-objects",
            "--unordered",
            "--batch-check=%(objectname) %(objecttype)",
        ],
        b"",
    )
    for line in out.split(b"\n"):
        wanted.pop(line[:40].decode("ascii", "replace"), None)
    return list(wanted)


def prefetch_blobs(repo: git.Repo, oids: list[str]) -> int:
    """Fetch the blobs of ``oids`` a partial clone lacks, :data:`BLOB_BATCH` per fetch
    (ids on stdin); how many were asked for. A no-op in a complete repository. A fetch
    that fails leaves the rest to git's lazy fetch (slower, never wrong)."""
    if not oids or not _is_partial(repo):
        return 0
    present: set[str] = repo.__dict__.setdefault("_modeltrail_present", set())
    unknown = [o for o in oids if o not in present]
    if not unknown:
        return 0
    missing = missing_objects(repo, unknown)
    timeout = _timeout(FETCH_TIMEOUT)
    for start in range(0, len(missing), BLOB_BATCH):
        part = missing[start : start + BLOB_BATCH]
        gitcmd.run(
            repo,
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "--filter=blob:none",
            "--stdin",
            "--end-of-options",
            "origin",
            input="".join(f"{o}\n" for o in part),
            env=_ENV,
            timeout=timeout,
            check=False,
        )
    present.update(unknown)  # asked for once: what did not come, git fetches lazily
    return len(missing)


def forget_unpushed_tag(repo: git.Repo, ref: str, oid: str) -> bool:
    """Delete ``ref`` (a tag a rollback wrote into a cached copy) if it still points at
    ``oid``: its push failed, and the cache must not hold what the remote does not."""
    if not is_cached(repo) or not ref.startswith("refs/tags/"):
        return False
    done = gitcmd.run(repo, "update-ref", "-d", "--end-of-options", ref, oid, check=False)
    return done.returncode == 0
