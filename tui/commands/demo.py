"""``modeltrail demo [DIR]``: build the sample repository and open the TUI on it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from modeltrail.store.errors import UsageError

NAME = "demo"
HELP = "build the sample repository (into DIR or a temporary directory) and open the TUI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?")
    parser.add_argument("--no-tui", action="store_true", help="only build it; print its path")
    parser.add_argument("--scale", type=int, default=0, help="append N more commits")


def run(args: argparse.Namespace) -> int:
    from modeltrail.sample_repo.generator import build_sample_repo

    if args.dir:
        target = Path(args.dir)
        if target.exists() and any(target.iterdir()):
            if (target / ".git").exists() and not args.scale:
                root = target  # already built: reuse it
            else:
                raise UsageError(f"{target} exists and is not empty")
        else:
            root = build_sample_repo(target, scale=args.scale)
    else:
        root = build_sample_repo(
            Path(tempfile.mkdtemp(prefix="modeltrail-demo-")) / "models", scale=args.scale
        )
    if args.no_tui:
        print(root)
        print(f"modeltrail demo: {_where(root, args)}", file=sys.stderr)
        return 0
    from modeltrail.tui.commands.open_tui import run_tui

    print(f"modeltrail demo: {_where(root, args)}", file=sys.stderr)
    args.repo_path = str(root)
    status = run_tui(args)
    print(f"modeltrail demo: the sample repository is kept in {root}", file=sys.stderr)
    return status


def _where(root: Path, args: argparse.Namespace) -> str:
    """Where the sample repository is and that it is kept (never deleted by modeltrail)."""
    if not args.dir:
        return f"built the sample repository in {root} (a temporary directory, kept: remove it when done)"
    return f"the sample repository is in {root} (kept)"
