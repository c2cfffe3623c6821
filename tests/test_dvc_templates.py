"""The edges of DVC templating and of the local DVC cache.

* A templated ``dvc.yaml`` names its outputs with values from ``params.yaml`` and its
  ``vars`` files: finding the models expands them as DVC does, so a GTO artifact that is
  ``models/${model.name}.pkl`` is that pipeline's output.
* ``vars`` files are read relative to the ``dvc.yaml``'s directory, outside the model's
  own directory too, never outside the repository.
* A key two ``vars`` sources both define is refused by DVC ("cannot redefine"): one
  warning naming the key and the files, and no value taken from either.
"""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.queries import iter_versions
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _json(capsys, argv: list[str]):
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def _warnings(con) -> list[tuple[str, str]]:
    return con.execute("SELECT path, message FROM warnings ORDER BY ALL").fetchall()


# --- templated outputs in model discovery ------------------------------------------------

TEMPLATED_PIPELINE = """\
stages:
  train:
    cmd: python train.py ${model.name}
    deps:
    - train.py
    params:
    - train.lr
    outs:
    - models/${model.name}.pkl
    metrics:
    - metrics.json:
        cache: false
"""


def _lock(out_md5: str, lr: float) -> str:
    return f"""\
schema: '2.0'
stages:
  train:
    cmd: python train.py m
    params:
      params.yaml:
        train.lr: {lr}
    outs:
    - path: models/m.pkl
      hash: md5
      md5: {out_md5}
      size: 1234
"""


def test_a_templated_output_is_the_gto_artifact_it_names(tmp_path, capsys):
    """``outs: [models/${model.name}.pkl]`` with ``model.name: m`` in params.yaml is
    ``models/m.pkl``, the artifact ``m``: it takes the pipeline's metrics and params."""
    g = GitRepo(tmp_path / "repo")

    def version(auc: float, lr: float, md5: str) -> dict:
        return {
            "metrics.json": json.dumps({"auc": auc}) + "\n",
            "params.yaml": f"model:\n  name: m\ntrain:\n  lr: {lr}\n",
            "dvc.lock": _lock(md5, lr),
        }

    g.commit(
        "pipeline v1",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m.pkl\n",
            "dvc.yaml": TEMPLATED_PIPELINE,
            "train.py": "train()\n",
            ".gitignore": "/models/m.pkl\n",
            **version(0.8, 0.1, "a" * 32),
        },
    )
    g.tag("m@v1.0.0", message="register 1.0.0")
    g.commit("pipeline v2", version(0.9, 0.2, "b" * 32))
    g.tag("m@v2.0.0", message="register 2.0.0")
    models = _json(capsys, ["-C", str(g.path), "models", "--json"])
    assert [m["name"] for m in models] == ["m"]
    d = _json(capsys, ["-C", str(g.path), "diff", "m", "v1.0.0", "v2.0.0", "--json"])
    metrics = {k.split(":")[-1]: v for k, v in d["metrics"].items()}
    params = {k.split(":")[-1]: v for k, v in d["params"].items()}
    assert (metrics["auc"]["old"], metrics["auc"]["new"]) == (0.8, 0.9)
    assert (params["train.lr"]["old"], params["train.lr"]["new"]) == (0.1, 0.2)
    outs = [a for a in d["artifacts"] if a["path"] == "models/m.pkl"]
    assert outs and outs[0]["storage"] == "dvc" and outs[0]["change"] == "modified"


# --- vars files outside the model's directory --------------------------------------------

SEG_PIPELINE = """\
vars:
  - ../config/common.yaml
stages:
  evaluate:
    cmd: python evaluate.py
    metrics:
    - ${eval.dir}/metrics.json:
        cache: false
"""


