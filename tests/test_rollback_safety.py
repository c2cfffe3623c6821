"""Checkout, rollback and undo never lose work, whatever is around them: renamed model
directories, ignored and untracked files, submodules, other branches, unborn branches,
concurrent commits, missing artifacts, pushes that fail. Real git, small temporary
repositories; each test also checks that nothing outside the plan changed and that
``git fsck`` is happy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import test_rollback_support as support
from gitbuilder import GitRepo
from test_rollback_support import git, snapshot, tree_entries

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.errors import Refused
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.store.write.rollback_apply import apply_plan
from modeltrail.tui.cli import main

fixed_env = support.fixed_env

ARTIFACTS_A = "m:\n  type: model\n  path: models/a/model.pkl\n"
ARTIFACTS_B = "m:\n  type: model\n  path: models/b/model.pkl\n"


def fsck(repo: Path) -> None:
    done = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--no-progress", "--strict"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def indexed(g: GitRepo) -> Path:
    update_catalog(open_repo(g.path))
    return g.path


def changed_files(before: dict, after: dict) -> set[str]:
    """Work-tree files that differ (added, removed or modified) between two snapshots."""
    a, b = before["files"], after["files"]
    return {p for p in set(a) | set(b) if a.get(p) != b.get(p)}


def gto_repo(tmp_path: Path) -> GitRepo:
    """m@v1.0.0 in models/a/, then the directory renamed to models/b/, m@v2.0.0."""
    g = GitRepo(tmp_path / "r")
    g.commit(
        "m v1",
        {
            "artifacts.yaml": ARTIFACTS_A,
            "models/a/model.pkl": "weights v1\n",
            "models/a/metrics.json": '{"auc": 0.8}\n',
            "README.md": "hello\n",
        },
    )
    g.tag("m@v1.0.0", message="Registering artifact m version v1.0.0")
    g.git("mv", "models/a", "models/b")
    g.commit(
        "m moved, v2",
        {
            "artifacts.yaml": ARTIFACTS_B,
            "models/b/model.pkl": "weights v2\n",
            "models/b/metrics.json": '{"auc": 0.9}\n',
        },
    )
    g.tag("m@v2.0.0", message="Registering artifact m version v2.0.0")
    return g


# --- 1. a renamed model directory -----------------------------------------------------------


def test_rollback_across_a_renamed_directory_restores_the_targets_own_paths(
    tmp_path, fixed_env, capsys
):
    g = gto_repo(tmp_path)
    repo = indexed(g)
    (repo / "notes.txt").write_text("my notes\n")  # unrelated work, must survive
    before = snapshot(repo)

    assert main(["-C", str(repo), "rollback", "m", "--to", "v1.0.0", "--dry-run"]) == 0
    preview = capsys.readouterr().out
    assert "models/b/" in preview and "models/a/" in preview  # both paths shown
    assert "models/a/model.pkl" in preview and "models/b/model.pkl" in preview

    assert main(["-C", str(repo), "rollback", "m", "--to", "v1.0.0", "--yes", "--reason", "x"]) == 0
    head = tree_entries(repo, "HEAD")
    v1 = tree_entries(repo, "m@v1.0.0")
    assert head["models/a/model.pkl"] == v1["models/a/model.pkl"]
    assert head["models/a/metrics.json"] == v1["models/a/metrics.json"]
    assert not any(p.startswith("models/b/") for p in head)
    assert (repo / "models" / "a" / "model.pkl").read_text() == "weights v1\n"
    assert not (repo / "models" / "b").exists()
    after = snapshot(repo)
    assert changed_files(before, after) == {
        "models/a/model.pkl",
        "models/a/metrics.json",
        "models/b/model.pkl",
        "models/b/metrics.json",
    }
    assert git(repo, "status", "--porcelain") == "?? notes.txt"
    assert head["artifacts.yaml"] == tree_entries(repo, "m@v2.0.0")["artifacts.yaml"]
    fsck(repo)

    # and undo puts the renamed directory back exactly
    assert main(["-C", str(repo), "undo", "--yes"]) == 0
    assert tree_entries(repo, "HEAD") == tree_entries(repo, "m@v2.0.0")
    assert snapshot(repo)["files"] == before["files"]
    fsck(repo)


def test_checkout_across_a_renamed_directory(tmp_path, fixed_env, capsys):
    g = gto_repo(tmp_path)
    repo = indexed(g)
    assert main(["-C", str(repo), "checkout", "m", "v1.0.0"]) == 0
    assert (repo / "models" / "a" / "model.pkl").read_text() == "weights v1\n"
    assert not (repo / "models" / "b").exists()
    assert git(repo, "rev-parse", "HEAD") == git(repo, "rev-parse", "m@v2.0.0^{commit}")
    fsck(repo)


# --- 2. untracked and ignored files in the way ------------------------------------------------


def dvc_moved_repo(tmp_path: Path) -> GitRepo:
    """v1 keeps weights.bin and outputs in git; v2 moved them out (ignored, made locally)."""
    g = GitRepo(tmp_path / "r")
    g.commit(
        "v1",
        {
            "models/m/model.yaml": "name: m\nversion: 1.0.0\n",
            "models/m/weights.bin": "tracked weights v1\n",
            "models/m/outputs": "a file in v1\n",
            "other.txt": "x\n",
        },
    )
    g.git("rm", "-q", "--cached", "models/m/weights.bin", "models/m/outputs")
    g.commit(
        "v2: weights managed elsewhere",
        {
            "models/m/model.yaml": "name: m\nversion: 2.0.0\n",
            "models/m/.gitignore": "/weights.bin\n/outputs/\n",
            "models/m/weights.bin": None,
            "models/m/outputs": None,
        },
    )
    # what a training run / dvc pull leaves: ignored, precious, not in git
    (g.path / "models/m/weights.bin").write_text("NEW weights, 3 days of GPU\n")
    (g.path / "models/m/outputs").mkdir()
    (g.path / "models/m/outputs/ckpt-100.pt").write_text("checkpoint\n")
    return g


@pytest.mark.parametrize("command", ["rollback", "checkout"])
def test_ignored_files_in_the_way_are_refused_and_named(tmp_path, fixed_env, capsys, command):
    g = dvc_moved_repo(tmp_path)
    repo = indexed(g)
    before = snapshot(repo)
    argv = (
        ["rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x"]
        if command == "rollback"
        else ["checkout", "m", "1.0.0"]
    )
    assert main(["-C", str(repo), *argv]) == 1
    err = capsys.readouterr().err
    assert "models/m/weights.bin" in err and "models/m/outputs/ckpt-100.pt" in err
    assert "--force" in err
    assert snapshot(repo) == before  # nothing changed, the weights are intact
    assert (repo / "models/m/weights.bin").read_text() == "NEW weights, 3 days of GPU\n"
    fsck(repo)

    assert main(["-C", str(repo), *argv, "--force"]) == 0
    assert (repo / "models/m/weights.bin").read_text() == "tracked weights v1\n"
    assert (repo / "models/m/outputs").read_text() == "a file in v1\n"
    assert changed_files(before, snapshot(repo)) <= {
        "models/m/weights.bin",
        "models/m/outputs",
        "models/m/outputs/ckpt-100.pt",
        "models/m/model.yaml",
        "models/m/.gitignore",
    }
    fsck(repo)


def test_an_untracked_file_in_the_targets_own_directory_is_refused(tmp_path, fixed_env, capsys):
    g = gto_repo(tmp_path)
    repo = indexed(g)
    (repo / "models" / "a").mkdir(parents=True)
    (repo / "models" / "a" / "model.pkl").write_text("my experiment\n")
    before = snapshot(repo)
    assert main(["-C", str(repo), "rollback", "m", "--to", "v1.0.0", "--yes", "--reason", "x"]) == 1
    assert "models/a/model.pkl" in capsys.readouterr().err
    assert snapshot(repo) == before
    fsck(repo)


# --- 3. a submodule in the model's directory --------------------------------------------------


def test_a_submodule_in_the_model_directory_is_refused_up_front(tmp_path, fixed_env, capsys):
    g = GitRepo(tmp_path / "r")
    g.commit("v1", {"m/model.yaml": "name: m\nversion: 1.0.0\n", "m/w.txt": "1"})
    v1 = g.head()
    g.write({"m/model.yaml": "name: m\nversion: 2.0.0\n"})
    g.git("add", "m/model.yaml")
    g.git("update-index", "--add", "--cacheinfo", f"160000,{v1},m/vendor")
    g.git("commit", "-q", "-m", "v2 with a submodule", env=g.env())
    assert "160000 commit" in g.git("ls-tree", "-r", "HEAD")
    (g.path / "m" / "vendor").mkdir()  # as a clone without --recurse-submodules has it
    repo = indexed(g)
    before = snapshot(repo)
    for argv in (
        ["rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x"],
        ["checkout", "m", "1.0.0"],
    ):
        assert main(["-C", str(repo), *argv]) == 1
        err = capsys.readouterr().err
        assert "submodule" in err and "m/vendor" in err
        assert snapshot(repo) == before


# --- 6. --branch on a branch that is not checked out; detached and unborn HEADs -----------------


def branches_repo(tmp_path: Path) -> GitRepo:
    g = GitRepo(tmp_path / "r")
    g.commit("v1", {"m/model.yaml": "name: m\nversion: 1.0.0\n", "m/w.txt": "w1", "x": "x"})
    g.commit("v2", {"m/model.yaml": "name: m\nversion: 2.0.0\n", "m/w.txt": "w2"})
    g.branch("exp")
    g.checkout("exp")
    g.commit("exp work", {"m/w.txt": "exp weights", "m/extra.txt": "e", "y": "y"})
    g.checkout("main")
    g.commit("v3", {"m/model.yaml": "name: m\nversion: 3.0.0\n", "m/w.txt": "w3"})
    return g


def test_branch_rollback_on_a_branch_that_is_not_checked_out(tmp_path, fixed_env, capsys):
    g = branches_repo(tmp_path)
    repo = indexed(g)
    exp_before = git(repo, "rev-parse", "refs/heads/exp")
    before = snapshot(repo)
    argv = [
        "-C",
        str(repo),
        "rollback",
        "m",
        "--to",
        "1.0.0",
        "--branch",
        "exp",
        "--yes",
        "--reason",
        "x",
    ]
    assert main(argv) == 0, capsys.readouterr().err
    assert git(repo, "rev-parse", "exp~1") == exp_before
    new, old = tree_entries(repo, "exp"), tree_entries(repo, exp_before)
    v1 = tree_entries(repo, "main~2", "m")
    assert {p: m for p, m in new.items() if p.startswith("m/")} == v1
    assert {p: m for p, m in new.items() if not p.startswith("m/")} == {
        p: m for p, m in old.items() if not p.startswith("m/")
    }
    after = snapshot(repo)
    # main, HEAD, the index and the work tree are untouched
    assert {k: v for k, v in after.items() if k != "refs"} == {
        k: v for k, v in before.items() if k != "refs"
    }
    fsck(repo)


def test_detached_and_unborn_heads_get_a_clear_refusal(tmp_path, fixed_env, capsys):
    g = branches_repo(tmp_path)
    repo = indexed(g)
    g.git("checkout", "-q", "--detach", "HEAD")
    assert main(["-C", str(repo), "rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x"]) == 1
    assert "detached" in capsys.readouterr().err
    g.git("checkout", "-q", "--orphan", "fresh")
    before = snapshot(repo)
    assert main(["-C", str(repo), "rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x"]) == 1
    err = capsys.readouterr().err
    assert "fresh" in err and "no commit" in err and "Traceback" not in err
    assert snapshot(repo) == before


# --- 4. a commit by another process while the rollback writes ---------------------------------


def test_a_commit_racing_the_rollback_cannot_undo_it_silently(tmp_path, fixed_env):
    g = branches_repo(tmp_path)
    repo = indexed(g)
    (repo / "x").write_text("someone else's change\n")
    r = open_repo(repo)
    con = open_catalog(r)
    plan = plan_rollback(r, con, "m", "1.0.0", reason="race")
    con.close()
    raced: list[subprocess.CompletedProcess] = []

    def other_process(step: str) -> None:
        if step == "ref":  # the branch moved, the files not yet: another `git commit -a`
            raced.append(
                subprocess.run(
                    ["git", "-C", str(repo), "commit", "-q", "-a", "-m", "concurrent"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            )

    result = apply_plan(r, plan, checkpoint=other_process)
    assert raced and raced[0].returncode != 0  # git's index.lock kept it out
    assert "index.lock" in raced[0].stderr
    head = git(repo, "rev-parse", "HEAD")
    assert head == result.commit  # what we report is what is there
    assert tree_entries(repo, "HEAD", "m") == tree_entries(repo, "main~3", "m")
    assert git(repo, "diff", "--cached", "--name-only") == ""
    assert (repo / "x").read_text() == "someone else's change\n"  # their work survives
    assert not (repo / ".git" / "index.lock").exists()
    fsck(repo)


# --- 7. warnings in every mode ---------------------------------------------------------------

POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"


def test_missing_artifacts_are_warned_about_with_yes_and_json(tmp_path, fixed_env, capsys):
    g = GitRepo(tmp_path / "r")
    g.commit(
        "v1",
        {
            ".gitattributes": "*.pkl filter=lfs diff=lfs merge=lfs -text\n",
            "m/model.yaml": "name: m\nversion: 1.0.0\n",
            "m/model.pkl": POINTER,
        },
    )
    g.commit("v2", {"m/model.yaml": "name: m\nversion: 2.0.0\n", "m/model.pkl": "plain\n"})
    repo = indexed(g)
    assert (
        main(
            ["-C", str(repo), "rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x", "--json"]
        )
        == 0
    )
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert any("NOT available" in w and "m/model.pkl" in w for w in data["warnings"])
    assert "WARNING" in captured.err and "m/model.pkl" in captured.err
    assert main(["-C", str(repo), "undo", "--yes"]) == 0
    capsys.readouterr()
    assert main(["-C", str(repo), "rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x"]) == 0
    assert "NOT available" in capsys.readouterr().err


# --- 8. exit 3: done locally, not pushed ------------------------------------------------------


def test_push_without_a_remote_exits_3_after_writing_locally(tmp_path, fixed_env, capsys):
    g = branches_repo(tmp_path)
    repo = indexed(g)
    head = git(repo, "rev-parse", "HEAD")
    argv = [
        "-C",
        str(repo),
        "rollback",
        "m",
        "--to",
        "1.0.0",
        "--yes",
        "--reason",
        "x",
        "--push",
        "--json",
    ]
    assert main(argv) == 3
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["done"] is True and data["pushed_to"] is None and data["push_error"]
    assert git(repo, "rev-parse", "HEAD~1") == head  # the local change is there
    assert "no remote" in captured.err
    fsck(repo)


def test_a_rejected_push_exits_3(tmp_path, fixed_env, capsys):
    g = branches_repo(tmp_path)
    repo = indexed(g)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "exp:refs/heads/main")  # the remote's main diverged
    argv = ["-C", str(repo), "rollback", "m", "--to", "1.0.0", "--yes", "--reason", "x", "--push"]
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert "NOT pushed" in captured.out and "failed" in captured.err


def test_help_documents_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["rollback", "--help"])
    out = capsys.readouterr().out
    assert "3  done locally, but not pushed" in out and "--force" in out


def test_plan_refuses_before_anything_is_written(tmp_path, fixed_env):
    g = dvc_moved_repo(tmp_path)
    repo = indexed(g)
    r = open_repo(repo)
    con = open_catalog(r)
    with pytest.raises(Refused, match="untracked or ignored"):
        plan_rollback(r, con, "m", "1.0.0")
    con.close()


@pytest.mark.parametrize("size", [(100, 30)])
def test_the_tui_dialog_never_replaces_ignored_files_of_a_model_without_stages(
    tmp_path, fixed_env, size
):
    """A model with no GTO stage rolls back its branch from the dialog: the ignored
    weights in the way are refused and named there, as on the command line without
    --force (the dialog's --force is only for a risky stage target)."""
    from tui_support import frozen_now, run_async, screen_text, settle

    from modeltrail.tui.app import ModeltrailApp
    from modeltrail.tui.screens.rollback import RollbackScreen

    g = dvc_moved_repo(tmp_path)
    repo = indexed(g)
    target = git(repo, "rev-parse", "HEAD~1")
    before = snapshot(repo)

    @run_async
    async def drive() -> str:
        app = ModeltrailApp(str(repo), index=False, now=frozen_now)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = RollbackScreen("m", target)
            await app.push_screen(screen)
            await settle(pilot)
            assert screen.state == "failed", screen_text(app)
            return screen_text(app)

    text = drive()
    assert "Refused" in text and "weights.bin" in text
    assert snapshot(repo) == before
    assert (repo / "models/m/weights.bin").read_text() == "NEW weights, 3 days of GPU\n"


def test_a_hooks_git_environment_cannot_point_a_rollback_elsewhere(
    tmp_path, fixed_env, capsys, monkeypatch
):
    """Run from a git hook, modeltrail inherits GIT_DIR / GIT_INDEX_FILE / GIT_WORK_TREE
    of another repository: every read and write still goes to the repository it was
    asked about, and the other repository is not touched."""
    g = gto_repo(tmp_path)
    repo = indexed(g)
    other = GitRepo(tmp_path / "other")
    other.commit("unrelated", {"x.txt": "x\n"})
    other_before = snapshot(other.path)
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.path / ".git" / "index"))
    argv = ["-C", str(repo), "rollback", "m", "--to", "v1.0.0", "--yes", "--reason", "x"]
    assert main(argv) == 0, capsys.readouterr().err
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var)
    assert git(repo, "show", "HEAD:models/a/model.pkl") == "weights v1"
    assert (repo / "models/a/model.pkl").read_text() == "weights v1\n"
    assert snapshot(other.path) == other_before
    fsck(repo)
    fsck(other.path)
