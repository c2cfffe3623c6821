"""A rollback, a checkout or an undo touches only its own model (issue #25, items 1-4).

Each test builds a small real repository with fixed dates and identities, runs the
command as a user would (``modeltrail.tui.cli.main``) and looks at what a user would:
the exit status, the printed plan, the new commit's tree and the work tree. The other
models sitting beside, inside or in the former place of the model rolled back must come
out exactly as they were, and nothing is ever read, replaced or removed through a
symbolic link, even with ``--force``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import test_rollback_support as support
from gitbuilder import GitRepo
from test_rollback_support import git, tree_entries, work_files

from modeltrail.tui.cli import main

fixed_env = support.fixed_env

REG = "Registering artifact {} version {}"


def cli(repo: Path, *argv: str) -> int:
    return main(["-C", str(repo), *argv])


def files_under(repo: Path, rev: str, prefix: str) -> dict[str, str]:
    """path -> '<mode> <type> <id>' of every file of ``rev`` under ``prefix``."""
    return {p: m for p, m in tree_entries(repo, rev).items() if p.startswith(prefix)}


def listed_versions(repo: Path, capsys: pytest.CaptureFixture[str], model: str) -> dict[str, str]:
    """commit -> version, as ``versions MODEL --json`` lists them (after what an index
    run printed first)."""
    assert cli(repo, "versions", model, "--json") == 0
    out = capsys.readouterr().out
    return {v["commit"]: v["version"] for v in json.loads(out[out.index("[") :])}


def staged(repo: Path) -> set[str]:
    return set(filter(None, git(repo, "diff", "--cached", "--name-only").splitlines()))


# --- 1. sibling artifacts in one directory -----------------------------------------------


def siblings(tmp_path: Path, kind: str) -> tuple[GitRepo, dict[str, str]]:
    """a and b side by side in models/: a@v1.0.0, then a changes, then b changes."""
    g = GitRepo(tmp_path / "r")
    if kind == "file":
        decl = "a:\n  type: model\n  path: models/a.pkl\nb:\n  type: model\n  path: models/b.pkl\n"
        fa, fb = "models/a.pkl", "models/b.pkl"
    else:
        decl = "a:\n  type: model\n  path: models/a\nb:\n  type: model\n  path: models/b\n"
        fa, fb = "models/a/weights.bin", "models/b/weights.bin"
    g.commit("a and b v1", {"artifacts.yaml": decl, fa: "a1\n", fb: "b1\n"})
    g.tag("a@v1.0.0", message=REG.format("a", "v1.0.0"))
    commits = {"v1": g.head()}
    commits["a2"] = g.commit("a v2", {fa: "a2\n"})
    commits["b2"] = g.commit("b v2", {fb: "b2\n"})
    commits["fa"], commits["fb"] = fa, fb
    return g, commits


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_rollback_of_a_sibling_artifact_leaves_the_other_alone(tmp_path, fixed_env, capsys, kind):
    g, c = siblings(tmp_path, kind)
    repo, fa, fb = g.path, c["fa"], c["fb"]
    argv = ["rollback", "a", "--branch", "main", "--to", "v1.0.0", "--reason", "x"]

    assert cli(repo, *argv, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "Files that change (1)" in plan and fa in plan
    assert fb not in plan
    assert f"(from {c['a2'][:7]})" in plan  # a's own last change, not b's commit

    assert cli(repo, *argv, "--yes") == 0
    out = capsys.readouterr().out
    assert "✓ Rolled back: a branch main is now v1.0.0" in out
    assert tree_entries(repo, "HEAD", fa) == tree_entries(repo, c["v1"], fa)
    assert tree_entries(repo, "HEAD", fb) == tree_entries(repo, c["b2"], fb)  # b untouched
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == fa
    assert (repo / fa).read_text() == "a1\n"
    assert (repo / fb).read_text() == "b2\n"
    assert git(repo, "status", "--porcelain") == ""

    # and undo puts back a only
    assert cli(repo, "undo", "--yes") == 0
    assert tree_entries(repo, "HEAD") == tree_entries(repo, c["b2"])
    assert (repo / fb).read_text() == "b2\n"


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_checkout_of_a_sibling_artifact_stages_only_its_files(tmp_path, fixed_env, capsys, kind):
    g, c = siblings(tmp_path, kind)
    repo, fa, fb = g.path, c["fa"], c["fb"]
    assert cli(repo, "checkout", "a", "v1.0.0") == 0
    out = capsys.readouterr().out
    assert fa in out and fb not in out
    assert staged(repo) == {fa}
    assert (repo / fa).read_text() == "a1\n"
    assert (repo / fb).read_text() == "b2\n"
    assert g.head() == c["b2"]


def test_a_sibling_with_uncommitted_changes_does_not_block_the_rollback(tmp_path, fixed_env):
    g, c = siblings(tmp_path, "file")
    repo, fa, fb = g.path, c["fa"], c["fb"]
    (repo / fb).write_text("b being edited\n")
    argv = ["rollback", "a", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(repo, *argv) == 0
    assert (repo / fb).read_text() == "b being edited\n"  # the user's work is kept
    assert tree_entries(repo, "HEAD", fb) == tree_entries(repo, c["b2"], fb)
    assert (repo / fa).read_text() == "a1\n"


# --- 2. nested models --------------------------------------------------------------------


def nested_manifest(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """p/model.yaml 1.0.0, then 1.1.0, then model c added in p/sub/."""
    g = GitRepo(tmp_path / "r")
    c = {}
    c["p1"] = g.commit("p 1.0.0", {"p/model.yaml": "name: p\nversion: 1.0.0\n", "p/w.bin": "p1\n"})
    c["p2"] = g.commit("p 1.1.0", {"p/model.yaml": "name: p\nversion: 1.1.0\n", "p/w.bin": "p2\n"})
    c["c"] = g.commit("c", {"p/sub/model.yaml": "name: c\nversion: 3.0.0\n", "p/sub/w.bin": "c1\n"})
    return g, c


def test_rollback_of_a_parent_model_keeps_the_nested_model(tmp_path, fixed_env, capsys):
    g, c = nested_manifest(tmp_path)
    repo = g.path
    argv = ["rollback", "p", "--branch", "main", "--to", "1.0.0", "--reason", "x"]
    assert cli(repo, *argv, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "p/sub/" not in plan and "Files that change (2)" in plan
    assert cli(repo, *argv, "--yes") == 0
    assert files_under(repo, "HEAD", "p/sub/") == files_under(repo, c["c"], "p/sub/")
    assert tree_entries(repo, "HEAD", "p/w.bin") == tree_entries(repo, c["p1"], "p/w.bin")
    assert (repo / "p" / "sub" / "w.bin").read_text() == "c1\n"
    assert (repo / "p" / "w.bin").read_text() == "p1\n"
    assert git(repo, "status", "--porcelain") == ""


def test_checkout_of_a_parent_model_keeps_the_nested_model(tmp_path, fixed_env):
    g, c = nested_manifest(tmp_path)
    repo = g.path
    assert cli(repo, "checkout", "p", "1.0.0") == 0
    assert staged(repo) == {"p/model.yaml", "p/w.bin"}
    assert (repo / "p" / "sub" / "model.yaml").exists()
    assert (repo / "p" / "sub" / "w.bin").read_text() == "c1\n"


def nested_in_artifact(tmp_path: Path, path: str) -> tuple[GitRepo, dict[str, str]]:
    """GTO artifact y (``path``) in models/y/, then a model.yaml nested in models/y/sub/."""
    g = GitRepo(tmp_path / "r")
    c = {}
    c["y1"] = g.commit(
        "y v1",
        {
            "artifacts.yaml": f"y:\n  type: model\n  path: {path}\n",
            "models/y/model.pkl": "y1\n",
            "models/y/metrics.json": '{"auc": 0.5}\n',
        },
    )
    g.tag("y@v1.0.0", message=REG.format("y", "v1.0.0"))
    c["y2"] = g.commit("y v2", {"models/y/model.pkl": "y2\n"})
    c["sub"] = g.commit(
        "sub", {"models/y/sub/model.yaml": "version: 3.0.0\n", "models/y/sub/w.bin": "s1\n"}
    )
    c["sub2"] = g.commit("sub 2", {"models/y/sub/w.bin": "s2\n"})
    return g, c


@pytest.mark.parametrize("path", ["models/y/model.pkl", "models/y"])
def test_a_model_nested_in_an_artifact_is_its_own_for_reads(tmp_path, fixed_env, capsys, path):
    g, c = nested_in_artifact(tmp_path, path)
    assert cli(g.path, "versions", "y", "--json") == 0
    versions = json.loads(capsys.readouterr().out)
    assert {v["commit"] for v in versions} == {c["y1"], c["y2"]}
    assert all(v["version"] != "3.0.0" for v in versions)  # the nested label stays there
    assert cli(g.path, "versions", "sub", "--json") == 0
    assert {v["commit"] for v in json.loads(capsys.readouterr().out)} == {c["sub"], c["sub2"]}


@pytest.mark.parametrize("path", ["models/y/model.pkl", "models/y"])
def test_rollback_and_checkout_of_an_artifact_keep_its_nested_model(
    tmp_path, fixed_env, capsys, path
):
    g, c = nested_in_artifact(tmp_path, path)
    repo = g.path
    assert cli(repo, "checkout", "y", "v1.0.0") == 0
    assert staged(repo) == {"models/y/model.pkl"}
    assert (repo / "models/y/sub/w.bin").read_text() == "s2\n"
    git(repo, "reset", "-q", "--hard")
    argv = ["rollback", "y", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(repo, *argv) == 0
    assert files_under(repo, "HEAD", "models/y/sub/") == files_under(
        repo, c["sub2"], "models/y/sub/"
    )
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == "models/y/model.pkl"
    assert (repo / "models/y/sub/w.bin").read_text() == "s2\n"


# --- 3. undo across a rename -------------------------------------------------------------


def test_undo_across_a_rename_keeps_the_model_that_moved_in(tmp_path, fixed_env, capsys):
    g = GitRepo(tmp_path / "r")
    old = "a:\n  type: model\n  path: models/a_old/model.pkl\n"
    new = "a:\n  type: model\n  path: models/a_new/model.pkl\n"
    v1 = g.commit("a v1", {"artifacts.yaml": old, "models/a_old/model.pkl": "a1\n"})
    g.tag("a@v1.0.0", message=REG.format("a", "v1.0.0"))
    g.git("mv", "models/a_old", "models/a_new")
    g.commit("a v1.1", {"artifacts.yaml": new, "models/a_new/model.pkl": "a2\n"})
    g.tag("a@v1.1.0", message=REG.format("a", "v1.1.0"))
    with_c = g.commit(
        "c moves in",
        {"models/a_old/model.yaml": "name: c\nversion: 1.0.0\n", "models/a_old/c.bin": "c1\n"},
    )
    repo = g.path
    c_files = files_under(repo, with_c, "models/a_old/")

    argv = ["rollback", "a", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(repo, *argv) == 0
    head = tree_entries(repo, "HEAD")
    assert head["models/a_old/model.pkl"] == tree_entries(repo, v1)["models/a_old/model.pkl"]
    assert {p: head[p] for p in c_files} == c_files  # c is still there
    assert not any(p.startswith("models/a_new/") for p in head)
    capsys.readouterr()

    assert cli(repo, "undo", "--yes") == 0
    assert "✓ Undid the last rollback" in capsys.readouterr().out
    assert tree_entries(repo, "HEAD") == tree_entries(repo, with_c)  # c kept, a back
    assert (repo / "models/a_old/c.bin").read_text() == "c1\n"
    assert (repo / "models/a_old/model.yaml").exists()
    assert not (repo / "models/a_old/model.pkl").exists()
    assert (repo / "models/a_new/model.pkl").read_text() == "a2\n"
    assert git(repo, "status", "--porcelain") == ""


# --- 4. symbolic links out of the work tree ----------------------------------------------


def linked_model(tmp_path: Path) -> tuple[GitRepo, Path, dict[str, str]]:
    """m@v1.0.0 in models/m/; then models/m committed as a link to a directory outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "metrics.yaml").write_text("auc: 0.99  # not the repository's\n")
    (outside / "model.pkl").write_text("someone else's weights\n")
    g = GitRepo(tmp_path / "r")
    g.commit(
        "m v1",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m/model.pkl\n",
            "models/m/model.pkl": "m1\n",
            "models/m/metrics.yaml": "auc: 0.8\n",
        },
    )
    g.tag("m@v1.0.0", message=REG.format("m", "v1.0.0"))
    g.git("rm", "-q", "-r", "models/m")
    (g.path / "models").mkdir(exist_ok=True)
    os.symlink(outside, g.path / "models" / "m")
    head = g.commit("m lives elsewhere now")
    assert tree_entries(g.path, "HEAD", "models/m")["models/m"].startswith("120000")
    return g, outside, {"head": head}


