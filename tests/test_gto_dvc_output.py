"""A GTO artifact whose path is a DVC pipeline output takes that pipeline's metrics,
params, ``dvc.lock`` outputs and staleness, wherever the artifact is declared (here in
``artifacts.yaml``, beside a root ``dvc.yaml``), as ``dvc metrics diff`` and ``dvc params
diff`` would compare them. One declaration, one model: the pipeline is not a second."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main

ARTIFACTS = "m:\n  type: model\n  path: models/m.pkl\n"
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps:
    - train.py
    params:
    - train.lr
    outs:
    - models/m.pkl
    metrics:
    - metrics.json:
        cache: false
"""


def _lock(out_md5: str, lr: float) -> str:
    return f"""\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: train.py
      hash: md5
      md5: 0123456789abcdef0123456789abcdef
      size: 9
    params:
      params.yaml:
        train.lr: {lr}
    outs:
    - path: models/m.pkl
      hash: md5
      md5: {out_md5}
      size: 1234
    - path: metrics.json
      hash: md5
      md5: fedcba9876543210fedcba9876543210
      size: 14
"""


def _version(auc: float, lr: float, out_md5: str) -> dict:
    return {
        "metrics.json": json.dumps({"auc": auc}) + "\n",
        "params.yaml": f"train:\n  lr: {lr}\n",
        "dvc.lock": _lock(out_md5, lr),
    }


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit(
        "pipeline v1",
        {
            "artifacts.yaml": ARTIFACTS,
            "dvc.yaml": DVC_YAML,
            "train.py": "train()\n",
            ".gitignore": "/models/m.pkl\n",
            **_version(0.8, 0.1, "a" * 32),
        },
    )
    g.tag("m@v1.0.0", message="register 1.0.0")
    g.commit("pipeline v2", _version(0.9, 0.2, "b" * 32))
    g.tag("m@v2.0.0", message="register 2.0.0")
    return g


def _json(capsys, argv):
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def test_diff_of_the_artifact_shows_its_pipelines_metrics_and_params(repo, capsys):
    d = _json(capsys, ["-C", str(repo.path), "diff", "m", "v1.0.0", "v2.0.0", "--json"])
    metrics = {k.split(":")[-1]: v for k, v in d["metrics"].items()}
    params = {k.split(":")[-1]: v for k, v in d["params"].items()}
    assert metrics["auc"]["old"] == 0.8 and metrics["auc"]["new"] == 0.9
    assert params["train.lr"]["old"] == 0.1 and params["train.lr"]["new"] == 0.2
    # the output's md5 changed in dvc.lock: an artifact change, stored in DVC
    outs = [a for a in d["artifacts"] if a["path"] == "models/m.pkl"]
    assert outs and outs[0]["storage"] == "dvc" and outs[0]["change"] == "modified"


def test_one_declaration_is_one_model(repo, capsys):
    models = _json(capsys, ["-C", str(repo.path), "models", "--json"])
    assert [m["name"] for m in models] == ["m"]
    assert "dvc" in models[0]["sources"]
    versions = _json(capsys, ["-C", str(repo.path), "versions", "m", "--json"])
    latest = next(v for v in versions if v["version"] == "v2.0.0")
    assert {k.split(":")[-1]: v for k, v in latest["metrics"].items()}["auc"] == 0.9
