"""Metrics in a DVC output not in the local cache are unknown (``?``); after ``dvc pull``
brings the objects into the local cache, the next plain ``index`` (and so the next
command or TUI start) reads them: no ``--rebuild``, no full index."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query import audit
from modeltrail.store.query.queries import iter_versions
from modeltrail.store.repo import open_repo
from modeltrail.tui.cli import main


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def _warnings(con) -> list[tuple[str, str]]:
    return con.execute("SELECT path, message FROM warnings ORDER BY ALL").fetchall()


PULL_PIPELINE = """\
metrics:
- results/evaluate/metrics.json
stages:
  evaluate:
    cmd: python evaluate.py
    outs:
    - results/evaluate
"""


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _pull_lock(dir_md5: str) -> str:
    return f"""\
schema: '2.0'
stages:
  evaluate:
    cmd: python evaluate.py
    outs:
    - path: results/evaluate
      hash: md5
      md5: {dir_md5}.dir
      size: 20
      nfiles: 1
"""


def _put(root: Path, md5: str, data: bytes) -> None:
    """Where ``dvc pull`` puts an object: ``.dvc/cache/files/md5/ab/cdef...``."""
    path = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _results(dice: float) -> tuple[bytes, str, bytes, str]:
    data = json.dumps({"dice": dice}).encode()
    manifest = json.dumps([{"md5": _md5(data), "relpath": "metrics.json"}]).encode()
    return data, _md5(data), manifest, _md5(manifest)


def test_metrics_pulled_later_appear_on_the_next_plain_index(tmp_path, capsys):
    """Indexed before ``dvc pull``: unknown (``?``). The objects arrive in the local
    cache (the directory's manifest first, then the file it lists): the next plain
    ``index`` reads them, without a rebuild, and a run after that has nothing to do."""
    r = GitRepo(tmp_path / "repo")
    data1, md5_1, manifest1, dir1 = _results(0.8)
    data2, md5_2, manifest2, dir2 = _results(0.85)
    base = {".dvc/.gitignore": "/cache\n", "seg/dvc.yaml": PULL_PIPELINE}
    c1 = r.commit("run", {**base, "seg/dvc.lock": _pull_lock(dir1)})
    c2 = r.commit("run again", {"seg/dvc.lock": _pull_lock(dir2)})
    repo = open_repo(r.path)
    assert update_catalog(repo).mode == "full"
    con = open_catalog(repo, refresh=False)
    assert [v["metrics"] for v in list(iter_versions(con, "seg"))] == [{}, {}]
    checks = audit.version_checks(con, "seg", {})
    assert checks[c1]["checks"]["metrics"] is None and checks[c2]["checks"]["metrics"] is None
    con.close()

    _put(r.path, dir1 + ".dir", manifest1)  # the manifest alone: the file is still not there
    summary = update_catalog(repo)
    assert summary.mode != "full"
    con = open_catalog(repo, refresh=False)
    assert [v["metrics"] for v in list(iter_versions(con, "seg"))] == [{}, {}]
    con.close()

    _put(r.path, md5_1, data1)
    _put(r.path, dir2 + ".dir", manifest2)
    _put(r.path, md5_2, data2)
    capsys.readouterr()
    assert main(["-C", str(r.path), "index"]) == 0
    out = capsys.readouterr().out
    assert "full" not in out, out
    con = open_catalog(repo, refresh=False)
    versions = {v["commit"]: v for v in list(iter_versions(con, "seg"))}
    assert versions[c1]["metrics"] == {"dice": 0.8}
    assert versions[c2]["metrics"] == {"dice": 0.85}
    checks = audit.version_checks(con, "seg", {})
    assert checks[c1]["checks"]["metrics"] is True and checks[c2]["checks"]["metrics"] is True
    assert not [m for _p, m in _warnings(con) if "dvc pull" in m]
    con.close()
    assert update_catalog(repo).mode == "unchanged"


def test_a_partial_pull_updates_the_count_in_the_warning(tmp_path):
    """One of two versions pulled: its metrics appear, the other stays unknown, and the
    one warning counts one version."""
    r = GitRepo(tmp_path / "repo")
    data1, md5_1, manifest1, dir1 = _results(0.8)
    _data2, _md5_2, _manifest2, dir2 = _results(0.85)
    base = {".dvc/.gitignore": "/cache\n", "seg/dvc.yaml": PULL_PIPELINE}
    c1 = r.commit("run", {**base, "seg/dvc.lock": _pull_lock(dir1)})
    c2 = r.commit("run again", {"seg/dvc.lock": _pull_lock(dir2)})
    repo = open_repo(r.path)
    update_catalog(repo)
    _put(r.path, dir1 + ".dir", manifest1)
    _put(r.path, md5_1, data1)
    _data3, _md5_3, _manifest3, dir3 = _results(0.9)
    # a new run and a pull at once
    c3 = r.commit("run a third time", {"seg/dvc.lock": _pull_lock(dir3)})
    assert update_catalog(repo).mode == "incremental"
    con = open_catalog(repo, refresh=False)
    versions = {v["commit"]: v for v in list(iter_versions(con, "seg"))}
    assert versions[c1]["metrics"] == {"dice": 0.8}
    assert versions[c2]["metrics"] == {} and versions[c3]["metrics"] == {}
    (pull,) = [m for _p, m in _warnings(con) if "dvc pull" in m]
    assert "2 versions" in pull and "--rebuild" not in pull