def outside_files(outside: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(outside.iterdir())}


@pytest.mark.parametrize(
    "argv",
    [
        ["rollback", "m", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"],
        ["rollback", "m", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--dry-run"],
        ["checkout", "m", "v1.0.0"],
    ],
    ids=["rollback", "dry-run", "checkout"],
)
@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
def test_nothing_is_touched_through_a_link_out_of_the_work_tree(
    tmp_path, fixed_env, capsys, argv, force
):
    g, outside, c = linked_model(tmp_path)
    repo = g.path
    before, work = outside_files(outside), work_files(repo)
    index = git(repo, "ls-files", "-s")
    rc = cli(repo, *argv, *(["--force"] if force else []))
    err = capsys.readouterr().err
    assert rc == 1
    assert len(err.strip().splitlines()) == 1
    assert "models/m" in err and "symbolic link" in err
    assert outside_files(outside) == before
    assert g.head() == c["head"]
    assert git(repo, "ls-files", "-s") == index
    assert work_files(repo) == work
    assert os.path.islink(repo / "models" / "m")


def test_a_link_git_tracks_inside_the_work_tree_is_not_written_through(tmp_path, fixed_env, capsys):
    """models/m committed as a link to another directory of the repository: still no."""
    g = GitRepo(tmp_path / "r")
    g.commit(
        "m v1",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m/model.pkl\n",
            "models/m/model.pkl": "m1\n",
        },
    )
    g.tag("m@v1.0.0", message=REG.format("m", "v1.0.0"))
    g.git("rm", "-q", "-r", "models/m")
    g.write({"elsewhere/model.pkl": "not m's\n"})
    (g.path / "models").mkdir(exist_ok=True)
    os.symlink("../elsewhere", g.path / "models" / "m")
    head = g.commit("m points elsewhere")
    argv = ["rollback", "m", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(g.path, *argv, "--force") == 1
    assert "symbolic link" in capsys.readouterr().err
    assert (g.path / "elsewhere" / "model.pkl").read_text() == "not m's\n"
    assert g.head() == head


def test_an_untracked_link_inside_the_work_tree_is_only_in_the_way(tmp_path, fixed_env, capsys):
    """A link the user made where the version's directory goes: refused as untracked
    files are; with --force the link itself is replaced, what it points at is kept."""
    g = GitRepo(tmp_path / "r")
    g.commit(
        "m v1",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m/model.pkl\n",
            "models/m/model.pkl": "m1\n",
        },
    )
    g.tag("m@v1.0.0", message=REG.format("m", "v1.0.0"))
    g.git("rm", "-q", "-r", "models/m")
    g.commit("m removed", {"keep.txt": "k\n"})
    (g.path / "mine").mkdir()
    (g.path / "mine" / "model.pkl").write_text("my own file\n")
    (g.path / "models").mkdir(exist_ok=True)
    os.symlink("../mine", g.path / "models" / "m")
    argv = ["rollback", "m", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(g.path, *argv) == 1
    assert "untracked" in capsys.readouterr().err
    assert cli(g.path, *argv, "--force") == 0
    assert "replaced 1 untracked" in capsys.readouterr().out
    assert not os.path.islink(g.path / "models" / "m")
    assert (g.path / "models" / "m" / "model.pkl").read_text() == "m1\n"
    assert (g.path / "mine" / "model.pkl").read_text() == "my own file\n"


# --- files several models share ------------------------------------------------------------


def test_files_two_artifacts_share_are_left_as_they_are_and_the_plan_says_so(
    tmp_path, fixed_env, capsys
):
    g = GitRepo(tmp_path / "r")
    dvc = (
        "artifacts:\n  a:\n    path: models/a.pkl\n    type: model\n"
        "  b:\n    path: models/b.pkl\n    type: model\n"
        "stages:\n  train:\n    cmd: python train.py\n    params: [lr]\n"
        "    metrics: [metrics.json]\n"
    )
    v1 = g.commit(
        "v1",
        {
            "dvc.yaml": dvc,
            "params.yaml": "lr: 0.1\n",
            "metrics.json": '{"auc": 0.7}\n',
            "models/a.pkl": "a1\n",
            "models/b.pkl": "b1\n",
        },
    )
    g.tag("a@v1.0.0", message=REG.format("a", "v1.0.0"))
    now = g.commit(
        "a2", {"models/a.pkl": "a2\n", "metrics.json": '{"auc": 0.8}\n', "params.yaml": "lr: 0.2\n"}
    )
    argv = ["rollback", "a", "--branch", "main", "--to", "v1.0.0", "--reason", "x", "--yes"]
    assert cli(g.path, *argv) == 0
    said = capsys.readouterr()
    assert "metrics.json, params.yaml also belong to b: left as they are" in said.err
    assert git(g.path, "diff", "--name-only", "HEAD~1", "HEAD") == "models/a.pkl"
    assert tree_entries(g.path, "HEAD", "models/a.pkl") == tree_entries(g.path, v1, "models/a.pkl")
    assert tree_entries(g.path, "HEAD", "metrics.json") == tree_entries(g.path, now, "metrics.json")


def test_checkouts_drop_hint_names_only_the_models_files(tmp_path, fixed_env, capsys):
    g, c = siblings(tmp_path, "file")
    assert cli(g.path, "checkout", "a", "v1.0.0") == 0
    out = capsys.readouterr().out
    assert "drop: git restore --source=HEAD --staged --worktree -- models/a.pkl\n" in out


# --- 5. a place the model had only on another line ---------------------------------------


def moved_elsewhere(
    tmp_path: Path, where: str, index_after_v2: bool = False
) -> tuple[GitRepo, dict[str, str]]:
    """m (a DVC artifact) in models/ on main, with loose notes in exp/ that are nobody's;
    a line main never merged (an experiment or a branch) moved m to exp/m.pkl."""

    def dvc(path: str) -> str:
        return f"artifacts:\n  m:\n    path: {path}\n    type: model\n"

    g = GitRepo(tmp_path / "r")
    c = {}
    c["v1"] = g.commit(
        "m v1",
        {"dvc.yaml": dvc("models/m.pkl"), "models/m.pkl": "w1\n", "exp/notes.txt": "notes 1\n"},
    )
    g.tag("m@v1.0.0", message=REG.format("m", "v1.0.0"))
    c["v2"] = g.commit("m v2", {"models/m.pkl": "w2\n"})
    if index_after_v2:  # the catalog grows: what follows comes in a later run
        assert cli(g.path, "index") == 0
    c["notes"] = g.commit("notes", {"exp/notes.txt": "notes 2\n", "exp/new.txt": "new\n"})
    if where == "experiment":
        g.git("checkout", "-q", "--detach")
    else:
        g.git("checkout", "-q", "-b", "try-exp")
    moved = g.commit("move m", {"dvc.yaml": dvc("exp/m.pkl"), "exp/m.pkl": "e\n"})
    if where == "experiment":
        g.git(
            "update-ref", "refs/exps/9f/3c1e0b7d2a4f6e8c0b1d3f5a7c9e1b3d5f7a9c0e/faced-keys", moved
        )
    g.checkout("main")
    return g, c


@pytest.mark.parametrize("where", ["experiment", "branch"])
def test_rollback_leaves_a_place_only_another_line_gave_the_model(
    tmp_path, fixed_env, capsys, where
):
    g, c = moved_elsewhere(tmp_path, where)
    repo = g.path
    argv = ["rollback", "m", "--branch", "main", "--to", "v1.0.0", "--reason", "x"]
    assert cli(repo, *argv, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "Files that change (1)" in plan and "models/m.pkl" in plan
    assert "exp/" not in plan
    assert cli(repo, *argv, "--yes") == 0
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == "models/m.pkl"
    assert files_under(repo, "HEAD", "exp/") == files_under(repo, c["notes"], "exp/")
    assert (repo / "exp" / "notes.txt").read_text() == "notes 2\n"
    assert (repo / "exp" / "new.txt").read_text() == "new\n"


@pytest.mark.parametrize("where", ["experiment", "branch"])
def test_checkout_leaves_a_place_only_another_line_gave_the_model(tmp_path, fixed_env, where):
    g, _ = moved_elsewhere(tmp_path, where)
    repo = g.path
    assert cli(repo, "checkout", "m", "v1.0.0") == 0
    assert staged(repo) == {"models/m.pkl"}
    assert (repo / "exp" / "notes.txt").read_text() == "notes 2\n"
    assert (repo / "exp" / "new.txt").read_text() == "new\n"


@pytest.mark.parametrize("grown", [False, True])
@pytest.mark.parametrize("where", ["experiment", "branch"])
def test_a_commit_to_a_place_only_another_line_gave_the_model_is_no_version(
    tmp_path, fixed_env, capsys, where, grown
):
    """Main's notes in exp/ are nobody's on main: the commit that changes them is not a
    version of m, whether the catalog was built in one go or grew run by run."""
    from test_index_equivalence import _catalog

    g, c = moved_elsewhere(tmp_path, where, index_after_v2=grown)
    repo = g.path
    assert cli(repo, "index") == 0
    listed = listed_versions(repo, capsys, "m")
    assert {c["v1"], c["v2"]} <= listed.keys()
    assert c["notes"] not in listed
    built = _catalog(repo)
    assert cli(repo, "index", "--rebuild") == 0
    assert _catalog(repo) == built


def renamed_then_reused(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """a (model.yaml) 1.0.0 in old/, renamed to new/ as 1.1.0, then notes put in old/."""
    desc = "description: the churn model, retrained weekly on the last 90 days\n"
    g = GitRepo(tmp_path / "r")
    c = {}
    c["v1"] = g.commit("a 1.0.0", {"old/model.yaml": f"name: a\n{desc}version: 1.0.0\n"})
    g.write({"old/w.bin": "weights one\n" * 20})
    c["v1"] = g.commit("a 1.0.0 weights", {})
    g.git("mv", "old", "new")
    c["v2"] = g.commit("a 1.1.0", {"new/model.yaml": f"name: a\n{desc}version: 1.1.0\n"})
    c["notes"] = g.commit("notes", {"old/notes.txt": "someone else's\n"})
    return g, c


def test_a_renamed_model_leaves_what_came_to_its_old_place_later(tmp_path, fixed_env, capsys):
    g, c = renamed_then_reused(tmp_path)
    repo = g.path
    listed = listed_versions(repo, capsys, "a")
    assert c["notes"] not in listed
    assert listed[c["v2"]] == "1.1.0"
    argv = ["rollback", "a", "--branch", "main", "--to", "1.0.0", "--reason", "x"]
    assert cli(repo, *argv, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "old/w.bin" in plan and "new/w.bin" in plan
    assert "notes" not in plan
    assert cli(repo, *argv, "--yes") == 0
    assert (repo / "old" / "notes.txt").read_text() == "someone else's\n"
    assert (repo / "old" / "w.bin").exists() and not (repo / "new").exists()
