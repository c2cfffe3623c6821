"""``modeltrail flow``: branch classification, merges and their metrics, on generated repos.

The main repository has two finished integration cycles (experiments merged into
``integration`` with ``--no-ff``, an evaluation commit, then ``integration`` merged into
``main`` and tagged), integration fast-forwarded to main between cycles, a merged and
then deleted experiment, unmerged experiments (one beats main, one does not), a
``release/1.x`` branch and a DVC experiment ref.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main as cli

CHURN_YAML = "name: churn\ndescription: churn model\n"
FRAUD_YAML = "name: fraud\n"
DVC_EXP_REF = "refs/exps/a1/b2c3d4e5f6/exp-lr-001"


def churn(auc: float, loss: float) -> dict[str, str]:
    return {"models/churn/metrics.json": json.dumps({"auc": auc, "loss": loss})}


def fraud(recall: float) -> dict[str, str]:
    return {"models/fraud/metrics.json": json.dumps({"recall": recall})}


def experiment(r: GitRepo, name: str, files: dict, message: str, base: str = "main") -> str:
    r.checkout(base)
    r.branch(name)
    r.checkout(name)
    return r.commit(message, files)


@pytest.fixture(scope="module")
def cycles(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The repository with two integration cycles; returns its path and key commits."""
    r = GitRepo(tmp_path_factory.mktemp("flow") / "repo")
    ids: dict[str, str] = {"repo": str(r.path)}
    r.commit(
        "churn and fraud: baselines",
        {
            "models/churn/model.yaml": CHURN_YAML,
            **churn(0.80, 0.50),
            "models/fraud/model.yaml": FRAUD_YAML,
            **fraud(0.60),
        },
    )
    r.tag("churn-v1.0.0")
    # cycle 1
    r.branch("integration")
    ids["exp/lr"] = experiment(r, "exp/lr", churn(0.82, 0.48), "churn: lr 0.05")
    ids["exp/velocity"] = experiment(r, "exp/velocity", fraud(0.66), "fraud: velocity feature")
    r.checkout("integration")
    ids["m_lr"] = r.merge("exp/lr", "Merge branch 'exp/lr' into integration")
    ids["m_velocity"] = r.merge("exp/velocity", "Merge branch 'exp/velocity' into integration")
    r.commit("integration: evaluate cycle 1", churn(0.83, 0.47))
    r.checkout("main")
    ids["release1"] = r.merge("integration", "Merge branch 'integration'")
    r.tag("churn-v1.1.0")
    # cycle 2: integration fast-forwarded to main first
    r.git("branch", "-f", "integration", "main")
    ids["exp/features"] = experiment(r, "exp/features", churn(0.85, 0.45), "churn: features")
    ids["exp/gone"] = experiment(r, "exp/gone", fraud(0.70), "fraud: class weights")
    r.checkout("integration")
    r.merge("exp/features", "Merge branch 'exp/features' into integration")
    ids["m_gone"] = r.merge("exp/gone", "Merge branch 'exp/gone' into integration")
    r.git("branch", "-D", "exp/gone")
    ids["eval2"] = r.commit("integration: evaluate cycle 2", churn(0.86, 0.44))
    r.checkout("main")
    ids["release2"] = r.merge("integration", "Merge branch 'integration'")
    r.tag("churn-v1.2.0")
    # unmerged work
    ids["exp/better"] = experiment(r, "exp/better", churn(0.90, 0.40), "churn: focal loss")
    ids["exp/worse"] = experiment(r, "exp/worse", churn(0.70, 0.60), "churn: tiny model")
    ids["release/1.x"] = experiment(r, "release/1.x", {"NOTES.md": "1.x\n"}, "release notes")
    # a DVC experiment: a commit only an experiment ref points at
    r.checkout("main")
    r.branch("tmp-exp")
    r.checkout("tmp-exp")
    ids["dvc"] = r.commit("dvc exp run: lr 0.01", churn(0.87, 0.43))
    r.git("update-ref", DVC_EXP_REF, ids["dvc"])
    r.checkout("main")
    r.git("branch", "-D", "tmp-exp")
    return ids


