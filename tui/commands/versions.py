"""``modeltrail versions MODEL``: the model's versions, newest first.

By default the main line (first-parent history of the main branch) plus every labelled
or staged version, as the TUI lists them; ``--all`` lists every branch's versions.
``--filter QUERY`` keeps those matching the TUI's filter language (``store.query.filter``)."""

from __future__ import annotations

import argparse

from modeltrail.store.query.browse import (
    key_metrics,
    main_line_topos,
    metric_keys,
    previous_metrics,
)
from modeltrail.store.query.filter import parse, to_sql
from modeltrail.store.query.mainline import main_line
from modeltrail.store.query.queries import iter_versions, require_model, truncated_commits
from modeltrail.tui.commands._common import (
    add_json,
    catalog,
    config_of,
    print_json_list,
    print_table,
)
from modeltrail.tui.format import MISSING, fmt_branch, fmt_version, short_id

NAME = "versions"
HELP = "list a model's versions, newest first"

JSON_KEYS = (
    "version",
    "commit",
    "labels",
    "labels_detail",
    "stages",
    "branch",
    "merged",
    "branches",
    "author",
    "date",
    "message",
    "metrics",
    "params",
    "seq",
    "is_latest",
    "stale_metrics",
    "mlflow",
    "main_line",
    "same_as",
    "rolled_back_from",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("-n", "--limit", type=int, default=None, help="newest N only")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="all_branches",
        help="every branch's versions (default: the main line plus labelled or staged ones)",
    )
    parser.add_argument(
        "--filter",
        metavar="QUERY",
        default="",
        help=(
            "only the versions matching QUERY, in the TUI's filter language: "
            "'test.auc>0.8 branch:main author:ana -is:stale' (see docs/CLI.md)"
        ),
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo, con = catalog(args)
    cfg = config_of(repo)
    line = main_line(con, cfg.main)
    truncated = truncated_commits(con)
    require_model(con, args.model)
    where = None
    if args.filter.strip():  # a query that is not valid: exit 2, with what is wrong
        where = to_sql(parse(args.filter, metric_keys(con, args.model)), args.model)
    # read in batches: never all the versions at once
    versions = iter_versions(
        con, args.model, limit=args.limit, main=line, all_branches=args.all_branches, where=where
    )
    if args.json:
        print_json_list(
            {**{k: v[k] for k in JSON_KEYS}, "history_truncated": v["commit"] in truncated}
            for v in versions
        )
        return 0
    keys = key_metrics(con, args.model)
    # compare each version with the one it was built on (as the TUI does)
    among = None if args.all_branches else main_line_topos(con, args.model, line)
    rows, commits, values = [], [], []
    for v in versions:
        note = " [stale metrics]" if v["stale_metrics"] else ""
        if v["commit"] in truncated:
            note += " [history truncated here: shallow clone]"
        rows.append(
            [
                _version_text(v),
                short_id(v["commit"]),
                (v["date"] or "")[:10],
                ",".join(fmt_version(s) for s in v["stages"]) or "-",
                fmt_branch(
                    v["branches"], v["main_line"], line.branch, line.sizes, v["branch"], v["merged"]
                ),
                f"{v['subject']}{note}",
            ]
        )
        commits.append(v["commit"])
        values.append([v["metrics"].get(k) for k in keys])
    previous = previous_metrics(con, args.model, commits, keys, among)
    for row, commit, new in zip(rows, commits, values, strict=True):
        prev = previous.get(commit, {})
        row[5:5] = [_metric_cell(cfg, k, prev.get(k), n) for k, n in zip(keys, new, strict=True)]
    titles = ["VERSION", "COMMIT", "DATE", "STAGES", "BRANCH", *keys, "MESSAGE"]
    # the date is never cut; the branch gives way to 20 cells before a metric goes
    print_table(titles, rows, _drop_order(len(keys)), flex=len(titles) - 1, cut={4: 20}, whole=(2,))
    return 0


def _drop_order(metrics: int) -> list[int]:
    """On a narrow terminal: metric columns go first (the last first), then the commit,
    the branch, the message; version, stages and date stay."""
    return [*range(5 + metrics - 1, 4, -1), 1, 4, 5 + metrics]


def _version_text(v: dict) -> str:
    """``v1.3.0 (latest)``; a branch rollback: ``= v1.1.0, rolled back from v1.2.0``."""
    text = v["version"]
    if v.get("rolled_back_from"):
        text += f", rolled back from {v['rolled_back_from']}"
    return text + (" (latest)" if v["is_latest"] else "")


def _metric_cell(cfg, key: str, old, new) -> str:
    if not isinstance(new, int | float) or isinstance(new, bool):
        return MISSING if new is None else str(new)
    text = f"{new:.4g}"
    if isinstance(old, int | float) and not isinstance(old, bool) and old != new:
        better = cfg.better(key, float(old), float(new))
        mark = "▲" if better else "▼"  # as in the TUI: ▲ better, ▼ worse
        text += f" {mark}{new - old:+.2g} {'better' if better else 'worse'}"
    return text
