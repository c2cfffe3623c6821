"""One module per CLI command. Each exposes:

    NAME: str
    HELP: str
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int

and is listed in ``COMMANDS`` below (order = order in ``--help``) and in
``command_module``, which imports it only when asked (a run imports only its command).
"""

from __future__ import annotations

from types import ModuleType

COMMANDS = [
    "demo",
    "index",
    "models",
    "versions",
    "diff",
    "flow",
    "history",
    "checkout",
    "rollback",
    "undo",
    "audit",
    "sql",
    "export",
]


def command_module(name: str) -> ModuleType:
    """The module of the command ``name`` (one of ``COMMANDS``), imported now."""
    match name:
        case "demo":
            from modeltrail.tui.commands import demo as module
        case "index":
            from modeltrail.tui.commands import index as module
        case "models":
            from modeltrail.tui.commands import models as module
        case "versions":
            from modeltrail.tui.commands import versions as module
        case "diff":
            from modeltrail.tui.commands import diff as module
        case "flow":
            from modeltrail.tui.commands import flow as module
        case "history":
            from modeltrail.tui.commands import history as module
        case "checkout":
            from modeltrail.tui.commands import checkout as module
        case "rollback":
            from modeltrail.tui.commands import rollback as module
        case "undo":
            from modeltrail.tui.commands import undo as module
        case "audit":
            from modeltrail.tui.commands import audit as module
        case "sql":
            from modeltrail.tui.commands import sql as module
        case "export":
            from modeltrail.tui.commands import export as module
        case _:
            raise KeyError(name)
    return module
