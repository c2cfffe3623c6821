"""The on-call rollback's target: the stage's previous holder by default, unsafe targets
refused unless forced, off-main targets warned about (real git, real gto, real catalog)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.errors import Refused
from modeltrail.store.query import queries
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import apply_plan

BIN = Path(sys.executable).parent
GTO = BIN / "gto"
ARTIFACTS = "churn:\n  type: model\n  path: models/churn/model.pkl\n"


def _metrics(auc: float, loss: float) -> str:
    return json.dumps({"auc": auc, "logloss": loss})


@pytest.fixture
def churn(tmp_path: Path) -> GitRepo:
    """v1.0.0 (prod#1) → v1.1.0 (prod#2, staging#3) → an unlabelled commit on main; an
    unmerged experiment commit, and v1.2.0-rc labelled on another unmerged branch."""
    r = GitRepo(tmp_path / "repo")
    r.commit(
        "churn v1",
        {
            "artifacts.yaml": ARTIFACTS,
            "models/churn/model.pkl": "w1",
            "models/churn/metrics.json": _metrics(0.80, 0.47),
        },
    )
    r.tag("churn@v1.0.0", message="Registering artifact churn version v1.0.0")
    r.tag("churn#prod#1", message="Assigning stage prod to artifact churn version v1.0.0")
    r.commit(
        "churn v2",
        {"models/churn/model.pkl": "w2", "models/churn/metrics.json": _metrics(0.70, 0.60)},
    )
    r.tag("churn@v1.1.0", message="Registering artifact churn version v1.1.0")
    r.tag("churn#prod#2", message="Assigning stage prod to artifact churn version v1.1.0")
    r.tag("churn#staging#3", message="Assigning stage staging to artifact churn version v1.1.0")
    r.commit(
        "churn v3 unlabelled",
        {"models/churn/model.pkl": "w3", "models/churn/metrics.json": _metrics(0.75, 0.50)},
    )
    r.branch("exp/wild", "HEAD~1")
    r.checkout("exp/wild")
    r.commit("churn: wild idea", {"models/churn/model.pkl": "wild"})
    r.branch("release-candidate", "main~1")
    r.checkout("release-candidate")
    r.commit("churn: rc", {"models/churn/model.pkl": "rc"})
    r.tag("churn@v1.2.0-rc", message="Registering artifact churn version v1.2.0-rc")
    r.checkout("main")
    update_catalog(open_repo(r.path))
    return r


def _plan(r: GitRepo, to=None, **kw):
    repo = open_repo(r.path)
    con = open_catalog(repo)
    try:
        return plan_rollback(repo, con, "churn", to, reason="on call", **kw)
    finally:
        con.close()


def _cli(r: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        [str(BIN / "modeltrail"), "-C", str(r.path), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _gto_prod(r: GitRepo) -> str:
    out = subprocess.run(
        [str(GTO), "show", "--json"], cwd=r.path, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)["churn"]["stage"]["prod"]


def test_models_name_each_stages_previous_holder(churn):
    con = open_catalog(open_repo(churn.path))
    (m,) = queries.list_models(con)
    assert m["stages"] == {"prod": "v1.1.0", "staging": "v1.1.0"}
    assert m["previous"] == {"prod": "v1.0.0"}  # staging never had another holder
    done = _cli(churn, "models", "--json")
    assert json.loads(done.stdout)[0]["previous"] == {"prod": "v1.0.0"}
    text = _cli(churn, "models").stdout
    assert "● prod v1.1.0 ← v1.0.0" in text


def test_without_to_the_stage_goes_back_to_its_previous_holder(churn):
    plan = _plan(churn)
    assert (plan.stage, plan.current.version, plan.target.version) == ("prod", "v1.1.0", "v1.0.0")
    assert not plan.forced and not plan.warnings


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_a_version_the_stage_was_rolled_away_from_is_never_the_default(churn):
    done = _cli(churn, "rollback", "churn", "--reason", "auc drop", "--yes", "--offline")
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == "v1.0.0"
    # v1.1.0 was rolled away from: not the previous holder, not the default target
    con = open_catalog(open_repo(churn.path))
    assert queries.list_models(con)[0]["previous"] == {}
    con.close()
    assert "← v1.1.0" not in _cli(churn, "models").stdout
    again = _cli(churn, "rollback", "churn", "--reason", "x", "--dry-run", "--offline")
    assert again.returncode == 1
    assert "v1.1.0 was rolled back from" in again.stderr and "modeltrail undo" in again.stderr
    # named explicitly, it is allowed and flagged
    plan = _plan(churn, "v1.1.0")
    assert not plan.forced
    assert any(
        w.startswith("prod was rolled back from v1.1.0 by churn#prod#4") and "auc drop" in w
        for w in plan.warnings
    ), plan.warnings
    # undo puts it back (a redo of the assignment, not a new risk)
    done = _cli(churn, "undo", "--yes", "--offline")
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == "v1.1.0"
    con = open_catalog(open_repo(churn.path))
    assert queries.list_models(con)[0]["previous"]["prod"] == "v1.0.0"
    con.close()


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_an_undone_risky_rollback_is_never_the_default_target(churn):
    wild = churn.head("exp/wild")
    args = ("--to", wild, "--force", "--reason", "try it", "--yes", "--offline")
    done = _cli(churn, "rollback", "churn", *args)
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == wild
    done = _cli(churn, "undo", "--yes", "--offline")
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == "v1.1.0"
    # the rollback and its undo cancel out: prod's history is v1.0.0 → v1.1.0 again
    con = open_catalog(open_repo(churn.path))
    assert queries.list_models(con)[0]["previous"] == {"prod": "v1.0.0"}
    con.close()
    assert json.loads(_cli(churn, "models", "--json").stdout)[0]["previous"] == {"prod": "v1.0.0"}
    assert "● prod v1.1.0 ← v1.0.0" in _cli(churn, "models").stdout
    plan = _plan(churn)
    assert (plan.target.version, plan.forced, plan.confirm_word) == ("v1.0.0", False, "prod")
    # chosen explicitly, the experiment is as risky as it was before
    with pytest.raises(Refused, match="nor a previous holder of prod"):
        _plan(churn, wild)
    assert _plan(churn, wild, force=True).confirm_word == wild[:7]


def test_a_stage_without_a_previous_holder_is_refused_by_name(churn):
    done = _cli(churn, "rollback", "churn", "--stage", "staging", "--reason", "x", "--dry-run")
    assert done.returncode == 1
    assert "staging has no previous holder" in done.stderr


def test_an_unregistered_never_staged_commit_is_refused_unless_forced(churn):
    wild = churn.head("exp/wild")
    before = churn.git("for-each-ref")
    done = _cli(churn, "rollback", "churn", "--to", wild, "--reason", "x", "--yes")
    assert done.returncode == 1
    assert "neither a registered or labelled version" in done.stderr
    assert "--force" in done.stderr
    assert churn.git("for-each-ref") == before
    unlabelled_on_main = churn.head("main")
    with pytest.raises(Refused, match="nor a previous holder of prod"):
        _plan(churn, unlabelled_on_main)
    plan = _plan(churn, wild, force=True)
    assert plan.forced and plan.confirm_word == wild[:7]
    assert plan.warnings[0].startswith("risky target: ")
    assert any("not on the main line" in w for w in plan.warnings)
    dry = _cli(churn, "rollback", "churn", "--to", wild, "--reason", "x", "--dry-run", "--force")
    assert dry.returncode == 0 and "not on the main line" in dry.stdout


def test_a_labelled_target_off_main_is_allowed_with_a_warning(churn):
    plan = _plan(churn, "v1.2.0-rc")
    assert not plan.forced
    assert plan.warnings == (
        "v1.2.0-rc is not on the main line: "
        f"{churn.head('release-candidate')[:7]} was never merged into main",
    )
    assert plan.confirm_word == "prod"


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_a_forced_target_is_written_and_gto_agrees(churn):
    wild = churn.head("exp/wild")
    repo = open_repo(churn.path)
    apply_plan(repo, _plan(churn, wild, force=True))
    assert _gto_prod(churn) == wild


def _clone(origin: GitRepo, path: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(origin.path), str(path)], check=True)
    here = GitRepo.__new__(GitRepo)
    here.path, here.clock = path, origin.clock + 100_000
    here.author, here.email = "Ana Silva", "ana@example.com"
    for key, value in (("user.name", here.author), ("user.email", here.email)):
        here.git("config", key, value)
    here.git("config", "core.hooksPath", "/dev/null")
    return here


def test_the_plan_says_where_the_target_came_from(tmp_path):
    """Bo assigned prod on the remote; a fetch brings it here, where Ana assigned prod to
    v1.2.0 without pushing. Rolling back, the plan names the tag that gave the target the
    stage, when and by whom, and whether it came from the remote or exists here only."""
    origin = GitRepo(tmp_path / "origin")
    for n, auc in ((0, 0.80), (1, 0.70), (2, 0.75)):
        files = {"models/churn/model.pkl": f"w{n}", "models/churn/metrics.json": _metrics(auc, 1)}
        origin.commit(f"churn v1.{n}", {"artifacts.yaml": ARTIFACTS, **files})
        origin.tag(f"churn@v1.{n}.0", message=f"Registering artifact churn version v1.{n}.0")
    origin.tag("churn#prod#1", "churn@v1.0.0^{}", message="Assigning stage prod to churn v1.0.0")
    here = _clone(origin, tmp_path / "here")
    bo = origin.env("Bo Chen", "bo@example.com")
    origin.git("tag", "-a", "-m", "Assigning stage prod", "churn#prod#2", "churn@v1.1.0^{}", env=bo)
    here.git("fetch", "-q", "--tags", "origin")
    here.tag("churn#prod#3", "churn@v1.2.0^{}", message="Assigning stage prod to churn v1.2.0")
    update_catalog(open_repo(here.path))

    done = _cli(here, "rollback", "churn", "--dry-run", "--offline")
    assert done.returncode == 0, done.stderr
    when = "2026-01-05 17:00 UTC"  # Bo's tag: the eighth hourly stamp from 09:00
    assert (
        f"target   v1.1.0 was given prod by churn#prod#2 on {when} by Bo Chen "
        f"<bo@example.com>; fetched from {origin.path}"
    ) in done.stdout
    data = json.loads(_cli(here, "rollback", "churn", "--dry-run", "--json").stdout)
    assert data["target_from"]["tag"] == "churn#prod#2"
    assert data["target_from"]["by"] == "Bo Chen"

    # a later fetch that brings nothing forgets the tags; the remote still has it
    here.git("fetch", "-q", "origin")
    done = _cli(here, "rollback", "churn", "--dry-run")
    assert "was given prod by churn#prod#2" in done.stdout and "on origin too" in done.stdout

    # rolled back here; v1.2.0, named explicitly, was rolled away from and is here only
    done = _cli(here, "rollback", "churn", "--reason", "auc", "--yes", "--offline")
    assert done.returncode == 0, done.stderr
    done = _cli(here, "rollback", "churn", "--to", "v1.2.0", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "prod was rolled back from v1.2.0 by churn#prod#4" in done.stdout
    assert (
        "target   v1.2.0 was given prod by churn#prod#3 on 2026-01-06" in done.stdout
        and "by Ana Silva <ana@example.com>; only here: not on origin" in done.stdout
    )
