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
def test_cli_rollback_without_to_and_then_again_toggles_like_helm(churn):
    done = _cli(churn, "rollback", "churn", "--reason", "auc drop", "--yes")
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == "v1.0.0"
    # the previous holder is now v1.1.0: a second rollback goes back to it
    con = open_catalog(open_repo(churn.path))
    assert queries.list_models(con)[0]["previous"]["prod"] == "v1.1.0"
    con.close()
    done = _cli(churn, "rollback", "churn", "--reason", "false alarm", "--yes")
    assert done.returncode == 0, done.stderr
    assert _gto_prod(churn) == "v1.1.0"


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
    assert any("FORCED" in w for w in plan.warnings)
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
