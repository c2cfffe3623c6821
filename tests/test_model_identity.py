"""Which models a repository holds and what their versions are (generated repositories)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gitbuilder import GitRepo
from test_catalog import assert_same_as_full_rebuild

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main as cli

MLMODEL = "flavors:\n  python_function: {loader_module: mlflow.sklearn}\n"


def run_json(capsys, repo: Path, *args: str):
    capsys.readouterr()
    assert cli(["-C", str(repo), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def names(capsys, repo: Path) -> list[str]:
    return [m["name"] for m in run_json(capsys, repo, "models")]


def index_output(capsys, repo: Path) -> str:
    capsys.readouterr()
    assert cli(["-C", str(repo), "index"]) == 0
    return capsys.readouterr().out


def test_same_named_directories_are_two_models(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit("a", {"a/model/MLmodel": MLMODEL, "a/model/m.bin": "1"})
    r.branch("side")
    r.checkout("side")
    r.commit("b", {"b/model/MLmodel": MLMODEL, "b/model/m.bin": "2"})
    r.commit("b again", {"b/model/m.bin": "3"})
    r.checkout("main")
    r.commit("c", {"x/deep/model/MLmodel": MLMODEL, "y/deep/model/MLmodel": MLMODEL})
    out = index_output(capsys, r.path)
    expected = ["a/model", "b/model", "x/deep/model", "y/deep/model"]
    assert names(capsys, r.path) == expected
    assert out.count("same name") == 1, out  # said once, naming every clash
    assert "a/model" in out and "y/deep/model" in out
    versions = {m["name"]: m["versions"] for m in run_json(capsys, r.path, "models")}
    assert versions["a/model"] == 1 and versions["b/model"] == 2
    # stable: again, after a rebuild, and with another ref set
    assert "same name" not in index_output(capsys, r.path)
    repo = open_repo(r.path)
    assert update_catalog(repo, rebuild=True).mode == "full"
    assert names(capsys, r.path) == expected
    r.branch("other", "HEAD~1")
    r.checkout("other")
    r.commit("other", {"notes.md": "x\n"})
    assert update_catalog(repo).mode == "incremental"
    assert names(capsys, r.path) == expected
    assert_same_as_full_rebuild(repo).close()


def test_file_artifacts_in_one_directory(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit("readme", {"README.md": "hi\n"})
    artifacts = "a:\n  type: model\n  path: models/a.pkl\nb:\n  type: model\n  path: models/b.pkl\n"
    r.commit("declare", {"artifacts.yaml": artifacts})
    a1 = r.commit("a: first", {"models/a.pkl": "a1"})
    a2 = r.commit("a: second", {"models/a.pkl": "a2"})
    b1 = r.commit("b: first", {"models/b.pkl": "b1"})
    r.commit("docs", {"models/README.md": "shared dir\n"})
    b2 = r.commit("b: second", {"models/b.pkl": "b2"})
    assert [v["commit"] for v in run_json(capsys, r.path, "versions", "a")] == [a2, a1]
    assert [v["commit"] for v in run_json(capsys, r.path, "versions", "b")] == [b2, b1]
    models = {m["name"]: m for m in run_json(capsys, r.path, "models")}
    assert models["a"]["latest"] == a2[:7] and models["b"]["latest"] == b2[:7]
    assert models["a"]["type"] == "model"


def test_dvc_yaml_with_artifact_and_metrics_is_one_model(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    dvc_yaml = (
        "stages:\n  train:\n    cmd: python train.py\n    outs: [model.pkl]\n"
        "    metrics: [{metrics.json: {cache: false}}]\n"
        "artifacts:\n  seg:\n    path: model.pkl\n    type: model\n"
    )
    r.commit("pipeline", {"dvc.yaml": dvc_yaml, "metrics.json": '{"auc": 0.7}'})
    r.commit("retrain", {"metrics.json": '{"auc": 0.8}'})
    r.commit("notes", {"notes/x.md": "x\n"})
    (model,) = run_json(capsys, r.path, "models")
    assert model["name"] == "seg" and model["type"] == "model"
    assert "dvc" in model["sources"]
    versions = run_json(capsys, r.path, "versions", "seg")
    assert [v["metrics"] for v in versions] == [{"auc": 0.8}, {"auc": 0.7}]


def test_root_model_is_named_after_the_repository(tmp_path: Path, capsys) -> None:
    src = GitRepo(tmp_path / "upstream" / "fraud-models.git")
    src.commit("model", {"MLmodel": MLMODEL, "model.pkl": "1"})
    assert names(capsys, src.path) == ["fraud-models.git"]  # no origin: the directory
    clone = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(src.path), str(clone)], check=True)
    assert names(capsys, clone) == ["fraud-models"]  # origin URL, without .git


def test_fresh_clone_remote_branches_and_experiments(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "upstream")
    r.commit("churn", {"models/churn/model.yaml": "name: churn\n", "models/churn/w": "1"})
    r.branch("exp/lr")
    r.checkout("exp/lr")
    lr = r.commit("churn: lr", {"models/churn/w": "2"})
    r.checkout("main")
    r.git("update-ref", "refs/exps/ab/cdef0123/tidy-newt", lr)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(r.path), str(clone)], check=True)
    subprocess.run(
        ["git", "fetch", "-q", "origin", "refs/exps/*:refs/exps/*"], cwd=clone, check=True
    )
    versions = {v["commit"]: v for v in run_json(capsys, clone, "versions", "churn", "--all")}
    assert versions[lr]["branches"] == ["origin/exp/lr"]
    flow = run_json(capsys, clone, "flow")
    kinds = {b["name"]: b["kind"] for b in flow["branches"]}
    assert flow["main"] == "main"
    assert "origin/exp/lr" in kinds and "tidy-newt" in kinds
    assert "origin/main" not in kinds and "origin/HEAD" not in kinds
    # a local branch of that name replaces the remote-tracking one
    subprocess.run(["git", "branch", "-q", "exp/lr", "origin/exp/lr"], cwd=clone, check=True)
    versions = {v["commit"]: v for v in run_json(capsys, clone, "versions", "churn", "--all")}
    assert versions[lr]["branches"] == ["exp/lr"]
    assert_same_as_full_rebuild(open_repo(clone)).close()


def test_latest_without_labels_is_the_newest_on_the_main_line(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit("one", {"models/s/MLmodel": MLMODEL, "models/s/m.bin": "1"})
    newest_main = r.commit("two", {"models/s/m.bin": "2"})
    r.branch("exp")
    r.checkout("exp")
    r.commit("three", {"models/s/m.bin": "3"})
    r.checkout("main")
    (model,) = run_json(capsys, r.path, "models")
    assert model["latest"] == newest_main[:7]


def test_a_commit_equal_to_a_listed_version_is_shown_as_it(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    decl = "m:\n  type: model\n  path: models/m/w.bin\n"
    r.commit("v1", {"artifacts.yaml": decl, "models/m/w.bin": "1"})
    r.tag("m@v1.0.0", message="v1")
    r.branch("exp")
    r.checkout("exp")
    r.commit("exp: notes only", {"exp.md": "x\n"})
    r.checkout("main")
    r.commit("v2", {"models/m/w.bin": "2"})
    r.tag("m@v1.1.0", message="v2")
    r.checkout("exp")
    merged = r.merge("main", "Merge branch 'main' into exp")
    reverted = r.commit("back", {"models/m/w.bin": "1"})
    r.commit("unrelated", {"README.md": "x\n"})
    versions = {v["commit"]: v for v in run_json(capsys, r.path, "versions", "m", "--all")}
    assert versions[merged]["version"] == "= v1.1.0"
    assert versions[reverted]["version"] == "= v1.0.0"
    assert len(versions) == 4


def test_index_prints_only_this_runs_warnings(tmp_path: Path, capsys) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit("bad", {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": "{oops"})
    first = index_output(capsys, r.path)
    assert first.count("warning:") == 1, first
    assert "warning:" not in index_output(capsys, r.path)  # nothing new: nothing said
    r.commit("worse", {"models/m/params.yaml": "a: [\n"})
    second = index_output(capsys, r.path)
    assert second.count("warning:") == 1 and "params.yaml" in second, second


def test_a_renamed_artifact_directory_keeps_its_earlier_versions_files(
    tmp_path: Path, capsys
) -> None:
    """m@v1.0.0 lived in models/a/, then the directory was renamed to models/b/: v1.0.0
    keeps its files and its metrics (at its own path), as gto and git log say."""
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "m v1",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/a/model.pkl\n",
            "models/a/model.pkl": "weights v1\n",
            "models/a/metrics.json": '{"auc": 0.8}\n',
        },
    )
    r.tag("m@v1.0.0", message="Registering artifact m version v1.0.0")
    r.git("mv", "models/a", "models/b")
    r.commit(
        "m moved, v2",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/b/model.pkl\n",
            "models/b/model.pkl": "weights v2\n",
            "models/b/metrics.json": '{"auc": 0.9}\n',
        },
    )
    r.tag("m@v2.0.0", message="Registering artifact m version v2.0.0")
    versions = {v["version"]: v for v in run_json(capsys, r.path, "versions", "m")}
    assert set(versions) == {"v1.0.0", "v2.0.0"}
    assert versions["v1.0.0"]["metrics"] == {"models/a/metrics.json:auc": 0.8}
    assert versions["v2.0.0"]["metrics"] == {"models/b/metrics.json:auc": 0.9}
    v1 = versions["v1.0.0"]["commit"]
    files = run_json(capsys, r.path, "sql", f"select path from version_files where commit = '{v1}'")
    assert {f["path"] for f in files} == {"models/a/model.pkl", "models/a/metrics.json"}
    assert_same_as_full_rebuild(open_repo(r.path)).close()


def test_a_moved_file_artifact_takes_nothing_from_a_shared_directory(
    tmp_path: Path, capsys
) -> None:
    """a and b are files in one directory; a moves to its own directory later: a keeps its
    old file's history and nothing of b's."""
    r = GitRepo(tmp_path / "repo")
    both = "a:\n  type: model\n  path: models/a.pkl\nb:\n  type: model\n  path: models/b.pkl\n"
    a1 = r.commit("a and b", {"artifacts.yaml": both, "models/a.pkl": "a1", "models/b.pkl": "b1"})
    b2 = r.commit("b: second", {"models/b.pkl": "b2"})
    moved = both.replace("models/a.pkl", "models/a/a.pkl")
    a2 = r.commit(
        "a moves", {"artifacts.yaml": moved, "models/a.pkl": None, "models/a/a.pkl": "a2"}
    )
    assert [v["commit"] for v in run_json(capsys, r.path, "versions", "a")] == [a2, a1]
    assert [v["commit"] for v in run_json(capsys, r.path, "versions", "b")] == [b2, a1]
