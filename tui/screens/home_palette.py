"""The home screen's jumps in the command palette: every model, stage holder and labelled
version (over a workspace, every repository's, named ``REPO/MODEL``), and versions by a
commit id's first hex digits. Read in the palette's thread; each command calls ``jump``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from modeltrail.tui.format import short_id, stage_glyph
from modeltrail.tui.palette import PaletteCommand

if TYPE_CHECKING:
    from modeltrail.tui.app_base import AppBase

#: jump(model, commit=None, repo=None)
Jump = Callable[..., object]

_HEX = set("0123456789abcdef")


def jump_commands(app: AppBase, jump: Jump) -> list[PaletteCommand]:
    """A command for each model, each stage's holder and each labelled version."""
    from modeltrail.store.query import queries

    out: list[PaletteCommand] = []
    for repo in [s.name for s in app.repos if s.readable]:
        at = f"{repo}/" if repo is not None else ""
        with app.connection(repo).cursor() as cursor:
            models = queries.list_models(cursor)
            labelled = queries.labelled_versions(cursor, limit=5000)
        for m in models:
            name = m["name"]
            go = partial(jump, name, repo=repo)
            out.append(PaletteCommand(f"Model: {at}{name}", "show its versions", go))
            for stage, info in sorted((m.get("stage_details") or {}).items()):
                out.append(
                    PaletteCommand(
                        f"Stage: {at}{name} {stage_glyph(stage)} {stage} → {info['version']}",
                        "go to the version holding this stage",
                        partial(jump, name, info["commit"], repo=repo),
                    )
                )
        for model, version, commit in labelled:
            out.append(
                PaletteCommand(
                    f"Version: {at}{model} {version}",
                    "go to this version",
                    partial(jump, model, commit, repo=repo),
                    discover=False,
                )
            )
    return out


def prefix_commands(app: AppBase, jump: Jump, query: str) -> list[PaletteCommand]:
    """Versions whose commit id starts with ``query`` (4+ hex digits)."""
    if len(query) < 4 or not set(query.lower()) <= _HEX:
        return []
    from modeltrail.store.query import queries

    with app.connection().cursor() as cursor:
        rows = queries.versions_at_prefix(cursor, query, limit=20)
    return [
        PaletteCommand(
            f"Version: {model} {version} {short_id(commit)}",
            "go to this version",
            partial(jump, model, commit),
            discover=False,
        )
        for model, version, commit in rows
    ]