def test_vars_files_outside_the_models_directory_are_read(tmp_path):
    """``seg/dvc.yaml`` reads ``../config/common.yaml`` (the repository's
    ``config/common.yaml``), as DVC resolves it from the dvc.yaml's directory, with the
    content each version has."""
    r = GitRepo(tmp_path / "repo")
    c1 = r.commit(
        "pipeline",
        {
            "config/common.yaml": "eval:\n  dir: results\n",
            "seg/dvc.yaml": SEG_PIPELINE,
            "seg/results/metrics.json": '{"dice": 0.7}',
        },
    )
    c2 = r.commit(
        "evaluate into out/",
        {"config/common.yaml": "eval:\n  dir: out\n", "seg/out/metrics.json": '{"dice": 0.9}'},
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    versions = {v["commit"]: v for v in list(iter_versions(con, "seg"))}
    assert versions[c1]["metrics"] == {"seg/results/metrics.json:dice": 0.7}
    assert versions[c2]["metrics"] == {"seg/out/metrics.json:dice": 0.9}
    assert _warnings(con) == []


def test_a_root_vars_file_serves_a_pipeline_in_a_subdirectory(tmp_path):
    """A stage's own ``vars`` (``../common.yaml``: the repository root's) and a stage
    ``wdir``: the values reach the stage's metrics path."""
    r = GitRepo(tmp_path / "repo")
    c1 = r.commit(
        "pipeline",
        {
            "common.yaml": "split: test\n",
            "seg/dvc.yaml": "stages:\n  evaluate:\n    vars: [../common.yaml]\n"
            "    cmd: python evaluate.py\n    metrics:\n    - eval/${split}.json\n",
            "seg/eval/test.json": '{"dice": 0.6}',
        },
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    versions = {v["commit"]: v for v in list(iter_versions(con, "seg"))}
    assert versions[c1]["metrics"] == {"dice": 0.6}
    assert _warnings(con) == []


def test_a_vars_file_outside_the_repository_is_never_read(tmp_path):
    """``vars: [../secret.yaml]`` in a root dvc.yaml leaves the repository: not read
    (even though a file is there), said once, and the paths using it stay as written."""
    (tmp_path / "secret.yaml").write_text("eval:\n  dir: results\n")
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "pipeline",
        {
            "dvc.yaml": "vars: [../secret.yaml]\nstages:\n  evaluate:\n"
            "    cmd: python evaluate.py\n    metrics:\n    - ${eval.dir}/metrics.json\n",
            "results/metrics.json": '{"dice": 0.7}',
        },
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    (version,) = list(iter_versions(con, "repo"))
    assert version["metrics"] == {}
    outside = [m for _p, m in _warnings(con) if "../secret.yaml" in m]
    assert len(outside) == 1 and "outside the repository" in outside[0], _warnings(con)
    assert not any("not defined" in m for _p, m in _warnings(con))


# --- keys defined twice ------------------------------------------------------------------


def test_a_key_defined_by_two_vars_sources_is_one_warning_and_no_value(tmp_path):
    """params.yaml and ``vars: [config.yaml]`` both define ``eval.dir``: DVC refuses
    ("cannot redefine 'eval.dir'"); modeltrail warns once, naming the key and both
    files, and reads no metrics through either value."""
    r = GitRepo(tmp_path / "repo")
    pipeline = (
        "vars: [config.yaml]\nstages:\n  evaluate:\n    cmd: python evaluate.py ${lr}\n"
        "    metrics:\n    - ${eval.dir}/metrics.json\n    - summary.json\n"
    )
    c1 = r.commit(
        "pipeline",
        {
            "seg/dvc.yaml": pipeline,
            "seg/params.yaml": "lr: 0.1\neval:\n  dir: results\n",
            "seg/config.yaml": "eval:\n  dir: out\n",
            "seg/results/metrics.json": '{"dice": 0.7}',
            "seg/out/metrics.json": '{"dice": 0.9}',
            "seg/summary.json": '{"n": 1}',
        },
    )
    c2 = r.commit("another lr", {"seg/params.yaml": "lr: 0.2\neval:\n  dir: results\n"})
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    versions = {v["commit"]: v for v in list(iter_versions(con, "seg"))}
    for commit in (c1, c2):
        metrics = versions[commit]["metrics"]
        assert not any("results/" in k or "out/" in k for k in metrics), metrics
    twice = [m for _p, m in _warnings(con) if "redefine" in m]
    assert len(twice) == 1, _warnings(con)
    assert "eval.dir" in twice[0] and "params.yaml" in twice[0] and "config.yaml" in twice[0]
    assert not any("not defined" in m for _p, m in _warnings(con))


def test_redefinitions_as_dvc_refuses_them():
    """DVC's merge of vars sources: mappings merge key by key; a key both define is
    refused wherever the two come from; the same whole file twice is allowed."""
    from modeltrail.store.read.readers import parse_dvc_yaml

    stage = "stages:\n  s:\n    cmd: run ${a.b} ${a.c}\n"
    # nested mappings merge: params.yaml a.b and config.yaml a.c
    files = {"params.yaml": b"a:\n  b: 1\n", "config.yaml": b"a:\n  c: 2\n"}
    dvc, warnings = parse_dvc_yaml(f"vars: [config.yaml]\n{stage}".encode(), files)
    assert dvc.stages["s"].cmd == "run 1 2" and warnings == []
    # params.yaml named again in vars: loaded once, no conflict
    text = "vars: [params.yaml]\nstages:\n  s:\n    cmd: run ${a.b}\n"
    dvc, warnings = parse_dvc_yaml(text.encode(), files)
    assert dvc.stages["s"].cmd == "run 1" and warnings == []
    # an inline value against params.yaml's
    text = "vars: [{a: {b: 9}}]\nstages:\n  s:\n    cmd: run ${a.b}\n"
    dvc, warnings = parse_dvc_yaml(text.encode(), files)
    assert dvc.stages["s"].cmd == "run ${a.b}"
    assert warnings == [
        "vars: cannot redefine 'a.b' from 'vars[0]' as it already exists in 'params.yaml';"
        " DVC refuses this dvc.yaml, so nothing using 'a.b' is read"
    ]
    # a stage's own vars against the global ones
    text = "vars: [config.yaml]\nstages:\n  s:\n    vars: [{a: {c: 3}}]\n    cmd: run ${a.c}\n"
    dvc, warnings = parse_dvc_yaml(text.encode(), files)
    assert dvc.stages["s"].cmd == "run ${a.c}"
    assert len(warnings) == 1 and "'s.vars[0]'" in warnings[0] and "'config.yaml'" in warnings[0]


def test_a_new_value_for_a_templated_output_is_noticed_without_a_rebuild(tmp_path, capsys):
    """params.yaml renames the pipeline's output from ``models/m.pkl`` to ``models/n.pkl``
    in a new commit: the next plain index feeds ``n`` from the pipeline, as a rebuild
    would."""
    g = GitRepo(tmp_path / "repo")
    g.commit(
        "pipeline for m",
        {
            "artifacts.yaml": "m:\n  path: models/m.pkl\nn:\n  path: models/n.pkl\n",
            "dvc.yaml": TEMPLATED_PIPELINE,
            "train.py": "train()\n",
            "metrics.json": '{"auc": 0.8}\n',
            "params.yaml": "model:\n  name: m\ntrain:\n  lr: 0.1\n",
        },
    )
    cli = ["-C", str(g.path)]
    _json(capsys, [*cli, "index", "--json"])
    g.commit(
        "train n instead",
        {"params.yaml": "model:\n  name: n\ntrain:\n  lr: 0.1\n", "metrics.json": '{"auc": 0.9}\n'},
    )
    _json(capsys, [*cli, "index", "--json"])
    after = _json(capsys, [*cli, "versions", "n", "--json"])
    _json(capsys, [*cli, "index", "--rebuild", "--json"])
    assert _json(capsys, [*cli, "versions", "n", "--json"]) == after
    assert any(v["metrics"] for v in after), after


def test_a_redefinition_stays_one_warning_across_index_runs(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "pipeline",
        {
            "seg/dvc.yaml": "vars: [config.yaml]\nstages:\n  evaluate:\n"
            "    cmd: python evaluate.py ${lr}\n    metrics:\n    - ${eval.dir}/metrics.json\n",
            "seg/params.yaml": "lr: 0.1\neval:\n  dir: results\n",
            "seg/config.yaml": "eval:\n  dir: out\n",
        },
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    r.commit("another lr", {"seg/params.yaml": "lr: 0.2\neval:\n  dir: results\n"})
    assert update_catalog(repo).mode == "incremental"
    con = open_catalog(repo, refresh=False)
    assert len([m for _p, m in _warnings(con) if "redefine" in m]) == 1, _warnings(con)
