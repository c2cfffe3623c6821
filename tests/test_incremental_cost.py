"""One new commit costs what it changed, not the history: an incremental index run after
one commit writes as many ``versions`` rows and runs as many git processes whether the
repository has a short or a long history (counted, not timed).

The rows are counted on the real catalog: the derivation of an incremental run is given
the run's own DuckDB connection behind a wrapper that adds up the rows each ``INSERT``,
``UPDATE`` and ``DELETE`` reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog import incremental
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo, repo_paths


class _Rows:
    """A DuckDB connection that counts the rows its writing statements report."""

    def __init__(self, con: Any, written: list[int]) -> None:
        self._con, self._written = con, written

    def execute(self, sql: str, *args: Any) -> Any:
        result = self._con.execute(sql, *args)
        if sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            (count,) = result.fetchone()
            self._written.append(count)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _history(path: Path, commits: int) -> GitRepo:
    """Two models, ``commits`` commits each changing one of them, a tag every tenth."""
    g = GitRepo(path)
    for i in range(commits):
        m = "a" if i % 2 else "b"
        g.commit(
            f"{m}: {i}",
            {
                f"models/{m}/model.yaml": f"name: {m}\n",
                f"models/{m}/metrics.json": json.dumps({"auc": i / 1000}),
            },
        )
        if i % 10 == 9:
            g.tag(f"{m}@v0.{i}.0")
    return g


def _index(path: Path) -> str:
    repo = open_repo(path)
    try:
        return update_catalog(repo).mode
    finally:
        repo.close()


def _one_new_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commits: int, files: dict[str, str]
) -> tuple[int, int]:
    """Rows of ``versions`` written and git processes run by the index run after one new
    commit (``files``) on a history of ``commits`` commits."""
    g = _history(tmp_path / f"h{commits}", commits)
    assert _index(g.path) == "full"
    g.commit("one more", files)
    written: list[int] = []
    for name in ("_materialize_versions", "_refresh_branches"):
        real = getattr(incremental, name)

        def counted(con: Any, *args: Any, _real: Any = real, **kw: Any) -> Any:
            return _real(_Rows(con, written), *args, **kw)

        monkeypatch.setattr(incremental, name, counted)
    trace = tmp_path / f"trace{commits}"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    try:
        assert _index(g.path) == "incremental"
    finally:
        monkeypatch.delenv("GIT_TRACE")
        monkeypatch.undo()
    processes = sum("trace: built-in: git" in line for line in trace.read_text().splitlines())
    return sum(written), processes


@pytest.mark.parametrize(
    "files",
    [
        {"NOTES.md": "not a model's file\n"},
        {"models/a/metrics.json": '{"auc": 0.99}'},
    ],
    ids=["no-model", "model"],
)
def test_one_new_commit_writes_as_much_after_a_long_history_as_after_a_short_one(
    files: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = _one_new_commit(tmp_path, monkeypatch, 6, files)
    long = _one_new_commit(tmp_path, monkeypatch, 40, files)
    assert long == short
    rows, _processes = long
    # a commit that is no version writes none; a new version: its content digest, its
    # row, and is_latest of the model's previous latest and of itself
    assert rows == (0 if "NOTES.md" in files else 4)


def _rebuilt(path: Path, tables: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """``tables`` (name -> columns) as a full rebuild of the catalog makes them."""
    repo = open_repo(path)
    try:
        assert update_catalog(repo, rebuild=True).mode == "full"
    finally:
        repo.close()
    return {t: _rows(path, t, c) for t, c in tables.items()}


def _rows(path: Path, table: str, columns: str) -> list[tuple[Any, ...]]:
    repo = open_repo(path)
    try:
        catalog = repo_paths(repo).catalog_file
    finally:
        repo.close()
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        return sorted(con.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def test_a_new_manifest_version_and_rollback_trailer_are_read_from_the_walk(
    tmp_path: Path,
) -> None:
    """The labels and stage events an incremental run adds for its new commits (taken
    from the walk, not looked up in the catalog) are the ones a rebuild derives."""
    g = _history(tmp_path / "r", 6)
    assert _index(g.path) == "full"
    g.commit("a: 2.0.0", {"models/a/model.yaml": "name: a\nversion: 2.0.0\n"})
    g.commit(
        "Roll a back\n\nRollback-Model: a\nRollback-Branch: main\nRollback-From: 2.0.0\n"
        "Rollback-To: 1.0.0\nRollback-Reason: worse",
        {"models/a/model.yaml": "name: a\nversion: 1.0.0\n"},
    )
    assert _index(g.path) == "incremental"
    tables = {
        "labels": "model, commit, label, kind, rank",
        "stage_events": "model, event, stage, version, commit, ref, timestamp, reason",
        "versions": "model, commit, version, labels, is_latest, same_as, branches",
    }
    grown = {t: _rows(g.path, t, c) for t, c in tables.items()}
    assert any(e[1] == "rollback" for e in grown["stage_events"])
    assert any(label[3] == "manifest" for label in grown["labels"])
    assert grown == _rebuilt(g.path, tables)


def test_a_branch_grown_from_a_commit_only_a_tag_held_is_indexed_as_a_rebuild_would(
    tmp_path: Path,
) -> None:
    """The walk excludes what the old branches reached, not every tag's commit: a new
    branch made on commits that only a tag held reaches commits the catalog has, and
    those are not indexed twice."""
    g = _history(tmp_path / "r", 4)
    g.git("checkout", "-q", "--detach")
    g.commit("a: off every branch", {"models/a/metrics.json": '{"auc": 0.5}'})
    g.commit("b: off every branch", {"models/b/metrics.json": '{"auc": 0.6}'})
    g.tag("a@v9.0.0")
    g.git("checkout", "-q", "main")
    assert _index(g.path) == "full"
    g.git("checkout", "-q", "-b", "later", "a@v9.0.0")
    g.commit("a: on a branch at last", {"models/a/metrics.json": '{"auc": 0.7}'})
    assert _index(g.path) == "incremental"
    tables = {
        "commits": "commit, parents, subject",
        "model_commits": "model, commit, changed, content",
        "versions": "model, commit, version, seq, labels, is_latest, branches, branch",
        "commit_branches": "commit, branch",
    }
    grown = {t: _rows(g.path, t, c) for t, c in tables.items()}
    assert len(grown["commits"]) == len({r[0] for r in grown["commits"]}) == 7
    assert grown == _rebuilt(g.path, tables)
