"""A workspace of repositories (#31.2): ``--workspace FILE`` or the user's own
``workspace.toml``; every model carries its repository; REPO/MODEL where a name is in
several; one repository that cannot be read is a warning on its row, never the end of
the others. Real repositories, the real command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from workspace_support import build_workspace, own_cache_home  # noqa: F401

from modeltrail.store.errors import UsageError
from modeltrail.store.workspace import index_all, load_workspace
from modeltrail.tui.cli import main


def _warnings(err: str) -> list[str]:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("modeltrail: warning:")]


def test_models_json_carries_the_repository_of_every_model(ws, capsys):
    assert main(["--workspace", str(ws), "models", "--json"]) == 0
    out, err = capsys.readouterr()
    models = json.loads(out)
    assert [(m["repo"], m["name"]) for m in models] == [
        ("alpha", "churn"),
        ("beta", "churn"),
        ("gamma", "fraud"),
    ]
    assert all(list(m)[0] == "repo" for m in models)
    warned = _warnings(err)
    assert len(warned) == 3  # one line per repository that could not be read
    assert any("repository broken:" in w for w in warned)
    assert any("repository gone:" in w and "does not exist" in w for w in warned)
    assert any("repository remote:" in w and "cannot clone" in w for w in warned)


def test_models_table_has_a_repo_column_and_a_row_per_failure(ws, capsys):
    assert main(["--workspace", str(ws), "models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["REPO", "MODEL"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"alpha", "beta", "gamma", "broken", "gone", "remote"}
    assert "churn" in rows["alpha"] and "fraud" in rows["gamma"]
    assert "⚠ not read" in rows["broken"] and "⚠ not read" in rows["gone"]


def test_an_ambiguous_model_is_one_error_listing_the_candidates(ws, capsys):
    assert main(["--workspace", str(ws), "versions", "churn"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("modeltrail: model 'churn' is in more than one repository")
    assert "alpha/churn, beta/churn" in last and "REPO/MODEL" in last


def test_repo_slash_model_and_a_unique_name_reach_their_repository(ws, capsys):
    assert main(["--workspace", str(ws), "history", "beta/churn", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert {"prod", "staging"} <= {e["stage"] for e in events}
    assert main(["--workspace", str(ws), "versions", "fraud", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in versions] == ["2.0.0", "1.0.0"]
    assert main(["--workspace", str(ws), "versions", "nope"]) == 2
    assert "no model 'nope' in the workspace" in capsys.readouterr().err


def test_the_users_own_workspace_file_is_used_outside_a_repository(
    ws, tmp_path, monkeypatch, capsys
):
    own = Path(__import__("os").environ["XDG_CONFIG_HOME"]) / "modeltrail"
    own.mkdir(parents=True)
    text = ws.read_text().replace('path = "', f'path = "{ws.parent}/')
    (own / "workspace.toml").write_text(text)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert main(["models", "--json"]) == 0
    assert {m["repo"] for m in json.loads(capsys.readouterr().out)} == {"alpha", "beta", "gamma"}
    # inside a repository (or with -C), that repository alone, as always
    monkeypatch.chdir(ws.parent / "gamma")
    assert main(["models", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in models] == ["fraud"] and "repo" not in models[0]


@pytest.mark.parametrize(
    "text, says",
    [
        ("[[repo]]\nname = 'x'\n", "give a path"),
        ("[[repo\n", "not valid TOML"),
        ("[[repo]]\npath = 'a'\n[[repo]]\npath = 'b/a'\n", "two repositories named 'a'"),
        ("[[repo]]\npath = 'a'\nname = 'a/b'\n", "must be letters"),
        ("", "lists no repository"),
    ],
)
def test_a_bad_workspace_file_is_one_line(tmp_path, capsys, text, says):
    file = tmp_path / "ws.toml"
    file.write_text(text)
    with pytest.raises(UsageError, match=says):
        load_workspace(file)
    assert main(["--workspace", str(file), "models"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


def test_repositories_are_indexed_in_parallel_and_a_failure_stays_on_its_row(tmp_path):
    file = build_workspace(tmp_path / "fresh", indexed=False)
    seen = []
    members = index_all(load_workspace(file), lambda d, t, n: seen.append((d, t)), workers=2)
    assert [m.name for m in members if m.error is None] == ["alpha", "beta", "gamma"]
    assert [m.name for m in members if m.error is not None] == ["broken", "gone", "remote"]
    assert seen[-1] == (4, 4)  # the four local repositories needed an index
    for m in members:
        if m.repo is not None:
            assert (Path(m.repo.git_dir) / "modeltrail" / "catalog.state.json").exists()


def test_index_over_a_workspace_is_one_line_per_repository(tmp_path, capsys):
    file = build_workspace(tmp_path / "fresh", indexed=False)
    assert main(["--workspace", str(file), "index", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["repo"], r["error"] is None) for r in rows] == [
        ("alpha", True),
        ("beta", True),
        ("gamma", True),
        ("broken", False),
        ("gone", False),
        ("remote", False),
    ]
    assert rows[0]["summary"]["versions"] == 6 and rows[2]["summary"]["models"] == 1


def test_a_repository_by_url_is_read_from_its_cached_clone(ws, tmp_path, capsys):
    bare = tmp_path / "served" / "fraud.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(ws.parent / "gamma"), str(bare)], check=True
    )
    subprocess.run(["git", "-C", str(bare), "config", "uploadpack.allowFilter", "true"], check=True)
    file = tmp_path / "ws.toml"
    file.write_text(
        f'[[repo]]\nurl = "file://{bare}"\n\n[[repo]]\npath = "{ws.parent / "alpha"}"\n'
    )
    models = json.loads(_out(capsys, ["--workspace", str(file), "models", "--json"]))
    assert [(m["repo"], m["name"]) for m in models] == [("fraud", "fraud"), ("alpha", "churn")]
    assert main(["--workspace", str(file), "--offline", "versions", "fraud", "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == ["2.0.0", "1.0.0"]


def _out(capsys, argv: list[str]) -> str:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "warning" not in err, err
    return out


@pytest.mark.parametrize(
    "argv, says",
    [
        (["flow"], "flow works on one repository: give -C PATH"),
        (["history"], "history works on one repository: name a model (REPO/MODEL) or give -C"),
    ],
)
def test_a_one_repository_command_without_a_model_says_how_to_choose(ws, capsys, argv, says):
    assert main(["--workspace", str(ws), *argv]) == 2
    assert says in capsys.readouterr().err
