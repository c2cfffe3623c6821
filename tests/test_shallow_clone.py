"""A shallow clone: the index warns that history is truncated and the boundary version
is marked (otherwise it looks like where the model began)."""

from __future__ import annotations

import json
import subprocess

from test_cli_hostile import _git

from modeltrail.tui.cli import main


def test_shallow_clone_is_said_and_the_boundary_marked(tmp_path, capsys):
    origin = tmp_path / "origin"
    (origin / "models" / "m").mkdir(parents=True)
    _git(origin, "init", "-q", "-b", "main")
    (origin / "models" / "m" / "model.yaml").write_text("name: m\n")
    for auc in (0.7, 0.8, 0.9):
        (origin / "models" / "m" / "metrics.json").write_text(json.dumps({"auc": auc}))
        _git(origin, "add", "-A")
        _git(origin, "commit", "-q", "-m", f"auc {auc}")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{origin}", str(clone)], check=True
    )
    boundary = _git(clone, "rev-parse", "HEAD~1")

    assert main(["-C", str(clone), "index"]) == 0
    out = capsys.readouterr().out
    assert "shallow clone" in out and "history" in out

    assert main(["-C", str(clone), "versions", "m", "--json"]) == 0
    rows = {r["commit"]: r for r in json.loads(capsys.readouterr().out)}
    assert len(rows) == 2
    assert rows[boundary]["history_truncated"] is True
    assert [r["history_truncated"] for c, r in rows.items() if c != boundary] == [False]

    assert main(["-C", str(clone), "versions", "m"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "history truncated" in line][0].find(boundary[:7]) >= 0

    # deepening the clone re-indexes: the old boundary is no longer marked
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True)
    assert main(["-C", str(clone), "versions", "m", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and not any(r["history_truncated"] for r in rows)
