"""``modeltrail export DIR``: the catalog's tables as Parquet files.

DIR is a new or empty directory, or one holding an earlier export (recognised by the
marker file export writes there, which lists the files it wrote): anything else is
refused with nothing written, so an export never mixes into the work tree or a folder of
the user's. Replacing an earlier export rewrites its files and removes only the ones it
had listed; each file is written beside its final name and renamed into place.

Over a workspace, the export is one hive-partitioned dataset,
``DIR/table=<name>/repo=<repo>/data.parquet`` (``read_parquet('DIR/table=versions/*/*.parquet',
hive_partitioning=true)`` reads every repository's versions); ``--repo NAME`` replaces
that repository's partitions only, and a repository that cannot be read keeps the
partitions an earlier export wrote (with a warning).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from pathlib import Path

from modeltrail.store.errors import Refused, UsageError

NAME = "export"
HELP = "write the catalog's tables as Parquet files into DIR (a new or empty directory)"

#: written into DIR by every export: which files it wrote (so it can replace them)
MARKER = ".modeltrail-export.json"
_OWN_FILE = re.compile(
    r"[A-Za-z0-9_]+\.parquet|table=[A-Za-z0-9_]+/repo=[A-Za-z0-9][A-Za-z0-9._-]*/data\.parquet"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir", help="a new or empty directory, or one holding an earlier modeltrail export"
    )
    parser.add_argument(
        "--repo",
        metavar="NAME",
        help="with a workspace: export (replace) only this repository's partitions",
    )


def run(args: argparse.Namespace) -> int:
    if not args.dir:
        raise UsageError(
            "export needs a directory name (an empty one would write into the current "
            "directory); nothing was written"
        )
    out = Path(args.dir)
    earlier = _earlier_export(out)
    from modeltrail.store.catalog.schema import TABLES, VIEWS

    names = [*TABLES, *VIEWS]
    if getattr(args, "workspace_entries", None) is not None:
        return _export_workspace(args, out, earlier, names)
    if args.repo:
        raise UsageError("--repo NAME needs a workspace (--workspace FILE)")
    from modeltrail.tui.commands._common import catalog

    _repo, con = catalog(args)
    files = [f"{name}.parquet" for name in names]
    _write(out, earlier, [(con, names, files)], files)
    print(f"wrote {len(files)} Parquet files to {out}")
    return 0


def _export_workspace(
    args: argparse.Namespace, out: Path, earlier: list[str], names: list[str]
) -> int:
    from modeltrail.tui.commands._workspace import only, open_members

    chosen = only(args.workspace_entries, args.repo)
    members, opened = open_members(chosen, offline=args.cache_only)
    batches = []
    for member, con in opened:
        files = [f"table={name}/repo={member.name}/data.parquet" for name in names]
        batches.append((con, names, files))
    written = {f for _con, _names, files in batches for f in files}
    replaced = {m.name for m, _con in opened}  # their earlier partitions are replaced
    if args.repo is None:  # repositories no longer in the workspace go too
        kept = {e.name for e in chosen} - replaced
    else:
        kept = {e.name for e in args.workspace_entries} - replaced
    keep = [f for f in earlier if "/" in f and _repo_of(f) in kept]
    _write(out, earlier, batches, sorted(written | set(keep)))
    for con, _names, _files in batches:
        con.close()
    print(
        f"wrote {len(written)} Parquet files for {len(opened)} of {len(chosen)} "
        f"repositories to {out}"
    )
    return 0 if opened or not members else 1


def _repo_of(file: str) -> str:
    return file.split("/")[1].removeprefix("repo=")


def _write(out: Path, earlier: list[str], batches: list, final: list[str]) -> None:
    """Write each batch's (connection, table names, files) and leave exactly ``final``
    listed (and on disk, of what this export owns)."""
    import pyarrow.parquet as pq

    from modeltrail.store.query.queries import catalog_table

    try:
        out.mkdir(parents=True, exist_ok=True)
        # first: an export stopped half-way is still recognised (and replaced) next time
        _write_marker(out, sorted({*earlier, *final}))
        for con, names, files in batches:
            for name, file in zip(names, files, strict=True):
                target = out / file
                target.parent.mkdir(parents=True, exist_ok=True)
                part = target.parent / f".{target.name}.part"
                try:
                    pq.write_table(catalog_table(con, name), part)
                    os.replace(part, target)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        part.unlink()
        for stale in sorted(set(earlier) - set(final)):  # tables an older release had
            with contextlib.suppress(FileNotFoundError):
                (out / stale).unlink()
            for parent in list(Path(stale).parents)[:-1]:  # emptied partition folders
                with contextlib.suppress(OSError):
                    (out / parent).rmdir()
        _write_marker(out, final)
    except OSError as exc:
        raise Refused(f"cannot write the export to {out}: {exc.strerror or exc}") from None


def _earlier_export(out: Path) -> list[str]:
    """The files an earlier export in ``out`` wrote ([] for a new or empty directory);
    Refused when ``out`` is anything else (nothing written)."""
    if not os.path.lexists(out):
        return []
    if not out.is_dir():
        raise Refused(
            f"{out} exists and is not a directory; export writes into a new or empty "
            "directory (nothing was written)"
        )
    try:
        entries = os.listdir(out)
        if not entries:
            return []
        marker = json.loads((out / MARKER).read_text()) if MARKER in entries else None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "its marker file is unreadable"
        raise Refused(f"cannot use {out} for the export: {reason}; nothing was written") from None
    listed = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(listed, list):
        raise Refused(
            f"{out} is not empty and holds no earlier modeltrail export; export writes into "
            "a new or empty directory, or over its own earlier export (nothing was written)"
        )
    return [f for f in listed if isinstance(f, str) and _OWN_FILE.fullmatch(f)]


def _write_marker(out: Path, files: list[str]) -> None:
    part = out / f"{MARKER}.part"
    part.write_text(json.dumps({"modeltrail_export": 1, "files": files}, indent=1) + "\n")
    os.replace(part, out / MARKER)
