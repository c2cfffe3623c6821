"""``modeltrail models``: each model, its latest version, who holds each stage and who
held it before (``● prod v1.3.0 ← v1.2.0 9d``), and what main holds when that is not the
latest version (``main = v1.1.0, rolled back from v1.2.0``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.cells import cell_len

from modeltrail.store.query.mainline import main_line
from modeltrail.store.query.queries import list_models
from modeltrail.tui.commands._common import (
    add_json,
    catalog,
    config_of,
    print_json_list,
    print_table,
)
from modeltrail.tui.format import NO_MODELS
from modeltrail.tui.widgets.badges import latest_text, model_badge_parts

NAME = "models"
HELP = "list models: latest version, stage -> version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo, con = catalog(args)
    models = list_models(con, main_line(con, config_of(repo).main))
    if args.json:
        keys: tuple[str, ...] = (
            "name",
            "path",
            "type",
            "sources",
            "latest",
            "latest_branch",
            "versions",
        )
        keys += ("stages", "previous")
        print_json_list({k: m[k] for k in (*keys, "main", "deleted")} for m in models)
        return 0
    if not models:
        print(NO_MODELS)
        return 0
    now = datetime.now(UTC)
    titles = ["MODEL", "TYPE", "LATEST", "VERSIONS", "STAGES", "SOURCES"]
    rows = [
        [
            m["name"],
            m["type"] or "-",
            latest_text(m) or "-",
            str(m["versions"]),
            ", ".join("".join(p[0] for p in b) for b in model_badge_parts(m, now)) or "-",
            ",".join(m["sources"]),
        ]
        for m in models
    ]
    # written a line at a time (a Rich Table of 10,000 models took most of a minute);
    # in a narrow terminal the sources go first, then the type, then the count, and
    # only then are the stages cut
    widest = max(cell_len(r[4]) for r in rows)
    print_table(titles, rows, [5, 1, 3], flex=4, flex_min=widest)
    return 0
