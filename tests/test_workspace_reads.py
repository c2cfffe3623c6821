"""How a workspace reads its repositories quickly (#31 bars, measured in
bench/bench_workspace.py; no timing here): ``changes`` keeps its answer beside each
catalog and asks the catalog again only after a new index; the catalogs it must ask are
attached to one DuckDB, each read as its own; repositories are opened, checked and
fetched side by side. Real repositories and ``file://`` URLs."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

from gitbuilder import GitRepo
from workspace_support import own_cache_home  # noqa: F401

from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.query.changes_cache import CACHE_FILE
from modeltrail.store.query.queries import model_names
from modeltrail.store.repo import open_repo, repo_paths
from modeltrail.store.workspace import index_all, load_workspace, open_catalogs
from modeltrail.tui.cli import main


def _changes(capsys, ws: Path, *more: str) -> list[dict]:
    assert main(["--workspace", str(ws), "changes", "--json", *more]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return json.loads(out)


def _kept(ws: Path, name: str) -> Path:
    return ws.parent / name / ".git" / "modeltrail" / CACHE_FILE


def test_changes_keeps_its_answer_beside_each_catalog_and_uses_it(ws, capsys):
    first = _changes(capsys, ws, "--since", "2026-01-01")
    assert {c["repo"] for c in first} == {"alpha", "beta", "gamma"}
    for name in ("alpha", "beta", "gamma"):
        assert _kept(ws, name).is_file()
    assert _changes(capsys, ws, "--since", "2026-01-01") == first  # answered as kept
    # what is kept is what answers (no catalog opened): mark it and see the mark
    doc = json.loads(_kept(ws, "gamma").read_text())
    doc["changes"][0]["reason"] = "as kept"
    _kept(ws, "gamma").write_text(json.dumps(doc))
    again = _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma")
    assert again[0]["reason"] == "as kept"


def test_a_new_index_makes_changes_ask_the_catalog_again(ws, capsys):
    before = _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma")
    gamma = GitRepo(ws.parent / "gamma", author="Gil Moreau", email="gil@example.com")
    gamma.clock = int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())
    gamma.commit(
        "fraud v3",
        {"models/fraud/model.yaml": "name: fraud\nversion: 3.0.0\n"},
    )
    after = _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma")
    assert [c["version"] for c in after] == ["3.0.0", *(c["version"] for c in before)]
    kept = json.loads(_kept(ws, "gamma").read_text())
    paths = repo_paths(open_repo(ws.parent / "gamma"))
    assert kept["generation"] == current_generation(paths)


def test_an_earlier_since_than_the_kept_answer_reaches_asks_the_catalog(ws, capsys):
    # kept from 2026-03-05 on: a week before now is later than that
    late = _changes(capsys, ws, "--since", "2026-03-05", "--repo", "gamma")
    start = json.loads(_kept(ws, "gamma").read_text())["start"]
    assert start.startswith("2026-03-05")
    early = _changes(capsys, ws, "--since", "2025-01-01", "--repo", "gamma")
    assert len(early) == 2 and late == []
    _kept(ws, "gamma").unlink()
    assert _changes(capsys, ws, "--since", "2025-01-01", "--repo", "gamma") == early


def test_a_kept_answer_of_another_shape_is_not_used(ws, capsys):
    first = _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma")
    doc = json.loads(_kept(ws, "gamma").read_text())
    doc["version"] = -1
    doc["changes"] = []
    _kept(ws, "gamma").write_text(json.dumps(doc))
    assert _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma") == first
    _kept(ws, "gamma").write_text("{not json")
    assert _changes(capsys, ws, "--since", "2026-01-01", "--repo", "gamma") == first


def test_shared_catalogs_each_read_their_own_repository(ws):
    members = index_all(load_workspace(ws))
    opened = open_catalogs(members, shared=True)
    try:
        names = {m.name: model_names(con) for m, con in opened}
    finally:
        for _m, con in opened:
            con.close()
    assert names == {"alpha": ["churn"], "beta": ["churn"], "gamma": ["fraud"]}


def test_a_shared_catalog_of_another_schema_is_indexed_again(ws):
    members = index_all(load_workspace(ws))
    gamma = next(m for m in members if m.name == "gamma")
    assert gamma.repo is not None
    import duckdb

    real = Path(repo_paths(gamma.repo).catalog_file).resolve()
    con = duckdb.connect(str(real))
    con.execute("UPDATE meta SET value = '-1' WHERE key = 'schema_version'")
    con.close()
    opened = open_catalogs([gamma], shared=True)
    try:
        assert [(m.name, model_names(con)) for m, con in opened] == [("gamma", ["fraud"])]
    finally:
        for _m, con in opened:
            con.close()


def _serve(source: Path, bare: Path) -> str:
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "uploadpack.allowFilter", "true"], check=True)
    return bare.as_uri()


def test_repositories_by_url_are_fetched_side_by_side(ws, tmp_path):
    url = _serve(ws.parent / "gamma", tmp_path / "served" / "fraud.git")
    other = _serve(ws.parent / "alpha", tmp_path / "served" / "churn.git")
    file = tmp_path / "ws.toml"
    # the same URL twice (two names): both clone into one cache at the same time
    file.write_text(
        f'[[repo]]\nurl = "{url}"\nname = "one"\n\n[[repo]]\nurl = "{url}"\nname = "two"\n\n'
        f'[[repo]]\nurl = "{other}"\n'
    )
    members = index_all(load_workspace(file), workers=2)
    assert [(m.name, m.error) for m in members] == [("one", None), ("two", None), ("churn", None)]
    members = index_all(load_workspace(file), workers=2)  # fetched, nothing new
    assert [m.summary.mode if m.summary else None for m in members] == ["unchanged"] * 3


def test_cancelling_stops_the_clones_the_threads_wait_on(ws, monkeypatch):
    """Repositories are opened in threads: Ctrl-C reaches only the main thread, which
    then cancels the clones and fetches under way instead of waiting out their limit."""
    from test_remote_timeout import SilentServer

    monkeypatch.setenv("MODELTRAIL_REMOTE_TIMEOUT", "600")
    server = SilentServer()
    try:
        file = ws.parent / "silent.toml"
        file.write_text(
            f'[[repo]]\nurl = "{server.url}"\nname = "silent"\n\n[[repo]]\npath = "alpha"\n'
        )
        cancel = threading.Event()
        done: list[list] = []
        worker = threading.Thread(
            target=lambda: done.append(index_all(load_workspace(file), cancel=cancel)),
            daemon=True,  # a failing test leaves no thread behind to wait for
        )
        worker.start()
        assert server.connected.wait(60)
        cancel.set()
        worker.join(60)
        assert not worker.is_alive()
        silent, alpha = done[0]
        assert silent.error is not None and "cancelled" in silent.error
        assert alpha.error is None
        assert server.all_closed()
    finally:
        server.close()


def test_index_over_a_workspace_exits_1_only_when_no_repository_could_be_read(ws, capsys):
    assert main(["--workspace", str(ws), "index"]) == 0  # three of six read
    out = capsys.readouterr().out
    assert "alpha: catalog up to date" in out and "gone: not read: " in out
    unreadable = ws.parent / "none.toml"
    unreadable.write_text('[[repo]]\npath = "gone"\n\n[[repo]]\npath = "broken"\n')
    assert main(["--workspace", str(unreadable), "index"]) == 1
    assert "broken: not read: " in capsys.readouterr().out
