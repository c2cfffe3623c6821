"""The version list's first page (``browse.versions_table(limit=N)``) is the whole list's
newest N rows, whatever the scope and the key metrics: the page reads only its own rows
(the TUI paints it before the rest has loaded), so it must never say anything the whole
list says otherwise; and its metric columns are what the ``metrics`` view says."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitbuilder import GitRepo
from realrepos import clone, needs_realrepos

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.query import browse
from modeltrail.store.query.mainline import main_line
from modeltrail.store.repo import open_repo


def _built_repo(tmp_path: Path) -> Path:
    """A model with two metrics files (keys ``FILE:KEY``), a metric that stops being
    reported, an experiment branch merged back, a labelled version off the main line, and
    a second model sharing commits."""
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "two models",
        {
            "artifacts.yaml": (
                "big:\n  type: model\n  path: models/big/model.pkl\n"
                "other:\n  type: model\n  path: models/other/model.pkl\n"
            ),
            "models/big/model.pkl": "weights",
            "models/big/metrics.json": '{"auc": 0.7, "loss": 0.5}',
            "models/other/model.pkl": "w",
            "models/other/metrics.json": '{"auc": 0.1}',
        },
    )
    for i in range(1, 6):
        files = {"models/big/metrics.json": f'{{"auc": 0.7{i}, "loss": 0.{5 - i}}}'}
        if i == 3:
            files["models/big/eval/scores.json"] = '{"f1": 0.4, "auc": 0.2}'
        if i == 4:
            files["models/big/metrics.json"] = '{"auc": 0.8}'  # loss no longer reported
            files["models/other/metrics.json"] = '{"auc": 0.2}'
        r.commit(f"retrain {i}", files)
    r.tag("big@v1.0.0", message="Registering artifact big version v1.0.0")
    r.branch("exp")
    r.checkout("exp")
    r.commit("experiment", {"models/big/metrics.json": '{"auc": 0.99, "loss": 0.01}'})
    r.tag("big@v1.1.0-rc", message="Registering artifact big version v1.1.0-rc")
    r.commit("experiment 2", {"models/big/metrics.json": '{"auc": 0.98}'})
    r.checkout("main")
    r.commit("on main", {"models/big/eval/scores.json": '{"f1": 0.5, "auc": 0.3}'})
    r.merge("exp", "merge the experiment")
    r.commit("after merge", {"models/big/metrics.json": '{"auc": 0.86, "loss": 0.09}'})
    return r.path


def _check_pages(path: Path) -> int:
    """Assert every page of every model's list in both scopes; the number of lists."""
    repo = open_repo(path)
    con = open_catalog(repo)
    try:
        line = main_line(con, None)
        checked = 0
        for (model,) in con.execute("SELECT name FROM models ORDER BY name").fetchall():
            every = browse.metric_keys(con, model)
            # every key with a number, one metrics file at a time as at once
            numeric = con.execute(
                "SELECT DISTINCT key FROM metrics WHERE model = $1 AND value IS NOT NULL "
                "ORDER BY key",
                [model],
            ).fetchall()
            assert every == [k for (k,) in numeric] == browse._metric_keys_at_once(con, model)
            for keys in (browse.key_metrics(con, model), every, every[::-1][:2], []):
                for all_branches in (True, False):
                    scope = {"main": line, "all_branches": all_branches}
                    whole = browse.versions_table(con, model, keys, **scope)
                    for limit in sorted({1, 2, 3, len(whole) - 1, len(whole), len(whole) + 5}):
                        if limit < 1:
                            continue
                        page = browse.versions_table(con, model, keys, limit=limit, **scope)
                        assert page.equals(whole.slice(0, limit)), (model, keys, limit)
                    _assert_metrics_are_the_views(con, model, keys, whole)
                    checked += 1
            # without a main line: main_line is null, every version is listed
            whole = browse.versions_table(con, model, every)
            assert whole.equals(browse.versions_table(con, model, every, limit=len(whole)))
            assert set(whole.column("main_line").to_pylist()) <= {None}
    finally:
        con.close()
        repo.close()
    return checked


def _assert_metrics_are_the_views(con, model: str, keys: list[str], table) -> None:
    rows = con.execute(
        "SELECT commit, key, value FROM metrics WHERE model = $1", [model]
    ).fetchall()
    want: dict[tuple[str, str], float | None] = {}
    for commit, key, value in rows:
        if value is not None:
            want[(commit, key)] = max(value, want.get((commit, key)) or value)
    for i, key in enumerate(keys):
        got = table.column(f"metric_{i}").to_pylist()
        for commit, value in zip(table.column("commit").to_pylist(), got, strict=True):
            assert value == want.get((commit, key)), (model, key, commit)


def test_a_first_page_is_the_newest_rows_of_the_whole_list(tmp_path: Path) -> None:
    assert _check_pages(_built_repo(tmp_path)) == 16


@needs_realrepos
@pytest.mark.parametrize(
    "name", ["example-get-started-experiments", "example-model-registry", "mlflow-seldon"]
)
def test_first_pages_of_real_repositories(tmp_path: Path, name: str) -> None:
    assert _check_pages(clone(name, tmp_path / name)) > 0
