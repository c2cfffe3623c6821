"""The catalog: indexing, incremental updates, agreement with gto, self-repair, concurrency."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.query import queries
from modeltrail.store.repo import open_repo, repo_paths

GTO = shutil.which("gto") or str(Path(sys.executable).parent / "gto")

ARTIFACTS = "churn:\n  type: model\n  path: models/churn/model.pkl\n  description: churn model\n"


def metrics(auc: float, loss: float) -> str:
    return json.dumps({"test": {"auc": auc, "loss": loss}})


@pytest.fixture
def churn(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "churn: first model",
        {
            "artifacts.yaml": ARTIFACTS,
            "models/churn/metrics.json": metrics(0.80, 0.50),
            "models/churn/params.yaml": "lr: 0.1\nlayers: [64, 32]\n",
            "models/churn/model.pkl": "weights-1",
        },
    )
    r.tag("churn@v1.0.0", message="Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", message="Assigning stage prod to artifact churn version v1.0.0")
    r.commit("churn: retrain", {"models/churn/metrics.json": metrics(0.85, 0.40)})
    r.tag("churn@v1.1.0", message="Registering artifact churn version v1.1.0")
    r.commit("docs: readme", {"README.md": "hello\n"})
    return r


def models_json(repo_path: Path) -> dict:
    con = open_catalog(open_repo(repo_path))
    try:
        return {m["name"]: m for m in queries.list_models(con)}
    finally:
        con.close()


def gto_show(repo_path: Path) -> dict:
    out = subprocess.run(
        [GTO, "show", "--json"], cwd=repo_path, capture_output=True, check=True, text=True
    ).stdout
    return json.loads(out)


def assert_agrees_with_gto(repo_path: Path) -> None:
    ours = models_json(repo_path)
    theirs = gto_show(repo_path)
    for name, entry in theirs.items():
        assert name in ours, f"gto knows {name}, modeltrail does not"
        assert ours[name]["latest"] == entry["version"], name
        gto_stages = {s: v for s, v in (entry.get("stage") or {}).items() if v}
        ours_stages = ours[name]["stages"]
        assert ours_stages == gto_stages, (name, ours_stages, gto_stages)


def test_versions_metrics_params_and_stages(churn: GitRepo) -> None:
    con = open_catalog(open_repo(churn.path))
    versions = list(queries.iter_versions(con, "churn"))
    assert [v["version"] for v in versions] == ["v1.1.0", "v1.0.0"]
    newest = versions[0]
    assert newest["metrics"] == {"test.auc": 0.85, "test.loss": 0.4}
    assert newest["params"] == {"lr": 0.1, "layers": [64, 32]}
    assert newest["is_latest"] and newest["branches"] == ["main"]
    assert versions[1]["stages"] == ["prod"]
    assert newest["date"] == "2026-01-05T13:00:00Z"
    models = queries.list_models(con)
    assert models[0]["stages"] == {"prod": "v1.0.0"}
    assert models[0]["sources"] == ["gto"]


def test_agrees_with_gto_including_after_incremental_tags(churn: GitRepo) -> None:
    assert_agrees_with_gto(churn.path)
    # new tags between two incremental indexes: a promotion and a later rollback
    churn.tag("churn#prod#2", "churn@v1.1.0^{commit}", "Assigning stage prod to v1.1.0")
    churn.tag("churn#staging#3", "churn@v1.0.0^{commit}", "Assigning stage staging to v1.0.0")
    summary = update_catalog(open_repo(churn.path))
    assert summary.mode == "incremental", summary.reason
    assert_agrees_with_gto(churn.path)
    churn.commit("churn: v1.2.0", {"models/churn/metrics.json": metrics(0.7, 0.6)})
    churn.tag("churn@v1.2.0", message="Registering artifact churn version v1.2.0")
    churn.tag("churn#prod#4", message="Assigning stage prod to artifact churn version v1.2.0")
    churn.tag("churn#prod#5", "churn@v1.0.0^{commit}", "Rollback prod to v1.0.0")
    assert update_catalog(open_repo(churn.path)).mode == "incremental"
    assert_agrees_with_gto(churn.path)
    assert models_json(churn.path)["churn"]["stages"]["prod"] == "v1.0.0"


def _table_rows(con, table: str) -> list:
    cols = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
            "AND column_name <> 'topo' ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]
    return con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()


EQUIVALENT_TABLES = [
    "versions",
    "version_files",
    "version_sources",
    "blob_values",
    "commit_branches",
    "labels",
    "stages",
    "stage_events",
    "models",
]


def assert_same_as_full_rebuild(repo) -> duckdb.DuckDBPyConnection:
    """The incrementally built catalog equals a rebuild; returns the rebuilt one (open)."""
    inc = duckdb.connect(str(repo_paths(repo).catalog_file), read_only=True)
    incremental = {t: _table_rows(inc, t) for t in EQUIVALENT_TABLES}
    inc.close()
    assert update_catalog(repo, rebuild=True).mode == "full"
    full = duckdb.connect(str(repo_paths(repo).catalog_file), read_only=True)
    for t in EQUIVALENT_TABLES:
        assert incremental[t] == _table_rows(full, t), t
    return full


def test_incremental_equals_full_rebuild(churn: GitRepo) -> None:
    repo = open_repo(churn.path)
    update_catalog(repo)
    churn.branch("exp/lr", "HEAD~1")
    churn.checkout("exp/lr")
    churn.commit("exp: lr 0.05", {"models/churn/params.yaml": "lr: 0.05\nlayers: [64, 32]\n"})
    churn.checkout("main")
    churn.merge("exp/lr", "Merge branch 'exp/lr'")
    churn.tag("churn-2026.02.01", "HEAD~2")  # a label on an old commit
    assert update_catalog(repo).mode == "incremental"
    full = assert_same_as_full_rebuild(repo)
    stale = full.execute(
        "SELECT version, stale_metrics FROM versions WHERE model='churn' AND subject LIKE 'exp:%'"
    ).fetchall()
    assert stale[0][1] is True  # params changed, metrics did not


def test_unchanged_repository_is_not_rewritten(churn: GitRepo) -> None:
    repo = open_repo(churn.path)
    update_catalog(repo)
    cat = repo_paths(repo).catalog_file
    before = cat.stat().st_mtime_ns
    assert update_catalog(repo).mode == "unchanged"
    assert cat.stat().st_mtime_ns == before


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "old_schema"])
def test_damaged_catalog_is_rebuilt(churn: GitRepo, damage: str) -> None:
    repo = open_repo(churn.path)
    update_catalog(repo)
    cat = repo_paths(repo).catalog_file
    if damage == "delete":
        cat.unlink()
    elif damage == "truncate":
        cat.write_bytes(cat.read_bytes()[:4096])
    elif damage == "garbage":
        cat.write_bytes(b"\x00not a database" * 100)
    else:
        con = duckdb.connect(str(cat))
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        con.close()
    assert update_catalog(repo).mode == "full"
    assert models_json(churn.path)["churn"]["latest"] == "v1.1.0"


def _index_in_child(path: str, q) -> None:
    from modeltrail.store.catalog.files import update_catalog as upd
    from modeltrail.store.repo import open_repo as op

    q.put(upd(op(path), rebuild=True).mode)


def test_reader_keeps_working_while_another_process_indexes(churn: GitRepo) -> None:
    repo = open_repo(churn.path)
    reader = open_catalog(repo)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_index_in_child, args=(str(churn.path), q)) for _ in range(2)]
    for p in procs:
        p.start()
    # the open snapshot answers throughout
    for _ in range(20):
        assert reader.execute("SELECT count(*) FROM versions").fetchone()[0] == 2
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert sorted(q.get(timeout=5) for _ in procs) == ["full", "full"]
    reader.close()
    assert models_json(churn.path)["churn"]["versions"] == 2


HOSTILE_FILES = {
    "broken_json": ("models/churn/metrics.json", b'{"test": {"auc": 0.9,'),
    "broken_yaml": ("models/churn/params.yaml", b"lr: [0.1\n  bad: : :\n"),
    "broken_toml": ("models/churn/params.toml", b"lr = = 0.1\n"),
    "nan_infinity": ("models/churn/metrics.json", b'{"auc": NaN, "loss": Infinity, "f1": 0.5}'),
    "binary": ("models/churn/metrics.json", b"\x00\x01\x02\xff\xfe" * 200),
    "huge": ("models/churn/metrics.json", b'{"a": "' + b"x" * (6 * 1024 * 1024) + b'"}'),
    "alias_bomb": (
        "models/churn/params.yaml",
        b"a: &a [x, x, x, x, x, x, x, x, x]\n"
        + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
            for i in range(8)
        ),
    ),
    "deep_yaml": ("models/churn/params.yaml", b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n"),
    "non_utf8": ("models/churn/params.yaml", "lr: 0.1\nname: caf\xe9\n".encode("latin-1")),
    "control_chars": (
        "models/churn/metrics.json",
        json.dumps({"\x1b]0;pwned\x07auc": 0.9, "[bold]f1[/]": 0.5}).encode(),
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_content_becomes_warnings_not_crashes(tmp_path: Path, case: str) -> None:
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "churn: ok",
        {
            "artifacts.yaml": ARTIFACTS,
            "models/churn/model.pkl": "weights\n",  # the artifact exists from here on
            "models/churn/metrics.json": metrics(0.8, 0.5),
        },
    )
    path, content = HOSTILE_FILES[case]
    r.commit(f"churn: hostile {case}", {path: content})
    r.commit("churn: fine again", {path: None, "models/churn/metrics.json": metrics(0.9, 0.4)})
    repo = open_repo(r.path)
    summary = update_catalog(repo)
    con = open_catalog(repo, refresh=False)
    versions = list(queries.iter_versions(con, "churn"))
    assert len(versions) == 3
    assert versions[0]["metrics"] == {"test.auc": 0.9, "test.loss": 0.4}
    if case == "control_chars":  # data, kept as data (rendering makes it safe)
        assert versions[1]["metrics"]["\x1b]0;pwned\x07auc"] == 0.9
    else:
        assert summary.warnings >= 1, case
        warns = queries.warnings(con)
        assert any(path in w["path"] for w in warns), warns


def test_ref_names_starting_with_dash_never_reach_git_as_options(churn: GitRepo) -> None:
    # git refuses such names on the command line, so write the refs directly
    head = churn.head()
    for name in ("refs/heads/--output=pwned", "refs/tags/-churn@v9.0.0", "refs/heads/-h"):
        churn.git("update-ref", name, head)
    repo = open_repo(churn.path)
    update_catalog(repo, rebuild=True)
    assert not (churn.path / "pwned").exists()
    con = open_catalog(repo, refresh=False)
    branches = {r[0] for r in con.execute("SELECT short FROM refs WHERE kind='branch'").fetchall()}
    assert {"--output=pwned", "-h", "main"} <= branches
    newest = list(queries.iter_versions(con, "churn"))[0]
    assert "--output=pwned" in newest["branches"]


def test_cli_listing_commands_json_and_exit_status(churn: GitRepo, capsys) -> None:
    from modeltrail.tui.cli import main

    assert main(["-C", str(churn.path), "models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["name"] == "churn" and out[0]["latest"] == "v1.1.0"
    assert set(out[0]) >= {"name", "path", "sources", "latest", "versions", "stages"}
    assert main(["-C", str(churn.path), "versions", "churn", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert versions[0]["commit"] == churn.head("HEAD~1")
    assert main(["-C", str(churn.path), "versions", "churn"]) == 0
    table = capsys.readouterr().out
    assert "0.85 ▲+0.05 better" in table  # test.auc went up: better
    assert "0.4 ▲-0.1 better" in table  # test.loss went down: better too
    assert main(["-C", str(churn.path), "versions", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["-C", str(churn.path / "nowhere"), "models"]) == 2
    assert main(["-C", str(churn.path), "sql", "DELETE FROM versions"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["-C", str(churn.path), "sql", "SELECT count(*) AS n FROM versions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 2}]


def test_export_writes_parquet(churn: GitRepo, tmp_path: Path) -> None:
    from modeltrail.tui.cli import main

    out = tmp_path / "export"
    assert main(["-C", str(churn.path), "export", str(out)]) == 0
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM '{out / 'versions.parquet'}'").fetchone()[0]
    assert n == 2
    assert (out / "metrics.parquet").is_file()


def test_reopen_in_the_same_process_sees_the_new_catalog(churn: GitRepo) -> None:
    """DuckDB shares one instance per path in a process: a reopen must not get the old one."""
    repo = open_repo(churn.path)
    old = open_catalog(repo)
    assert old.execute("SELECT count(*) FROM versions").fetchall() == [(2,)]
    churn.commit("churn: v3", {"models/churn/metrics.json": metrics(0.9, 0.3)})
    update_catalog(repo)
    new = open_catalog(repo, refresh=False)
    assert new.execute("SELECT count(*) FROM versions").fetchall() == [(3,)]
    assert old.execute("SELECT count(*) FROM versions").fetchall() == [(2,)]  # its snapshot
    old.close()
    new.close()
    files = sorted(p.name for p in repo_paths(repo).catalog_dir.glob("catalog-*.duckdb"))
    assert len(files) == 1  # older generations are cleaned up


def test_incremental_without_tag_changes_equals_full_rebuild(churn: GitRepo) -> None:
    """New commits only (the common case): the fast path must match a full rebuild."""
    repo = open_repo(churn.path)
    churn.commit(
        "ranker: 1.0.0",
        {"models/ranker/model.yaml": "name: ranker\nversion: 1.0.0\nmetrics:\n  ndcg: 0.5\n"},
    )
    update_catalog(repo)
    churn.branch("exp/x")
    churn.checkout("exp/x")
    churn.commit("exp: lr", {"models/churn/params.yaml": "lr: 0.2\n"})
    churn.checkout("main")
    churn.commit(
        "ranker: 1.1.0",
        {"models/ranker/model.yaml": "name: ranker\nversion: 1.1.0\nmetrics:\n  ndcg: 0.6\n"},
    )
    churn.commit("churn: retrain", {"models/churn/metrics.json": metrics(0.9, 0.3)})
    churn.merge("exp/x", "Merge branch 'exp/x'")
    summary = update_catalog(repo)
    assert summary.mode == "incremental", summary.reason
    full = assert_same_as_full_rebuild(repo)
    latest = full.execute("SELECT version FROM versions WHERE model='ranker' AND is_latest")
    assert latest.fetchall() == [("1.1.0",)]
    full.close()


def test_a_model_without_labels_has_the_newest_commit_as_latest(tmp_path: Path) -> None:
    # DuckDB 2 answers list_contains([], NULL) with false (1.x: NULL); the fallback to
    # the newest commit must not depend on that.
    r = GitRepo(tmp_path / "repo")
    r.commit("first", {"models/sent/MLmodel": "flavors: {}\n", "models/sent/m.bin": "1"})
    newest = r.commit("retrain", {"models/sent/m.bin": "2"})
    r.commit("docs", {"README.md": "x\n"})
    (model,) = models_json(r.path).values()
    assert model["latest"] == newest[:7]
