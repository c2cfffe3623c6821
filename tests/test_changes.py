"""``modeltrail changes`` (#31.3): stage moves, rollbacks, undos and new versions since
a time, newest first, with who, why and the metrics against what they replaced; across
a workspace or in one repository. A fixed clock: git's dates by environment, the
command's ``now`` as a parameter."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_rollback_support import fixed_env  # noqa: F401  (a fixture)
from tui_support import build_tiny_repo, git, index
from workspace_support import build_workspace, copy_workspace, own_cache_home  # noqa: F401

from modeltrail.store.errors import UsageError
from modeltrail.store.query.changes import parse_since
from modeltrail.tui.cli import build_parser, main
from modeltrail.tui.commands import changes as changes_command

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # fixed_env's clock: 2026-03-20 09:46


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("changes") / "repo")
    index(root)
    return root


@pytest.fixture
def tiny(tiny_template, tmp_path, fixed_env) -> Path:  # noqa: F811
    root = Path(shutil.copytree(tiny_template, tmp_path / "repo", symlinks=True))
    git(root, "config", "user.name", "Sam Rivera")
    git(root, "config", "user.email", "sam@example.com")
    return root


def _json(capsys, argv: list[str]) -> list[dict]:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("24h", datetime(2026, 3, 19, 12, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 3, 13, 12, 0, tzinfo=UTC)),
        ("90m", datetime(2026, 3, 20, 10, 30, tzinfo=UTC)),
        ("2w", datetime(2026, 3, 6, 12, 0, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-03-01T08:00:00+02:00", datetime(2026, 3, 1, 6, 0, tzinfo=UTC)),
    ],
)
def test_since_reads_durations_and_dates(text, expected):
    assert parse_since(text, NOW) == expected


def test_since_refuses_anything_else_in_one_line(capsys):
    with pytest.raises(UsageError, match="give a duration"):
        parse_since("yesterday", NOW)
    assert main(["changes", "--since", "yesterday"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_rollback_and_its_undo_newest_first_with_reason_and_deltas(tiny, capsys):
    argv = ["-C", str(tiny), "rollback", "churn", "--stage", "prod", "--to", "v1.0.0"]
    assert main([*argv, "--reason", "auc dropped in prod", "--yes", "--offline"]) == 0
    capsys.readouterr()
    found = _json(capsys, ["-C", str(tiny), "changes", "--since", "2026-03-19", "--json"])
    assert [(c["event"], c["stage"], c["version"], c["from"]) for c in found] == [
        ("rollback", "prod", "v1.0.0", "v1.1.0")
    ]
    (rollback,) = found
    assert rollback["reason"] == "auc dropped in prod"
    assert rollback["author"] == "Sam Rivera"  # the repository's own user
    assert rollback["metrics"]["auc"] == {
        **{"old": 0.85, "new": 0.8, "diff": -0.05, "better": False},
        **{"from": 0.85, "to": 0.8, "delta": -0.05},  # the first names, kept for scripts
    }
    assert rollback["metrics"]["loss"]["better"] is False  # lower is better for a loss
    assert rollback["metrics"]["loss"]["delta"] == 0.05
    assert main(["-C", str(tiny), "undo", "--yes", "--offline"]) == 0
    capsys.readouterr()
    found = _json(capsys, ["-C", str(tiny), "changes", "--since", "2026-03-19", "--json"])
    assert [(c["event"], c["version"], c["from"]) for c in found][0][:2] == ("undo", "v1.1.0")
    # the default: the last 24 hours before now (a fixed now here)
    args = build_parser(["-C", str(tiny), "changes"]).parse_args(["-C", str(tiny), "changes"])
    args.json, args.workspace_entries = True, None
    assert changes_command.run(args, now=NOW) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert changes_command.run(args, now=datetime(2026, 3, 22, tzinfo=UTC)) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_new_versions_and_assignments_with_their_deltas(tiny, capsys):
    found = _json(capsys, ["-C", str(tiny), "changes", "--since", "2026-02-15", "--json"])
    assert [(c["timestamp"][:10], c["event"], c["stage"], c["version"]) for c in found] == [
        ("2026-03-10", "version", None, found[0]["version"]),
        ("2026-03-06", "assign", "staging", "v1.2.0"),
        ("2026-03-05", "assign", "prod", "v1.1.0"),
        ("2026-03-01", "version", None, "v1.2.0"),
    ]
    assert found[0]["from"] == "v1.2.0" and found[0]["author"] == "Dana Okafor"
    assert found[0]["metrics"]["auc"]["delta"] == pytest.approx(0.02)
    assert found[1]["from"] is None and found[1]["metrics"] == {}  # a first holder
    assert found[1]["reason"] == "promote"  # the tag's message
    # the documented shape: every key, the contract's names beside the first ones
    for c in found:
        assert {"model", "event", "stage", "version", "previous", "commit", "author"} <= set(c)
        assert {"date", "reason", "metrics"} <= set(c)
        assert (c["date"], c["previous"]) == (c["timestamp"], c["from"])
    assert found[0]["metrics"]["auc"]["better"] is True  # auc 0.86 -> 0.88
    # the table: one row per change, the reason last
    assert main(["-C", str(tiny), "changes", "--since", "2026-02-15"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "WHEN", "MODEL", "EVENT", "STAGE", "VERSION", "FROM", "WHO", "METRICS", "WHY",
    ]  # fmt: skip
    assert len(lines) == 5 and lines[1].rstrip().endswith("churn: deeper trees")


@pytest.fixture(scope="module")
def ws_template(tmp_path_factory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("ws") / "t")


def test_changes_across_a_workspace_and_in_one_repository(ws_template, tmp_path, capsys):
    ws = copy_workspace(ws_template, tmp_path / "w")
    found = _json(capsys, ["--workspace", str(ws), "changes", "--since", "2026-03-05", "--json"])
    assert {c["repo"] for c in found} == {"alpha", "beta"}
    assert [c["timestamp"] for c in found] == sorted((c["timestamp"] for c in found), reverse=True)
    assert all(list(c)[0] == "repo" for c in found)
    since = "2026-01-01"
    only = _json(capsys, ["--workspace", str(ws), "changes", "--since", since, "--repo", "gamma", "--json"])  # fmt: skip
    assert [(c["repo"], c["event"], c["version"]) for c in only] == [
        ("gamma", "version", "2.0.0"),
        ("gamma", "version", "1.0.0"),
    ]
    assert only[0]["metrics"]["auc"]["delta"] == pytest.approx(0.04)
    assert only[0]["metrics"]["auc"]["better"] is True
    again = _json(capsys, ["--workspace", str(ws), "changes", "--since", since, "--repo", "gamma", "--json"])  # fmt: skip
    assert again == only  # the answer kept beside the catalog reads back the same
    assert main(["--workspace", str(ws), "changes", "--repo", "nope"]) == 2
    assert "no repository named 'nope'" in capsys.readouterr().err


def test_a_new_version_is_measured_against_the_one_before_it_on_its_own_line(tmp_path, capsys):
    """A version's "from" is the version it replaced on its own line (its nearest
    first-parent ancestor that is a version), not whichever version the index happened to
    number before it: here an experiment branch's later, worse version."""
    from gitbuilder import GitRepo

    repo = GitRepo(tmp_path / "repo")
    model = {"models/m/model.yaml": "name: m\n"}
    base = repo.commit("m: first", {**model, "models/m/metrics.json": '{"auc": 0.8}'})
    repo.branch("exp", base)
    repo.checkout("exp")
    repo.commit("m: an experiment", {"models/m/metrics.json": '{"auc": 0.5}'})
    repo.checkout("main")
    repo.commit("m: retrain", {"models/m/metrics.json": '{"auc": 0.9}'})
    repo.commit("m: retrain again", {"models/m/metrics.json": '{"auc": 0.95}'})
    found = _json(capsys, ["-C", str(repo.path), "changes", "--since", "2026-01-01", "--json"])
    by_reason = {c["reason"]: c for c in found if c["event"] == "version"}
    retrain, again = by_reason["m: retrain"], by_reason["m: retrain again"]
    assert retrain["from_commit"] == base
    assert retrain["metrics"]["auc"]["delta"] == pytest.approx(0.1)
    assert again["from_commit"] == retrain["commit"]
    assert by_reason["m: an experiment"]["from_commit"] == base
