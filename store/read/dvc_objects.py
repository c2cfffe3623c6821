"""Where the local DVC cache keeps an object, and whether any of a few objects is there
now: the cheap check (a stat or two per object, nothing imported beyond the standard
library) by which every command notices that ``dvc pull`` brought objects the catalog
recorded as missing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

_MD5 = re.compile(r"[0-9a-f]{32}(\.dir)?")


def cache_paths(repo_root: Path | str, md5: str, legacy: bool | None = None) -> list[Path]:
    """Candidate cache paths for an object: DVC 3's ``.dvc/cache/files/md5/ab/cdef…`` and
    DVC 2's ``.dvc/cache/ab/cdef…`` (``legacy`` puts that one first). A directory's md5
    ends in ``.dir`` and so does its file. Empty for a malformed md5; custom
    ``cache.dir`` settings are not consulted."""
    if not isinstance(md5, str) or not _MD5.fullmatch(md5):
        return []
    cache = Path(repo_root) / ".dvc" / "cache"
    new = cache / "files" / "md5" / md5[:2] / md5[2:]
    old = cache / md5[:2] / md5[2:]
    return [old, new] if legacy else [new, old]


def any_arrived(repo_root: Path | str, md5s: Iterable[str]) -> bool:
    """Is any of these objects in the local cache now (a file at one of its places)?
    A stat per object and layout, none when there is no cache at all (each two-letter
    directory is looked at once). Whether an object may be read (symlinks leading
    elsewhere) is the index run's question."""
    cache = os.path.join(repo_root, ".dvc", "cache")
    bases = [b for b in (os.path.join(cache, "files", "md5"), cache) if os.path.isdir(b)]
    if not bases:
        return False
    dirs: dict[str, bool] = {}
    for md5 in md5s:
        if not isinstance(md5, str) or not _MD5.fullmatch(md5):
            continue
        for base in bases:
            d = os.path.join(base, md5[:2])
            there = dirs.get(d)
            if there is None:
                there = dirs[d] = os.path.isdir(d)
            if there and os.path.isfile(os.path.join(d, md5[2:])):
                return True
    return False
