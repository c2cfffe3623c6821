"""DVC's own records: metrics declared as cached outputs are read from the local DVC cache
(and say so), a DVC 1 ``dvc.lock`` is a valid format, and stale metrics of a DVC pipeline
follow ``dvc.lock`` (as ``dvc status`` would say); a commit touching nothing of the model
is never flagged."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gitbuilder import GitRepo
from realrepos import clone, needs_realrepos

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.diff import diff_versions
from modeltrail.store.query.queries import iter_versions, version_detail
from modeltrail.store.repo import open_repo

DVC_YAML = """\
metrics:
- results/evaluate/metrics.json
stages:
  train:
    cmd: python train.py
    deps:
    - train.py
    outs:
    - model.pkl
  evaluate:
    cmd: python evaluate.py
    deps:
    - model.pkl
    - evaluate.py
    outs:
    - results/evaluate
"""


TRAIN_PY = b"train()\n"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _lock(model_md5: str, dep_md5: str, results_md5: str, dvc1: bool = False) -> str:
    stages = f"""\
  train:
    cmd: python train.py
    deps:
    - path: train.py
      hash: md5
      md5: {_md5(TRAIN_PY)}
      size: 10
    outs:
    - path: model.pkl
      hash: md5
      md5: {model_md5}
      size: 100
  evaluate:
    cmd: python evaluate.py
    deps:
    - path: model.pkl
      hash: md5
      md5: {dep_md5}
      size: 100
    outs:
    - path: results/evaluate
      hash: md5
      md5: {results_md5}.dir
      size: 20
      nfiles: 1
