"""A full index writes its rows into the new catalog as the walk goes (so that 100,000
commits never sit in memory at once): however often it hands rows over, the catalog it
builds is the same."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tui_support import index

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.read import facts, indexer

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
    original = facts.Facts.spill

    def counting(self, at_least=None):
        before = {n: len(c) for n, c in self.tables().items()}
        original(self, at_least)
        handed.extend((n, k) for n, k in before.items() if k and not len(self.tables()[n]))

    monkeypatch.setattr(facts, "SPILL_ROWS", 3)
    monkeypatch.setattr(indexer, "SPILL_EVERY", 2)
    monkeypatch.setattr(facts.Facts, "spill", counting)
    assert _rebuild(sample) == whole
    # many hand-overs of each big table, not one at the end
    names = [n for n, _k in handed]
    for table in ("commits", "version_files", "version_sources", "model_commits", "blob_values"):
        assert names.count(table) > 1, table


def test_a_repository_too_big_for_the_memory_cap_still_indexes_the_same(
    sample, monkeypatch
) -> None:
    """The caps on DuckDB's cache while a full index writes are sized for 100,000
    commits; a repository that needs more gets it instead of an out-of-memory error."""
    whole = _rebuild(sample)
    from modeltrail.store.catalog import index_run

    lifted: list[str] = []
    original = index_run._uncapped_if_needed

    def watching(con, write, *args):
        before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        out = original(con, write, *args)
        after = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        if after != before:
            lifted.append(after)
        return out

    monkeypatch.setattr(index_run, "_uncapped_if_needed", watching)
    monkeypatch.setattr(index_run, "WALK_MEMORY", "300KB")
    monkeypatch.setattr(index_run, "FINISH_MEMORY", "300KB")
    assert _rebuild(sample) == whole
    assert lifted  # the cap was hit, and lifted


def test_deriving_again_after_running_out_of_memory_repeats_nothing(sample, monkeypatch) -> None:
    """When deriving the versions runs out of DuckDB's capped memory partway, it runs
    again uncapped: every table it fills comes out once, not twice (labels, tag
    warnings, stage events)."""
    import duckdb

    from modeltrail.store.catalog import index_run

    whole = _rebuild(sample)
    assert any("tags" in r for r in whole["warnings"]) or whole["labels"]
    calls: list[str] = []
    original = index_run._finish

    def runs_out_once(con, *args):
        out = original(con, *args)
        calls.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        if len(calls) == 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: (simulated, after the work)")
        return out

    monkeypatch.setattr(index_run, "_finish", runs_out_once)
    assert _rebuild(sample) == whole
    assert len(calls) == 2 and calls[0] != calls[1]  # the second run without the cap


def test_a_full_index_leaves_no_reference_cycles_of_its_own(sample) -> None:
    """An index runs with the cyclic garbage collector paused (it would otherwise walk
    millions of objects again and again), so a cycle made per version is memory kept
    until the run ends: 100,000 versions' worth. None may come from modeltrail's code."""
    import gc

    from modeltrail.store.catalog import files
    from modeltrail.store.repo import open_repo

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        r = open_repo(sample)
        with files.gc_paused():
            files.update_catalog(r, rebuild=True)
        r.close()
        gc.collect()
        ours = [
            f"{o.__module__}.{o.__qualname__}"
            for o in gc.garbage
            if type(o).__name__ == "function" and (o.__module__ or "").startswith("modeltrail")
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert ours == []
