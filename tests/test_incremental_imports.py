"""An index run after a commit that touches no model imports no document reader and no
pyarrow: the readers (and YAML's parser) are imported when a blob is first read, not with
the indexer, and pyarrow only to hand DuckDB many rows at once, so the commonest run there
is (one new commit) spares their start-up cost. Checked in a fresh interpreter, whose
``sys.modules`` says what the run imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo

_RUN = """
import json, sys
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.catalog.files import open_catalog
repo = open_repo(sys.argv[1])
mode = update_catalog(repo).mode
loaded = [m for m in sys.argv[2:] if m in sys.modules]
con = open_catalog(repo, refresh=False)
lr = con.execute("SELECT max(value) FROM blob_values WHERE key = 'lr'").fetchone()[0]
print(json.dumps([mode, loaded, lr]))
"""

#: what reading a document or writing many rows needs, and one new commit does not
READERS = ["modeltrail.store.read.readers", "yaml", "pyarrow"]


@pytest.mark.parametrize(
    ("files", "lr"),
    [({"NOTES.md": "not a model's file\n"}, 0.2), ({"models/m/params.yaml": "lr: 0.7\n"}, 0.7)],
    ids=["no-model", "model"],
)
def test_a_new_commit_without_documents_to_read_imports_no_reader_nor_pyarrow(
    files: dict[str, str], lr: float, tmp_path: Path
) -> None:
    """(A new document is still read: by the parsing helper, or here on first use.)"""
    g = GitRepo(tmp_path / "r")
    for i in range(3):
        g.commit(
            f"m: {i}",
            {
                "models/m/model.yaml": "name: m\n",
                "models/m/params.yaml": f"lr: 0.{i}\n",
                "models/m/metrics.json": json.dumps({"auc": i}),
            },
        )
    g.tag("m@v1.0.0")
    repo = open_repo(g.path)
    assert update_catalog(repo).mode == "full"
    repo.close()
    g.commit("one more", files)
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(g.path), *READERS],
        capture_output=True,
        text=True,
        check=True,
    )
    mode, loaded, newest = json.loads(done.stdout)
    assert mode == "incremental" and newest == lr
    if "NOTES.md" in files:
        assert loaded == []
