"""``modeltrail export DIR``: the catalog's tables as Parquet files.

DIR is a new or empty directory, or one holding an earlier export (recognised by the
marker file export writes there, which lists the files it wrote): anything else is
refused with nothing written, so an export never mixes into the work tree or a folder of
the user's. Replacing an earlier export rewrites its files and removes only the ones it
had listed; each file is written beside its final name and renamed into place.
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
_OWN_FILE = re.compile(r"[A-Za-z0-9_]+\.parquet")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir", help="a new or empty directory, or one holding an earlier modeltrail export"
    )


def run(args: argparse.Namespace) -> int:
    if not args.dir:
        raise UsageError(
            "export needs a directory name (an empty one would write into the current "
            "directory); nothing was written"
        )
    out = Path(args.dir)
    earlier = _earlier_export(out)
    import pyarrow.parquet as pq

    from modeltrail.store.catalog.schema import TABLES, VIEWS
    from modeltrail.store.query.queries import catalog_table
    from modeltrail.tui.commands._common import catalog

    _repo, con = catalog(args)
    names = [*TABLES, *VIEWS]
    files = [f"{name}.parquet" for name in names]
    try:
        out.mkdir(parents=True, exist_ok=True)
        # first: an export stopped half-way is still recognised (and replaced) next time
        _write_marker(out, sorted({*earlier, *files}))
        for name, file in zip(names, files, strict=True):
            part = out / f".{file}.part"
            try:
                pq.write_table(catalog_table(con, name), part)
                os.replace(part, out / file)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()
        for stale in sorted(set(earlier) - set(files)):  # tables an older release had
            with contextlib.suppress(FileNotFoundError):
                (out / stale).unlink()
        _write_marker(out, files)
    except OSError as exc:
        raise Refused(f"cannot write the export to {out}: {exc.strerror or exc}") from None
    print(f"wrote {len(files)} Parquet files to {out}")
    return 0


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
