"""The ``modeltrail`` command line: parses arguments and dispatches to ``tui.commands``."""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import threading
from typing import NoReturn

from modeltrail.store.errors import ModeltrailError
from modeltrail.store.pathtext import to_catalog
from modeltrail.tui.commands import COMMANDS, command_module
from modeltrail.tui.safe_text import safe_streams


def _chosen(argv: list[str]) -> str | None:
    """The command named on the command line (skipping ``-C PATH``); ``""`` when none is
    (the TUI opens: no command's module is needed); None for ``--help`` or a name that is
    not a command (every command is then imported, for its help)."""
    args = iter(argv)
    for arg in args:
        if arg in ("-C", "--workspace"):
            next(args, None)
        elif arg == "--offline":
            continue
        elif arg.startswith("-"):
            if arg in ("-h", "--help"):
                return None
        else:
            return arg if arg in COMMANDS else None
    return ""


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser. Only the command being run is imported (with what it
    needs), none when the TUI opens; ``--help`` and a bad command name import every
    command for their help."""
    parser = argparse.ArgumentParser(
        prog="modeltrail",
        # the command is optional: without one, modeltrail opens the TUI
        usage="modeltrail [-h] [-C PATH|URL | --workspace FILE] [--offline] [COMMAND [OPTIONS]]",
        description=(
            "Browse, compare and roll back ML model versions kept in git. "
            "Without a command, `modeltrail` opens the TUI on the repository."
        ),
        epilog="modeltrail COMMAND --help shows a command's options.",
    )
    parser.add_argument(
        "-C",
        dest="repo_path",
        metavar="PATH|URL",
        default=None,
        help=(
            "run as if started in PATH (as git -C); or read the repository at URL "
            "(https://, ssh://, git://, file://, host:path) from a cached partial clone, "
            "fetched first"
        ),
    )
    parser.add_argument(
        "--offline",
        dest="cache_only",
        action="store_true",
        help="with -C URL: answer from the cached clone without fetching",
    )
    parser.add_argument(
        "--workspace",
        metavar="FILE",
        default=None,
        help="work across the repositories FILE lists (TOML: [[repo]] path = ...); "
        "default: $XDG_CONFIG_HOME/modeltrail/workspace.toml outside a repository",
    )
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        prog="modeltrail",  # each command's usage: modeltrail versions ...
        title="commands (optional: without one, the TUI opens)",
    )
    chosen = _chosen(sys.argv[1:] if argv is None else argv)
    for name in COMMANDS:
        if chosen is not None and name != chosen:
            sub.add_parser(name)  # known by name; its module is not needed for this run
            continue
        mod = command_module(name)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


#: set by :func:`entry`: the process ends with the command
_ENDS_PROCESS = False


#: set by :func:`_main` when the TUI opened (no command)
_OPENED_TUI = False


def entry() -> NoReturn:
    """The ``modeltrail`` program (and ``python -m modeltrail.tui``): :func:`main`, then
    exit (what is still alive then goes with the process: see :func:`_main`)."""
    global _ENDS_PROCESS
    _ENDS_PROCESS = True
    _end(main())


def _end(status: int) -> NoReturn:
    """Exit with ``status``. After a command (not the TUI) that left nothing running but
    this thread, the process ends as soon as its output is flushed and the ``atexit``
    functions ran, without tearing the interpreter down: freeing every module, DuckDB
    and pyarrow one by one cost a small repository's ``index`` 0.05-0.08 s of CPU (a
    tenth of it) for nothing the process needs."""
    if not _OPENED_TUI and threading.active_count() == 1 and not _children():
        atexit._run_exitfuncs()
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            sys.exit(status)  # Python's own exit says what went wrong, as it always did
        os._exit(status)
    sys.exit(status)


def _children() -> list[object]:
    """The ``multiprocessing`` children still alive (none when it was never imported)."""
    mp = sys.modules.get("multiprocessing")
    return list(mp.active_children()) if mp is not None else []


def main(argv: list[str] | None = None) -> int:
    """Run one command; every line printed (errors too) goes through ``safe_text.clean``.

    A command's imports make ~100,000 objects and the command many more (10,000 models
    are ~200,000), nearly all alive until it ends and none in a cycle: the cyclic
    collector, which would traverse them again and again (0.05 s of models' CPU), is off
    until the command returns (the TUI, a long-lived process, runs with it on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with safe_streams():
            return _main(argv, collecting)
    finally:
        if _ENDS_PROCESS:  # the process ends now: what is alive is frozen out of the
            gc.freeze()  # collector, or its collections on the way out traverse it (0.03 s)
        if collecting:
            gc.enable()


#: arguments that are looked up in the catalog: models and versions
_CATALOG_ARGS = ("model", "version", "a", "b")


def _main(argv: list[str] | None, collecting: bool = True) -> int:
    global _OPENED_TUI
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    for name in _CATALOG_ARGS:
        # a model named after a directory whose name is not UTF-8: Python decodes argv
        # with surrogateescape, the catalog holds such a name in catalog form (and DuckDB
        # takes no surrogates at all)
        if isinstance(value := getattr(args, name, None), str):
            setattr(args, name, to_catalog(value))
    run = getattr(args, "_run", None)
    try:
        _workspace(args)
        if run is None:
            from modeltrail.tui.commands.open_tui import run_tui

            _OPENED_TUI = True

            if collecting:
                gc.enable()
            return run_tui(args)
        return run(args)
    except ModeltrailError as exc:
        print(f"modeltrail: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("modeltrail: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader stopped early (`modeltrail flow | head -1`)
        # what is still buffered for it would fail again at exit: send it nowhere
        if sys.__stdout__ is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
        return 0


def _workspace(args: argparse.Namespace) -> None:
    """With a workspace, commands that read every repository (and the TUI) get its
    entries (``args.workspace_entries``); the others are pointed at their model's
    repository."""
    from modeltrail.tui.commands import _workspace as ws

    args.workspace_entries = entries = ws.workspace_entries(args)
    command = getattr(args, "command", None)
    if entries is not None and command is not None and command not in ws.ACROSS:
        ws.resolve(args, entries)
        args.workspace_entries = None


if __name__ == "__main__":
    sys.exit(main())
