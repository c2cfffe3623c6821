"""The ``modeltrail`` command line: parses arguments and dispatches to ``tui.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

from modeltrail.store.errors import ModeltrailError
from modeltrail.tui.commands import COMMANDS


def _load_commands():
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"modeltrail.tui.commands.{name}"))
        except ModuleNotFoundError as exc:  # a command not written yet
            if exc.name != f"modeltrail.tui.commands.{name}":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modeltrail",
        description="Browse, compare and roll back ML model versions kept in git.",
    )
    parser.add_argument(
        "-C",
        dest="repo_path",
        metavar="PATH",
        default=None,
        help="run as if started in PATH (as git -C)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _load_commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    try:
        if run is None:
            from modeltrail.tui.commands.open_tui import run_tui

            return run_tui(args)
        return run(args)
    except ModeltrailError as exc:
        print(f"modeltrail: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("modeltrail: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