def flow_json(capsys: pytest.CaptureFixture, repo: str | Path) -> dict:
    capsys.readouterr()
    assert cli(["-C", str(repo), "flow", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def by_name(data: dict) -> dict[str, dict]:
    return {b["name"]: b for b in data["branches"]}


def test_classifies_main_integration_experiments(cycles, capsys):
    data = flow_json(capsys, cycles["repo"])
    branches = by_name(data)
    assert data["main"] == "main"
    assert data["integration"] == ["integration", "release/1.x"]
    assert branches["main"]["kind"] == "main"
    assert branches["integration"]["kind"] == "integration"
    assert branches["release/1.x"]["kind"] == "integration"
    for name in ("exp/lr", "exp/velocity", "exp/features", "exp/better", "exp/worse"):
        assert branches[name]["kind"] == "experiment", name
        assert branches[name]["head"] == cycles[name]
    dvc = branches["exp-lr-001"]
    assert dvc["kind"] == "experiment"
    assert dvc["ref"] == DVC_EXP_REF
    assert dvc["head"] == cycles["dvc"]
    assert "exp/gone" not in branches  # deleted: only its merge remembers it
    assert [b["name"] for b in data["branches"]][:3] == ["main", "integration", "release/1.x"]


def test_merged_unmerged_ahead_behind(cycles, capsys):
    branches = by_name(flow_json(capsys, cycles["repo"]))
    for name in ("exp/lr", "exp/velocity", "exp/features"):
        assert branches[name]["merged_into"] == "integration"
        assert branches[name]["merged"] is True
        assert branches[name]["ahead"] == 0
    assert branches["integration"]["merged_into"] == "main"
    for name in ("exp/better", "exp/worse", "exp-lr-001"):
        assert branches[name]["merged"] is False
        assert branches[name]["merged_into"] is None
        assert (branches[name]["ahead"], branches[name]["behind"]) == (1, 0), name
    # main holds 13 commits; exp/lr has the first one and its own, which main has too
    assert branches["exp/lr"]["behind"] == 11
    assert branches["main"]["merged_into"] is None


def test_merges_with_source_target_and_metric_deltas(cycles, capsys):
    merges = flow_json(capsys, cycles["repo"])["merges"]
    pairs = [(m["from"], m["into"]) for m in merges]  # newest first
    assert pairs == [
        ("integration", "main"),
        ("exp/gone", "integration"),
        ("exp/features", "integration"),
        ("integration", "main"),
        ("exp/velocity", "integration"),
        ("exp/lr", "integration"),
    ]
    release2 = merges[0]
    assert release2["commit"] == cycles["release2"]
    assert release2["date"].endswith("Z")
    # churn went from cycle 1's evaluation (0.83 / 0.47) to cycle 2's (0.86 / 0.44)
    auc = release2["metrics"]["churn"]["auc"]
    assert auc["old"] == pytest.approx(0.83) and auc["new"] == pytest.approx(0.86)
    assert auc["diff"] == pytest.approx(0.03) and auc["better"] is True
    loss = release2["metrics"]["churn"]["loss"]
    assert loss["diff"] == pytest.approx(-0.03) and loss["better"] is True  # lower is better
    assert release2["versions"]["churn"]["version"] == "v1.2.0"
    assert release2["versions"]["churn"]["base_version"] == "v1.1.0"
    recall = release2["metrics"]["fraud"]["recall"]
    assert (recall["old"], recall["new"]) == (pytest.approx(0.66), pytest.approx(0.70))
    # a merge only carries the models it changed
    gone = merges[1]
    assert gone["commit"] == cycles["m_gone"]
    assert set(gone["metrics"]) == {"fraud"}
    assert gone["from_kind"] == "experiment"


def test_unmerged_experiment_beating_main_is_flagged(cycles, capsys):
    branches = by_name(flow_json(capsys, cycles["repo"]))
    beats = {(x["model"], x["metric"]): x for x in branches["exp/better"]["beats_main"]}
    assert set(beats) == {("churn", "auc"), ("churn", "loss")}
    assert beats[("churn", "auc")]["value"] == pytest.approx(0.90)
    assert beats[("churn", "auc")]["main"] == pytest.approx(0.86)
    assert branches["exp/worse"]["beats_main"] == []
    dvc = branches["exp-lr-001"]
    assert {x["metric"] for x in dvc["beats_main"]} == {"auc", "loss"}
    # merged work is in main already: nothing to beat
    assert branches["exp/features"]["beats_main"] == []


def test_human_report_names_branches_and_stands_out_winners(cycles, capsys):
    capsys.readouterr()
    assert cli(["-C", cycles["repo"], "flow"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "★ beats main: churn auc 0.9 vs 0.86" in lines["exp/better"]
    assert "unmerged" in lines["exp/worse"] and "beats main" not in lines["exp/worse"]
    assert "integration → main" in out
    assert "churn v1.2.0 (was v1.1.0): auc 0.86 (+0.03 better)" in out


def test_config_names_main_and_integration(tmp_path, capsys):
    """Configured names replace the defaults: ``develop`` is then just a feature branch."""
    r = GitRepo(tmp_path / "repo")
    r.git("branch", "-m", "main", "trunk")
    r.commit("churn: baseline", {"models/churn/model.yaml": CHURN_YAML, **churn(0.8, 0.5)})
    r.branch("collect-q1")
    r.branch("develop")
    experiment(r, "exp/a", churn(0.81, 0.49), "a", base="trunk")
    experiment(r, "exp/b", {"models/churn/params.yaml": "depth: 4\n"}, "b", base="trunk")
    r.checkout("collect-q1")
    r.merge("exp/a", "Merge branch 'exp/a' into collect-q1")
    r.merge("exp/b", "Merge branch 'exp/b' into collect-q1")
    r.checkout("trunk")
    r.merge("collect-q1", "Merge branch 'collect-q1' into trunk")
    (r.path / ".modeltrail.toml").write_text('main = "trunk"\nintegration = ["collect-*"]\n')
    data = flow_json(capsys, r.path)
    branches = by_name(data)
    assert data["main"] == "trunk"
    assert data["integration"] == ["collect-q1"]
    assert branches["develop"]["kind"] == "feature"
    assert branches["exp/a"]["merged_into"] == "collect-q1"
    assert [(m["from"], m["into"]) for m in data["merges"]][0] == ("collect-q1", "trunk")


def test_detects_an_unnamed_integration_branch(tmp_path, capsys):
    """Without config: a branch collecting ≥2 branches and merged into main is integration."""
    r = GitRepo(tmp_path / "repo")
    r.commit("churn: baseline", {"models/churn/model.yaml": CHURN_YAML, **churn(0.8, 0.5)})
    r.branch("staging-merge")
    experiment(r, "exp/a", churn(0.81, 0.49), "a")
    experiment(r, "exp/b", {"models/churn/params.yaml": "depth: 4\n"}, "b")
    # an experiment forked from the collecting branch after its merges must not take them
    r.checkout("staging-merge")
    r.merge("exp/a", "Merge branch 'exp/a' into staging-merge")
    r.merge("exp/b", "Merge branch 'exp/b' into staging-merge")
    experiment(r, "exp/c", {"models/churn/params.yaml": "depth: 6\n"}, "c", base="staging-merge")
    experiment(r, "hotfix", {"README.md": "fix\n"}, "readme")
    experiment(r, "exp/solo", {"models/churn/notes.md": "solo\n"}, "solo")
    r.checkout("main")
    r.merge("staging-merge", "Merge branch 'staging-merge'")
    r.merge("hotfix", "Merge branch 'hotfix'")
    # a sync merge from main into an experiment goes the other way
    r.checkout("exp/solo")
    r.merge("main", "Merge branch 'main' into exp/solo")
    r.checkout("main")
    data = flow_json(capsys, r.path)
    branches = by_name(data)
    assert data["integration"] == ["staging-merge"]
    assert branches["hotfix"]["kind"] == "feature"
    assert branches["hotfix"]["merged_into"] == "main"
    assert branches["exp/solo"]["kind"] == "experiment"
    assert branches["exp/solo"]["merged"] is False
    assert branches["exp/c"]["merged"] is False
    pairs = {(m["from"], m["into"]) for m in data["merges"]}
    assert pairs == {
        ("exp/a", "staging-merge"),
        ("exp/b", "staging-merge"),
        ("staging-merge", "main"),
        ("hotfix", "main"),
        ("main", "exp/solo"),
    }


def test_hostile_merge_message_is_data(tmp_path, capsys):
    """A deleted branch is named from its merge message, verbatim and never interpreted."""
    r = GitRepo(tmp_path / "repo")
    r.commit("base", {"models/churn/model.yaml": CHURN_YAML, **churn(0.8, 0.5)})
    experiment(r, "topic", churn(0.9, 0.4), "work")
    r.checkout("main")
    name = "[bold red]x[/]\u202egnp.exe"
    r.merge("topic", f"Merge branch '{name}'")
    r.git("branch", "-D", "topic")
    merge = flow_json(capsys, r.path)["merges"][0]
    assert (merge["from"], merge["into"]) == (name, "main")
    capsys.readouterr()
    assert cli(["-C", str(r.path), "flow"]) == 0
    out = capsys.readouterr().out
    assert "[bold red]x[/]\\u202egnp.exe → main" in out  # markup literal, override visible
    assert "\u202e" not in out
