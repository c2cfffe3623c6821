"""``modeltrail diff MODEL A B [--all] [--json]``: what changed between two versions."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from modeltrail.store.query.diff import diff_versions
from modeltrail.tui.commands._common import add_json, catalog, console, print_json, safe
from modeltrail.tui.format import MISSING, human_size, nonfinite_text, plural

NAME = "diff"
HELP = "metrics, params, artifacts, environment and files between two versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="the model's name")
    parser.add_argument("a", metavar="A", help="old version: label, tag, stage or commit-ish")
    parser.add_argument("b", metavar="B", help="new version: label, tag, stage or commit-ish")
    parser.add_argument(
        "--all", dest="all_keys", action="store_true", help="include unchanged keys and files"
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo, con = catalog(args)
    result = diff_versions(con, repo, args.model, args.a, args.b, all_keys=args.all_keys)
    if args.json:
        print_json(result)
        return 0
    console().print(render(result))
    return 0


def render(result: dict[str, Any]) -> Group:
    """The diff as Rich renderables: a heading, then one table per non-empty section."""
    parts: list[Any] = [_heading(result)]
    stale = _stale_lines(result)
    if stale:
        parts.append(stale)
    artifacts, text_files = _shown_artifacts(result)
    sections: tuple[tuple[str, Callable[[Any], Any], Any], ...] = (
        ("Metrics", _metrics_table, result["metrics"]),
        ("Params", _params_table, result["params"]),
        ("Artifacts", _artifacts_table, artifacts),
        ("Environment", _environment_table, result["environment"]),
        ("Files", _files_table, result["files"]),
    )
    empty = []
    for title, build, data in sections:
        if data:
            parts.append(Text(""))
            parts.append(Text(title, style="bold"))
            parts.append(build(data))
        elif not (title == "Artifacts" and text_files):
            empty.append(title.lower())
    if text_files:
        parts.append(Text(""))
        parts.append(
            Text(f"({text_files} text files stored in git left out of Artifacts; --json has all)")
        )
    if empty:
        parts.append(Text(""))
        parts.append(Text("no changes in: " + ", ".join(empty)))
    return Group(*parts)


def _shown_artifacts(result: dict[str, Any]) -> tuple[list[dict], int]:
    """Artifacts for the table: LFS and DVC objects, and files git stores that are not
    text (text files are under Files, with line counts). Returns (rows, hidden count)."""
    text = {f["path"] for f in result["files"] if f["additions"] is not None}
    shown = [
        a
        for a in result["artifacts"]
        if not (a["storage"] == "git" and (a["path"] in text or a["change"] == "unchanged"))
    ]
    return shown, len(result["artifacts"]) - len(shown)


def _heading(result: dict[str, Any]) -> Text:
    text = Text()
    text.append_text(safe(result["model"]))
    text.append(": ")
    for side, sep in (("a", " → "), ("b", "")):
        version, commit = result[side]["version"], result[side]["commit"]
        text.append_text(safe(version))
        if not commit.startswith(version):
            text.append(f" ({commit[:7]})")
        text.append(sep)
    return text


def _stale_lines(result: dict[str, Any]) -> Text | None:
    stale = result.get("stale") or {}
    lines = []
    if stale.get("between"):
        lines.append(
            "⚠ stale metrics: params, code or model files changed between the versions "
            "but the metrics files did not"
        )
    for side in ("a", "b"):
        if stale.get(side):
            version = result[side]["version"]
            lines.append(
                f"⚠ stale metrics at {version}: its commit changed params, code or model "
                "files but not the metrics"
            )
    return safe("\n".join(lines)) if lines else None


def _fmt(value: Any) -> str:
    """A value for a table cell: numbers compactly, null as MISSING, the rest as JSON-ish."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else nonfinite_text(value)
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _diff_cell(entry: dict[str, Any]) -> str:
    if "diff" not in entry:
        if entry["old"] is None and entry["new"] is not None:
            return "added"
        if entry["new"] is None and entry["old"] is not None:
            return "removed"
        return "changed" if entry["old"] != entry["new"] else ""
    d = entry["diff"]
    return f"{d:+.6g}" if isinstance(d, float) else f"{d:+d}"


def _better_cell(better: bool | None) -> str:
    if better is None:
        return ""
    return "▲ better" if better else "▼ worse"


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def _metrics_table(metrics: dict[str, dict]) -> Table:
    table = _table("METRIC", "OLD", "NEW", "DIFF", "")
    for key, e in metrics.items():
        table.add_row(
            safe(key),
            safe(_fmt(e["old"])),
            safe(_fmt(e["new"])),
            _diff_cell(e),
            _better_cell(e.get("better")),
        )
    return table


def _params_table(params: dict[str, dict]) -> Table:
    table = _table("PARAM", "OLD", "NEW")
    for key, e in params.items():
        table.add_row(safe(key), safe(_fmt(e["old"])), safe(_fmt(e["new"])))
    return table


_HASH_NAME: dict[str | None, str] = {"lfs": "sha256:", "dvc": "md5:", "git": "blob "}


def _artifact_side(side: dict | None) -> str:
    if side is None:
        return "-"
    text = human_size(side.get("size"))
    if side.get("hash"):
        text += f" {_HASH_NAME.get(side.get('storage'), '')}{str(side['hash'])[:8]}"
    if side.get("nfiles"):
        text += f" ({plural(side['nfiles'], 'file')})"
    if side.get("storage") in ("lfs", "dvc") and side.get("present") is False:
        text += " (not cached)"
    return text


def _artifacts_table(artifacts: list[dict]) -> Table:
    table = _table("CHANGE", "PATH", "STORAGE", "OLD", "NEW")
    for e in artifacts:
        storage = e["storage"]
        old, new = e["old"], e["new"]
        if old and new and old.get("storage") != new.get("storage"):
            storage = f"{old.get('storage')}→{new.get('storage')}"
        table.add_row(
            e["change"],
            safe(e["path"]),
            safe(storage),
            safe(_artifact_side(old)),
            safe(_artifact_side(new)),
        )
    return table


def _environment_table(environment: list[dict]) -> Table:
    table = _table("CHANGE", "PACKAGE", "OLD", "NEW", "FILE")
    for e in environment:
        old = MISSING if e["old"] is None else (e["old"] or "(any)")
        new = MISSING if e["new"] is None else (e["new"] or "(any)")
        table.add_row(
            e["change"],
            safe(e["package"]),
            safe(old),
            safe(new),
            safe(e["file"]),
        )
    return table


def _files_table(files: list[dict]) -> Table:
    table = _table("CHANGE", "FILE", "+", "-")
    for f in files:
        binary = f["additions"] is None
        table.add_row(
            f["change"],
            safe(f"{f['old_path']} → {f['path']}" if f.get("old_path") else f["path"]),
            "bin" if binary else f"+{f['additions']}",
            "" if binary else f"-{f['deletions']}",
        )
    return table
