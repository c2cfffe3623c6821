"""``export DIR`` over a workspace (#31.5): one hive-partitioned Parquet dataset,
``DIR/table=<name>/repo=<repo>/data.parquet``, that DuckDB reads without modeltrail;
``--repo NAME`` replaces that repository's partitions only; the rule of ``export``
(a new or empty directory, or its own earlier export) holds."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from gitbuilder import GitRepo
from workspace_support import own_cache_home  # noqa: F401

from modeltrail.store.catalog.schema import TABLES, VIEWS
from modeltrail.tui.cli import main


def _versions(out: Path) -> list[tuple]:
    query = f"""
        SELECT repo, model, count(*) FROM
        read_parquet('{out}/table=versions/*/*.parquet', hive_partitioning=true)
        GROUP BY ALL ORDER BY ALL
    """
    return duckdb.sql(query).fetchall()


def test_a_workspace_export_is_one_hive_partitioned_dataset(ws, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    captured = capsys.readouterr()
    assert "for 3 of 6 repositories" in captured.out
    assert "Traceback" not in captured.err and "repository broken:" in captured.err
    assert _versions(out) == [("alpha", "churn", 6), ("beta", "churn", 6), ("gamma", "fraud", 2)]
    names = {*TABLES, *VIEWS}
    assert {p.name for p in out.iterdir() if p.is_dir()} == {f"table={n}" for n in names}
    for name in names:
        assert sorted(p.name for p in (out / f"table={name}").iterdir()) == [
            "repo=alpha",
            "repo=beta",
            "repo=gamma",
        ]
    # the schema is the catalog's, whatever a repository holds (gamma has no stages)
    stages = duckdb.sql(
        f"SELECT repo, version FROM read_parquet('{out}/table=stages/*/*.parquet', "
        "hive_partitioning=true) WHERE stage = 'prod' ORDER BY repo"
    ).fetchall()
    assert stages == [("alpha", "v1.1.0"), ("beta", "v1.1.0")]


def test_re_exporting_one_repository_replaces_only_its_partition(ws, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    beta = out / "table=versions" / "repo=beta" / "data.parquet"
    before = (beta.stat().st_ino, beta.stat().st_mtime_ns, beta.read_bytes())
    g = GitRepo(ws.parent / "gamma")
    g.clock += 10 * 86400
    g.commit("fraud v3", {"models/fraud/model.yaml": "name: fraud\nversion: 3.0.0\n"})
    assert main(["--workspace", str(ws), "export", str(out), "--repo", "gamma"]) == 0
    assert "for 1 of 1 repositories" in capsys.readouterr().out
    assert _versions(out) == [("alpha", "churn", 6), ("beta", "churn", 6), ("gamma", "fraud", 3)]
    assert (beta.stat().st_ino, beta.stat().st_mtime_ns, beta.read_bytes()) == before
    listed = json.loads((out / ".modeltrail-export.json").read_text())["files"]
    assert len(listed) == 3 * len({*TABLES, *VIEWS})


def test_a_repository_that_cannot_be_read_keeps_its_earlier_partition(ws, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    (ws.parent / "alpha").rename(ws.parent / "alpha-moved")
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    assert "repository alpha:" in capsys.readouterr().err
    assert [r[0] for r in _versions(out)] == ["alpha", "beta", "gamma"]
    # a repository taken out of the workspace: its partitions go
    ws.write_text(ws.read_text().replace('path = "alpha"', 'path = "alpha-moved"\nname = "a2"'))
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    assert [r[0] for r in _versions(out)] == ["a2", "beta", "gamma"]
    assert not (out / "table=versions" / "repo=alpha").exists()


def test_a_workspace_export_keeps_the_empty_or_own_directory_rule(ws, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes\n")
    assert main(["--workspace", str(ws), "export", str(mine)]) == 1
    assert "holds no earlier modeltrail export" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    # a single repository's export (plain -C) over a workspace export replaces it whole
    out = tmp_path / "export"
    assert main(["--workspace", str(ws), "export", str(out)]) == 0
    assert main(["-C", str(ws.parent / "beta"), "export", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == []
    assert (out / "versions.parquet").is_file()
    assert main(["-C", str(ws.parent / "beta"), "export", str(out), "--repo", "beta"]) == 2
