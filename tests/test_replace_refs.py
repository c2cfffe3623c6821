"""``git replace`` does not change what modeltrail reads or writes: every git process it
starts runs with replace objects off, so the catalog and a rollback see the real history."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_hostile import _git

from modeltrail.tui.cli import main


def _repo(root: Path) -> tuple[str, str]:
    (root / "models" / "m").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "core.hooksPath", "/dev/null")
    _git(root, "config", "user.name", "A")
    _git(root, "config", "user.email", "a@example.com")
    (root / "models" / "m" / "model.yaml").write_text("name: m\n")
    (root / "models" / "m" / "metrics.json").write_text('{"auc": 0.8}')
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    first = _git(root, "rev-parse", "HEAD")
    _git(root, "tag", "m@v1.0.0")
    (root / "models" / "m" / "metrics.json").write_text('{"auc": 0.9}')
    _git(root, "commit", "-q", "-am", "two")
    _git(root, "tag", "m@v2.0.0")
    # a look-alike of the first commit with other content, and a replace ref onto it
    (root / "models" / "m" / "metrics.json").write_text('{"auc": 0.1}')
    _git(root, "add", "-A")
    tree = _git(root, "write-tree")
    fake = _git(root, "commit-tree", tree, "-m", "one")
    _git(root, "checkout", "-q", "--", ".")
    _git(root, "reset", "-q", "--hard")
    _git(root, "replace", first, fake)
    return first, fake


def test_versions_and_rollback_use_the_real_objects(tmp_path, capsys):
    root = tmp_path / "repo"
    first, _fake = _repo(root)
    assert main(["-C", str(root), "versions", "m", "--json"]) == 0
    rows = {r["commit"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[first]["metrics"] == {"auc": 0.8}

    assert (
        main(
            [
                "-C",
                str(root),
                "rollback",
                "m",
                "--to",
                first,
                "--branch",
                "main",
                "--reason",
                "r",
                "--yes",
            ]
        )
        == 0
    )
    capsys.readouterr()
    shown = _git(root, "--no-replace-objects", "show", "HEAD:models/m/metrics.json")
    assert json.loads(shown) == {"auc": 0.8}
