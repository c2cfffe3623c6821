"""Real repositories: models, versions and branches as their own tools (gto, git) see them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from realrepos import clone, expected, needs_realrepos

from modeltrail.tui.cli import main as cli

GTO = shutil.which("gto") or str(Path(sys.executable).parent / "gto")
GTO_REPOS = ["example-model-registry", "fixture-model-registry", "example-get-started-experiments"]


def run_json(capsys, repo: Path, *args: str):
    capsys.readouterr()
    assert cli(["-C", str(repo), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def clones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("realrepos")
    cache: dict[str, Path] = {}

    class Clones(dict):
        def __missing__(self, name: str) -> Path:
            cache[name] = clone(name, base / name, exps=True)
            self[name] = cache[name]
            return cache[name]

    return Clones()


@needs_realrepos
@pytest.mark.parametrize("name", GTO_REPOS)
def test_models_agree_with_gto_show(name: str, clones, capsys) -> None:
    repo = clones[name]
    gto = json.loads(
        subprocess.run(
            [GTO, "show", "--json"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout
    )
    assert gto == expected(f"{name}.gto-show.json")  # the judge judges this clone
    ours = {m["name"]: m for m in run_json(capsys, repo, "models")}
    head_artifacts = git(repo, "show", "HEAD:artifacts.yaml") if name != GTO_REPOS[2] else ""
    for artifact, state in gto.items():
        assert artifact in ours, f"gto lists {artifact}, modeltrail does not"
        mine = ours[artifact]
        if state["version"] is not None:
            assert mine["latest"] == state["version"], artifact
        held = {s: v for s, v in state["stage"].items() if v is not None}
        assert mine["stages"] == held, artifact
        if f"\n{artifact}:" in f"\n{head_artifacts}" or name == GTO_REPOS[2]:
            assert mine["type"] == "model", artifact
    # anything else is a model declared only on another branch, never tagged
    head_decl = git(repo, "ls-tree", "--name-only", "HEAD")
    for extra in set(ours) - set(gto):
        assert "gto" not in ours[extra]["sources"] or "artifacts.yaml" in head_decl
        tags = git(repo, "tag", "--list", f"{extra}[@#]*")
        assert tags == "", extra


@needs_realrepos
def test_file_artifacts_in_one_directory_keep_their_own_versions(clones, capsys) -> None:
    repo = clones["example-model-registry"]
    by_name = {m["name"]: m for m in run_json(capsys, repo, "models")}
    # every path the artifact was ever declared at (churn moved from churn.h5 to churn-2.h5)
    for name, paths in (
        ("my-pickle-model", ["models/my-pickle-model.pkl"]),
        ("churn", ["models/churn-2.h5", "models/churn.h5"]),
    ):
        touching = set(git(repo, "log", "--all", "--format=%H", "--", *paths).split())
        labelled = {
            line.split()[0]
            for line in git(
                repo, "for-each-ref", "--format=%(*objectname) %(refname:short)", "refs/tags"
            ).splitlines()
            if line.split()[1].startswith((f"{name}@", f"{name}#"))
        }
        versions = run_json(capsys, repo, "versions", name)
        commits = {v["commit"] for v in versions}
        assert commits <= touching | labelled, name
        assert touching <= commits, name
    (pickle,) = run_json(capsys, repo, "versions", "my-pickle-model")
    assert pickle["commit"] == git(repo, "log", "--format=%H", "-1", "--", "models/*.pkl")
    assert by_name["my-pickle-model"]["versions"] == 1
    assert by_name["my-pickle-model"]["latest"] == pickle["version"]


@needs_realrepos
def test_dvc_artifact_with_pipeline_metrics_is_one_model(clones, capsys) -> None:
    repo = clones["example-get-started-experiments"]
    models = run_json(capsys, repo, "models")
    assert [m["name"] for m in models] == ["pool-segmentation"]
    (model,) = models
    assert model["type"] == "model" and "dvc" in model["sources"]
    versions = run_json(capsys, repo, "versions", "pool-segmentation")
    assert any(v["metrics"] for v in versions)  # the pipeline's metrics are its metrics
    assert any(v["params"] for v in versions)


@needs_realrepos
def test_single_commit_mlflow_model_is_named_after_the_repository(clones, capsys) -> None:
    repo = clones["mlflow-seldon"]
    (model,) = run_json(capsys, repo, "models")
    assert model["name"] == "mlflow-seldon"
    assert model["latest"] == git(repo, "rev-parse", "HEAD")[:7]
    assert model["versions"] == 1


@needs_realrepos
def test_root_pipeline_versions_ignore_unrelated_files(clones, capsys) -> None:
    repo = clones["demo-bank-customer-churn-prediction"]
    (model,) = run_json(capsys, repo, "models")
    assert model["name"] == "demo-bank-customer-churn-prediction"
    commits = [v["commit"][:7] for v in run_json(capsys, repo, "versions", model["name"], "--all")]
    assert "a14e27d" not in commits  # only adds .vscode/settings.json
    assert {"483c559", "24e4a03"} <= set(commits)
    # the pipeline lives on origin/dev only: a fresh clone shows it there
    (tuned,) = [
        v
        for v in run_json(capsys, repo, "versions", model["name"], "--all")
        if v["commit"].startswith("24e4a03")
    ]
    assert tuned["branches"] == ["origin/dev"]


@needs_realrepos
def test_fresh_clone_branches_and_experiments_in_the_flow(clones, capsys) -> None:
    repo = clones["example-get-started-experiments"]
    flow = run_json(capsys, repo, "flow")
    names = {b["name"]: b["kind"] for b in flow["branches"]}
    assert "origin/best-exp" in names
    assert {"dutch-heck", "crumb-hobo", "amiss-roam"} <= set(names)
    assert "origin/HEAD" not in names and "origin/main" not in names
