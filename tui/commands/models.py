"""``modeltrail models``: each model, its latest version and who holds each stage."""

from __future__ import annotations

import argparse

from modeltrail.store.query.queries import list_models
from modeltrail.tui.commands._common import add_json, catalog, console, print_json, safe

NAME = "models"
HELP = "list models: latest version, stage -> version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    _repo, con = catalog(args)
    models = list_models(con)
    if args.json:
        print_json(
            [
                {
                    k: m[k]
                    for k in ("name", "path", "type", "sources", "latest", "versions", "stages")
                }
                for m in models
            ]
        )
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("MODEL", "TYPE", "LATEST", "VERSIONS", "STAGES", "SOURCES"):
        table.add_column(col)
    for m in models:
        stages = ", ".join(f"{s}={v}" for s, v in sorted(m["stages"].items()))
        table.add_row(
            safe(m["name"]),
            safe(m["type"] or "-"),
            safe(m["latest"] or "-"),
            str(m["versions"]),
            safe(stages or "-"),
            safe(",".join(m["sources"])),
        )
    console().print(table)
    return 0
