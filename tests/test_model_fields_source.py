"""A model's description, labels and type are the ones its declaration has at the tip of
the main line (as ``gto show`` reads them at HEAD), not those of whichever branch or DVC
experiment the walk happened to read last; a model the main line does not declare takes
them from its newest version (by commit date, then commit id). The same whether the
catalog was built in one go or grew run by run."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from gitbuilder import GitRepo
from test_index_equivalence import _catalog

from modeltrail.store.query.models import require_model
from modeltrail.store.repo import open_repo, repo_paths
from modeltrail.tui.cli import main

EXP_REF = "refs/exps/9f/3c1e0b7d2a4f6e8c0b1d3f5a7c9e1b3d5f7a9c0e/faced-keys"


def _dvc_yaml(
    labels: str, desc: str, typ: str, extra: str = "", where: str = "models/m.pkl"
) -> dict[str, str]:
    return {
        "dvc.yaml": (
            "artifacts:\n"
            "  m:\n"
            f"    path: {where}\n"
            f"    type: {typ}\n"
            f"    desc: {desc}\n"
            f"    labels: [{labels}]\n" + extra
        ),
        where: f"weights {labels}\n",
    }


_ONLY_EXP = "  x:\n    path: models/x.pkl\n    desc: x from {}\n    labels: [{}]\n"


def _models(capsys, repo: Path) -> dict[str, dict]:
    """name -> the model as the catalog describes it (``models --json`` shows its type;
    the details pane its description and labels)."""
    status = main(["-C", str(repo), "models", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    listed = {m["name"]: m["type"] for m in json.loads(out)}
    r = open_repo(repo)
    con = duckdb.connect(str(repo_paths(r).catalog_file), read_only=True)
    r.close()
    try:
        models = {name: require_model(con, name) for name in listed}
    finally:
        con.close()
    assert {n: m["type"] for n, m in models.items()} == listed
    return models


def _index(capsys, repo: Path, *args: str) -> None:
    status = main(["-C", str(repo), "index", *args])
    _out, err = capsys.readouterr()
    assert status == 0, err


def _experiment(
    g: GitRepo, labels: str, typ: str, extra: str = "", where: str = "models/m.pkl"
) -> str:
    """A commit on top of main that no branch holds, under ``refs/exps`` (as DVC)."""
    g.git("checkout", "-q", "--detach")
    files = _dvc_yaml(labels, f"from {labels}", typ, extra, where)
    if extra:
        files["models/x.pkl"] = f"x {labels}\n"
    exp = g.commit("dvc: faced-keys", files)
    g.git("update-ref", EXP_REF, exp)
    g.checkout("main")
    return exp


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("m with shufflenet", _dvc_yaml("shufflenet", "from shufflenet", "model"))
    return g


def _check_main(models: dict[str, dict]) -> None:
    m = models["m"]
    assert m["labels"] == ["shufflenet"]
    assert m["description"] == "from shufflenet"
    assert m["type"] == "model"
    assert (m["path"], m["artifact_path"]) == ("models", "models/m.pkl")


def test_main_line_declaration_wins_over_a_later_experiment(repo, capsys):
    _experiment(repo, "squeezenet", "experiment")
    _index(capsys, repo.path, "--rebuild")
    _check_main(_models(capsys, repo.path))


def test_main_line_declaration_wins_when_the_experiment_comes_later(repo, capsys):
    _index(capsys, repo.path)
    _check_main(_models(capsys, repo.path))
    _experiment(repo, "squeezenet", "experiment")
    _index(capsys, repo.path)  # incremental: the experiment's commit is new
    _check_main(_models(capsys, repo.path))
    _index(capsys, repo.path, "--rebuild")
    _check_main(_models(capsys, repo.path))


def test_main_moving_on_takes_its_new_declaration(repo, capsys):
    _experiment(repo, "squeezenet", "experiment")
    _index(capsys, repo.path)
    repo.commit("m with resnet", _dvc_yaml("resnet", "from resnet", "model"))
    _index(capsys, repo.path)
    grown = _models(capsys, repo.path)
    assert grown["m"]["labels"] == ["resnet"]
    _index(capsys, repo.path, "--rebuild")
    assert _models(capsys, repo.path) == grown


def test_a_model_only_an_experiment_declares_takes_its_newest_version(repo, capsys):
    _experiment(repo, "squeezenet", "experiment", _ONLY_EXP.format("one", "one"))
    _index(capsys, repo.path)
    # a second experiment, dated later, declares x differently
    repo.git("checkout", "-q", "--detach")
    files = _dvc_yaml("alexnet", "from alexnet", "model", _ONLY_EXP.format("two", "two"))
    later = repo.commit("dvc: later", {**files, "models/x.pkl": "x two\n"})
    repo.git("update-ref", EXP_REF.replace("faced-keys", "later-one"), later)
    repo.checkout("main")
    _index(capsys, repo.path)
    grown = _models(capsys, repo.path)
    _check_main(grown)
    assert grown["x"]["labels"] == ["two"]
    assert grown["x"]["description"] == "x from two"
    _index(capsys, repo.path, "--rebuild")
    assert _models(capsys, repo.path) == grown


def test_main_line_path_wins_over_an_experiment_that_moved_the_artifact(repo, capsys):
    _experiment(repo, "squeezenet", "experiment", where="exp/m.pkl")
    _index(capsys, repo.path, "--rebuild")
    _check_main(_models(capsys, repo.path))


def test_main_line_path_wins_when_the_moving_experiment_comes_later(repo, capsys):
    _index(capsys, repo.path)
    _experiment(repo, "squeezenet", "experiment", where="exp/m.pkl")
    _index(capsys, repo.path)  # incremental: the experiment's commit is new
    _check_main(_models(capsys, repo.path))
    _index(capsys, repo.path, "--rebuild")
    _check_main(_models(capsys, repo.path))


def test_a_moved_model_only_experiments_declare_takes_its_newest_path(repo, capsys):
    _experiment(repo, "squeezenet", "experiment", _ONLY_EXP.format("one", "one"))
    _index(capsys, repo.path)
    repo.git("checkout", "-q", "--detach")
    moved = _ONLY_EXP.format("two", "two").replace("models/x.pkl", "other/x.pkl")
    files = _dvc_yaml("alexnet", "from alexnet", "model", moved)
    later = repo.commit("dvc: later", {**files, "other/x.pkl": "x two\n"})
    repo.git("update-ref", EXP_REF.replace("faced-keys", "later-one"), later)
    repo.checkout("main")
    _index(capsys, repo.path)
    grown = _models(capsys, repo.path)
    _check_main(grown)
    assert (grown["x"]["path"], grown["x"]["artifact_path"]) == ("other", "other/x.pkl")
    _index(capsys, repo.path, "--rebuild")
    assert _models(capsys, repo.path) == grown


def test_runs_after_a_moved_path_work_with_the_walks_places(repo, capsys, tmp_path):
    """The table shows the main line's place, while the walk goes on with the one it
    found (its files are from there): a run after it indexes as a rebuild does."""
    _experiment(repo, "squeezenet", "experiment", where="exp/m.pkl")
    _index(capsys, repo.path, "--rebuild")
    repo.commit(
        "metrics",
        {"exp/metrics.json": '{"acc": 1}\n', "models/metrics.json": '{"acc": 2}\n'},
    )
    _index(capsys, repo.path)  # incremental
    grown = _catalog(repo.path)
    _index(capsys, repo.path, "--rebuild")
    assert _catalog(repo.path) == grown
