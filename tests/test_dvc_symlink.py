"""Nothing is read through a symlink that leaves the repository or its DVC cache.

A committed ``.dvc/cache/files/md5/ab/cdef…`` symlink to a file elsewhere on the machine,
with ``dvc.lock`` naming that md5 for a declared metrics file, must not put that file's
values into the catalog: the version's metrics are unknown and it says why. A cache
directory that is the user's own (an untracked ``.dvc/cache`` symlink to a shared cache)
is still read.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query.queries import iter_versions, version_detail
from modeltrail.store.repo import open_repo

DVC_YAML = """\
metrics:
- metrics.json
stages:
  evaluate:
    cmd: python evaluate.py
    deps:
    - evaluate.py
    outs:
    - metrics.json:
        cache: true
"""

EVALUATE_MD5 = hashlib.md5(b"evaluate()\n").hexdigest()
SECRET = json.dumps({"aws_secret_key_id": 1234567}).encode()


def _lock(md5: str) -> str:
    return f"""\
schema: '2.0'
stages:
  evaluate:
    cmd: python evaluate.py
    deps:
    - path: evaluate.py
      hash: md5
      md5: {EVALUATE_MD5}
      size: 11
    outs:
    - path: metrics.json
      hash: md5
      md5: {md5}
      size: {len(SECRET)}
"""


def _index(r: GitRepo):
    repo = open_repo(r.path)
    update_catalog(repo)
    return open_catalog(repo, refresh=False)


def test_a_committed_cache_symlink_out_of_the_repository_is_not_read(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "secrets.json").write_bytes(SECRET)
    md5 = hashlib.md5(SECRET).hexdigest()
    r = GitRepo(tmp_path / "repo")
    link = r.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    link.parent.mkdir(parents=True)
    os.symlink(home / "secrets.json", link)
    c1 = r.commit(
        "evaluate",
        {"seg/dvc.yaml": DVC_YAML, "seg/dvc.lock": _lock(md5), "seg/evaluate.py": "evaluate()\n"},
    )
    assert "120000" in r.git("ls-files", "-s", "--", ".dvc/cache")  # committed, a symlink
    con = _index(r)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {}
    values = con.execute("SELECT count(*) FROM blob_values WHERE key LIKE 'aws%'").fetchone()
    assert values == (0,)
    d = version_detail(con, "seg", c1)
    assert d["metrics"] == []
    [warning] = [w for w in d["warnings"] if w["path"] == "seg/metrics.json"]
    assert "outside the repository" in warning["message"]
    assert str(home) not in warning["message"]  # says why, not where it points
    # the output's object counts as not in the cache either
    present = con.execute(
        "SELECT present FROM artifacts WHERE model = 'seg' AND storage = 'dvc'"
    ).fetchall()
    assert present == [(False,)]


def test_a_committed_symlinked_cache_directory_is_not_trusted(tmp_path):
    """``.dvc/cache`` itself committed as a symlink to a home directory: its objects are
    outside the repository, whatever the symlink calls them."""
    home = tmp_path / "home"
    md5 = hashlib.md5(SECRET).hexdigest()
    obj = home / "files" / "md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True)
    obj.write_bytes(SECRET)
    r = GitRepo(tmp_path / "repo")
    (r.path / ".dvc").mkdir()
    os.symlink(home, r.path / ".dvc" / "cache")
    r.commit(
        "evaluate",
        {"seg/dvc.yaml": DVC_YAML, "seg/dvc.lock": _lock(md5), "seg/evaluate.py": "evaluate()\n"},
    )
    con = _index(r)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {}


def test_the_users_own_shared_cache_is_read(tmp_path):
    """An untracked ``.dvc/cache`` symlink to a shared cache (outside the work tree) is
    the configured cache: its objects are read, even through a symlink inside it."""
    shared = tmp_path / "shared-cache"
    md5 = hashlib.md5(SECRET).hexdigest()
    obj = shared / "files" / "md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True)
    (shared / "blobs").mkdir()
    (shared / "blobs" / "m").write_bytes(SECRET)
    os.symlink(shared / "blobs" / "m", obj)  # inside the cache: fine
    r = GitRepo(tmp_path / "repo")
    (r.path / ".dvc").mkdir()
    os.symlink(shared, r.path / ".dvc" / "cache")
    r.commit(
        "evaluate",
        {
            ".dvc/.gitignore": "/cache\n",
            "seg/dvc.yaml": DVC_YAML,
            "seg/dvc.lock": _lock(md5),
            "seg/evaluate.py": "evaluate()\n",
        },
    )
    con = _index(r)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {"aws_secret_key_id": 1234567}


def test_a_cache_file_symlinked_inside_the_repository_is_read(tmp_path):
    md5 = hashlib.md5(SECRET).hexdigest()
    r = GitRepo(tmp_path / "repo")
    obj = r.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True)
    (r.path / ".dvc" / "cache" / "real").write_bytes(SECRET)
    os.symlink(Path("../../../real"), obj)
    r.commit(
        "evaluate",
        {
            ".dvc/.gitignore": "/cache\n",
            "seg/dvc.yaml": DVC_YAML,
            "seg/dvc.lock": _lock(md5),
            "seg/evaluate.py": "evaluate()\n",
        },
    )
    con = _index(r)
    assert list(iter_versions(con, "seg"))[0]["metrics"] == {"aws_secret_key_id": 1234567}
