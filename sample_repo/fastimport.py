"""A writer for the ``git fast-import`` stream format (raw dates, inline blobs).

The stream holds commits, merges, branch resets and tags; ``git fast-import`` turns it into
objects and refs in one process, which keeps building a 100,000-commit repository fast and
makes every commit id a pure function of the stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Identity:
    """A person who commits or tags: name, email and the UTC offset they work in (``+0100``)."""

    name: str
    email: str
    tz: str = "+0000"

    def signature(self, when: int) -> str:
        """The ``Name <email> <epoch> <tz>`` line body fast-import expects with raw dates."""
        return f"{self.name} <{self.email}> {when} {self.tz}"


def _check_path(path: str) -> None:
    if not path or path.startswith(("/", '"')) or any(c in path for c in "\n\0"):
        raise ValueError(f"unsupported path in sample repository: {path!r}")


def _check_ref(name: str) -> None:
    if not name or any(c in name for c in " \n\0~^:?*[\\") or name.startswith("-"):
        raise ValueError(f"unsupported ref name in sample repository: {name!r}")


class FastImportStream:
    """Writes fast-import commands to a binary stream (a pipe to ``git fast-import``).

    Marks are chosen by the caller; every commit names its parents explicitly, so the
    order of branches in the stream never matters.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def _data(self, payload: bytes) -> bytes:
        return b"data %d\n%s\n" % (len(payload), payload)

    def commit(
        self,
        ref: str,
        mark: int,
        author: Identity,
        when: int,
        message: str,
        parents: Sequence[int],
        changes: Mapping[str, bytes | None],
        committer: Identity | None = None,
    ) -> None:
        """Write one commit on ``refs/heads/<ref>``.

        ``parents`` are marks (first parent first; more than one makes a merge).
        ``changes`` maps paths to new contents, or to None to delete the path; they are
        applied to the first parent's tree.
        """
        _check_ref(ref)
        committer = committer or author
        msg = message.encode()
        parts = [
            f"commit refs/heads/{ref}\nmark :{mark}\n"
            f"author {author.signature(when)}\ncommitter {committer.signature(when)}\n".encode(),
            b"data %d\n%s" % (len(msg), msg),
        ]
        if parents:
            parts.append(f"from :{parents[0]}\n".encode())
            parts.extend(f"merge :{p}\n".encode() for p in parents[1:])
        for path in sorted(changes):
            _check_path(path)
            content = changes[path]
            if content is None:
                parts.append(f"D {path}\n".encode())
            else:
                parts.append(f"M 100644 inline {path}\n".encode())
                parts.append(self._data(content))
        parts.append(b"\n")
        self._out.write(b"".join(parts))

    def reset(self, ref: str, mark: int) -> None:
        """Point ``ref`` (a full ref name) at the commit ``mark``; a lightweight tag or a new branch."""
        _check_ref(ref)
        self._out.write(f"reset {ref}\nfrom :{mark}\n\n".encode())

    def tag(self, name: str, mark: int, tagger: Identity, when: int, message: str) -> None:
        """Write an annotated tag ``refs/tags/<name>`` on the commit ``mark``."""
        _check_ref(name)
        msg = message.encode()
        self._out.write(
            f"tag {name}\nfrom :{mark}\ntagger {tagger.signature(when)}\n".encode()
            + b"data %d\n%s\n" % (len(msg), msg)
        )

    def done(self) -> None:
        """End the stream (fast-import runs with ``--done`` so a cut stream is an error)."""
        self._out.write(b"done\n")
