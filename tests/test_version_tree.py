"""One model's version tree: the commit graph collapsed to that model's versions (a lane
per branch with versions of its own, forks and merges kept), in ``store.query.flow`` and
as the flow screen's ``t`` mode, readable at 80×24."""

from __future__ import annotations

from pathlib import Path

import duckdb
from test_flow_screen import _app, graph_lines, ids, open_flow, press, sample, unicode_lines
from tui_support import run_async, screen_text, settle

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.config import Config
from modeltrail.store.query.flow import Graph, build_flow, collapse
from modeltrail.store.repo import open_repo
from modeltrail.tui.screens.flow import FlowScreen

__all__ = ["ids", "sample", "unicode_lines"]  # fixtures shared with the flow screen tests


def _graph(parents: list[tuple[int, ...]]) -> Graph:
    ids = [f"{i:040x}" for i in range(len(parents))]
    return Graph(
        ids, parents, [f"c{i}" for i in range(len(parents))], {c: i for i, c in enumerate(ids)}
    )


def test_collapse_keeps_forks_and_merges_between_versions_only() -> None:
    # 0 v ─ 1 ─ 2 v ─────── 5 (merge of 4) ─ 6 v          main
    #        ╰─ 3 v ─ 4 ─────╯                             a branch with a version
    #             7 (fork of 2, no version) ─ 8 merged by 9 ─ 10 v
    parents = [(), (0,), (1,), (1,), (3,), (2, 4), (5,), (2,), (7,), (6, 8), (9,)]
    keep = {0, 2, 3, 6, 10}
    g, heads = collapse(_graph(parents), keep)
    assert [int(c, 16) for c in g.ids] == [0, 2, 3, 6, 10]
    new = {int(c, 16): i for i, c in enumerate(g.ids)}
    assert g.parents[new[2]] == (new[0],)
    assert g.parents[new[3]] == (new[0],)  # the fork stays
    assert g.parents[new[6]] == (new[2], new[3])  # the merge stays, first parent first
    assert g.parents[new[10]] == (new[6],)  # a branch with nothing of its own: no merge
    assert heads[f"{4:040x}"] == new[3] and heads[f"{8:040x}"] == new[2]


def _versions(con: duckdb.DuckDBPyConnection, model: str) -> set[str]:
    return {
        c for (c,) in con.execute("SELECT commit FROM versions WHERE model = ?", [model]).fetchall()
    }


def test_the_tree_holds_one_models_versions_with_its_branches(sample: Path) -> None:
    repo = open_repo(sample)
    con = open_catalog(repo)
    try:
        tree = build_flow(con, Config(), model="churn")
        churn, fraud = _versions(con, "churn"), _versions(con, "fraud")
    finally:
        con.close()
        repo.close()
    assert set(tree.graph.ids) == churn and not set(tree.graph.ids) & (fraud - churn)
    own = {tree.lanes[li].name for li in range(len(tree.lanes)) if tree.lanes[li].commits}
    assert "main" in own and "exp/churn-focal-loss" in own
    assert not any(name.startswith(("exp/fraud", "exp/ranker", "exp/recsys")) for name in own)
    assert any(lane.fork is not None for lane in tree.lanes if lane.commits)  # forks
    assert any(tree.lanes[m.into].name == "main" for m in tree.merges)  # merges into main
    labels = {label for entries in tree.versions_at.values() for _m, label, _c in entries}
    assert {"v1.2.0", "v1.3.0"} <= labels
    assert {s for entries in tree.stages_at.values() for _m, s in entries} >= {"prod"}
    shown_heads = {tree.lanes[li].name for lis in tree.heads_at.values() for li in lis}
    assert not any(n.startswith("exp/fraud") for n in shown_heads)


@run_async
async def test_t_shows_the_version_tree_at_80x24_and_back(sample: Path, ids) -> None:
    app = _app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flow(pilot)
        everything = screen.graph.rows
        await press(pilot, "t")
        assert isinstance(app.screen, FlowScreen) and screen.tree_model == "churn"
        text = screen_text(app)
        assert text.splitlines()[0].strip().startswith("Version tree churn")
        assert screen.graph.rows == len(screen.data.graph.ids) < everything
        rows = graph_lines(app)
        assert ids["focal"] in rows[0] and "[exp/churn-focal-loss]" in rows[0]
        assert not any("recsys" in row or "fraud" in row for row in rows)
        release = [row for row in rows if ids["v1.3.0"] in row]
        assert release and "⚑ churn:prod" in release[0] and "(churn@v1.3.0)" in release[0]
        await press(pilot, "G")
        rows = graph_lines(app)
        assert any("(churn@v1.0.0)" in row for row in rows)
        await press(pilot, "t")
        assert screen.tree_model is None and screen.graph.rows == everything
        assert screen_text(app).splitlines()[0].strip().startswith("Flow")


def test_snapshot_version_tree_80x24(sample: Path, snap_compare) -> None:
    async def run(pilot):
        await open_flow(pilot)
        await press(pilot, "t")

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


@run_async
async def test_the_palette_opens_the_selected_models_tree(sample: Path) -> None:
    app = _app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        await pilot.press(*"version tree")
        await settle(pilot)
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, FlowScreen) and screen.tree_model == "churn"
        assert screen_text(app).splitlines()[0].strip().startswith("Version tree churn")
        assert len(screen.data.graph.ids) == screen.graph.rows
