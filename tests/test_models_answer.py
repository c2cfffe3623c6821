"""The model list kept beside the catalog for its generation (``store.query.models_answer``):
the TUI's first screen reads it instead of asking DuckDB, and it is never older than the
catalog the app opened."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tui_support import build_tiny_repo, commit, git, index, tag, write

from modeltrail.store.catalog.files import open_snapshot
from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.query import models_answer, queries
from modeltrail.store.query.mainline import main_line
from modeltrail.store.repo import open_repo, repo_paths


def _fresh(repo: Path, main: str | None = None) -> list[dict]:
    con = open_snapshot(repo_paths(open_repo(repo)).catalog_file)
    assert con is not None
    try:
        with con.cursor() as cursor:
            return queries.list_models(cursor, main_line(cursor, main))
    finally:
        con.close()


def test_kept_models_read_back_as_asked_for_their_generation_and_main_only(
    tmp_path: Path,
) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    v120 = git(repo, "rev-parse", "churn@v1.2.0^{commit}").strip()
    tag(repo, "churn#prod#2", "promote", "2026-03-08T10:00:00Z", v120)  # prod had a holder
    index(repo)
    paths = repo_paths(open_repo(repo))
    generation = current_generation(paths)
    models = _fresh(repo)
    assert any(m["previous_details"] for m in models)  # a time among them (prod's holder)
    models_answer.keep_models(paths, generation, None, models)
    assert models_answer.kept_models(paths, generation, None) == models
    assert models_answer.kept_models(paths, generation, "dev") is None  # another main
    assert models_answer.kept_models(paths, None, None) is None  # generation not known
    # a new generation (something new indexed) is a miss
    tag(repo, "churn@v1.3.0", "register", "2026-03-12T10:00:00Z")
    index(repo)
    assert current_generation(paths) != generation
    assert models_answer.kept_models(paths, current_generation(paths), None) is None
    # a file that is not an answer is a miss, never an error
    (paths.catalog_dir / models_answer.ANSWER_FILE).write_text("{not json")
    assert models_answer.kept_models(paths, current_generation(paths), None) is None


def _first_screen_models(app) -> list[str]:
    """Run ``app`` until its first screen (a version's details shown): the model list's
    latest versions as shown."""

    async def go() -> list[str]:
        async with app.run_test(size=(100, 30)) as pilot:
            end = time.monotonic() + 60
            while app.screen.__class__.__name__ != "HomeScreen" or app.screen.shown_commit is None:
                await pilot.pause(0.01)
                assert time.monotonic() < end, "no first screen"
            return [f"{m['name']} {m['latest']}" for m in app.screen.model_list.models]

    return asyncio.run(go())


def test_the_first_screen_lists_the_kept_models_and_a_new_tag_changes_them(
    tmp_path: Path,
) -> None:
    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    asked: list[str] = []

    class Counting(ModeltrailApp):
        def _read_first_models(self, *args, **kwargs):  # the catalog asked for the models
            asked.append("catalog")
            return super()._read_first_models(*args, **kwargs)

    assert _first_screen_models(Counting(repo, index=False)) == ["churn v1.2.0"]
    assert asked == ["catalog"]  # nothing kept yet: asked, and kept for the next start
    assert _first_screen_models(Counting(repo, index=False)) == ["churn v1.2.0"]
    assert asked == ["catalog"]  # the second start read them from beside the catalog
    write(repo, "models/churn/metrics.json", {"auc": 0.91, "loss": 0.27})
    commit(repo, "churn: more data", "2026-03-12T10:00:00Z")
    tag(repo, "churn@v1.3.0", "register v1.3.0", "2026-03-12T10:00:00Z")
    index(repo)  # a new generation: what was kept is not its answer
    assert _first_screen_models(Counting(repo, index=False)) == ["churn v1.3.0"]
    assert asked == ["catalog", "catalog"]
