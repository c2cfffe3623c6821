"""``models`` on a current catalog: the usual repository is opened without GitPython
(``gitcmd.LightRepo``) and the "anything new?" check runs without it (a tenth of a
second of every run at 10,000 models), and anything new (a commit, a tag, a branch, the
configuration, ``.gto``) is still seen and indexed first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo

_CHILD = """
import io, json, sys, contextlib
from modeltrail.tui.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(["-C", sys.argv[1], "models", *sys.argv[2:]])
print(json.dumps({"status": status, "out": out.getvalue(),
                  "gitpython": "git" in sys.modules,
                  "indexer": "modeltrail.store.catalog.index_run" in sys.modules}))
"""


def _models(path: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """``modeltrail -C PATH models ARGS`` in a fresh interpreter: its status and output,
    and whether it loaded GitPython or the indexer."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit("first", {"models/m/model.yaml": "name: m\n", "models/m/metrics.json": "{}"})
    r.tag("m@v1.0.0", message="Registering artifact m version v1.0.0")
    update_catalog(open_repo(r.path))
    return r


def test_models_on_a_current_catalog_never_loads_gitpython(repo: GitRepo) -> None:
    table = _models(repo.path)
    assert table["status"] == 0 and not table["gitpython"] and not table["indexer"]
    assert table["out"].splitlines()[1].split()[:3] == ["m", "-", "v1.0.0"]
    listed = _models(repo.path, "--json")
    assert not listed["gitpython"]
    assert [(m["name"], m["latest"]) for m in json.loads(listed["out"])] == [("m", "v1.0.0")]
    # from a subdirectory of the work tree, as git -C finds it
    inner = _models(repo.path / "models" / "m", "--json")
    assert not inner["gitpython"] and inner["out"] == listed["out"]


@pytest.mark.parametrize("change", ["commit", "tag", "branch", "config", "gto"])
def test_models_sees_anything_new_and_indexes_it_first(repo: GitRepo, change: str) -> None:
    if change == "commit":
        repo.commit("retrain", {"models/m/metrics.json": '{"auc": 0.9}'})
    elif change == "tag":
        repo.commit("retrain", {"models/m/metrics.json": '{"auc": 0.9}'})
        repo.tag("m@v1.1.0", message="Registering artifact m version v1.1.0")
    elif change == "branch":
        repo.branch("exp")
    elif change == "config":  # the tag patterns decide what a tag means: not committed
        (repo.path / ".modeltrail.toml").write_text(
            '[tags]\npatterns = ["rel/{model}/{version}"]\n'
        )
    else:
        (repo.path / ".gto").write_text("stages: [prod]\n")
    seen = _models(repo.path, "--json")
    assert seen["status"] == 0 and seen["indexer"]
    if change == "tag":
        assert json.loads(seen["out"])[0]["latest"] == "v1.1.0"
    again = _models(repo.path, "--json")
    assert not again["gitpython"] and not again["indexer"] and again["out"] == seen["out"]


def test_models_started_by_a_hook_with_git_dir_reads_its_own_repository(
    repo: GitRepo, tmp_path: Path
) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    env = {**os.environ, "GIT_DIR": str(bare)}
    listed = _models(repo.path, "--json", env=env)
    assert [m["name"] for m in json.loads(listed["out"])] == ["m"]


def test_the_stages_cell_is_every_badge_or_a_dash() -> None:
    """The STAGES cell skips the stage badges of a model that has none: the same text as
    all its badges joined, whatever it holds (stages, a rollback on main, a deletion)."""
    from datetime import UTC, datetime

    from modeltrail.tui.commands.models import _badges_text
    from modeltrail.tui.widgets.badges import model_badge_parts

    now = datetime(2026, 3, 20, tzinfo=UTC)
    stage = {"prod": {"version": "v2", "commit": "c2", "since": "2026-03-01T00:00:00Z"}}
    mains = [
        None,
        {"branch": "main", "version": "v2", "content_of": "v2", "rolled_back_from": None},
        {"branch": "main", "version": "v3", "content_of": "v1", "rolled_back_from": "v3"},
        {"branch": "main", "version": "v1", "content_of": "v1", "rolled_back_from": "v2"},
    ]
    deleted = [None, {"commit": "abcdef123", "date": "2026-03-02T00:00:00Z"}]
    for details in ({}, stage):
        for held in mains:
            for gone in deleted:
                model = {"latest": "v2", "stage_details": details, "previous": {"prod": "v1"}}
                model |= {"main": held, "deleted": gone}
                badges = model_badge_parts(model, now)
                expected = ", ".join("".join(p[0] for p in b) for b in badges) or "-"
                assert _badges_text(model, now) == expected


def test_a_command_runs_without_the_cyclic_collector_and_gives_it_back(repo: GitRepo) -> None:
    """10,000 models are ~200,000 objects, none in a cycle: the collector stays out of a
    command's way (it traversed them again and again: 0.05 s of models' CPU) and is on
    again once the command returns."""
    import gc

    from modeltrail.tui.cli import main

    started: list[dict] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info)

    during: list[int] = []
    gc.callbacks.append(seen)
    try:
        for args in (["models"], ["models", "--json"], ["versions", "nosuchmodel"]):
            argv = ["-C", str(repo.path), *args]
            gc.collect()  # nothing left pending from before
            started.clear()
            main(argv)
            during.append(len(started))
            assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
    assert during == [0, 0, 0]


def test_the_program_exits_with_the_command_status(repo: GitRepo, tmp_path: Path) -> None:
    """``python -m modeltrail.tui`` (as the ``modeltrail`` script, ``cli.entry``) exits
    with the command's status, its output whole."""
    run = [sys.executable, "-m", "modeltrail.tui", "-C"]
    done = subprocess.run([*run, str(repo.path), "models", "--json"], capture_output=True)
    assert done.returncode == 0 and json.loads(done.stdout)[0]["name"] == "m"
    missing = subprocess.run([*run, str(tmp_path / "nowhere"), "models"], capture_output=True)
    assert missing.returncode == 2 and b"not a git repository" in missing.stderr
