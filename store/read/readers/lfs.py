"""Git LFS pointer files (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).

A pointer is a small text blob standing in for a large file::

    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
    size 12345

Rules followed (as git-lfs reads them): under 1024 bytes, UTF-8, ``key value`` lines,
``version`` first, then optional ``ext-N-name`` extension lines, then ``oid`` and
``size`` (keys in sorted order, each once); ``oid`` is ``sha256:`` and 64 lowercase hex
digits; ``size`` a non-negative decimal. Blank lines are ignored, a missing final newline
is tolerated. The object itself lives in ``<git common dir>/lfs/objects/ab/cd/abcd…``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: Pointer files are smaller than this.
POINTER_MAX_BYTES = 1024

#: ``version`` values git-lfs accepts (the last two are historical aliases).
VERSIONS = (
    "https://git-lfs.github.com/spec/v1",
    "https://hawser.github.com/spec/v1",
    "http://git-media.io/v/2",
)

_OID = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(r"(0|[1-9][0-9]{0,18})")
_EXT_KEY = re.compile(r"ext-([0-9])-([a-z0-9.-]+)")
_EXT_VALUE = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class LfsPointer:
    """A parsed pointer: the object's sha256 ``oid`` (hex, no prefix) and ``size`` in bytes."""

    oid: str
    size: int
    extensions: tuple[tuple[str, str], ...] = field(default=())  # (name, oid) in order


def looks_like_lfs_pointer(data: bytes) -> bool:
    """Does the blob start like a pointer (``version`` line with a git-lfs URL)?"""
    return (
        isinstance(data, bytes)
        and data.startswith(b"version ")
        and any(data[8:].startswith(v.encode()) for v in VERSIONS)
    )


def inspect_lfs_pointer(data: bytes) -> tuple[LfsPointer | None, list[str]]:
    """Parse a pointer. Returns ``(pointer, warnings)``.

    Blobs that do not look like pointers at all give ``(None, [])``; blobs that start
    like one but break the rules give None and a warning saying what is wrong.
    """
    if not looks_like_lfs_pointer(data):
        return None, []
    try:
        pointer, problem = _parse(data)
    except Exception as e:  # noqa: BLE001 - never raise
        pointer, problem = None, type(e).__name__
    if pointer is None:
        return None, [f"looks like a Git LFS pointer but is not valid: {problem}"]
    return pointer, []


def _parse(data: bytes) -> tuple[LfsPointer | None, str | None]:
    if len(data) >= POINTER_MAX_BYTES:
        return None, f"{len(data)} bytes (pointers are under {POINTER_MAX_BYTES})"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    lines = [line for line in text.split("\n") if line]
    values: dict[str, str] = {}
    extensions: list[tuple[str, str]] = []
    order: list[str] = []
    for line in lines:
        key, sep, value = line.partition(" ")
        if not sep or not value or "\r" in value:
            return None, f"malformed line {line[:40]!r}"
        if key in values:
            return None, f"key {key!r} appears twice"
        values[key] = value
        order.append(key)
    if not order or order[0] != "version":
        return None, "the first line must be 'version'"
    rest = order[1:]
    if rest != sorted(rest):
        return None, "keys are not in sorted order"
    for key in rest:
        if key in ("oid", "size"):
            continue
        match = _EXT_KEY.fullmatch(key)
        if match is None:
            return None, f"unknown key {key!r}"
        if not _EXT_VALUE.fullmatch(values[key]):
            return None, f"extension {key!r} has a malformed oid"
        extensions.append((match.group(2), values[key].removeprefix("sha256:")))
    if values["version"] not in VERSIONS:
        return None, f"unknown version {values['version'][:60]!r}"
    oid = values.get("oid")
    if oid is None or not oid.startswith("sha256:") or not _OID.fullmatch(oid[7:]):
        return None, "missing or malformed 'oid sha256:<64 hex digits>'"
    size = values.get("size")
    if size is None or not _SIZE.fullmatch(size):
        return None, "missing or malformed 'size'"
    return LfsPointer(oid=oid[7:], size=int(size), extensions=tuple(extensions)), None


def parse_lfs_pointer(data: bytes) -> LfsPointer | None:
    """The pointer a blob holds, or None when it is not a (valid) Git LFS pointer."""
    return inspect_lfs_pointer(data)[0]


def lfs_object_path(git_common_dir: Path, oid: str) -> Path | None:
    """Where git-lfs keeps the object locally: ``<common dir>/lfs/objects/ab/cd/abcd…``.

    None when ``oid`` is not 64 lowercase hex digits (so hostile text never becomes a
    path). Custom ``lfs.storage`` settings are not consulted.
    """
    if not isinstance(oid, str) or not _OID.fullmatch(oid):
        return None
    return Path(git_common_dir) / "lfs" / "objects" / oid[0:2] / oid[2:4] / oid


def lfs_object_present(git_common_dir: Path, pointer: LfsPointer) -> bool:
    """Is the pointer's object in the local LFS store, with the right size?"""
    path = lfs_object_path(git_common_dir, pointer.oid)
    if path is None:
        return False
    try:
        return path.is_file() and path.stat().st_size == pointer.size
    except OSError:
        return False
