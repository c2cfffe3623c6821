"""A version changes what the model is: for a model declared at the repository root,
its manifest, the files the manifest names, metrics, params and environment files,
never screenshots, a README, CI workflows or a Dockerfile that sit beside it."""

from __future__ import annotations

import json

from gitbuilder import GitRepo
from realrepos import clone, needs_realrepos

from modeltrail.tui.cli import main

MLMODEL = """\
flavors:
  python_function:
    artifacts:
      model:
        path: artifacts/model.keras
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    python_model: python_model.pkl
run_id: abc
"""


def _versions(capsys, repo, model) -> list[dict]:
    capsys.readouterr()
    assert main(["-C", str(repo), "versions", model, "--all", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_root_model_versions_are_changes_to_the_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "proj")
    first = g.commit("model", {"MLmodel": MLMODEL, "python_model.pkl": b"\x80pk", "app.py": "x\n"})
    g.commit("docs", {"README.md": "readme\n", "images/a.png": b"\x89PNG"})
    g.commit("docker", {"Dockerfile": "FROM python\n", ".github/workflows/ci.yml": "on: push\n"})
    weights = g.commit("weights", {"artifacts/model.keras": b"weights"})
    env = g.commit("env", {"conda.yaml": "dependencies: [python=3.12]\n"})
    g.commit("more docs", {"images/b.png": b"\x89PNG2", "Dockerfile": "FROM python:3.12\n"})
    commits = [v["commit"] for v in _versions(capsys, g.path, "proj")]
    assert commits == [env, weights, first]


@needs_realrepos
def test_btc_forecast_root_mlflow_model(tmp_path, capsys):
    repo = clone("btc_forecast_mlops", tmp_path / "btc_forecast_mlops")
    versions = _versions(capsys, repo, "btc_forecast_mlops")
    subjects = {v["commit"][:7]: v["message"].splitlines()[0] for v in versions}
    assert "5148d87" in subjects  # adds artifacts/model.keras, which the MLmodel names
    for commit, subject in subjects.items():
        assert "Moved to images folder" not in subject, commit
        assert "Dockerfile" not in subject, commit
        assert "ci-cd.yml" not in subject, commit
    assert len(versions) < 20
