"""One module per CLI command. Each exposes:

    NAME: str
    HELP: str
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int

and is listed in ``COMMANDS`` below (order = order in ``--help``).
"""

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
