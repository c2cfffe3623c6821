"""A commit that is not a version stands for the version in force on its own history.

The newest ancestor version whose model content equals the content at that commit,
never a commit of another branch that merely comes earlier in topological order. A
rollback to such a commit writes on a commit with that very content, and says which.
"""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main

M1 = {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": '{"auc": 0.80}\n'}


def _metrics(auc: float) -> dict:
    return {"models/m/metrics.json": json.dumps({"auc": auc}) + "\n"}


@pytest.fixture
def crossed(tmp_path, monkeypatch):
    """main (m@v1.0.0) → integration; exp/a changes m (X) and is merged (X');
    exp/other, forked from integration's first commit (before X'), changes only
    another model (Y) and is merged after X'."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("m 1.0", {**M1, "models/o/model.yaml": "name: o\n", "models/o/metrics.json": "{}\n"})
    g.tag("m@v1.0.0", message="register m 1.0.0")
    g.branch("integration")
    g.checkout("integration")
    first = g.commit("integration: start", {"notes.txt": "integration\n"})
    g.branch("exp/a")
    g.branch("exp/other")
    g.checkout("exp/a")
    x = g.commit("exp/a: better m", _metrics(0.91))
    g.tag("m#prod#1", message="prod gets exp/a")
    g.checkout("integration")
    x_merge = g.merge("exp/a", "merge exp/a")
    g.checkout("exp/other")
    y = g.commit("exp/other: tune o", {"models/o/metrics.json": '{"acc": 0.7}\n'})
    g.checkout("integration")
    g.merge("exp/other", "merge exp/other")
    g.checkout("main")
    return g, {"first": first, "x": x, "x_merge": x_merge, "y": y}


def _json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def test_diff_to_a_commit_compares_the_version_in_force_on_its_own_history(crossed, capsys):
    g, c = crossed
    d = _json(capsys, ["-C", str(g.path), "diff", "m", c["y"], "v1.0.0", "--json"])
    # Y never had exp/a's model: at Y, m is still v1.0.0's content
    assert d["metrics"] == {}
    assert d["a"]["commit"] not in (c["x"], c["x_merge"])


def test_rollback_to_a_commit_never_writes_on_another_branch(crossed, capsys):
    g, c = crossed
    plan = _json(
        capsys,
        [
            "-C", str(g.path), "rollback", "m", "--to", c["y"], "--stage", "prod",
            "--force", "--dry-run", "--json", "--reason", "test",
        ],
    )  # fmt: skip
    target = plan["to"]["commit"]
    assert target not in (c["x"], c["x_merge"])
    # the tag goes on Y itself or on a listed version with the same content: an ancestor
    ancestors = g.git("rev-list", c["y"]).split()
    assert target in ancestors
    assert g.git("rev-parse", f"{target}:models/m") == g.git("rev-parse", f"{c['y']}:models/m")
    assert not plan["to"]["version"].startswith("=")
    assert plan["to"]["version"] == "v1.0.0"
    # the plan says which commit it writes on, and why
    assert any(
        c["y"][:7] in w and "not a version" in w and target[:7] in w for w in plan["warnings"]
    ), plan["warnings"]


def test_a_commit_on_the_models_own_line_still_names_its_version(crossed, capsys):
    """The ordinary case keeps working: a later commit of exp/a's line that does not
    touch m stands for X."""
    g, c = crossed
    g.checkout("exp/a")
    later = g.commit("exp/a: docs", {"README.md": "docs\n"})
    g.checkout("main")
    main(["-C", str(g.path), "index"])
    d = _json(capsys, ["-C", str(g.path), "diff", "m", "v1.0.0", later, "--json"])
    assert d["b"]["commit"] == c["x"]
    assert d["metrics"]["auc"]["new"] == 0.91
