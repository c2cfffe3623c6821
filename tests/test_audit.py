"""``modeltrail audit``: reproducibility checks both ways, time a version held a stage, and
labels that moved (seen across index runs and after a catalog rebuild)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from realrepos import BUNDLES, clone, needs_realrepos

ARTIFACTS = (
    "good:\n  type: model\n  path: models/good/model.pkl\n"
    "bad:\n  type: model\n  path: models/bad/model.pkl\n"
)
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 1234\n"
POINTER = "outs:\n- md5: 3863d0e317dee0a55c4e59d2ec0eef33\n  size: 12\n  path: train.csv\n"


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *args],
        capture_output=True,
        text=True,
    )


def audit_json(repo: Path, *args: str) -> dict:
    out = cli(repo, "audit", "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def version(result: dict, model: str) -> dict:
    return next(v for v in result["versions"] if v["model"] == model)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "two models",
        {
            "artifacts.yaml": ARTIFACTS,
            "models/good/model.pkl": "weights",
            "models/good/params.yaml": "lr: 0.1\n",
            "models/good/metrics.json": '{"auc": 0.9}',
            "models/good/requirements.txt": "numpy==1.26.3\nscikit-learn[extra]==1.4.0\n",
            "models/good/train.csv.dvc": POINTER,
            "models/bad/model.pkl": LFS.format("a" * 64),
            "models/bad/requirements.txt": "numpy>=1.20\npandas\n",
        },
    )
    r.tag("good@v1.0.0", message="Registering artifact good version v1.0.0")
    r.tag("bad@v1.0.0", message="Registering artifact bad version v1.0.0")
    return r


def test_every_check_passes_for_a_fully_recorded_version(repo: GitRepo) -> None:
    good = version(audit_json(repo.path, "good"), "good")
    assert good["checks"] == dict.fromkeys(
        ("params", "data", "environment", "artifact", "metrics"), True
    )
    assert good["reproducible"] is True and good["missing"] == [] and good["reasons"] == {}


def test_every_check_fails_with_a_reason_where_nothing_is_recorded(repo: GitRepo) -> None:
    result = audit_json(repo.path)
    bad = version(result, "bad")
    assert bad["checks"] == dict.fromkeys(
        ("params", "data", "environment", "artifact", "metrics"), False
    )
    assert bad["reproducible"] is False
    assert set(bad["missing"]) == set(bad["checks"])
    assert "numpy" in bad["reasons"]["environment"] and "pandas" in bad["reasons"]["environment"]
    assert "no remote" in bad["reasons"]["artifact"]
    assert result["percent_reproducible"] == 50.0
    (bad_model,) = (m for m in result["models"] if m["name"] == "bad")
    assert bad_model["percent_reproducible"] == 0.0 and bad_model["missing"]["data"] == 1


def test_a_missing_object_with_a_remote_configured_is_unknown_not_false(repo: GitRepo) -> None:
    repo.git("remote", "add", "origin", str(repo.path.parent / "elsewhere.git"))
    bad = version(audit_json(repo.path, "bad"), "bad")
    assert bad["checks"]["artifact"] is None
    assert "remote is configured" in bad["reasons"]["artifact"]
    assert "artifact" not in bad["missing"]


def test_a_lock_file_pins_the_environment_and_stale_metrics_fail(repo: GitRepo) -> None:
    repo.commit("lock it", {"models/bad/poetry.lock": "# locked\n"})
    repo.commit("retrain without metrics", {"models/good/params.yaml": "lr: 0.2\n"})
    result = audit_json(repo.path)
    newest_good = version(result, "good")  # newest first
    assert newest_good["checks"]["metrics"] is False
    assert "stale" in newest_good["reasons"]["metrics"]
    assert version(result, "bad")["checks"]["environment"] is True


def _tag_time(repo: GitRepo, tag: str) -> int:
    return int(repo.git("for-each-ref", "--format=%(taggerdate:unix)", f"refs/tags/{tag}"))


def test_time_a_version_held_a_stage_before_it_was_moved(repo: GitRepo) -> None:
    repo.tag("good#prod#1", message="Assigning stage prod to artifact good version v1.0.0")
    first = repo.head()
    repo.commit("retrain", {"models/good/model.pkl": "weights 2"})
    repo.tag("good@v1.1.0", message="Registering artifact good version v1.1.0")
    repo.tag("good#prod#2", message="Assigning stage prod to artifact good version v1.1.0")
    repo.tag("good#prod#3", first, message="Rollback: prod back to v1.0.0")
    result = audit_json(repo.path, "good")
    moves = [r for r in result["rollbacks"] if r["stage"] == "prod"]
    assert [(r["from"], r["to"]) for r in moves] == [("v1.0.0", "v1.1.0"), ("v1.1.0", "v1.0.0")]
    held = _tag_time(repo, "good#prod#3") - _tag_time(repo, "good#prod#2")
    assert moves[1]["time_to_rollback_s"] == held > 0
    (model,) = result["models"]
    assert model["time_to_rollback_s"]["max"] == max(r["time_to_rollback_s"] for r in moves)


def test_a_moved_label_is_reported_across_runs_and_after_a_rebuild(repo: GitRepo) -> None:
    first = repo.head()
    assert cli(repo.path, "index").returncode == 0
    second = repo.commit("retrain", {"models/good/model.pkl": "weights 2"})
    repo.git("tag", "-d", "good@v1.0.0")
    repo.tag("good@v1.0.0", message="Registering artifact good version v1.0.0 (again)")
    (moved,) = audit_json(repo.path)["labels_changed"]
    assert moved["tag"] == "good@v1.0.0" and moved["label"] == "v1.0.0"
    assert (moved["old_commit"], moved["new_commit"]) == (first, second)
    assert cli(repo.path, "index", "--rebuild").returncode == 0
    assert audit_json(repo.path)["labels_changed"] == [moved]
    text = cli(repo.path, "audit").stdout
    assert "label moved" in text and first[:7] in text and second[:7] in text


def test_hostile_names_are_printed_literally(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    name = "m\x1b]0;pwned\x07"
    r.commit("m", {"models/m/model.yaml": f"name: {json.dumps(name)}\n", "models/m/w": "1"})
    out = cli(r.path, "audit", "--all")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout


@needs_realrepos
@pytest.mark.parametrize("name", BUNDLES)
def test_real_repositories_produce_an_audit(name: str, tmp_path: Path) -> None:
    repo = clone(name, tmp_path / name)
    result = audit_json(repo)
    assert {"percent_reproducible", "models", "versions", "rollbacks", "labels_changed"} <= set(
        result
    )
    for v in result["versions"]:
        assert set(v["checks"]) == {"params", "data", "environment", "artifact", "metrics"}
        for check, value in v["checks"].items():
            assert value is True or check in v["reasons"]
