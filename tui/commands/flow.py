"""``modeltrail flow``: branches by kind, the integration branches, merges with metrics."""

from __future__ import annotations

import argparse

from rich.text import Text

from modeltrail.store.query.flow import flow
from modeltrail.tui.commands._common import (
    add_json,
    catalog,
    config_of,
    console,
    output_width,
    print_json,
    safe,
)

NAME = "flow"
HELP = "branches, the integration branch, merges into main, with metrics"
add_arguments = add_json  # its only option: --json


def run(args: argparse.Namespace) -> int:
    repo, con = catalog(args)
    try:
        data = flow(con, config_of(repo))
    finally:
        con.close()
    if args.json:
        print_json(data)
        return 0
    out = console()
    # piped: branch names whole (scripts, grep); on a terminal cut at 40 characters
    for line in render_text(data, widest=40 if output_width() is not None else None):
        out.print(line, no_wrap=True, crop=False, overflow="ignore")
    return 0


def render_text(data: dict, widest: int | None = 40) -> list[Text]:
    """The human-readable report: branches, then merges newest first with their metrics;
    branch names longer than ``widest`` are cut (None: never)."""
    lines: list[Text] = []
    integ = ", ".join(data["integration"]) or "none found"
    lines.append(
        Text.assemble("main: ", safe(data["main"] or "none found"), "   integration: ", safe(integ))
    )
    lines.append(Text(""))
    width = max([len(b["name"]) for b in data["branches"]] + [6])
    width = width if widest is None else min(widest, width)
    lines.append(
        Text(f"{'BRANCH':<{width}}  {'KIND':<11}  HEAD     AHEAD BEHIND  MERGED INTO", style="bold")
    )
    for b in data["branches"]:
        unmerged = b["kind"] != "main" and not b["merged"]
        merged = b["merged_into"] or ("unmerged" if unmerged else "-")
        name = b["name"] if len(b["name"]) <= width else b["name"][: width - 1] + "…"
        line = Text.assemble(
            safe(f"{name:<{width}}"),
            f"  {b['kind']:<11}  {b['head'][:7]}  ",
            f"{b['ahead']:>5} {b['behind']:>6}  ",
            safe(merged),
        )
        beats = _beats_summary(b["beats_main"], data.get("key_metrics", {}))
        if beats:
            line.append("  ")
            line.append_text(safe(beats))
        lines.append(line)
    lines.append(Text(""))
    lines.append(Text("MERGES (newest first)", style="bold"))
    for m in data["merges"]:
        lines.append(
            Text.assemble(
                f"{(m['date'] or '')[:10]}  {m['commit'][:7]}  ",
                safe(f"{', '.join(m.get('sources') or [m['from']])} → {m['into'] or '?'}"),
            )
        )
        for detail in _metric_lines(m, data.get("key_metrics", {})):
            lines.append(Text.assemble("    ", safe(detail)))
    return lines


def _beats_summary(beats: list[dict], keys: dict[str, list[str]]) -> str:
    if not beats:
        return ""
    ranked = sorted(beats, key=lambda x: _rank(keys.get(x["model"], []), x["metric"], x))
    top = ranked[0]
    more = f" (+{len(beats) - 1} more)" if len(beats) > 1 else ""
    return (
        f"★ beats main: {top['model']} {top['metric']} {top['value']:.4g} "
        f"vs {top['main']:.4g}{more}"
    )


def _rank(keys: list[str], key: str, entry: dict) -> tuple:
    """Key metrics first (in their order), then what moved most."""
    first = keys.index(key) if key in keys else len(keys)
    old, diff = entry.get("old", entry.get("main")), entry.get("diff") or 0
    return (first, -(abs(diff) / abs(old) if old else abs(diff)), key)


def _metric_lines(merge: dict, keys: dict[str, list[str]], per_model: int = 3) -> list[str]:
    """One line per changed model: its version and its metrics, key metrics first."""
    lines = []
    for model, metrics in merge["metrics"].items():
        versions = merge["versions"].get(model, {})
        base = versions.get("base_version")
        head = f"{model} {versions.get('version') or ''}" + (f" (was {base})" if base else "")
        moved = [(k, e) for k, e in metrics.items() if e.get("diff")]
        moved.sort(key=lambda ke: _rank(keys.get(model, []), ke[0], ke[1]))
        cells = [
            f"{k} {e['new']:.4g} ({e['diff']:+.3g} {'better' if e['better'] else 'worse'})"
            for k, e in moved[:per_model]
        ]
        rest = f", +{len(moved) - per_model} more" if len(moved) > per_model else ""
        lines.append(f"{head}: " + (", ".join(cells) + rest if cells else "metrics unchanged"))
    return lines
