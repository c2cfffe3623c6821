"""``modeltrail models``: each model, its latest version, who holds each stage and who
held it before (``● prod v1.3.0 ← v1.2.0 9d``), and what main holds when that is not the
latest version (``main = v1.1.0, rolled back from v1.2.0``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.cells import cell_len

from modeltrail.store.catalog.files import gc_paused
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
from modeltrail.tui.widgets.badges import latest_text, main_badge_parts, model_badge_parts

NAME = "models"
HELP = "list models: latest version, stage -> version"
add_arguments = add_json  # its only option: --json


KEYS: tuple[str, ...] = ("name", "path", "type", "sources", "latest", "latest_branch", "versions")
KEYS += ("stages", "previous", "main", "deleted")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "workspace_entries", None) is not None:
        return _across(args)
    # 10,000 models are ~200,000 objects (dicts, rows, cells) alive until the command
    # ends, none of them in a cycle: the cyclic collector would only traverse them again
    with gc_paused():
        repo, con = catalog(args)
        config = config_of(repo)
        models = list_models(con, main_line(con, config.main))
        if args.json:
            print_json_list({k: m[k] for k in KEYS} for m in models)
            return 0
        if not models:
            print(NO_MODELS)
            return 0
        _print(models)
    return 0


def _across(args: argparse.Namespace) -> int:
    """Every repository's models, each with its ``repo``; a repository that could not be
    read is a row saying why (and a warning on stderr), never the end of the others."""
    from modeltrail.tui.commands._workspace import open_members

    members, opened = open_members(args.workspace_entries, offline=args.cache_only)
    found: dict[str, list[dict]] = {}
    for m, con in opened:
        assert m.repo is not None  # open_catalogs opens only members with a repository
        try:
            rows = list_models(con, main_line(con, config_of(m.repo).main))
        finally:
            con.close()
        found[m.name] = [{"repo": m.name, **model} for model in rows]
    models = [model for m in members for model in found.get(m.name, [])]
    if args.json:
        print_json_list({k: m[k] for k in ("repo", *KEYS)} for m in models)
        return 0
    failed = {m.name: m.error for m in members if m.error is not None}
    if not models and not failed:
        print(NO_MODELS)
        return 0
    _print(models, [m.name for m in members], failed)
    return 0


def _print(
    models: list[dict], repos: list[str] | None = None, failed: dict[str, str] | None = None
) -> None:
    now = datetime.now(UTC)
    titles = ["MODEL", "TYPE", "LATEST", "VERSIONS", "STAGES", "SOURCES"]
    rows = [
        [
            m["name"],
            m["type"] or "-",
            latest_text(m) or "-",
            str(m["versions"]),
            _badges_text(m, now),
            ",".join(m["sources"]),
        ]
        for m in models
    ]
    if repos is not None:  # a workspace: the repository first, its failure on its row
        titles.insert(0, "REPO")
        for row, m in zip(rows, models, strict=True):
            row.insert(0, m["repo"])
        for name in repos:
            if failed and name in failed:
                rows.append([name, f"⚠ not read: {failed[name]}", "-", "-", "-", "-", "-"])
    # written a line at a time (a Rich Table of 10,000 models took most of a minute);
    # in a narrow terminal the sources go first, then the type, then the count, and
    # only then are the stages cut
    if repos is None:
        widest = max(cell_len(r[4]) for r in rows)
        print_table(titles, rows, [5, 1, 3], flex=4, flex_min=widest)
    else:
        widest = max([cell_len(r[5]) for r in rows if r[5] != "-"] or [1])
        print_table(titles, rows, [6, 2, 4], flex=5, flex_min=widest)


def _badges_text(model: dict, now: datetime) -> str:
    """The STAGES cell: the model's badges as plain text (``model_badge_parts``), ``-``
    for none. Most of 10,000 models hold no stage: then only what main holds can show."""
    if model["stage_details"] or model["deleted"]:
        badges = model_badge_parts(model, now)
        return ", ".join("".join(p[0] for p in b) for b in badges) or "-"
    held = main_badge_parts(model)
    return ("".join(p[0] for p in held) if held else "") or "-"
