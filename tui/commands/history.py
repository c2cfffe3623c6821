"""``modeltrail history [MODEL]``: stage events, rollbacks and undos, newest first."""

from __future__ import annotations

import argparse

from modeltrail.store.query.queries import history
from modeltrail.tui.commands._common import add_json, catalog, print_json, print_table
from modeltrail.tui.format import fmt_version

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
    titles = ["WHEN", "MODEL", "EVENT", "STAGE", "VERSION", "WHO", "WHY"]
    rows = [
        [
            (e["timestamp"] or "")[:16].replace("T", " "),
            e["model"] or "-",
            e["event"],
            e["stage"] or "-",
            fmt_version(e["version"]) or "-",
            e["author"] or "-",
            e["reason"] or (e["message"] or "").split("\n", 1)[0].rstrip("\r"),
        ]
        for e in events
    ]
    # on a narrow terminal who, then the model go; when, event, stage and version stay,
    # and when is never cut
    print_table(titles, rows, [5, 1, 6], flex=6, whole=(0,))
    return 0
