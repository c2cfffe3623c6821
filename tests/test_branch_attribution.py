"""The branch a commit was made on, and DVC experiments named like branches.

A commit's branch is the first-parent line it belongs to (main first, then integration
branches, then the others, then DVC experiments), not the smallest branch that happens
to contain it; a merge also names what it merged. A DVC experiment's name
(``refs/exps/ab/cdef…/NAME``) is accepted wherever a version is, and is the branch of
its own commits.
"""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.tui.cli import main

M1 = {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": '{"auc": 0.80}\n'}
EXP_REF = "refs/exps/9f/3c1e0b7d2a4f6e8c0b1d3f5a7c9e1b3d5f7a9c0e/crumb-hobo"


def _metrics(auc: float) -> dict:
    return {"models/m/metrics.json": json.dumps({"auc": auc}) + "\n"}


def _run(capsys, args: list[str]) -> str:
    status = main(args)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def _versions(capsys, repo, model: str = "m") -> dict[str, dict]:
    """subject -> the version's JSON (``versions --all --json``)."""
    out = _run(capsys, ["-C", str(repo), "versions", model, "--all", "--json"])
    return {v["message"].splitlines()[0]: v for v in json.loads(out)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_sample_repo(tmp_path_factory.mktemp("attribution") / "sample")


def test_demo_integration_commits_are_made_on_integration(demo, capsys):
    vs = _versions(capsys, demo, "churn")
    own = vs["integration: evaluate cycle 3 candidates"]
    assert own["branch"] == "integration" and own["merged"] == []
    # contained in: still every branch holding it
    assert {"integration", "main", "exp/recsys-dedupe-items"} <= set(own["branches"])
    merge = vs["Merge branch 'exp/churn-tenure-buckets' into integration"]
    assert merge["branch"] == "integration"
    assert merge["merged"] == ["exp/churn-tenure-buckets"]
    exp = vs["churn: tenure bucket feature (test AUC 0.879 on Feb holdout)"]
    assert exp["branch"] == "exp/churn-tenure-buckets" and exp["merged"] == []
    release = [v for s, v in vs.items() if s == "Merge branch 'integration'"]
    assert release and all(v["branch"] == "main" for v in release)
    assert all(v["merged"] == ["integration"] for v in release)

    table = _run(capsys, ["-C", str(demo), "versions", "churn", "--all"])
    row = next(line for line in table.splitlines() if "evaluate cycle 3" in line)
    assert "merged: integration" in row
    assert "recsys-dedupe-items" not in row


def _lines(tmp_path, monkeypatch) -> tuple[GitRepo, dict[str, str]]:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    ids = {"base": g.commit("m 1.0", M1)}
    g.branch("integration")
    g.branch("exp/a")
    g.checkout("exp/a")
    ids["a"] = g.commit("exp/a: better m", _metrics(0.85))
    g.checkout("integration")
    ids["merge_a"] = g.merge("exp/a", "Merge branch 'exp/a' into integration")
    ids["eval"] = g.commit("integration: evaluate", _metrics(0.86))
    g.branch("exp/b")  # forked from integration's head: integration's commits stay its own
    g.checkout("main")
    return g, ids


def test_incremental_runs_keep_the_line_each_commit_was_made_on(tmp_path, monkeypatch, capsys):
    g, ids = _lines(tmp_path, monkeypatch)
    vs = _versions(capsys, g.path)
    assert vs["integration: evaluate"]["branch"] == "integration"
    assert vs["exp/a: better m"]["branch"] == "exp/a"
    assert vs["Merge branch 'exp/a' into integration"]["merged"] == ["exp/a"]

    # a new commit on exp/b (indexed incrementally): exp/b's own, integration's unchanged
    g.checkout("exp/b")
    g.commit("exp/b: try more", _metrics(0.87))
    vs = _versions(capsys, g.path)
    assert vs["exp/b: try more"]["branch"] == "exp/b"
    assert vs["integration: evaluate"]["branch"] == "integration"

    # main fast-forwarded to integration: its commits are now on main's first-parent line
    g.checkout("main")
    g.git("merge", "--ff-only", "-q", "integration")
    incremental = _versions(capsys, g.path)
    assert incremental["integration: evaluate"]["branch"] == "main"
    assert incremental["exp/a: better m"]["branch"] == "exp/a"
    _run(capsys, ["-C", str(g.path), "index", "--rebuild"])
    assert _versions(capsys, g.path) == incremental


@pytest.fixture
def experiment(tmp_path, monkeypatch):
    """main with m@v1.0.0; a DVC experiment ``crumb-hobo`` on top of it (a commit no
    branch holds, under ``refs/exps``), and DVC's stash ref beside it."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("m 1.0", M1)
    g.tag("m@v1.0.0", message="register m 1.0.0")
    g.branch("tmp")
    g.checkout("tmp")
    exp = g.commit("dvc: crumb-hobo", _metrics(0.93))
    g.git("update-ref", EXP_REF, exp)
    g.git("update-ref", "refs/exps/stash", exp)
    g.checkout("main")
    g.git("branch", "-D", "tmp")
    return g, exp


def test_an_experiment_is_the_branch_of_its_own_commits(experiment, capsys):
    g, exp = experiment
    v = _versions(capsys, g.path)["dvc: crumb-hobo"]
    assert v["commit"] == exp
    assert v["branch"] == "crumb-hobo"
    assert v["branches"] == ["crumb-hobo"]
    assert _versions(capsys, g.path)["m 1.0"]["branch"] == "main"
    table = _run(capsys, ["-C", str(g.path), "versions", "m", "--all"])
    row = next(line for line in table.splitlines() if "crumb-hobo" in line.split("dvc:")[0])
    assert "unmerged: crumb-hobo" in row


def test_an_experiment_name_is_accepted_where_a_version_is(experiment, capsys):
    g, exp = experiment
    d = json.loads(_run(capsys, ["-C", str(g.path), "diff", "m", "v1.0.0", "crumb-hobo", "--json"]))
    assert d["b"]["commit"] == exp
    assert d["metrics"]["auc"]["new"] == 0.93
    rollback = ["rollback", "m", "--to", "crumb-hobo", "--branch", "main", "--dry-run"]
    plan = json.loads(_run(capsys, ["-C", str(g.path), *rollback, "--json", "--reason", "t"]))
    assert plan["to"]["commit"] == exp
    _run(capsys, ["-C", str(g.path), "checkout", "m", "crumb-hobo"])
    assert json.loads((g.path / "models/m/metrics.json").read_text()) == {"auc": 0.93}
    # DVC's own refs under refs/exps (its stash) are no experiment
    assert main(["-C", str(g.path), "diff", "m", "v1.0.0", "stash", "--json"]) != 0
    capsys.readouterr()
