"""The state file beside the catalog: "nothing new" answered without DuckDB or the indexer,
and never trusted when it does not describe the current refs and catalog file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.catalog.generations import STATE_FILE
from modeltrail.store.repo import open_repo, repo_paths


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "first",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m/model.pkl\n",
            "models/m/model.pkl": "1",
            "models/m/metrics.json": '{"auc": 0.8}',
        },
    )
    r.tag("m@v1.0.0", message="Registering artifact m version v1.0.0")
    return r


_CHILD = """
import json, sys
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo
s = update_catalog(open_repo(sys.argv[1]))
heavy = sorted(m for m in ("duckdb", "pyarrow", "modeltrail.store.catalog.index_run")
               if m in sys.modules)
print(json.dumps({"mode": s.mode, "versions": s.versions, "models": s.models, "heavy": heavy}))
"""


def _in_child(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_nothing_new_loads_neither_duckdb_nor_the_indexer(repo: GitRepo) -> None:
    full = update_catalog(open_repo(repo.path))
    child = _in_child(repo.path)
    assert child == {"mode": "unchanged", "versions": full.versions, "models": 1, "heavy": []}


@pytest.mark.parametrize("change", ["commit", "tag", "branch", "moved-tag"])
def test_any_ref_change_is_seen(repo: GitRepo, change: str) -> None:
    update_catalog(open_repo(repo.path))
    if change == "commit":
        repo.commit("retrain", {"models/m/model.pkl": "2"})
    elif change == "tag":
        repo.tag("m#prod#1", message="Assigning stage prod to artifact m version v1.0.0")
    elif change == "branch":
        repo.branch("exp")
    else:
        repo.commit("retrain", {"models/m/model.pkl": "2"})
        update_catalog(open_repo(repo.path))
        repo.git("tag", "-f", "-a", "-m", "moved", "m@v1.0.0", "HEAD", env=repo.env())
    child = _in_child(repo.path)
    assert child["mode"] != "unchanged"
    assert "modeltrail.store.catalog.index_run" in child["heavy"]
    assert _in_child(repo.path)["mode"] == "unchanged"  # and recorded for next time


@pytest.mark.parametrize("state", ["garbage", "other-generation", "missing"])
def test_a_state_file_that_does_not_match_is_ignored(repo: GitRepo, state: str) -> None:
    r = open_repo(repo.path)
    update_catalog(r)
    path = repo_paths(r).catalog_dir / STATE_FILE
    if state == "garbage":
        path.write_text("{not json")
    elif state == "other-generation":
        data = json.loads(path.read_text())
        data["generation"][0] = "catalog-0-0.duckdb"
        data["versions"] = 999
        path.write_text(json.dumps(data))
    else:
        path.unlink()
    summary = update_catalog(r)
    assert summary.mode == "unchanged" and summary.versions == 1
    assert _in_child(repo.path)["heavy"] == []  # the slow check wrote a good state file
