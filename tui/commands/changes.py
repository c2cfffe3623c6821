"""``modeltrail changes [--since 24h]``: what changed across the workspace (or in one
repository): stage assignments, rollbacks, undos and new versions, newest first, with
who, why and the metrics against what they replaced."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from modeltrail.tui.commands._common import (
    add_json,
    catalog,
    config_of,
    print_json,
    print_table,
)
from modeltrail.tui.format import fmt_version

NAME = "changes"
HELP = "what changed since a time: stages, rollbacks, undos, new versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        metavar="WHEN",
        default="24h",
        help="a duration back from now (30m, 24h, 7d, 2w) or a date (2026-12-01); default 24h",
    )
    parser.add_argument("--repo", metavar="NAME", help="with a workspace: only this repository")
    add_json(parser)


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    from modeltrail.store.errors import UsageError
    from modeltrail.store.query.changes_cache import parse_since

    now = now or datetime.now(UTC)
    since = parse_since(args.since, now)
    entries = getattr(args, "workspace_entries", None)
    found: list[dict] = []
    if entries is None:
        from modeltrail.store.query.changes import changes

        if args.repo:
            raise UsageError("--repo NAME needs a workspace (--workspace FILE)")
        repo, con = catalog(args)
        try:
            found = changes(con, since, config_of(repo).better)
        finally:
            con.close()
    else:
        from modeltrail.store.workspace import changes_since
        from modeltrail.tui.commands._workspace import only, open_members, warn

        # the catalogs are opened only where no answer is kept beside them
        members, opened = open_members(
            only(entries, args.repo), offline=args.cache_only, catalogs=False
        )
        said = {m.name for m in members if m.error is not None}
        found = changes_since(members, opened, since, now)
        warn([m for m in members if m.error is not None and m.name not in said])
    if args.json:
        print_json(found)
        return 0
    if not found:
        print(f"no changes since {since.isoformat(timespec='minutes')}")
        return 0
    across = entries is not None
    titles = ["WHEN", *(["REPO"] if across else []), "MODEL", "EVENT", "STAGE", "VERSION"]
    titles += ["FROM", "WHO", "METRICS", "WHY"]
    rows = []
    for c in found:
        metrics = ", ".join(f"{k} {d['delta']:+.4g}" for k, d in c["metrics"].items())
        rows.append(
            [
                (c["timestamp"] or "")[:16].replace("T", " "),
                *([c["repo"]] if across else []),
                c["model"] or "-",
                c["event"],
                c["stage"] or "-",
                fmt_version(c["version"]) or "-",
                fmt_version(c["from"]) or "-",
                c["author"] or "-",
                metrics or "-",
                c["reason"] or "",
            ]
        )
    last = len(titles) - 1
    # on a narrow terminal the reason gives way first, then who, then the metrics
    print_table(titles, rows, [last - 2, last - 1], flex=last, whole=(0,))
    return 0
