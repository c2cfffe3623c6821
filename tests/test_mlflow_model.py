"""MLflow ``MLmodel``: flavors, run_id, model_uuid, utc_time_created, mlflow_version,
artifact_path, model_size_bytes, model_id and the signature (inputs, outputs, params) are
stored in the catalog and shown in ``versions --json`` and the details pane; a
``python_env.yaml`` is an environment file."""

from __future__ import annotations

import json
import subprocess
import sys

from gitbuilder import GitRepo
from realrepos import clone, needs_realrepos
from rich.console import Console

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.config import Config
from modeltrail.store.query.queries import version_detail
from modeltrail.store.repo import open_repo
from modeltrail.tui.widgets.details import render_details

MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.5.1
mlflow_version: 2.14.2
model_uuid: 318e39c3a8f344ab95cf33138c6add2d
run_id: {run}
signature:
  inputs: '[{{"type": "double", "name": "tenure", "required": true}}, {{"type": "string",
    "name": "plan\\u001b[31m", "required": false}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "int64", "shape": [-1]}}}}]'
  params: null
utc_time_created: '2024-07-11 09:22:39.336999'
"""


def _versions(path) -> list[dict]:
    run = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(path), "versions", "churn", "--json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_mlmodel_record_in_versions_json_and_details(tmp_path):
    r = GitRepo(tmp_path / "repo")
    c1 = r.commit("log model", {"churn/MLmodel": MLMODEL.format(run="a" * 32)})
    c2 = r.commit("log model again", {"churn/MLmodel": MLMODEL.format(run="b" * 32)})
    versions = {v["commit"]: v for v in _versions(r.path)}
    ml = versions[c2]["mlflow"]
    assert ml == {
        "path": "churn/MLmodel",
        "flavors": ["python_function", "sklearn"],
        "run_id": "b" * 32,
        "model_uuid": "318e39c3a8f344ab95cf33138c6add2d",
        "utc_time_created": "2024-07-11 09:22:39.336999",
        "mlflow_version": "2.14.2",
        "artifact_path": "model",
        "model_size_bytes": None,
        "model_id": None,
        "signature": {
            "inputs": [
                {"type": "double", "name": "tenure", "required": True},
                {"type": "string", "name": "plan\x1b[31m", "required": False},
            ],
            "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
            "params": None,
        },
    }
    assert versions[c1]["mlflow"]["run_id"] == "a" * 32

    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    console = Console(record=True, width=120, color_system=None)
    console.print(render_details(version_detail(con, "churn", c2), {}, None, Config().better))
    text = console.export_text()
    assert "MLflow model (churn/MLmodel)" in text
    assert "python_function, sklearn" in text
    assert "b" * 32 in text and "2.14.2" in text and "2024-07-11 09:22:39" in text
    assert "tenure: double" in text and "tensor int64 [-1]" in text
    assert "\x1b" not in text  # repository text is shown literally, never as escapes


def test_a_version_without_mlmodel_has_none(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.commit("manifest", {"churn/model.yaml": "name: churn\n"})
    assert _versions(r.path)[0]["mlflow"] is None


@needs_realrepos
def test_mlflow_seldon_records_its_run(tmp_path):
    repo = clone("mlflow-seldon", tmp_path / "mlflow-seldon")
    cli = [sys.executable, "-m", "modeltrail.tui", "-C", str(repo)]
    assert subprocess.run([*cli, "index"], capture_output=True).returncode == 0
    models = json.loads(subprocess.run([*cli, "models", "--json"], capture_output=True).stdout)
    (model,) = models
    versions = json.loads(
        subprocess.run([*cli, "versions", model["name"], "--json"], capture_output=True).stdout
    )
    ml = versions[0]["mlflow"]
    assert ml["run_id"] == "9df6e5b792f243ad9e7d47e99758d943"
    assert ml["model_uuid"] == "318e39c3a8f344ab95cf33138c6add2d"
    assert ml["flavors"] == ["python_function", "sklearn"]
    assert ml["mlflow_version"] == "2.14.2"
    assert ml["utc_time_created"] == "2024-07-11 09:22:39.336999"
    assert ml["signature"] == {"inputs": None, "outputs": None, "params": None}


MLMODEL_3 = """\
artifact_path: /tmp/mlruns/0/models/m-7d3c/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    python_version: 3.11.9
  sklearn:
    pickled_model: model.pkl
mlflow_version: 3.1.0
model_id: m-7d3c1a9e5b2f4c08
model_size_bytes: {size}
model_uuid: m-7d3c1a9e5b2f4c08
run_id: {run}
signature:
  inputs: '[{{"type": "double", "name": "tenure", "required": true}}]'
  outputs: '[{{"type": "long", "required": true}}]'
  params: '[{{"name": "threshold", "default": 0.5, "shape": null, "type": "double"}}]'
utc_time_created: '2025-06-02 14:05:11.120000'
"""

PYTHON_ENV = """\
python: 3.11.9
build_dependencies:
- pip==24.0
- setuptools==70.0.0
- wheel
dependencies:
- -r requirements.txt
"""


def test_mlflow_3_fields_and_python_env(tmp_path):
    """``artifact_path``, ``model_size_bytes``, ``model_id`` and ``signature.params`` are
    read, and a ``python_env.yaml`` beside the MLmodel is an environment file."""
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "log model",
        {
            "churn/MLmodel": MLMODEL_3.format(run="a" * 32, size=1234),
            "churn/requirements.txt": "mlflow==3.1.0\nscikit-learn==1.5.1\n",
        },
    )
    c2 = r.commit(
        "log model with its python env",
        {
            "churn/MLmodel": MLMODEL_3.format(run="b" * 32, size=2345),
            "churn/python_env.yaml": PYTHON_ENV,
        },
    )
    versions = {v["commit"]: v for v in _versions(r.path)}
    ml = versions[c2]["mlflow"]
    assert ml["artifact_path"] == "/tmp/mlruns/0/models/m-7d3c/artifacts"
    assert ml["model_size_bytes"] == 2345
    assert ml["model_id"] == "m-7d3c1a9e5b2f4c08"
    assert ml["signature"]["params"] == [
        {"name": "threshold", "default": 0.5, "shape": None, "type": "double"}
    ]
    assert ml["signature"]["outputs"] == [{"type": "long", "required": True}]

    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    d = version_detail(con, "churn", c2)
    env = {(e["file"], e["package"], e["spec"]) for e in d["environment"]}
    assert {
        ("churn/python_env.yaml", "python", "==3.11.9"),
        ("churn/python_env.yaml", "pip", "==24.0"),
        ("churn/python_env.yaml", "setuptools", "==70.0.0"),
        ("churn/python_env.yaml", "wheel", ""),
    } <= env
    # "-r requirements.txt" names the requirements file beside it, read on its own
    assert ("churn/requirements.txt", "scikit-learn", "==1.5.1") in env
    warnings = con.execute("SELECT message FROM warnings").fetchall()
    assert warnings == []
    console = Console(record=True, width=120, color_system=None)
    console.print(render_details(d, {}, None, Config().better))
    text = console.export_text()
    assert "m-7d3c1a9e5b2f4c08" in text and "2345" in text
    assert "/tmp/mlruns/0/models/m-7d3c/artifacts" in text
    assert "threshold: double = 0.5" in text
    assert "python_env.yaml" in text and "python==3.11.9" in text
