"""Diffs between versions: dvc-style metric/param diffs, artifacts, environment, files,
stale metrics, and the ``modeltrail diff`` command, on repositories generated here."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.config import Config
from modeltrail.store.errors import UnknownModel, UnknownVersion
from modeltrail.store.query.diff import (
    artifact_diff,
    best_indices,
    compare_versions,
    diff_versions,
    environment_diff,
    metric_diff,
    param_diff,
)
from modeltrail.store.query.trend import metric_trend, trend_branches, trend_metrics
from modeltrail.store.read.gitdiff import changed_files, file_patch
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main as cli_main

CFG = Config()

# --- pure metric and param diffs ----------------------------------------------------------


def test_metric_diff_reports_changed_numbers_with_direction():
    out = metric_diff(
        {"test.auc": 0.8, "test.loss": 0.5, "same": 1},
        {"test.auc": 0.85, "test.loss": 0.6, "same": 1},
        CFG.better,
    )
    assert out == {  # diff = new - old as dvc defines it, of the decimal numbers written
        "test.auc": {"old": 0.8, "new": 0.85, "diff": 0.05, "better": True},
        "test.loss": {"old": 0.5, "new": 0.6, "diff": 0.1, "better": False},
    }


def test_metric_diff_added_and_removed_keys_have_null_side_and_no_diff():
    out = metric_diff({"gone": 1.0, "kept": 2}, {"kept": 2, "new": 3}, CFG.better)
    assert out == {
        "gone": {"old": 1.0, "new": None, "better": None},
        "new": {"old": None, "new": 3, "better": None},
    }


def test_metric_diff_booleans_count_as_zero_and_one():
    out = metric_diff({"converged": False}, {"converged": True}, CFG.better)
    assert out["converged"] == {"old": False, "new": True, "diff": 1, "better": True}
    assert metric_diff({"ok": True}, {"ok": 1}, CFG.better) == {}


def test_metric_diff_all_keys_includes_unchanged_with_zero_diff():
    out = metric_diff({"auc": 0.9, "x": "a"}, {"auc": 0.9, "x": "a"}, CFG.better, all_keys=True)
    assert out == {
        "auc": {"old": 0.9, "new": 0.9, "diff": 0.0, "better": None},
        "x": {"old": "a", "new": "a", "better": None},
    }


def test_metric_diff_text_values_change_without_diff():
    out = metric_diff({"notes": "ok"}, {"notes": "bad"}, CFG.better)
    assert out == {"notes": {"old": "ok", "new": "bad", "better": None}}


def test_metric_diff_uses_configured_direction():
    cfg = Config(metric_directions={"score": "lower"})
    assert metric_diff({"score": 2}, {"score": 1}, cfg.better)["score"]["better"] is True
    assert metric_diff({"score": 2}, {"score": 1}, CFG.better)["score"]["better"] is False


def test_param_diff_compares_lists_as_values():
    old = {"layers": [64, 32], "lr": 0.1, "opt": {"a": 1}}
    new = {"layers": [64, 32], "lr": 0.1, "opt": {"a": 1}}
    assert param_diff(old, new) == {}
    new = {"layers": [64, 64], "lr": 0.1, "opt": {"a": 1}, "extra": True}
    assert param_diff(old, new) == {
        "extra": {"old": None, "new": True},
        "layers": {"old": [64, 32], "new": [64, 64]},
    }
    assert set(param_diff(old, new, all_keys=True)) == {"extra", "layers", "lr", "opt"}


def test_artifact_diff_kinds_and_storage_change():
    old = [
        {"path": "m/model.pkl", "storage": "git", "size": 10, "hash": "b1", "present": True},
        {"path": "m/gone.bin", "storage": "lfs", "size": 5, "hash": "o1", "present": False},
        {"path": "m/same.txt", "storage": "git", "size": 3, "hash": "s", "present": True},
    ]
    new = [
        {"path": "m/model.pkl", "storage": "lfs", "size": 2000, "hash": "o2", "present": True},
        {"path": "m/data", "storage": "dvc", "size": 7, "hash": "d.dir", "nfiles": 3},
        {"path": "m/same.txt", "storage": "git", "size": 3, "hash": "s", "present": True},
    ]
    out = artifact_diff(old, new)
    assert [(e["path"], e["change"], e["storage"]) for e in out] == [
        ("m/data", "added", "dvc"),
        ("m/gone.bin", "removed", "lfs"),
        ("m/model.pkl", "modified", "lfs"),
    ]
    assert out[2]["old"]["storage"] == "git" and out[2]["new"]["hash"] == "o2"
    assert [e["change"] for e in artifact_diff(old, new, all_keys=True)][-1] == "unchanged"


def test_environment_diff_package_changes():
    old = [
        {"file": "m/requirements.txt", "package": "numpy", "spec": "==1.26.0"},
        {"file": "m/requirements.txt", "package": "pandas", "spec": ">=2.0"},
        {"file": "m/requirements.txt", "package": "rich", "spec": ""},
    ]
    new = [
        {"file": "m/requirements.txt", "package": "numpy", "spec": "==2.0.0"},
        {"file": "m/requirements.txt", "package": "rich", "spec": ""},
        {"file": "m/requirements.txt", "package": "scikit-learn", "spec": ""},
    ]
    out = environment_diff(old, new)
    assert [(e["package"], e["change"], e["old"], e["new"]) for e in out] == [
        ("numpy", "modified", "==1.26.0", "==2.0.0"),
        ("pandas", "removed", ">=2.0", None),
        ("scikit-learn", "added", None, ""),
    ]


def test_best_indices_by_direction():
    assert best_indices([0.5, 0.4, None, 0.4], "lower") == [1, 3]
    assert best_indices([0.5, 0.7, "x"], "higher") == [1]
    assert best_indices([0.5, 0.5], "higher") == []  # nothing is better than anything
    assert best_indices([0.5, None], "higher") == []
    assert best_indices([False, True], "higher") == [1]


# --- a generated repository ---------------------------------------------------------------

MODEL = "models/m"


def _lfs(ch: str, size: int) -> str:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{ch * 64}\nsize {size}\n"


def _dvc(md5: str, size: int) -> str:
    return f"outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: data.csv\n"


class GitRepo:
    """A repository in a temporary directory, committed with fixed identities and dates."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        self.env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(self.env)
        if date:
            env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        return subprocess.run(
            ["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    def commit(self, message: str, date: str, files: dict[str, str | None]) -> str:
        for path, content in files.items():
            f = self.root / path
            if content is None:
                f.unlink()
                continue
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=date)
        return self.git("rev-parse", "HEAD")


def _lock(md5: str, size: int, nfiles: int) -> str:
    return (
        "schema: '2.0'\nstages:\n  featurize:\n    cmd: python featurize.py\n"
        "    deps:\n    - path: raw.csv\n      hash: md5\n      md5: " + "e5" * 16 + "\n"
        "      size: 10\n    outs:\n    - path: features\n      hash: md5\n"
        f"      md5: {md5}.dir\n      size: {size}\n      nfiles: {nfiles}\n"
    )


PARAMS_V1 = "lr: 0.1\nlayers: [64, 32]\nmodel:\n  depth: 4\nearly_stop: true\nold: 1\n"
PARAMS_V2 = "lr: 0.1\nlayers: [64, 64]\nmodel:\n  depth: 4\nearly_stop: false\nadded: x\n"


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    """models/m with nested metrics, list/boolean params, an LFS model, a DVC pointer, a
    dvc.lock with a directory output, and requirements; v1.0.0 → v2.0.0 changes all of them; a third commit (v2.1.0) changes
    params and code but not the metrics (stale). Branch ``exp/only-v1`` holds v1.0.0."""
    r = GitRepo(tmp_path_factory.mktemp("gen") / "repo")
    metrics_v1 = {
        "test": {"auc": 0.8, "loss": 0.5},
        "train": {"acc": 0.9},
        "converged": False,
        "notes": "ok",
    }
    metrics_v2 = {
        "test": {"auc": 0.85, "loss": 0.4},
        "converged": True,
        "notes": "ok",
        "new_metric": 3,
    }
    r.c1 = r.commit(
        "first model",
        "2024-01-01T10:00:00Z",
        {
            f"{MODEL}/model.yaml": "name: m\n",
            f"{MODEL}/metrics.json": json.dumps(metrics_v1),
            f"{MODEL}/params.yaml": PARAMS_V1,
            f"{MODEL}/requirements.txt": "numpy==1.26.0\npandas>=2.0\n",
            f"{MODEL}/model.pkl": _lfs("a", 1000),
            f"{MODEL}/data.csv.dvc": _dvc("a1" * 16, 500),
            f"{MODEL}/dvc.lock": _lock("c3" * 16, 4000, 4),
            f"{MODEL}/train.py": "print(1)\nprint(2)\n",
            "README.md": "outside the model\n",
        },
    )
    r.git("tag", "m-v1.0.0")
    r.c2 = r.commit(
        "better model",
        "2024-01-02T10:00:00Z",
        {
            f"{MODEL}/metrics.json": json.dumps(metrics_v2),
            f"{MODEL}/params.yaml": PARAMS_V2,
            f"{MODEL}/requirements.txt": "numpy==2.0.0\nscikit-learn\n",
            f"{MODEL}/model.pkl": _lfs("b", 2000),
            f"{MODEL}/data.csv.dvc": _dvc("b2" * 16, 600),
            f"{MODEL}/dvc.lock": _lock("d4" * 16, 5000, 5),
            f"{MODEL}/train.py": "print(1)\nprint(3)\nprint(4)\n",
            "README.md": "changed outside the model\n",
        },
    )
    r.git("tag", "m-v2.0.0")
    r.c3 = r.commit(
        "tune lr, forget to retrain",
        "2024-01-03T10:00:00Z",
        {
            f"{MODEL}/params.yaml": PARAMS_V2.replace("lr: 0.1", "lr: 0.2"),
            f"{MODEL}/train.py": "print(5)\n",
        },
    )
    r.git("tag", "m-v2.1.0")
    r.git("branch", "exp/only-v1", r.c1)
    r.repo = open_repo(r.root)
    update_catalog(r.repo)
    r.con = open_catalog(r.repo, refresh=False)
    return r


def test_diff_metrics_nested_added_removed_and_booleans(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    assert d["a"]["version"] == "v1.0.0" and d["a"]["commit"] == gen.c1
    assert d["b"]["version"] == "v2.0.0" and d["b"]["commit"] == gen.c2
    f = {"file": f"{MODEL}/metrics.json"}  # one metrics file: plain keys
    assert d["metrics"] == {
        "converged": {
            "old": False,
            "new": True,
            "diff": 1,
            "better": True,
            **f,
            "key": "converged",
        },
        "new_metric": {"old": None, "new": 3, "better": None, **f, "key": "new_metric"},
        "test.auc": {
            "old": 0.8,
            "new": 0.85,
            "diff": 0.05,  # not 0.85 - 0.8 (0.04999999999999993)
            "better": True,
            **f,
            "key": "test.auc",
        },
        "test.loss": {
            "old": 0.5,
            "new": 0.4,
            "diff": -0.1,
            "better": True,
            **f,
            "key": "test.loss",
        },
        "train.acc": {"old": 0.9, "new": None, "better": None, **f, "key": "train.acc"},
    }


def test_diff_params_lists_booleans_added_removed(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    plain = {
        k: {f: v for f, v in e.items() if f not in ("file", "key")} for k, e in d["params"].items()
    }
    assert plain == {
        "added": {"old": None, "new": "x"},
        "early_stop": {"old": True, "new": False, "diff": -1},
        "layers": {"old": [64, 32], "new": [64, 64]},
        "old": {"old": 1, "new": None},
    }
    assert {e["file"] for e in d["params"].values()} == {f"{MODEL}/params.yaml"}
    full = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0", all_keys=True)
    assert full["params"]["lr"]["old"] == 0.1 and full["params"]["lr"]["diff"] == 0
    assert full["params"]["model.depth"]["new"] == 4
    assert full["metrics"]["notes"]["old"] == "ok" and "diff" not in full["metrics"]["notes"]
    newer = diff_versions(gen.con, gen.repo, "m", "v2.0.0", "v2.1.0")
    assert newer["params"]["lr"]["diff"] == 0.1  # numeric params get a diff, as dvc


def test_diff_artifacts_lfs_and_dvc_pointers(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    by = {(e["path"], e["storage"]): e for e in d["artifacts"]}
    lfs = by[(f"{MODEL}/model.pkl", "lfs")]
    assert lfs["change"] == "modified"
    assert (lfs["old"]["hash"], lfs["old"]["size"]) == ("a" * 64, 1000)
    assert (lfs["new"]["hash"], lfs["new"]["size"]) == ("b" * 64, 2000)
    assert lfs["new"]["present"] is False  # no object in .git/lfs/objects
    dvc = by[(f"{MODEL}/data.csv", "dvc")]
    assert dvc["change"] == "modified"
    assert (dvc["old"]["hash"], dvc["new"]["hash"]) == ("a1" * 16, "b2" * 16)
    assert (dvc["old"]["size"], dvc["new"]["size"]) == (500, 600)
    lock = by[(f"{MODEL}/features", "dvc")]
    assert lock["change"] == "modified"
    assert (lock["old"]["hash"], lock["old"]["nfiles"]) == ("c3" * 16 + ".dir", 4)
    assert (lock["new"]["hash"], lock["new"]["size"], lock["new"]["nfiles"]) == (
        "d4" * 16 + ".dir",
        5000,
        5,
    )
    # unchanged files are left out unless --all
    assert (f"{MODEL}/model.yaml", "git") not in by
    full = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0", all_keys=True)
    assert {e["path"]: e["change"] for e in full["artifacts"]}[f"{MODEL}/model.yaml"] == (
        "unchanged"
    )


def test_diff_environment(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    assert [(e["package"], e["change"], e["old"], e["new"]) for e in d["environment"]] == [
        ("numpy", "modified", "==1.26.0", "==2.0.0"),
        ("pandas", "removed", ">=2.0", None),
        ("scikit-learn", "added", None, ""),
    ]


def test_diff_files_with_line_counts_only_under_model_dir(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    files = {f["path"]: f for f in d["files"]}
    assert "README.md" not in files
    assert files[f"{MODEL}/train.py"] == {
        "path": f"{MODEL}/train.py",
        "old_path": None,
        "change": "modified",
        "additions": 2,
        "deletions": 1,
    }
    assert set(files) == {
        f"{MODEL}/{n}"
        for n in (
            "data.csv.dvc",
            "dvc.lock",
            "metrics.json",
            "model.pkl",
            "params.yaml",
            "requirements.txt",
            "train.py",
        )
    }


def test_file_list_added_and_removed_and_patch(gen):
    files = changed_files(gen.repo, gen.c3, gen.c1, MODEL)  # backwards: nothing added
    assert {f["change"] for f in files} == {"modified"}
    text, truncated = file_patch(gen.repo, gen.c1, gen.c2, f"{MODEL}/train.py")
    assert not truncated
    assert "-print(2)\n+print(3)\n+print(4)" in text


def test_stale_metrics_flagged_in_diff_and_versions(gen):
    d = diff_versions(gen.con, gen.repo, "m", "v2.0.0", "v2.1.0")
    assert d["metrics"] == {}
    assert d["stale"] == {"a": False, "b": True, "between": True}
    fresh = diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.0.0")
    assert fresh["stale"] == {"a": False, "b": False, "between": False}
    # metrics file untouched across v2.0.0..v2.1.0 even when diffing from v1: not stale
    assert diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v2.1.0")["stale"]["between"] is False


def test_diff_resolves_commit_ish_tags_and_prefixes(gen):
    d = diff_versions(gen.con, gen.repo, "m", "HEAD~2", gen.c2[:8])
    assert (d["a"]["commit"], d["b"]["commit"]) == (gen.c1, gen.c2)
    d = diff_versions(gen.con, gen.repo, "m", "m-v1.0.0", "main")
    assert (d["a"]["commit"], d["b"]["commit"]) == (gen.c1, gen.c3)


def test_diff_unknown_names_and_option_like_specs(gen):
    with pytest.raises(UnknownVersion):
        diff_versions(gen.con, gen.repo, "m", "v1.0.0", "v9.9.9")
    with pytest.raises(UnknownVersion):
        diff_versions(gen.con, gen.repo, "m", "--output=/tmp/x", "v1.0.0")
    with pytest.raises(UnknownModel):
        diff_versions(gen.con, gen.repo, "nope", "v1.0.0", "v2.0.0")


def test_compare_versions_side_by_side(gen):
    data = compare_versions(gen.con, "m", [gen.c3, gen.c1, gen.c2], CFG)
    assert [v["version"] for v in data["versions"]] == ["v1.0.0", "v2.0.0", "v2.1.0"]
    rows = {r["key"]: r for r in data["metrics"]}
    assert rows["test.loss"]["values"] == [0.5, 0.4, 0.4]
    assert rows["test.loss"]["best"] == [1, 2] and rows["test.loss"]["direction"] == "lower"
    assert rows["train.acc"]["values"] == [0.9, None, None]
    params = {r["key"]: r for r in data["params"]}
    assert params["lr"]["values"] == [0.1, 0.1, 0.2] and params["lr"]["changed"]
    assert not params["model.depth"]["changed"]


def test_trend_along_branch(gen):
    con = gen.con
    assert trend_metrics(con, "m") == [
        "converged",
        "test.auc",
        "test.loss",
        "new_metric",
        "train.acc",
    ]
    assert trend_branches(con, "m") == ["main", "exp/only-v1"]
    main = metric_trend(con, "m", "test.auc", "main")
    assert [(p["version"], p["value"]) for p in main] == [
        ("v1.0.0", 0.8),
        ("v2.0.0", 0.85),
        ("v2.1.0", 0.85),
    ]
    assert [p["version"] for p in metric_trend(con, "m", "test.auc", "exp/only-v1")] == ["v1.0.0"]


# --- the command line ---------------------------------------------------------------------


def test_cli_diff_json_shape(gen, capsys):
    status = cli_main(["-C", str(gen.root), "diff", "m", "v1.0.0", "v2.0.0", "--json"])
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"model", "a", "b", "metrics", "params", "artifacts", "files"}
    assert out["metrics"]["test.auc"]["better"] is True
    assert out["metrics"]["new_metric"] == {
        "old": None,
        "new": 3,
        "better": None,
        "file": "models/m/metrics.json",
        "key": "new_metric",
    }
    assert {"path", "change", "old", "new", "storage"} <= set(out["artifacts"][0])
    assert {"path", "old_path", "change", "additions", "deletions"} == set(out["files"][0])


def test_cli_diff_table_on_terminal(gen, capsys):
    status = cli_main(["-C", str(gen.root), "diff", "m", "v2.0.0", "v2.1.0"])
    out = capsys.readouterr().out
    assert status == 0
    assert "m: v2.0.0" in out and "v2.1.0" in out
    assert "stale metrics" in out
    assert "lr" in out and "0.2" in out
    assert "train.py" in out and "+1" in out and "-3" in out


def test_cli_diff_metrics_table_marks_better_and_worse(gen, capsys):
    assert cli_main(["-C", str(gen.root), "diff", "m", "v2.0.0", "v1.0.0"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "test.auc" in ln)
    assert "-0.05" in line and "worse" in line
    assert "removed" in next(ln for ln in out.splitlines() if "new_metric" in ln)


def test_cli_diff_unknown_version_exits_2(gen, capsys):
    assert cli_main(["-C", str(gen.root), "diff", "m", "v1.0.0", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modeltrail: ") and err.count("\n") == 1


def test_artifact_in_git_and_declared_as_dvc_output_is_the_git_file():
    old = [
        {"path": "m/metrics.json", "storage": "git", "size": 10, "hash": "b1", "present": True},
        {"path": "m/metrics.json", "storage": "dvc", "size": 10, "hash": "m1", "present": False},
    ]
    new = [
        {"path": "m/metrics.json", "storage": "dvc", "size": 11, "hash": "m2", "present": False},
        {"path": "m/metrics.json", "storage": "git", "size": 11, "hash": "b2", "present": True},
    ]
    (entry,) = artifact_diff(old, new)
    assert entry["storage"] == "git" and entry["new"]["hash"] == "b2"


def test_cli_diff_prints_repository_text_literally(tmp_path, capsys):
    r = GitRepo(tmp_path / "repo")
    keys = {"[bold red]auc[/]": 0.5, "esc\x1b[31m": 1.0}
    r.commit(
        "one",
        "2024-01-01T10:00:00Z",
        {"m/model.yaml": "name: m\n", "m/metrics.json": json.dumps(keys)},
    )
    keys = {"[bold red]auc[/]": 0.7, "esc\x1b[31m": 2.0}
    r.commit("two", "2024-01-02T10:00:00Z", {"m/metrics.json": json.dumps(keys)})
    assert cli_main(["-C", str(r.root), "diff", "m", "HEAD~1", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "[bold red]auc[/]" in out
    assert "esc\\x1b[31m" in out and "\x1b" not in out
