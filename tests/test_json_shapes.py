"""Every listing command's ``--json`` holds the keys its documented shape names (keys
may be added, never renamed): scripts written against docs/CLI.md keep working. Checked
on the sample repository after a stage rollback, so every list has entries to look at."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_rollback_support import fixed_env  # noqa: F401  (a fixture)
from tui_support import git

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.tui.cli import main

MODELS = {"name", "path", "type", "sources", "latest", "versions", "stages", "previous"}
VERSIONS = {"version", "commit", "labels", "stages", "branches", "author", "date"}
VERSIONS |= {"message", "metrics", "params"}
HISTORY = {"timestamp", "model", "event", "version", "stage", "commit", "author", "message"}
CHANGES = {"model", "event", "stage", "version", "previous", "commit", "author", "date"}
CHANGES |= {"reason", "metrics"}
METRIC_DIFF = {"old", "new", "diff", "better"}
AUDIT_MODEL = {"name", "versions", "reproducible", "percent_reproducible", "missing"}
AUDIT_MODEL |= {"time_to_rollback_s"}
AUDIT_VERSION = {"model", "version", "commit", "reproducible", "checks", "missing", "reasons"}
AUDIT_ROLLBACK = {"model", "stage", "from", "to", "assigned_at", "rolled_back_at"}
AUDIT_ROLLBACK |= {"time_to_rollback_s"}


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory) -> Path:
    return build_sample_repo(tmp_path_factory.mktemp("shapes") / "sample")


@pytest.fixture
def sample(sample_template, tmp_path, fixed_env) -> Path:  # noqa: F811
    root = Path(shutil.copytree(sample_template, tmp_path / "repo", symlinks=True))
    git(root, "config", "user.name", "Sam Rivera")
    git(root, "config", "user.email", "sam@example.com")
    argv = ["-C", str(root), "rollback", "churn", "--stage", "prod", "--yes", "--offline"]
    assert main([*argv, "--reason", "auc dropped"]) == 0
    return root


def _json(capsys, root: Path, *argv: str):
    capsys.readouterr()
    assert main(["-C", str(root), *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _has(keys: set[str], entry: dict, what: str) -> None:
    assert keys <= set(entry), f"{what} lacks {sorted(keys - set(entry))}: {sorted(entry)}"


def test_every_listing_holds_its_documented_keys(sample, capsys):
    models = _json(capsys, sample, "models")
    assert models and all(_has(MODELS, m, "models") is None for m in models)
    versions = _json(capsys, sample, "versions", "churn")
    assert len(versions) > 2 and all(_has(VERSIONS, v, "versions") is None for v in versions)

    old, new = versions[-1]["version"], versions[0]["version"]
    diff = _json(capsys, sample, "diff", "churn", old, new)
    _has({"model", "a", "b", "metrics", "params", "artifacts", "files"}, diff, "diff")
    _has({"version", "commit"}, diff["a"], "diff a")
    assert diff["metrics"] and all(_has(METRIC_DIFF, d, "diff metric") is None for d in diff["metrics"].values())  # fmt: skip
    for p in diff["params"].values():
        _has({"old", "new"}, p, "diff param")
    assert diff["files"], diff
    for a in diff["artifacts"]:
        _has({"path", "change", "old", "new", "storage"}, a, "diff artifact")
    for f in diff["files"]:
        _has({"path", "change", "additions", "deletions"}, f, "diff file")

    history = _json(capsys, sample, "history")
    assert history and all(_has(HISTORY, e, "history") is None for e in history)

    flow = _json(capsys, sample, "flow")
    _has({"main", "integration", "branches", "merges"}, flow, "flow")
    assert flow["branches"] and flow["merges"]
    for b in flow["branches"]:
        _has({"name", "kind", "head", "merged_into"}, b, "flow branch")
    for m in flow["merges"]:
        _has({"commit", "from", "into", "date", "metrics"}, m, "flow merge")

    changes = _json(capsys, sample, "changes", "--since", "3000d")
    assert changes and all(_has(CHANGES, c, "changes") is None for c in changes)
    assert {c["event"] for c in changes} <= {"assign", "unassign", "rollback", "undo", "version"}
    (rollback,) = [c for c in changes if c["event"] == "rollback"]
    assert rollback["metrics"], rollback
    for d in rollback["metrics"].values():
        _has(METRIC_DIFF, d, "changes metric")
        assert d["diff"] == pytest.approx(d["new"] - d["old"])

    audit = _json(capsys, sample, "audit")
    _has({"percent_reproducible", "models", "versions", "rollbacks", "labels_changed"}, audit, "audit")  # fmt: skip
    assert all(_has(AUDIT_MODEL, m, "audit model") is None for m in audit["models"])
    for v in audit["versions"]:
        _has(AUDIT_VERSION, v, "audit version")
        _has({"params", "data", "environment", "artifact", "metrics"}, v["checks"], "checks")
    assert audit["rollbacks"] and all(_has(AUDIT_ROLLBACK, r, "audit rollback") is None for r in audit["rollbacks"])  # fmt: skip
    for label in audit["labels_changed"]:
        _has({"model", "tag", "label", "old_commit", "new_commit", "seen_at"}, label, "label")
