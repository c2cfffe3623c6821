"""A metric is (file, key), as DVC keys it: several metrics (or params) files make
file-qualified keys everywhere (versions, details, diff), one file keeps plain keys, and a
renamed metrics file is removed + added, as in ``dvc metrics diff``."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.diff import diff_versions
from modeltrail.store.query.queries import iter_versions, version_detail
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main as cli_main

SEG = "models/seg"
TWO_FILES = (
    "metrics:\n- results/train/metrics.json\n- results/evaluate/metrics.json\n"
    "params:\n- results/train/params.yaml\n"
    "stages:\n  train:\n    cmd: python train.py\n    params:\n    - train\n"
)


def _metrics(dice: float, loss: float | None = None) -> str:
    doc: dict = {"dice_multi": dice}
    if loss is not None:
        doc["train"] = {"loss": loss}
    return json.dumps(doc)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    r = GitRepo(tmp_path_factory.mktemp("metricfiles") / "repo")
    r.c1 = r.commit(
        "two metrics files holding one key",
        {
            f"{SEG}/dvc.yaml": TWO_FILES,
            f"{SEG}/params.yaml": "train:\n  lr: 0.1\n  arch: resnet\n",
            f"{SEG}/results/train/params.yaml": "base_lr: 0.01\n",
            f"{SEG}/results/train/metrics.json": _metrics(0.91, 0.03),
            f"{SEG}/results/evaluate/metrics.json": _metrics(0.87),
            "models/ren/dvc.yaml": "metrics:\n- metrics.json\n",
            "models/ren/metrics.json": json.dumps({"acc": 0.7}),
        },
    )
    r.c2 = r.commit(
        "retrain; the evaluation file moves",
        {
            f"{SEG}/params.yaml": "train:\n  lr: 0.2\n  arch: resnet\n",
            f"{SEG}/results/train/params.yaml": "base_lr: 0.005\n",
            f"{SEG}/results/train/metrics.json": _metrics(0.89, 0.04),
            f"{SEG}/results/evaluate/metrics.json": _metrics(0.84),
            "models/ren/dvc.yaml": "metrics:\n- eval/metrics.json\n",
            "models/ren/metrics.json": None,
            "models/ren/eval/metrics.json": json.dumps({"acc": 0.7}),
        },
    )
    r.repo = open_repo(r.path)
    update_catalog(r.repo)
    r.con = open_catalog(r.repo, refresh=False)
    return r


TRAIN = f"{SEG}/results/train/metrics.json"
EVAL = f"{SEG}/results/evaluate/metrics.json"


def test_versions_keep_each_files_value_under_its_own_key(repo):
    latest = list(iter_versions(repo.con, "seg"))[0]
    assert latest["metrics"] == {
        f"{TRAIN}:dice_multi": 0.89,
        f"{TRAIN}:train.loss": 0.04,
        f"{EVAL}:dice_multi": 0.84,
    }
    assert latest["params"] == {
        f"{SEG}/params.yaml:train.lr": 0.2,
        f"{SEG}/params.yaml:train.arch": "resnet",
        f"{SEG}/results/train/params.yaml:base_lr": 0.005,
    }


def test_details_show_the_same_keys_with_their_file(repo):
    d = version_detail(repo.con, "seg", repo.c2)
    rows = {r["key"]: (r["source"], r["value"]) for r in d["metrics"]}
    assert rows[f"{EVAL}:dice_multi"] == (EVAL, 0.84)
    assert rows[f"{TRAIN}:dice_multi"] == (TRAIN, 0.89)


def test_diff_compares_the_same_file_and_key_only(repo, capsys):
    status = cli_main(["-C", str(repo.path), "diff", "seg", repo.c1, repo.c2, "--json"])
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"][f"{EVAL}:dice_multi"] == {
        "old": 0.87,
        "new": 0.84,
        "diff": -0.03,  # the decimal numbers' difference (0.84 - 0.87 is -0.03000000000000002)
        "better": False,
        "file": EVAL,
        "key": "dice_multi",
    }
    assert out["metrics"][f"{TRAIN}:dice_multi"]["old"] == 0.91
    assert out["params"][f"{SEG}/results/train/params.yaml:base_lr"]["diff"] == -0.005


def test_diff_table_on_screen_names_the_file(repo, capsys):
    assert cli_main(["-C", str(repo.path), "diff", "seg", repo.c1, repo.c2]) == 0
    out = capsys.readouterr().out
    assert f"{EVAL}:dice_multi" in out and f"{TRAIN}:dice_multi" in out


def test_a_renamed_metrics_file_is_removed_and_added(repo):
    d = diff_versions(repo.con, repo.repo, "ren", repo.c1, repo.c2)
    assert d["metrics"] == {
        "models/ren/eval/metrics.json:acc": {
            "old": None,
            "new": 0.7,
            "better": None,
            "file": "models/ren/eval/metrics.json",
            "key": "acc",
        },
        "models/ren/metrics.json:acc": {
            "old": 0.7,
            "new": None,
            "better": None,
            "file": "models/ren/metrics.json",
            "key": "acc",
        },
    }


def test_unchanged_keys_are_listed_with_all(repo):
    d = diff_versions(repo.con, repo.repo, "seg", repo.c1, repo.c2, all_keys=True)
    assert set(d["params"]) >= {f"{SEG}/params.yaml:train.arch"}
    assert "diff" not in d["params"][f"{SEG}/params.yaml:train.arch"]


def test_a_qualified_metric_is_judged_by_its_key_not_its_files_path():
    from modeltrail.store.config import Config

    cfg = Config(metric_directions={"dice_multi": "lower"})
    assert Config().direction("loss_curves/metrics.json:accuracy") == "higher"
    assert Config().direction("results/metrics.json:eval.loss") == "lower"
    assert cfg.direction("results/train/metrics.json:dice_multi") == "lower"


def test_a_second_metrics_file_added_later_qualifies_old_keys_too(tmp_path):
    """The FILE:KEY rule counts a model's files over all its versions: a second file in a
    new commit, indexed incrementally, qualifies the keys of the versions before it, as a
    rebuild does."""
    r = GitRepo(tmp_path / "repo")
    r.commit("a model", {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": "{}"})
    r.commit("a value", {"models/m/metrics.json": json.dumps({"acc": 0.7})})
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    assert list(iter_versions(con, "m"))[0]["metrics"] == {"acc": 0.7}
    con.close()
    r.commit("a second metrics file", {"models/m/metrics.yaml": "f1: 1\n"})
    assert update_catalog(repo).mode == "incremental"
    con = open_catalog(repo, refresh=False)
    incremental = [v["metrics"] for v in list(iter_versions(con, "m"))]
    con.close()
    update_catalog(repo, rebuild=True)
    con = open_catalog(repo, refresh=False)
    rebuilt = [v["metrics"] for v in list(iter_versions(con, "m"))]
    con.close()
    assert incremental == rebuilt
    assert incremental[0] == {"models/m/metrics.json:acc": 0.7, "models/m/metrics.yaml:f1": 1}
    assert incremental[1] == {"models/m/metrics.json:acc": 0.7}


def _view_keys(con, model: str) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT key FROM metrics WHERE model = ? AND value IS NOT NULL ORDER BY key",
        [model],
    ).fetchall()
    return [k for (k,) in rows]


def test_the_filters_metric_keys_are_the_views_keys(repo):
    """What the TUI's filter accepts (``metric_keys``, from each model's distinct files)
    is exactly what the metrics view names, file-qualified where a model has several."""
    from modeltrail.store.query.browse import metric_keys

    for (model,) in repo.con.execute("SELECT name FROM models").fetchall():
        assert metric_keys(repo.con, model) == _view_keys(repo.con, model)
    assert metric_keys(repo.con, "seg") == [
        f"{SEG}/results/evaluate/metrics.json:dice_multi",
        f"{SEG}/results/train/metrics.json:dice_multi",
        f"{SEG}/results/train/metrics.json:train.loss",
    ]
    # a renamed metrics file is two files over the model's versions
    assert metric_keys(repo.con, "ren") == [
        "models/ren/eval/metrics.json:acc",
        "models/ren/metrics.json:acc",
    ]


def test_the_filter_finds_a_version_by_a_file_qualified_metric(repo):
    """``FILE:KEY>N`` and a nested key (``train.loss``) select the right version: the
    filter also says which key a value has in its file, to read only those values."""
    from modeltrail.store.query.browse import metric_keys
    from modeltrail.store.query.filter import matching_topos

    keys = metric_keys(repo.con, "seg")
    topo = dict(
        repo.con.execute("SELECT commit, topo FROM versions WHERE model = 'seg'").fetchall()
    )

    def found(query: str) -> set[int]:
        return set(matching_topos(repo.con, "seg", query, keys).to_pylist())

    assert found(f"{EVAL}:dice_multi>0.85") == {topo[repo.c1]}
    assert found(f"{TRAIN}:dice_multi<0.9") == {topo[repo.c2]}
    assert found(f"{TRAIN}:train.loss>=0.04") == {topo[repo.c2]}
    assert found(f"-{TRAIN}:train.loss>=0.04") == {topo[repo.c1]}
    assert found(f"{EVAL}:dice_multi>0.8 {TRAIN}:dice_multi>0.9") == {topo[repo.c1]}
