"""``modeltrail audit [MODEL]``: how reproducible each version is, how long a version held
a stage before it was moved away from, and which labels moved to another commit."""

from __future__ import annotations

import argparse

from modeltrail.tui.audit_text import GLYPHS
from modeltrail.tui.commands._common import (
    add_json,
    catalog,
    console,
    print_json,
    print_table,
    safe,
)
from modeltrail.tui.format import fmt_duration, fmt_pct

NAME = "audit"
HELP = "reproducibility per version, time to roll back, labels that moved"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?")
    parser.add_argument(
        "--all", action="store_true", help="list every version (default: those not reproducible)"
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    from modeltrail.store.query.audit import audit, remotes_of
    from modeltrail.store.repo import repo_paths

    repo, con = catalog(args)
    result = audit(con, repo_paths(repo).catalog_dir, remotes_of(repo), args.model)
    if args.json:
        print_json(result)
        return 0
    _print(result, args.all)
    return 0


def _print(result: dict, show_all: bool) -> None:
    from rich.text import Text

    out = console()
    missing = ", ".join(result["missing_most"][:3]) or "nothing"
    out.print(
        Text(
            f"reproducible: {fmt_pct(result['percent_reproducible'])} of versions, "
            f"{fmt_pct(result['percent_reproducible_labelled'])} of labelled versions; "
            f"missing most: {missing}"
        )
    )
    # tables piped whole, one row per line; on a terminal the reasons give way first
    titles = ["MODEL", "VERSIONS", "REPRODUCIBLE", "MISSING", "HELD BEFORE MOVE (median/max)"]
    models = []
    for m in result["models"]:
        ttr = m["time_to_rollback_s"]
        models.append(
            [
                m["name"],
                str(m["versions"]),
                f"{m['reproducible']} ({fmt_pct(m['percent_reproducible'])})",
                ", ".join(f"{k} {n}" for k, n in m["missing"].items()) or "-",
                f"{fmt_duration(ttr['median'])} / {fmt_duration(ttr['max'])}"
                if ttr["count"]
                else "-",
            ]
        )
    print_table(titles, models, [3], flex=3)
    rows = [v for v in result["versions"] if show_all or not v["reproducible"]]
    if rows:
        out.print()
        versions = []
        for v in rows:
            checks = " ".join(GLYPHS[v["checks"][c]] for c in v["checks"])
            why = "; ".join(f"{k}: {r}" for k, r in v["reasons"].items())
            versions.append([v["model"], v["version"], checks, why])
        print_table(["MODEL", "VERSION", "P D E A M", "WHY"], versions, [], flex=3)
        out.print(Text("P params  D data  E environment  A artifact  M metrics  (✓ ✗ ? unknown)"))
    if result["rollbacks"]:
        out.print()
        moves = [
            [
                r["model"],
                r["stage"] or "(branch)",
                r["from"] or "-",
                r["to"] or "-",
                fmt_duration(r["time_to_rollback_s"]),
                (r["rolled_back_at"] or "")[:16].replace("T", " "),
            ]
            for r in result["rollbacks"]
        ]
        titles = ["MODEL", "STAGE", "FROM", "TO", "HELD", "MOVED AT"]
        print_table(titles, moves, [], whole=(5,))
    for c in result["labels_changed"]:
        out.print(
            Text("⚠ label moved: ")
            + safe(f"{c['model']} {c['label']} ({c['tag']}) ")
            + Text(f"{(c['old_commit'] or '')[:7]} → {(c['new_commit'] or '')[:7]}")
            + Text(f", seen {c['seen_at']}")
        )
