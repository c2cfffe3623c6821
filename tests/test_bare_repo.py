"""A bare repository (a git server's copy, ``git clone --bare``) opens read-only: index
and every read command work, with the catalog in the repository's own directory; a stage
rollback works (it only writes a tag); a branch rollback and checkout are refused with
one line, nothing written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, frozen_now, git, run_async, screen_text, settle
from tui_support import write as write_file

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.errors import Refused
from modeltrail.store.repo import open_repo, repo_paths
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import apply_plan
from modeltrail.tui.app import ModeltrailApp

GTO = shutil.which("gto") or str(Path(sys.executable).parent / "gto")


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A bare clone of a small repository: GTO artifact churn (prod v1.1.0, staging
    v1.2.0) and ranker, a manifest model with two versions and no stages."""
    src = build_tiny_repo(tmp_path / "src")
    for version, date in (("1.0.0", "2026-03-11T10:00:00Z"), ("1.1.0", "2026-03-12T10:00:00Z")):
        write_file(src, "models/ranker/model.yaml", f"name: ranker\nversion: {version}\n")
        write_file(src, "models/ranker/weights.bin", f"w {version}\n")
        commit(src, f"ranker {version}", date)
    target = tmp_path / "server" / "models.git"
    target.parent.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(src), str(target))
    return target


def run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def state(repo: Path) -> tuple[str, list[str]]:
    """The refs, and every file outside modeltrail's own directory."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    files = sorted(
        str(p.relative_to(repo))
        for p in repo.rglob("*")
        if p.is_file() and p.relative_to(repo).parts[0] != "modeltrail"
    )
    return refs, files


def test_index_and_read_commands_work_with_the_catalog_in_the_bare_directory(bare: Path) -> None:
    before = state(bare)
    done = run(bare, "index")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("indexed ") and "(full)" in done.stdout
    assert (bare / "modeltrail" / "catalog.duckdb").exists()
    assert (
        repo_paths(open_repo(bare)).catalog_file == bare.resolve() / "modeltrail" / "catalog.duckdb"
    )
    models = {m["name"]: m for m in json.loads(run(bare, "models", "--json").stdout)}
    assert models["churn"]["stages"] == {"prod": "v1.1.0", "staging": "v1.2.0"}
    assert models["ranker"]["latest"] == "1.1.0"
    versions = json.loads(run(bare, "versions", "churn", "--json").stdout)
    assert {v["version"] for v in versions} >= {"v1.0.0", "v1.1.0", "v1.2.0"}
    for args in (
        ("diff", "churn", "v1.0.0", "v1.2.0"),
        ("history",),
        ("flow",),
        ("audit",),
        ("sql", "SELECT count(*) FROM versions"),
        ("rollback", "churn", "--to", "v1.0.0", "--stage", "prod", "--dry-run"),
    ):
        done = run(bare, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert "auc" in run(bare, "diff", "churn", "v1.0.0", "v1.2.0").stdout
    assert state(bare) == before  # reading wrote nothing but the catalog


@pytest.mark.skipif(not Path(GTO).exists(), reason="the gto tool is not installed")
def test_a_stage_rollback_writes_one_tag_and_gto_agrees(bare: Path) -> None:
    refs_before = git(bare, "for-each-ref", "--format=%(refname)").split()
    done = run(
        bare, "rollback", "churn", "--stage", "prod", "--to", "v1.0.0", "--yes", "--reason", "r"
    )
    assert done.returncode == 0, done.stderr
    refs_after = git(bare, "for-each-ref", "--format=%(refname)").split()
    assert sorted(set(refs_after) - set(refs_before)) == ["refs/tags/churn#prod#2"]
    shown = subprocess.run([GTO, "show", "--json"], cwd=bare, capture_output=True, text=True)
    assert json.loads(shown.stdout)["churn"]["stage"]["prod"] == "v1.0.0"
    models = {m["name"]: m for m in json.loads(run(bare, "models", "--json").stdout)}
    assert models["churn"]["stages"]["prod"] == "v1.0.0"
    undone = run(bare, "undo", "--yes")
    assert undone.returncode == 0, undone.stderr
    shown = subprocess.run([GTO, "show", "--json"], cwd=bare, capture_output=True, text=True)
    assert json.loads(shown.stdout)["churn"]["stage"]["prod"] == "v1.1.0"


def test_a_stage_rollback_keeps_its_compare_and_swap(bare: Path) -> None:
    repo = open_repo(bare)
    update_catalog(repo)
    con = open_catalog(repo)
    try:
        plan = plan_rollback(repo, con, "churn", "v1.0.0", stage="prod", reason="r")
    finally:
        con.close()
    # someone promotes meanwhile (a push to the server): the plan no longer holds
    head = git(bare, "rev-parse", "main").strip()
    git(bare, "tag", "-a", "-m", "promote", "churn#prod#7", head)
    before = state(bare)
    with pytest.raises(Refused, match="changed since the plan was made"):
        apply_plan(repo, plan)
    assert state(bare) == before


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("rollback", "ranker", "--to", "1.0.0", "--yes", "--reason", "r"), "a branch rollback"),
        (("rollback", "ranker", "--to", "1.0.0", "--dry-run"), "a branch rollback"),
        (
            ("rollback", "churn", "--branch", "main", "--to", "v1.0.0", "--yes", "--reason", "x"),
            "a branch rollback",
        ),
        (("checkout", "ranker", "1.0.0"), "checkout"),
    ],
)
def test_branch_rollback_and_checkout_are_refused_in_one_line(
    bare: Path, args: tuple[str, ...], what: str
) -> None:
    run(bare, "index")
    before = state(bare)
    done = run(bare, *args)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"{what} needs a work tree, and this is a bare repository" in done.stderr
    assert "nothing was written" in done.stderr
    assert done.stdout == ""
    assert state(bare) == before


@run_async
async def test_the_tui_opens_on_a_bare_repository(bare: Path) -> None:
    update_catalog(open_repo(bare))
    app = ModeltrailApp(str(bare), index=False, now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "churn" in text and "ranker" in text
