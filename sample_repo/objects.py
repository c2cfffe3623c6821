"""Large-file storage outside git: Git LFS objects and the DVC cache.

Model files render pointers through an ``ObjectStore``; objects marked ``local`` are
collected here and written after the import, so "is the object present locally?" has
both answers in the sample repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .render import lfs_pointer, md5_hex, pseudo_binary, sha256_hex


@dataclass(frozen=True)
class DvcOut:
    """What dvc.lock / a .dvc file records about one output: ``md5`` (``<md5>.dir`` for a
    directory), total ``size`` in bytes and, for a directory, ``nfiles``."""

    md5: str
    size: int
    nfiles: int | None = None


@dataclass
class ObjectStore:
    """Objects to write into the new repository: ``lfs`` maps oid → content,
    ``dvc`` maps md5 (with ``.dir`` for directory manifests) → content."""

    lfs: dict[str, bytes] = field(default_factory=dict)
    dvc: dict[str, bytes] = field(default_factory=dict)

    def lfs_file(self, seed: str, size: int, local: bool) -> bytes:
        """The LFS pointer for the pseudo-binary named ``seed``; keep the object if ``local``."""
        content = pseudo_binary(seed, size)
        if local:
            self.lfs[sha256_hex(content)] = content
        return lfs_pointer(content)

    def dvc_file(self, content: bytes, local: bool) -> DvcOut:
        """Record one DVC-tracked file; keep it in the cache if ``local``."""
        md5 = md5_hex(content)
        if local:
            self.dvc[md5] = content
        return DvcOut(md5, len(content))

    def dvc_dir(self, files: dict[str, bytes], local: bool) -> DvcOut:
        """Record a DVC-tracked directory (relpath → content) with its ``.dir`` manifest."""
        entries = [
            {"md5": md5_hex(content), "relpath": relpath}
            for relpath, content in sorted(files.items())
        ]
        manifest = json.dumps(entries, sort_keys=True).encode()
        md5 = md5_hex(manifest) + ".dir"
        if local:
            self.dvc[md5] = manifest
            for content in files.values():
                self.dvc[md5_hex(content)] = content
        return DvcOut(md5, sum(len(c) for c in files.values()), len(files))

    def write(self, root: Path) -> None:
        """Write the collected objects: ``.git/lfs/objects/ab/cd/<oid>`` and
        ``.dvc/cache/files/md5/ab/<rest>`` under the work tree ``root``."""
        for oid, content in sorted(self.lfs.items()):
            path = root / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for md5, content in sorted(self.dvc.items()):
            path = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