"""
    if dvc1:  # DVC 1: no schema, stages at the top level, no "hash" keys
        return (
            "\n".join(line[2:] for line in stages.splitlines() if "hash: md5" not in line).strip()
            + "\n"
        )
    return "schema: '2.0'\nstages:\n" + stages


def _cache(root: Path, md5: str, data: bytes, legacy: bool = False) -> None:
    base = root / ".dvc" / "cache" if legacy else root / ".dvc" / "cache" / "files" / "md5"
    path = base / md5[:2] / md5[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _cached_results(root: Path, metrics: dict, legacy: bool = False) -> str:
    """Put results/evaluate (one metrics.json) in the local cache; its .dir md5."""
    data = json.dumps(metrics).encode()
    manifest = json.dumps([{"md5": _md5(data), "relpath": "metrics.json"}]).encode()
    dir_md5 = _md5(manifest)
    _cache(root, _md5(data), data, legacy)
    _cache(root, dir_md5 + ".dir", manifest, legacy)
    return dir_md5


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    r = GitRepo(tmp_path_factory.mktemp("dvcpipe") / "repo")
    root = r.path
    d1 = _cached_results(root, {"dice": 0.8})
    d2 = _cached_results(root, {"dice": 0.85})
    m1, m2 = "a" * 32, "b" * 32
    base = {
        ".dvc/.gitignore": "/cache\n",
        ".dvc/config": "",
        "seg/dvc.yaml": DVC_YAML,
        "seg/train.py": TRAIN_PY.decode(),
        "seg/evaluate.py": "evaluate()\n",
    }
    r.c1 = r.commit("pipeline run", {**base, "seg/dvc.lock": _lock(m1, m1, d1)})
    r.c2 = r.commit("retrain and evaluate", {"seg/dvc.lock": _lock(m2, m2, d2)})
    # train re-ran (new model) but evaluate did not: its dep still records the old model
    r.c3 = r.commit("retrain only", {"seg/dvc.lock": _lock(m1, m2, d2)})
    r.c4 = r.commit("editor settings", {"seg/.vscode/settings.json": "{}\n"})
    r.c5 = r.commit("evaluate again", {"seg/dvc.lock": _lock(m1, m1, d1)})
    r.c6 = r.commit("notes", {"seg/NOTES.md": "n\n"})
    # the training code changed, the pipeline did not run: dvc status says train changed
    r.c7 = r.commit("edit the code, forget dvc repro", {"seg/train.py": "train(lr=2)\n"})
    r.repo = open_repo(root)
    update_catalog(r.repo)
    r.con = open_catalog(r.repo, refresh=False)
    return r


def _by_commit(r) -> dict[str, dict]:
    return {v["commit"]: v for v in list(iter_versions(r.con, "seg"))}


def test_cached_metrics_are_read_from_the_local_dvc_cache(pipe):
    versions = _by_commit(pipe)
    assert versions[pipe.c1]["metrics"] == {"dice": 0.8}
    assert versions[pipe.c2]["metrics"] == {"dice": 0.85}
    d = version_detail(pipe.con, "seg", pipe.c2)
    assert [(m["key"], m["source"], m["origin"]) for m in d["metrics"]] == [
        ("dice", "seg/results/evaluate/metrics.json", "dvc-cache")
    ]
    diff = diff_versions(pipe.con, pipe.repo, "seg", pipe.c1, pipe.c2)
    assert diff["metrics"]["dice"]["diff"] == 0.05


def test_stale_metrics_follow_dvc_lock(pipe):
    versions = _by_commit(pipe)
    assert versions[pipe.c1]["stale_metrics"] is False
    assert versions[pipe.c2]["stale_metrics"] is False  # metrics never changed in git
    assert versions[pipe.c3]["stale_metrics"] is True  # evaluate used an older model
    assert versions[pipe.c5]["stale_metrics"] is False
    assert versions[pipe.c7]["stale_metrics"] is True  # code in git differs from dvc.lock


def test_dvc_file_md5_as_dvc_records_it():
    from modeltrail.store.read.blobfacts import dvc_file_md5

    assert dvc_file_md5(b"a\r\nb\r\n", legacy=False) == _md5(b"a\r\nb\r\n")  # DVC 3
    assert dvc_file_md5(b"a\r\nb\r\n", legacy=True) == _md5(b"a\nb\n")  # DVC 2: dos2unix
    binary = b"\x00\x01\r\n" * 10
    assert dvc_file_md5(binary, legacy=True) == _md5(binary)


def test_a_commit_touching_nothing_of_the_model_is_never_flagged(pipe):
    versions = _by_commit(pipe)
    for commit in (pipe.c4, pipe.c6):
        if commit in versions:
            assert versions[commit]["stale_metrics"] is False


def test_metrics_not_in_the_cache_are_absent_not_wrong(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "run",
        {
            "seg/dvc.yaml": DVC_YAML,
            "seg/dvc.lock": _lock("a" * 32, "a" * 32, "c" * 32),
        },
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {}


def test_legacy_cache_layout_and_dvc1_lock(tmp_path):
    r = GitRepo(tmp_path / "repo")
    d1 = _cached_results(r.path, {"dice": 0.7}, legacy=True)
    r.commit(
        "DVC 1 pipeline",
        {
            ".dvc/.gitignore": "/cache\n",
            "seg/dvc.yaml": DVC_YAML,
            "seg/dvc.lock": _lock("a" * 32, "a" * 32, d1, dvc1=True),
        },
    )
    index = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(r.path), "index"],
        capture_output=True,
        text=True,
    )
    assert index.returncode == 0, index.stderr
    assert "dvc.lock" not in index.stdout + index.stderr  # a valid format, no warning
    repo = open_repo(r.path)
    con = open_catalog(repo, refresh=False)
    assert con.execute("SELECT count(*) FROM warnings").fetchone() == (0,)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {"dice": 0.7}


@needs_realrepos
def test_a_commit_adding_editor_settings_is_not_stale(tmp_path):
    """demo-bank-customer-churn-prediction's last commit (on dev) only adds
    .vscode/settings.json."""
    repo = clone("demo-bank-customer-churn-prediction", tmp_path / "bank")
    cli = [sys.executable, "-m", "modeltrail.tui", "-C", str(repo)]
    assert subprocess.run([*cli, "index"], capture_output=True).returncode == 0
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "origin/dev"], capture_output=True, text=True
    ).stdout.strip()
    models = json.loads(subprocess.run([*cli, "models", "--json"], capture_output=True).stdout)
    for model in models:
        versions = json.loads(
            subprocess.run([*cli, "versions", model["name"], "--json"], capture_output=True).stdout
        )
        for v in versions:
            if v["commit"] == head:
                assert v["stale_metrics"] is False, model["name"]


def test_cached_metrics_are_read_once_across_incremental_runs(tmp_path):
    r = GitRepo(tmp_path / "repo")
    d1 = _cached_results(r.path, {"dice": 0.8})
    lock = _lock("a" * 32, "a" * 32, d1)
    r.commit("run", {".dvc/.gitignore": "/cache\n", "seg/dvc.yaml": DVC_YAML, "seg/dvc.lock": lock})
    repo = open_repo(r.path)
    update_catalog(repo)
    c2 = r.commit("code change, same results", {"seg/train.py": "train(2)\n"})
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    rows = con.execute(
        "SELECT key, value, origin FROM metrics WHERE model = 'seg' AND commit = ?", [c2]
    ).fetchall()
    assert rows == [("dice", 0.8, "dvc-cache")]


@needs_realrepos
def test_our_md5_of_git_files_is_the_one_dvc_recorded(tmp_path):
    """demo-bank's dvc.lock on dev (DVC 2, dos2unix md5s) records its code dependencies: the md5
    we compute from the git blobs is the same, so an untouched pipeline is never stale."""
    from modeltrail.store.read.blobfacts import dvc_file_md5, parse_dvc_lock

    repo = clone("demo-bank-customer-churn-prediction", tmp_path / "bank")

    def show(path: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(repo), "show", f"origin/dev:{path}"], capture_output=True
        )

    lock = parse_dvc_lock(show("dvc.lock").stdout)
    checked = 0
    for stage in lock.stages.values():
        for dep in stage.deps:
            blob = show(dep.path)
            if blob.returncode == 0 and not dep.is_dir:
                assert dvc_file_md5(blob.stdout, dep.legacy) == dep.md5, dep.path
                checked += 1
    assert checked >= 3


def test_metrics_in_a_dvc_output_not_in_the_cache_are_unknown(tmp_path):
    """A declared metrics file inside a cached output whose object is not in the local
    cache is unknown (the audit's ``?``), not absent (``✗``), with one warning naming
    ``dvc pull`` for the model, not one per version."""
    from modeltrail.store.query import audit

    r = GitRepo(tmp_path / "repo")
    base = {".dvc/.gitignore": "/cache\n", "seg/dvc.yaml": DVC_YAML, "seg/params.yaml": "lr: 1\n"}
    c1 = r.commit("run", {**base, "seg/dvc.lock": _lock("a" * 32, "a" * 32, "c" * 32)})
    c2 = r.commit("run again", {"seg/dvc.lock": _lock("b" * 32, "b" * 32, "d" * 32)})
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {}  # nothing made up
    checks = audit.version_checks(con, "seg", {})
    for commit in (c1, c2):
        assert checks[commit]["checks"]["metrics"] is None
        reason = checks[commit]["reasons"]["metrics"]
        assert "seg/results/evaluate/metrics.json" in reason and "dvc pull" in reason
        assert "metrics" not in checks[commit]["missing"]
    detail = version_detail(con, "seg", c2)
    assert audit.detail_checks(con, "seg", detail, {})["checks"]["metrics"] is None
    pulls = con.execute("SELECT model, message FROM warnings WHERE message LIKE '%dvc pull%'")
    (row,) = pulls.fetchall()
    assert row[0] == "seg" and "2 versions" in row[1]


TEMPLATED_DVC_YAML = """\
vars:
  - report: report
stages:
  evaluate:
    foreach: ${splits}
    do:
      cmd: python evaluate.py ${item}
      params:
        - lr
      metrics:
        - ${eval.dir}/${item}.json:
            cache: false
  sweep:
    matrix:
      model: [small, large]
      seed: ${seeds}
    cmd: python sweep.py ${item.model} ${item.seed}
    metrics:
      - sweep/${item.model}-${item.seed}.json
  report:
    cmd: python report.py ${eval.dir}
    metrics:
      - ${report}/summary.json
"""


def test_templated_dvc_yaml_is_expanded_with_the_params_of_each_version(tmp_path):
    """``vars``, ``${...}`` from params.yaml (of the same commit), ``foreach`` and
    ``matrix``: the metrics under templated paths are read, and nothing is warned about."""
    r = GitRepo(tmp_path / "repo")
    c1 = r.commit(
        "templated pipeline",
        {
            "seg/dvc.yaml": TEMPLATED_DVC_YAML,
            "seg/params.yaml": "lr: 0.1\neval:\n  dir: results\nsplits: [train, test]\n"
            "seeds: [1]\n",
            "seg/results/train.json": '{"auc": 0.8}',
            "seg/results/test.json": '{"auc": 0.7}',
            "seg/report/summary.json": '{"n": 3}',
            "seg/sweep/large-1.json": '{"acc": 0.5}',
        },
    )
    c2 = r.commit(
        "evaluate into out/",
        {
            "seg/params.yaml": "lr: 0.2\neval:\n  dir: out\nsplits: [train, test]\nseeds: [1]\n",
            "seg/out/train.json": '{"auc": 0.9}',
            "seg/out/test.json": '{"auc": 0.75}',
        },
    )
    repo = open_repo(r.path)
    update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    versions = _by_commit(SimpleNamespace(con=con))
    assert versions[c1]["metrics"] == {
        "seg/report/summary.json:n": 3,
        "seg/results/test.json:auc": 0.7,
        "seg/results/train.json:auc": 0.8,
        "seg/sweep/large-1.json:acc": 0.5,
    }
    assert versions[c2]["metrics"] == {
        "seg/out/test.json:auc": 0.75,
        "seg/out/train.json:auc": 0.9,
        "seg/report/summary.json:n": 3,
        "seg/sweep/large-1.json:acc": 0.5,
    }
    assert versions[c2]["params"]["lr"] == 0.2
    assert con.execute("SELECT path, message FROM warnings").fetchall() == []
