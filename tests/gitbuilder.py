"""Building small git repositories for tests: fixed identities, fixed dates, no hooks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BASE_EPOCH = 1_767_603_600  # 2026-01-05 09:00:00 UTC


class GitRepo:
    """A repository in ``path`` whose every commit and tag has a deterministic date."""

    def __init__(self, path: Path, author: str = "Ana Silva", email: str = "ana@example.com"):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.clock = BASE_EPOCH
        self.author, self.email = author, email
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", author)
        self.git("config", "user.email", email)
        self.git("config", "core.hooksPath", "/dev/null")

    def env(self, author: str | None = None, email: str | None = None) -> dict[str, str]:
        self.clock += 3600
        date = f"{self.clock} +0000"
        return {
            **os.environ,
            "GIT_AUTHOR_NAME": author or self.author,
            "GIT_AUTHOR_EMAIL": email or self.email,
            "GIT_COMMITTER_NAME": author or self.author,
            "GIT_COMMITTER_EMAIL": email or self.email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }

    def git(self, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=env or {**os.environ},
            input=input,
            capture_output=True,
            check=True,
        )
        return out.stdout.decode("utf-8", "replace").strip()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for rel, content in files.items():
            p = self.path / rel
            if content is None:
                if p.exists():
                    p.unlink()
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)

    def commit(
        self,
        message: str,
        files: dict | None = None,
        author: str | None = None,
        email: str | None = None,
    ) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=self.env(author, email))
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", "--end-of-options", rev)

    def tag(self, name: str, rev: str = "HEAD", message: str | None = None) -> None:
        """Annotated when ``message`` is given (tagger date from the clock)."""
        if message is None:
            self.git("tag", "--end-of-options", name, rev)
        else:
            self.git("tag", "-a", "-m", message, "--end-of-options", name, rev, env=self.env())

    def branch(self, name: str, rev: str = "HEAD") -> None:
        self.git("branch", "--end-of-options", name, rev)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, branch: str, message: str) -> str:
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=self.env())
        return self.head()
