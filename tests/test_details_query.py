"""The details pane reads one version in one pass (``queries.version_detail``, then
``audit.detail_checks`` on what it read): what it shows must be what the catalog's views
say when asked directly, and its reproducibility line what ``audit`` says, for every
version (a details load that re-asked each view took 66-80 ms at 100,000 versions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitbuilder import GitRepo
from realrepos import clone, needs_realrepos

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.query.audit import detail_checks, remotes_of, version_checks
from modeltrail.store.query.queries import metric_values, version_detail
from modeltrail.store.repo import open_repo

LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 1234\n"
POINTER = "outs:\n- md5: 3863d0e317dee0a55c4e59d2ec0eef33\n  size: 12\n  path: train.csv\n"

#: what each part of the details is, read from the catalog's views directly
VIEWS = {
    "metrics": (
        "SELECT key, value, text, source, origin FROM metrics WHERE model=$1 AND commit=$2 "
        "ORDER BY key"
    ),
    "params": (
        "SELECT key, value, text, source FROM params WHERE model=$1 AND commit=$2 ORDER BY key"
    ),
    "artifacts": (
        "SELECT path, storage, size, hash, nfiles, present, blob FROM artifacts "
        "WHERE model=$1 AND commit=$2 ORDER BY path, storage"
    ),
    "environment": (
        "SELECT file, package, spec FROM environment WHERE model=$1 AND commit=$2 "
        "ORDER BY file, package"
    ),
    "lineage": (
        "SELECT stage, path, hash, size FROM lineage WHERE model=$1 AND commit=$2 "
        "ORDER BY stage, path"
    ),
}


def _built_repo(tmp_path: Path) -> Path:
    """Two models, two versions each: pinned and loose requirements, a lock file, an LFS
    pointer with no object, a DVC pointer."""
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "two models",
        {
            "artifacts.yaml": (
                "good:\n  type: model\n  path: models/good/model.pkl\n"
                "bad:\n  type: model\n  path: models/bad/model.pkl\n"
            ),
            "models/good/model.pkl": "weights",
            "models/good/params.yaml": "lr: 0.1\ndepth: 4\n",
            "models/good/metrics.json": '{"auc": 0.9, "loss": 0.3}',
            "models/good/requirements.txt": "numpy==1.26.3\nscikit-learn[extra]==1.4.0\n",
            "models/good/train.csv.dvc": POINTER,
            "models/bad/model.pkl": LFS.format("a" * 64),
            "models/bad/requirements.txt": "numpy>=1.20\npandas\n",
        },
    )
    r.tag("good@v1.0.0", message="Registering artifact good version v1.0.0")
    r.commit(
        "retrain both",
        {
            "models/good/metrics.json": '{"auc": 0.93, "loss": 0.2, "f1": 0.5}',
            "models/good/poetry.lock": "# lock\n",
            "models/bad/metrics.json": '{"auc": 0.6}',
            "models/bad/params.yaml": "seed: 7\n",
        },
    )
    r.tag("bad@v1.0.1", message="Registering artifact bad version v1.0.1")
    return r.path


def _check_every_version(path: Path) -> int:
    """Assert the details of every version of every model; the number checked."""
    repo = open_repo(path)
    con = open_catalog(repo)
    try:
        remotes = remotes_of(repo)
        checked = 0
        for (model,) in con.execute("SELECT name FROM models ORDER BY name").fetchall():
            commits = [
                c
                for (c,) in con.execute(
                    "SELECT commit FROM versions WHERE model = $1 ORDER BY topo DESC", [model]
                ).fetchall()
            ]
            audit = version_checks(con, model, remotes)
            for commit, previous in zip(commits, [*commits[1:], None], strict=True):
                d = version_detail(con, model, commit, previous)
                for part, sql in VIEWS.items():
                    cur = con.execute(sql, [model, commit])
                    names = [c[0] for c in cur.description]
                    want = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
                    assert d[part] == want, (model, commit, part)
                files = con.execute(
                    "SELECT path FROM version_files WHERE model=$1 AND commit=$2 ORDER BY path",
                    [model, commit],
                ).fetchall()
                assert d["files"] == [p for (p,) in files]
                if previous is None:
                    assert "previous_metrics" not in d
                else:
                    assert d["previous_metrics"] == metric_values(con, model, previous)
                assert detail_checks(con, model, d, remotes) == audit[commit], (model, commit)
                checked += 1
    finally:
        con.close()
        repo.close()
    return checked


def test_details_are_what_the_views_and_the_audit_say(tmp_path: Path) -> None:
    path = _built_repo(tmp_path)
    assert _check_every_version(path) == 4
    repo = open_repo(path)
    con = open_catalog(repo, refresh=False)
    try:
        (commit,) = con.execute("SELECT commit FROM versions WHERE version = 'v1.0.1'").fetchone()
        d = version_detail(con, "bad", commit)
        verdict = detail_checks(con, "bad", d, remotes_of(repo))
    finally:
        con.close()
        repo.close()
    # the version a user looks at: its metric, its params, the loose pins named
    assert [(m["key"], m["value"]) for m in d["metrics"]] == [("auc", 0.6)]
    assert [(p["key"], p["value"]) for p in d["params"]] == [("seed", 7.0)]
    assert verdict["checks"]["environment"] is False
    assert "numpy, pandas" in verdict["reasons"]["environment"]
    assert verdict["checks"]["params"] is True and verdict["checks"]["artifact"] is False


@needs_realrepos
@pytest.mark.parametrize(
    "name", ["example-get-started-experiments", "demo-bank-customer-churn-prediction"]
)
def test_details_of_real_repositories_are_what_the_views_say(tmp_path: Path, name: str) -> None:
    """DVC pipelines (lineage, data pointers, metrics from the DVC cache)."""
    assert _check_every_version(clone(name, tmp_path / name)) > 0
