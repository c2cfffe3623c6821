"""``modeltrail models``: each model, its latest version, who holds each stage and who
held it before (``● prod v1.3.0 ← v1.2.0 9d``), and what main holds when that is not the
latest version (``main = v1.1.0, rolled back from v1.2.0``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.text import Text

from modeltrail.store.query.mainline import main_line
from modeltrail.store.query.queries import list_models
from modeltrail.tui.commands._common import add_json, catalog, config_of, console, print_json, safe
from modeltrail.tui.format import NO_MODELS
from modeltrail.tui.widgets.badges import model_badges

NAME = "models"
HELP = "list models: latest version, stage -> version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo, con = catalog(args)
    models = list_models(con, main_line(con, config_of(repo).main))
    if args.json:
        print_json(
            [
                {
                    k: m[k]
                    for k in (
                        "name",
                        "path",
                        "type",
                        "sources",
                        "latest",
                        "versions",
                        "stages",
                        "previous",
                        "main",
                        "deleted",
                    )
                }
                for m in models
            ]
        )
        return 0
    if not models:
        print(NO_MODELS)
        return 0
    from rich.table import Table

    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False)
    for col in ("MODEL", "TYPE", "LATEST", "VERSIONS", "STAGES", "SOURCES"):
        table.add_column(col)
    for m in models:
        stages = Text(", ").join(model_badges(m, now))
        table.add_row(
            safe(m["name"]),
            safe(m["type"] or "-"),
            safe(m["latest"] or "-"),
            str(m["versions"]),
            stages if stages else Text("-"),
            safe(",".join(m["sources"])),
        )
    console().print(table)
    return 0
