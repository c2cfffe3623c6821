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
    "changes",
    "sql",
    "export",
]


def command_module(name: str) -> ModuleType:
    """The module of the command ``name`` (one of ``COMMANDS``), imported now."""
    match name:
        case "demo":
            from modeltrail.tui.commands import demo

            return demo
        case "index":
            from modeltrail.tui.commands import index

            return index
        case "models":
            from modeltrail.tui.commands import models

            return models
        case "versions":
            from modeltrail.tui.commands import versions

            return versions
        case "diff":
            from modeltrail.tui.commands import diff

            return diff
        case "flow":
            from modeltrail.tui.commands import flow

            return flow
        case "history":
            from modeltrail.tui.commands import history

            return history
        case "checkout":
            from modeltrail.tui.commands import checkout

            return checkout
        case "rollback":
            from modeltrail.tui.commands import rollback

            return rollback
        case "undo":
            from modeltrail.tui.commands import undo

            return undo
        case "audit":
            from modeltrail.tui.commands import audit

            return audit
        case "changes":
            from modeltrail.tui.commands import changes

            return changes
        case "sql":
            from modeltrail.tui.commands import sql

            return sql
        case "export":
            from modeltrail.tui.commands import export

            return export
        case _:
            raise KeyError(name)
