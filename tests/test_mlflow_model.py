"""MLflow ``MLmodel``: flavors, run_id, model_uuid, utc_time_created, mlflow_version and the
signature are stored in the catalog and shown in ``versions --json`` and the details pane."""

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
        "signature": {
            "inputs": [
                {"type": "double", "name": "tenure", "required": True},
                {"type": "string", "name": "plan\x1b[31m", "required": False},
            ],
            "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
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
    assert ml["signature"] == {"inputs": None, "outputs": None}
