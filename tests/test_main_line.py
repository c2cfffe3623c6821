"""Which versions are listed by default: the main line (first-parent history of main) plus
every labelled or staged version; ``--all`` (the TUI's ``b``) lists every branch's.

Real git repositories and catalogs (tests/tui_support.py builds them), the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, git, index, tag, write

from modeltrail.tui.cli import main as cli
from modeltrail.tui.format import fmt_branch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("tiny") / "repo")
    index(root)
    return root


def run(capsys, repo: Path, *args: str) -> str:
    capsys.readouterr()
    assert cli(["-C", str(repo), *args]) == 0
    return capsys.readouterr().out


def test_versions_lists_the_main_line_by_default_and_every_branch_with_all(tiny, capsys):
    exp = git(tiny, "rev-parse", "exp/deeper").strip()
    default = json.loads(run(capsys, tiny, "versions", "churn", "--json"))
    assert [v["version"] for v in default][0] == "v1.2.0"  # newest on main, not the experiment
    assert exp not in [v["commit"] for v in default]
    assert len(default) == 5 and all(v["main_line"] for v in default)
    every = json.loads(run(capsys, tiny, "versions", "churn", "--all", "--json"))
    assert len(every) == 6
    assert every[0]["commit"] == exp and every[0]["main_line"] is False
    text = run(capsys, tiny, "versions", "churn", "--all")
    assert "BRANCH" in text
    assert "unmerged: exp/deeper" in text
    assert "unmerged" not in run(capsys, tiny, "versions", "churn")


def test_a_labelled_version_off_the_main_line_is_listed_and_named_unmerged(tmp_path, capsys):
    root = build_tiny_repo(tmp_path / "repo")
    git(root, "checkout", "-q", "exp/deeper")
    write(root, "models/churn/metrics.json", {"auc": 0.91, "loss": 0.27})
    commit(root, "churn: deeper still", "2026-03-11T10:00:00Z")
    tag(root, "churn@v2.0.0-rc1", "register rc", "2026-03-11T10:00:00Z")
    git(root, "checkout", "-q", "main")
    index(root)
    versions = json.loads(run(capsys, root, "versions", "churn", "--json"))
    assert [v["version"] for v in versions][:2] == ["v2.0.0-rc1", "v1.2.0"]
    text = run(capsys, root, "versions", "churn")
    assert "unmerged: exp/deeper" in text
    # its delta is to the previous listed version on its line (v1.2.0: auc 0.88 -> 0.91)
    line = next(x for x in text.splitlines() if x.startswith("v2.0.0-rc1"))
    assert "▲+0.03" in line


def test_fmt_branch_says_main_merged_or_unmerged():
    assert fmt_branch(["exp/a", "main"], True, "main") == "main"
    sizes = {"integration": 40, "exp/a": 3, "main": 90}
    assert fmt_branch(["exp/a", "integration", "main"], False, "main", sizes) == "merged: exp/a"
    assert fmt_branch(["exp/b"], False, "main") == "unmerged: exp/b"
    assert fmt_branch([], False, "main") == "unmerged"
    assert fmt_branch(["x", "y"], None, None) == "x, y"
