"""Many models: the model listing asks DuckDB a fixed number of questions, however many
models there are (at 10,000 models one ``rolled_back_from`` query each took 8 s), and
still says what main holds after a branch rollback; the TUI's model list measures its
entries without building them (``bench/bench_models.py`` measures the speed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.mainline import main_line
from modeltrail.store.query.queries import list_models
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main as cli


class CountingConnection:
    """A real DuckDB connection that counts the statements run through it."""

    def __init__(self, con) -> None:
        self.con = con
        self.statements = 0

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.con.execute(*args, **kwargs)

    def sql(self, *args, **kwargs):
        self.statements += 1
        return self.con.sql(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.con, name)


def _repo(root: Path, models: int) -> GitRepo:
    """``models`` manifests, each retrained once on main; m0 is rolled back on main."""
    r = GitRepo(root)
    r.commit("add", {f"models/m{i}/model.yaml": f"name: m{i}\n" for i in range(models)})
    r.commit("train", {f"models/m{i}/metrics.json": '{"auc": 0.8}' for i in range(models)})
    for i in range(models):
        r.tag(f"m{i}@v1.0.0", message="v1.0.0")
    r.commit("retrain", {f"models/m{i}/metrics.json": '{"auc": 0.9}' for i in range(models)})
    for i in range(models):
        r.tag(f"m{i}@v1.1.0", message="v1.1.0")
    return r


def _statements(root: Path) -> tuple[int, list[dict]]:
    repo = open_repo(root)
    update_catalog(repo)
    con = CountingConnection(open_catalog(repo, refresh=False))
    main = main_line(con.con)
    models = list_models(con, main)  # type: ignore[arg-type]
    return con.statements, models


def test_listing_models_asks_the_same_number_of_questions_for_3_or_30(tmp_path, capsys):
    few, models = _statements(_repo(tmp_path / "few", 3).path)
    r = _repo(tmp_path / "many", 30)
    assert (
        cli(["-C", str(r.path), "rollback", "m0", "--to", "v1.0.0", "--yes", "--reason", "t"]) == 0
    )
    many, models = _statements(r.path)
    assert len(models) == 30
    assert many == few
    by_name = {m["name"]: m for m in models}
    assert by_name["m0"]["main"]["content_of"] == "v1.0.0"
    assert by_name["m0"]["main"]["rolled_back_from"] == "v1.1.0"
    assert by_name["m1"]["main"]["content_of"] == "v1.1.0"
    assert by_name["m1"]["main"]["rolled_back_from"] is None
    capsys.readouterr()
    assert cli(["-C", str(r.path), "models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed][:3] == ["m0", "m1", "m10"]
    assert listed[0]["latest"] == "v1.1.0" and listed[0]["versions"] == 4  # and the rollback commit
    assert cli(["-C", str(r.path), "models"]) == 0
    table = capsys.readouterr().out
    assert "main = v1.0.0, rolled back from v1.1.0" in table
    assert len(table.splitlines()) == 31


@pytest.mark.parametrize(
    "parts",
    [
        [("churn", "bold"), ("  v1.3.0", ""), (" (22)", "dim")],
        [("a" * 70, "bold"), ("  v1", "")],
        [("模型" * 20, "bold"), ("  v1", "")],
        [("m", "bold"), (" · 2 versions", "dim"), ("\n  ", ""), ("● prod v1 ← v0 3d", "bold")],
        [("m", ""), ("\n  ", ""), ("x " * 50, "dim")],
        [("churn", "bold"), ("  v1.3.0 (22)", ""), ("  ● prod v1.3.0 ← v1.2.0 9d", "")]
        + [("  ◐ staging v1.2.0 ← v1.1.0 31d", ""), ("  ○ dev v1.3.0 ← v1.2.0 10d", "")],
    ],
)
def test_a_model_entry_is_never_cut_and_goes_on_indented(parts):
    """Every line fits the pane; all of the entry's text is there; a line that goes on
    is indented under its model, so it cannot pass for another model's row."""
    from rich.cells import cell_len
    from rich.console import Console

    from modeltrail.tui.widgets.model_list import entry_lines

    console = Console(width=200)
    text = "".join(p[0] for p in parts)
    logical = text.split("\n")
    for width in (8, 20, 39, 40, 41, 60, 80, 200):
        lines = entry_lines(parts, width, console)
        assert all(cell_len(line.plain) <= width for line in lines)
        assert "".join(line.plain for line in lines).replace(" ", "") == text.replace(
            "\n", ""
        ).replace(" ", "")
        assert len(lines) >= len(logical)
        for line in lines:
            if line.plain and not line.plain.startswith(" "):
                # only a model's own first line starts at column 0
                assert logical[0].startswith(line.plain.split(" ")[0])
        if width >= max(cell_len(x) for x in logical):
            assert [line.plain for line in lines] == [x.rstrip() for x in logical]


def test_git_is_asked_for_news_only_once_the_first_screen_is_up(tmp_path):
    """The start-up index run and the remote check wait until the first version's details
    are on screen: at 10,000 models their git processes competed with the first screen."""
    import asyncio

    from tui_support import build_tiny_repo, frozen_now, index, settle

    from modeltrail.tui.app import ModeltrailApp

    class Watched(ModeltrailApp):
        INDEX_DELAY = 600.0  # only the home screen starts it here

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.asked: list[tuple[str, str | None]] = []  # (what, details shown then)

        def _shown(self) -> str | None:
            return getattr(self.screen, "shown_commit", None)

        def start_index_once(self) -> None:
            self.asked.append(("index", self._shown()))
            super().start_index_once()

        def check_remote(self) -> None:
            self.asked.append(("remote", self._shown()))
            super().check_remote()

    root = build_tiny_repo(tmp_path / "repo")
    index(root)

    async def run() -> list[tuple[str, str | None]]:
        app = Watched(str(root), now=frozen_now)
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(600):
                if app._index_started and not app.indexing:
                    break
                await pilot.pause(0.02)
            await settle(pilot)
            return app.asked

    asked = asyncio.run(run())
    assert asked[:2] == [("index", asked[0][1]), ("remote", asked[0][1])], asked
    assert asked[0][1] is not None, asked  # the first version's details were on screen


def test_the_r_column_is_read_once_the_first_details_are_shown(tmp_path):
    """The first screen is the list and the first version's details: the R column's
    checks (every listed version's facts) are read after it, never competing with it."""
    import asyncio

    from tui_support import build_tiny_repo, frozen_now, index, settle

    from modeltrail.tui.app import ModeltrailApp

    root = build_tiny_repo(tmp_path / "repo")
    index(root)

    async def run() -> None:
        app = ModeltrailApp(str(root), index=False, now=frozen_now)
        async with app.run_test(size=(120, 36)) as pilot:
            home = None
            for _ in range(3000):
                home = app.screen
                rows = getattr(home, "rows", None)
                if rows is not None and rows._repro is not None:
                    assert home.shown_commit is not None  # checks came after the details
                if getattr(home, "shown_commit", None) is not None:
                    break
                await asyncio.sleep(0)
            await settle(pilot)
            assert home is not None and home.rows is not None
            assert home.rows._repro is not None  # and they did come
            assert home.rows.cell("repro", 0).text in "✓✗?"

    asyncio.run(run())
