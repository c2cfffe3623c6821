"""The git plumbing that checkout, rollback and undo need.

Every call goes through :class:`Git`, which runs git through :mod:`store.gitcmd` with
its safety rules (no hooks, no fsmonitor, no LFS filters, literal pathspecs, replace refs
ignored, a calling hook's ``GIT_DIR``/``GIT_INDEX_FILE`` pinned to this repository), and
never passes a name from the repository or the user where git could read an option:
refs are full ``refs/...`` names or object ids, revisions follow ``--end-of-options``.

Paths go in and come out in catalog form (:mod:`store.pathtext`), as the catalog holds
them; they reach git and the file system as their exact bytes (:meth:`Git.file` is a
path's place in the work tree).

Writes are plumbing only (``commit-tree``, ``mktag``, ``update-ref`` with the expected old
value, ``read-tree -m -u``), each an atomic step; :mod:`store.write.rollback_apply` orders them.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git

from modeltrail.store import gitcmd, pathtext
from modeltrail.store.errors import Refused
from modeltrail.store.objectid import OBJECT_ID

ZERO = "0" * 40


class GitFailed(Refused):
    """A git command failed; ``stderr`` holds its first line."""


@dataclass(frozen=True)
class Ident:
    """Who writes: name, email, and the time as git would stamp it (epoch seconds, tz)."""

    name: str
    email: str
    seconds: int
    tz: str  # "+0000"

    def line(self, seconds: int | None = None) -> str:
        return (
            f"{self.name} <{self.email}> {self.seconds if seconds is None else seconds} {self.tz}"
        )


@dataclass(frozen=True)
class TreeEntry:
    """One ``ls-tree -r`` entry."""

    mode: str
    type: str  # blob | commit (submodule)
    oid: str
    path: str


class Git:
    """Runs git in one repository, through :mod:`store.gitcmd` (its safety rules)."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self.root = Path(repo.working_tree_dir or repo.git_dir)

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Git:
        """The repository whose work tree is ``root``."""
        return cls(gitcmd.prepare(git.Repo(root)))

    def run(
        self,
        *args: str,
        input: bytes | str | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> gitcmd.Done:
        done = gitcmd.run(
            self.repo, *args, input=input, env=env, check=False, timeout=timeout, cancel=cancel
        )
        if check and done.returncode != 0:
            raise GitFailed(f"git {args[0]} failed: {done.first_error()}")
        return done

    def out(self, *args: str, **kw: Any) -> str:
        return self.run(*args, **kw).text()

    def file(self, rel: str) -> Path:
        """Where the catalog-form path ``rel`` is in the work tree (its exact bytes)."""
        return self.root / pathtext.to_os(rel)

    # --- reads ------------------------------------------------------------------------

    def resolve_commit(self, name: str) -> str | None:
        """The commit a name (ref, tag, id) points at, or None; never read as an option."""
        return gitcmd.resolve_commit(self.repo, name)

    def ref_value(self, ref: str) -> str | None:
        """The object a full ref name holds (not peeled), or None if it does not exist."""
        if not ref.startswith("refs/"):
            raise ValueError(f"not a full ref name: {ref!r}")
        done = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref, check=False)
        oid = done.stdout.decode().strip()
        return oid if done.returncode == 0 and OBJECT_ID.match(oid) else None

    def tree_of(self, commit: str) -> str:
        return self.out("rev-parse", "--verify", "--end-of-options", f"{commit}^{{tree}}")

    def subtree(self, commit: str, path: str) -> str | None:
        """The tree (or blob) id at ``path`` in ``commit``; the root tree for ``''``."""
        if path == "":
            return self.tree_of(commit)
        done = self.run(
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{commit}:{pathtext.to_os(path)}",
            check=False,
        )
        oid = done.stdout.decode().strip()
        return oid if done.returncode == 0 and OBJECT_ID.match(oid) else None

    def ls_tree(self, commit: str, *paths: str) -> list[TreeEntry]:
        """Every file under ``paths`` ('' = everything) in ``commit``, recursively."""
        args = ["ls-tree", "-r", "-z", "--full-tree", commit]
        if paths and "" not in paths:
            args += ["--", *map(pathtext.to_os, paths)]
        raw = self.run(*args).stdout
        entries = []
        for item in raw.split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            mode, typ, oid = meta.decode().split()
            entries.append(TreeEntry(mode, typ, oid, pathtext.from_bytes(name)))
        return entries

    def symbolic_head(self) -> str | None:
        """The full ref HEAD points at (``refs/heads/main``), None when detached."""
        done = self.run("symbolic-ref", "-q", "HEAD", check=False)
        ref = done.stdout.decode("utf-8", "surrogateescape").strip()
        return ref if done.returncode == 0 and ref else None

    def worktree_heads(self) -> dict[str, Path]:
        """Branch ref → work tree path, for every work tree that has a branch checked out."""
        raw = self.run("worktree", "list", "--porcelain", "-z").stdout
        out: dict[str, Path] = {}
        path: Path | None = None
        for item in raw.split(b"\0"):
            text = item.decode("utf-8", "surrogateescape")
            if text.startswith("worktree "):
                path = Path(text[len("worktree ") :])
            elif text.startswith("branch ") and path is not None:
                out[text[len("branch ") :]] = path
        return out

    def status_under(self, *paths: str) -> list[str]:
        """Uncommitted changes (staged, unstaged, untracked) under ``paths``; '' = all."""
        args = [
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignore-submodules=none",
        ]
        if paths and "" not in paths:
            args += ["--", *map(pathtext.to_os, paths)]
        raw = self.run(*args).stdout
        found = []
        parts = raw.split(b"\0")
        i = 0
        while i < len(parts):
            item = parts[i]
            i += 1
            if not item:
                continue
            code, name = item[:2].decode(), pathtext.from_bytes(item[3:])
            if code[0] in "RC":  # a rename's source follows
                i += 1
            found.append(f"{code} {name}")
        return found

    def in_progress(self) -> str | None:
        """A merge, rebase, cherry-pick or revert in progress in this work tree, if any."""
        git_dir = Path(self.out("rev-parse", "--absolute-git-dir"))
        for name, what in (
            ("MERGE_HEAD", "a merge"),
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
        ):
            if (git_dir / name).exists():
                return what
        return None

    def git_dir(self) -> Path:
        return Path(self.out("rev-parse", "--absolute-git-dir"))

    def committer(self) -> Ident:
        """The configured committer (env or config); Refused when none is configured."""
        return self._ident("GIT_COMMITTER_IDENT")

    def author(self) -> Ident:
        return self._ident("GIT_AUTHOR_IDENT")

    def _ident(self, which: str) -> Ident:
        done = self.run("-c", "user.useConfigOnly=true", "var", which, check=False)
        line = done.stdout.decode("utf-8", "surrogateescape").strip()
        m = re.match(r"^(.*) <(.*)> (\d+) ([+-]\d{4})$", line)
        if done.returncode != 0 or not m:
            raise Refused(
                "no git identity configured: set user.name and user.email "
                "(git config user.name 'Your Name'; git config user.email you@example.com)"
            )
        return Ident(m[1], m[2], int(m[3]), m[4])

    def tags(self) -> dict[str, str]:
        """Tag name (short) → the tag ref's own object id."""
        raw = self.run("for-each-ref", "--format=%(refname)%00%(objectname)", "refs/tags/").stdout
        out = {}
        for line in raw.split(b"\n"):
            name, _, oid = line.partition(b"\0")
            name_s = name.decode("utf-8", "surrogateescape")
            if name_s.startswith("refs/tags/") and oid:
                out[name_s[len("refs/tags/") :]] = oid.decode().strip()
        return out

    def tag_seconds(self, oids: list[str]) -> dict[str, int]:
        """Tagger time (epoch seconds) of annotated tag objects, by object id."""
        if not oids:
            return {}
        raw = self.run("cat-file", "--batch", input="".join(f"{o}\n" for o in oids)).stdout
        out: dict[str, int] = {}
        pos = 0
        for oid in oids:
            nl = raw.index(b"\n", pos)
            header = raw[pos:nl].decode().split()
            pos = nl + 1
            if len(header) < 3 or header[1] == "missing":
                continue
            size = int(header[2])
            body = raw[pos : pos + size]
            pos += size + 1
            if header[1] != "tag":
                continue
            head = body.split(b"\n\n", 1)[0]
            for line in head.split(b"\n"):
                m = re.match(rb"^tagger .* (\d+) [+-]\d{4}$", line)
                if m:
                    out[oid] = int(m[1])
        return out

    def committer_seconds(self, commit: str) -> int:
        return int(self.out("show", "-s", "--no-show-signature", "--format=%ct", commit))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return done.returncode == 0

    def last_commit_changing(
        self, head: str, roots: tuple[str, ...], keep: Callable[[str], bool]
    ) -> str | None:
        """The newest commit of ``head``'s history (first-parent diffs for merges, as the
        index reads them) that changed a path under ``roots`` for which ``keep`` holds."""
        skip, batch = 0, 64
        while True:
            args = [
                "log",
                "--no-show-signature",
                "--format=%x01%H",
                "--name-only",
                "-z",
                "--no-renames",
                "--diff-merges=first-parent",
                f"--skip={skip}",
                f"--max-count={batch}",
                head,
            ]
            if roots and "" not in roots:
                args += ["--", *map(pathtext.to_os, roots)]
            raw = self.run(*args).stdout
            records = [r for r in raw.split(b"\x01") if r]
            for record in records:
                commit, _, names = record.partition(b"\0")
                for name in names.lstrip(b"\n").split(b"\0"):
                    if name and keep(pathtext.from_bytes(name)):
                        return commit.decode()
            if len(records) < batch:
                return None
            skip += batch
            batch = min(batch * 4, 4096)

    # --- writes (each one atomic) -----------------------------------------------------

    @contextlib.contextmanager
    def temp_index(self) -> Iterator[dict[str, str]]:
        """An environment with a throw-away index file (removed afterwards)."""
        fd, path = tempfile.mkstemp(prefix=f"modeltrail-index-{os.getpid()}-", dir=self.git_dir())
        os.close(fd)
        os.unlink(path)  # git wants to create it
        try:
            yield {"GIT_INDEX_FILE": path}
        finally:
            for p in (path, path + ".lock"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(p)

    def tree_for(self, base_commit: str, drop: Iterable[str], add: Iterable[TreeEntry]) -> str:
        """``base_commit``'s tree without the files ``drop``, plus the entries ``add``.
        Built purely from trees in a throw-away index (``read-tree``, ``update-index``,
        ``write-tree``): the work tree, the real index and any branch's state play no
        part. Writes objects only."""
        with self.temp_index() as env:
            self.run("read-tree", base_commit, env=env)
            to_os = pathtext.to_os
            info = "".join(f"0 {ZERO}\t{to_os(p)}\0" for p in drop)
            info += "".join(f"{e.mode} {e.oid}\t{to_os(e.path)}\0" for e in add)
            if info:
                self.run(
                    "update-index",
                    "--replace",
                    "-z",
                    "--index-info",
                    input=info.encode("utf-8", "surrogateescape"),
                    env=env,
                )
            return self.out("write-tree", env=env)

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Every path whose entry differs between two commits or trees (no renames)."""
        raw = self.run(
            "diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id", old, new
        ).stdout
        return [pathtext.from_bytes(n) for n in raw.split(b"\0") if n]

    def commit_tree(
        self, tree: str, parent: str, message: str, author: Ident, committer: Ident, seconds: int
    ) -> str:
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": f"{seconds} {author.tz}",
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": f"{seconds} {committer.tz}",
        }
        return self.out("commit-tree", "--no-gpg-sign", tree, "-p", parent, input=message, env=env)

    def make_tag(self, name: str, commit: str, message: str, tagger: Ident, seconds: int) -> str:
        """An annotated tag object (not yet referenced), as ``git tag -a`` writes it."""
        body = (
            f"object {commit}\ntype commit\ntag {name}\ntagger {tagger.line(seconds)}\n\n"
            f"{message.rstrip()}\n"
        )
        return self.out("mktag", input=body)

    def update_ref(self, ref: str, new: str, old: str | None, reason: str) -> None:
        """Move ``ref`` to ``new`` only if it still holds ``old`` (None: must not exist)."""
        if not ref.startswith("refs/") or not OBJECT_ID.match(new):
            raise ValueError("update_ref takes a full ref name and an object id")
        self.run(
            "update-ref", "-m", reason, "--no-deref", ref, new, old if old is not None else ZERO
        )

    def delete_ref(self, ref: str, old: str) -> None:
        if not ref.startswith("refs/"):
            raise ValueError("delete_ref takes a full ref name")
        self.run("update-ref", "--no-deref", "-d", ref, old)

    def index_entries(self, *paths: str) -> dict[str, str]:
        """Path → blob id of the index's stage-0 entries under ``paths`` ('' = all)."""
        args = ["ls-files", "-s", "-z"]
        if paths and "" not in paths:
            args += ["--", *map(pathtext.to_os, paths)]
        out: dict[str, str] = {}
        for item in self.run(*args).stdout.split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            _mode, oid, _stage = meta.decode().split()
            out[pathtext.from_bytes(name)] = oid
        return out

    def remote_for(self, branch_ref: str | None) -> str | None:
        """The remote to push to: the branch's upstream remote, else ``origin`` if any."""
        if branch_ref and branch_ref.startswith("refs/heads/"):
            short = branch_ref[len("refs/heads/") :]
            done = self.run("config", "--get", f"branch.{short}.remote", check=False)
            name = done.stdout.decode("utf-8", "surrogateescape").strip()
            if done.returncode == 0 and name and name != ".":
                return name
        remotes = self.out("remote").splitlines()
        return "origin" if "origin" in remotes else (remotes[0] if len(remotes) == 1 else None)
