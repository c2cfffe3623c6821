"""What git says differs between two commits: the files changed under a directory, with
line counts, and one file's patch (object ids and literal pathspecs only, through
:mod:`store.gitcmd`; no external diff or textconv program ever runs).

:mod:`store.query.diff` puts these beside the catalog's metric, param and artifact diffs;
the compare screen asks for a file's patch when the user opens it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from modeltrail.store import gitcmd
from modeltrail.store.objectid import OBJECT_ID

if TYPE_CHECKING:
    import git

_NUMSTAT = re.compile(r"^(\d+|-)\t(\d+|-)\t(.*)$", re.DOTALL)
#: A file diff larger than this is cut (the TUI shows a note).
MAX_PATCH_BYTES = 2 * 1024 * 1024
#: a file version larger than this is summarised by its sizes, never diffed
MAX_DIFF_BLOB = 32 * 1024 * 1024
_STATUS = {"A": "added", "D": "removed", "M": "modified", "T": "modified"}
#: git options that keep repository configuration and attributes from running programs
#: or recolouring output while we diff.
_SAFE_DIFF = ("--no-ext-diff", "--no-textconv", "--no-color", "--no-renames", "--no-abbrev")
#: the same, with git's rename detection (``-M``, its default similarity), whatever the
#: repository's ``diff.renames`` says
_SAFE_RENAMES = (*(o for o in _SAFE_DIFF if o != "--no-renames"), "--find-renames")


def commit_resolver(repo: git.Repo) -> Callable[[str], str | None]:
    """``commit_of(spec)`` for :func:`store.query.queries.resolve_version`: the commit a
    commit-ish names (``HEAD~2``, a branch), via ``git rev-parse --verify``, or None."""

    def commit_of(spec: str) -> str | None:
        return gitcmd.resolve_commit(repo, spec)

    return commit_of


def _pathspecs(directory: str | Sequence[str] | None) -> list[str] | None:
    """Pathspec arguments for a model directory, or its places (its directory and the
    ones it was moved from): '' = whole repository, None or no places = no files."""
    if directory is None:
        return None
    places = [directory] if isinstance(directory, str) else list(directory)
    if not places:
        return None
    return [] if any(d in ("", ".") for d in places) else places


def _git_bytes(repo: git.Repo, args: list[str]) -> bytes:
    return gitcmd.run(repo, *args).stdout


def changed_files(
    repo: git.Repo, a: str, b: str, directory: str | Sequence[str] | None
) -> list[dict[str, Any]]:
    """Files that differ between commits ``a`` and ``b`` under ``directory`` (a model's
    directory, or its places: :func:`store.query.diff.model_places`), with line counts: ``{"path",
    "old_path", "change", "additions", "deletions", "old_blob", "new_blob"}``.

    One ``git diff --raw --numstat`` of object ids, with git's rename detection: a file
    git sees renamed is ``renamed`` from ``old_path``. A file of a moved model that git
    does not pair (rewritten as it moved) is renamed too when it sits at the same place
    in the model's old and new directories (its counts: all lines out, all lines in).
    Binary files have None counts.
    """
    specs = _pathspecs(directory)
    if specs is None or not (OBJECT_ID.match(a) and OBJECT_ID.match(b)):
        return []
    args = ["diff", "--raw", "--numstat", "-z", *_SAFE_RENAMES, a, b, "--", *specs]
    tokens = _git_bytes(repo, args).decode("utf-8", errors="replace").split("\x00")
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, tuple[int | None, int | None]] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith(":") and i + 1 < len(tokens):
            meta = tok[1:].split(" ")
            renamed = len(meta) >= 5 and meta[4][:1] == "R" and i + 2 < len(tokens)
            old_path, path = (tokens[i + 1], tokens[i + 2]) if renamed else (None, tokens[i + 1])
            i += 3 if renamed else 2
            if len(meta) < 5:
                continue
            old_blob, new_blob, status = meta[2], meta[3], meta[4][:1]
            files[path] = {
                "path": path,
                "old_path": old_path,
                "change": "renamed" if renamed else _STATUS.get(status, "modified"),
                "additions": None,
                "deletions": None,
                "old_blob": None if set(old_blob) == {"0"} else old_blob,
                "new_blob": None if set(new_blob) == {"0"} else new_blob,
            }
            continue
        m = _NUMSTAT.match(tok)
        if m:
            add, dele, path = m.groups()
            if not path and i + 2 < len(tokens):  # a rename: old and new paths follow
                path = tokens[i + 2]
                i += 2
            counts[path] = (
                None if add == "-" else int(add),
                None if dele == "-" else int(dele),
            )
        i += 1
    for path, (add, dele) in counts.items():
        if path in files:
            files[path]["additions"], files[path]["deletions"] = add, dele
    if not isinstance(directory, str) and len(specs) > 1:
        _pair_moved(files, specs)
    return [files[p] for p in sorted(files)]


def _pair_moved(files: dict[str, dict[str, Any]], places: list[str]) -> None:
    """Join a removed file and an added one at the same place in two of the model's
    directories (the model moved between the versions) into one renamed file."""

    def split(path: str) -> tuple[str, str] | None:
        place = max((p for p in places if path.startswith(f"{p}/")), key=len, default=None)
        return None if place is None else (place, path[len(place) + 1 :])

    removed: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for f in files.values():
        if f["change"] == "removed" and (at := split(f["path"])):
            removed.setdefault(at[1], []).append((at[0], f))
    for f in list(files.values()):
        at = split(f["path"]) if f["change"] == "added" else None
        olds = removed.get(at[1], []) if at else []
        old = next(((p, o) for p, o in olds if p != at[0]), None) if at else None
        if old is None:
            continue
        olds.remove(old)
        gone = files.pop(old[1]["path"])
        binary = f["additions"] is None or gone["deletions"] is None
        f.update(
            old_path=gone["path"],
            change="renamed",
            old_blob=gone["old_blob"],
            additions=None if binary else f["additions"],
            deletions=None if binary else gone["deletions"],
        )


def file_patch(
    repo: git.Repo, a: str, b: str, path: str, old_path: str | None = None
) -> tuple[str, bool]:
    """The unified diff of one file between commits ``a`` and ``b``, as text; a file
    renamed from ``old_path`` (:func:`changed_files`) is compared with itself there.

    Returns ``(text, truncated)``. Repository text: show it literally.
    """
    if not (OBJECT_ID.match(a) and OBJECT_ID.match(b)) or not path:
        return "", False
    before = old_path or path
    sizes = [_blob_size(repo, a, before), _blob_size(repo, b, path)]
    if max(s or 0 for s in sizes) > MAX_DIFF_BLOB:
        old, new = (f"{s / 1e6:.1f} MB" if s is not None else "absent" for s in sizes)
        return f"{path}: too large to diff ({old} → {new}); not shown\n", True
    if before != path and None not in sizes:  # the two blobs, named by commit and path
        args = ["diff", *_SAFE_DIFF, "--end-of-options", f"{a}:{before}", f"{b}:{path}"]
    else:
        args = ["diff", *_SAFE_DIFF, a, b, "--", path]
    proc = gitcmd.stream(repo, args)
    out = proc.proc.stdout
    assert out is not None  # (a pipe, as stream makes it)
    try:  # stream: never more than the cap (plus one read) in memory
        chunks, kept = [], 0
        while kept <= MAX_PATCH_BYTES:
            chunk = out.read(min(65536, MAX_PATCH_BYTES + 1 - kept))
            if not chunk:
                break
            chunks.append(chunk)
            kept += len(chunk)
    finally:
        with contextlib.suppress(OSError):
            proc.proc.kill()
        proc.proc.wait()
        with contextlib.suppress(OSError):
            out.close()
            if proc.proc.stderr is not None:
                proc.proc.stderr.close()
    data = b"".join(chunks)
    truncated = len(data) > MAX_PATCH_BYTES
    return data[:MAX_PATCH_BYTES].decode("utf-8", errors="replace"), truncated


def _blob_size(repo: git.Repo, commit: str, path: str) -> int | None:
    """The size of ``path`` at ``commit`` (None if it is not a file there)."""
    done = gitcmd.run(repo, "cat-file", "-s", f"{commit}:{path}", check=False)
    out = done.text()
    return int(out) if done.returncode == 0 and out.isdigit() else None
