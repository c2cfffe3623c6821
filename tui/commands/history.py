"""``modeltrail history [MODEL]``: stage events, rollbacks and undos, newest first."""

from __future__ import annotations

import argparse

from modeltrail.store.query.queries import history
from modeltrail.tui.commands._common import add_json, catalog, console, print_json, safe

NAME = "history"
HELP = "stage events, rollbacks and undos, newest first"

JSON_KEYS = ("timestamp", "model", "event", "version", "stage", "commit", "author", "message")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?")
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    _repo, con = catalog(args)
    events = history(con, args.model)
    if args.json:
        print_json(
            [
                {
                    **{k: e[k] for k in JSON_KEYS},
                    "from": e["from"],
                    "ref": e["ref"],
                    "reason": e["reason"],
                }
                for e in events
            ]
        )
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("WHEN", "MODEL", "EVENT", "STAGE", "VERSION", "WHO", "WHY"):
        table.add_column(col)
    for e in events:
        why = e["reason"] or (e["message"] or "").split("\n", 1)[0]
        table.add_row(
            (e["timestamp"] or "")[:16].replace("T", " "),
            safe(e["model"]),
            e["event"],
            safe(e["stage"] or "-"),
            safe(e["version"] or "-"),
            safe(e["author"] or "-"),
            safe(why),
        )
    console().print(table)
    return 0
