"""A full index writes its rows into the new catalog as the walk goes (so that 100,000
commits never sit in memory at once): however often it hands rows over, the catalog it
builds is the same."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tui_support import index

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.read import indexer

#: meta keys that record when and how fast, not what
_RUN_KEYS = ("indexed_at", "duration")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample_repo(tmp_path_factory.mktemp("stream") / "sample")


def _catalog(repo: Path) -> dict[str, list[str]]:
    cat = repo / ".git" / "modeltrail" / "catalog.duckdb"
    con = duckdb.connect(str(cat), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        out = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
        out["meta"] = [r for r in out["meta"] if not any(k in r for k in _RUN_KEYS)]
        return out
    finally:
        con.close()


def _rebuild(repo: Path) -> dict[str, list[str]]:
    (repo / ".git" / "modeltrail" / "catalog.duckdb").unlink(missing_ok=True)
    index(repo)
    return _catalog(repo)


def test_rows_handed_over_in_small_batches_make_the_same_catalog(sample, monkeypatch) -> None:
    whole = _rebuild(sample)
    assert whole["versions"] and whole["blob_values"] and whole["version_files"]
    assert whole["blob_dvc"] and whole["blob_mlmodel"] and whole["commit_branches"]
    handed: list[tuple[str, int]] = []
    original = indexer.Facts.spill

    def counting(self, at_least=None):
        before = {n: len(c) for n, c in self.tables().items()}
        original(self, at_least)
        handed.extend((n, k) for n, k in before.items() if k and not len(self.tables()[n]))

    monkeypatch.setattr(indexer, "SPILL_ROWS", 3)
    monkeypatch.setattr(indexer, "SPILL_EVERY", 2)
    monkeypatch.setattr(indexer.Facts, "spill", counting)
    assert _rebuild(sample) == whole
    # many hand-overs of each big table, not one at the end
    names = [n for n, _k in handed]
    for table in ("version_files", "version_sources", "model_commits", "blob_values"):
        assert names.count(table) > 1, table
