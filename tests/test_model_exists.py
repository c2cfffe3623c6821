"""A commit is a version of a model only where the model exists (issue 26, items 5 and 6).

A GTO artifact gets no unlabelled versions from before its file (or its ``.dvc``
pointer) was first added, though other files of its directory changed; a GTO
registration on such a commit still makes it a version, as ``gto show`` lists it. A DVC
pipeline that exists only on a branch (``origin/dev`` of a fresh clone; main has no
``dvc.yaml``) has its latest version there, and says that branch: never a main commit
without the model."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main
from modeltrail.tui.widgets.model_list import model_prompt_parts

GTO = Path(sys.executable).parent / "gto"
ARTIFACTS = "m:\n  type: model\n  path: models/m.pkl\n"
DVC_YAML = (
    "stages:\n  train:\n    cmd: python train.py\n    params: [lr]\n    metrics: [metrics.json]\n"
)


@pytest.fixture(autouse=True)
def _no_user_git_config(monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _run(capsys, argv):
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def _versions(capsys, repo, model):
    return json.loads(_run(capsys, ["-C", str(repo), "versions", model, "--all", "--json"]))


@pytest.mark.parametrize("artifact", ["models/m.pkl", "models/m.pkl.dvc"])
def test_a_gto_artifact_has_no_versions_before_its_file(tmp_path, capsys, artifact):
    g = GitRepo(tmp_path / "repo")
    g.commit("declare", {"artifacts.yaml": ARTIFACTS, "models/config.json": '{"a": 1}\n'})
    g.commit("config", {"models/config.json": '{"a": 2}\n'})
    added = g.commit("add the model", {artifact: "weights 1\n"})
    trained = g.commit("train", {artifact: "weights 2\n", "models/config.json": '{"a": 3}\n'})
    commits = [v["commit"] for v in _versions(capsys, g.path, "m")]
    assert commits == [trained, added]  # newest first


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_a_registration_before_the_file_existed_stays_a_version(tmp_path, capsys):
    g = GitRepo(tmp_path / "repo")
    g.commit("declare", {"artifacts.yaml": ARTIFACTS, "models/config.json": '{"a": 1}\n'})
    early = g.commit("config", {"models/config.json": '{"a": 2}\n'})
    g.tag("m@v0.1.0", early, message="Registering artifact m version v0.1.0")
    g.commit("unlabelled config", {"models/config.json": '{"a": 3}\n'})
    added = g.commit("add the model", {"models/m.pkl": "weights 1\n"})
    g.tag("m@v0.2.0", added, message="Registering artifact m version v0.2.0")
    versions = _versions(capsys, g.path, "m")
    assert [(v["commit"], v["version"]) for v in versions] == [
        (added, "v0.2.0"),
        (early, "v0.1.0"),
    ]
    shown = subprocess.run(
        [str(GTO), "show", "m", "--json", "-r", str(g.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    gto_versions = {v["version"]: v["commit_hexsha"] for v in json.loads(shown.stdout)}
    assert gto_versions == {"v0.2.0": added, "v0.1.0": early}


@pytest.fixture
def dev_only(tmp_path):
    """A fresh clone whose pipeline exists only on ``origin/dev``; main changed a root
    params file of its own, without any ``dvc.yaml``."""
    g = GitRepo(tmp_path / "upstream")
    g.commit("init", {"README.md": "x\n", "train.py": "print(1)\n"})
    g.branch("dev")
    g.checkout("dev")
    g.commit("pipeline", {"dvc.yaml": DVC_YAML, "params.yaml": "lr: 0.1\n", "metrics.json": "{}"})
    better = g.commit("better", {"metrics.json": '{"auc": 0.8}\n'})
    g.checkout("main")
    on_main = g.commit("main params", {"params.yaml": "lr: 0.5\n"})
    g.commit("main readme", {"README.md": "y\n"})
    clone = tmp_path / "clone"
    g.git("clone", "-q", str(g.path), str(clone))
    return clone, better, on_main


def test_latest_of_a_branch_only_model_is_on_that_branch(dev_only, capsys):
    clone, better, on_main = dev_only
    (model,) = json.loads(_run(capsys, ["-C", str(clone), "models", "--json"]))
    assert model["latest"] == better[:7]
    assert model["latest_branch"] == "origin/dev"
    commits = [v["commit"] for v in _versions(capsys, clone, model["name"])]
    assert on_main not in commits  # main never had the model
    table = _run(capsys, ["-C", str(clone), "models"])
    assert f"{better[:7]} (on origin/dev)" in table
    assert max(len(line) for line in table.splitlines()) <= 80


def test_latest_on_the_main_line_names_no_branch(tmp_path, capsys):
    g = GitRepo(tmp_path / "repo")
    g.commit("pipeline", {"dvc.yaml": DVC_YAML, "params.yaml": "lr: 0.1\n", "metrics.json": "{}"})
    last = g.commit("better", {"metrics.json": '{"auc": 0.8}\n'})
    (model,) = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    assert (model["latest"], model["latest_branch"]) == (last[:7], "main")
    assert "(on " not in _run(capsys, ["-C", str(g.path), "models"])


def test_the_model_list_names_the_branch_and_cuts_a_long_one():
    now = datetime(2026, 2, 1, tzinfo=UTC)
    model = {"name": "up", "latest": "633bb38", "latest_elsewhere": "origin/dev", "versions": 2}
    text = "".join(p for p, _ in model_prompt_parts(model, now, one_line=True))
    assert text.startswith("up  633bb38 (on origin/dev) (2)")
    model["latest_elsewhere"] = "origin/feature/" + "x" * 40
    text = "".join(p for p, _ in model_prompt_parts(model, now, one_line=True))
    assert "(on origin/feature/xxxx…)" in text
    model["latest_elsewhere"] = None
    assert "(on" not in "".join(p for p, _ in model_prompt_parts(model, now, one_line=True))
