"""Stage and branch rollbacks and undo on the sample repository, checked with git and gto."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show, install_marker_hooks, snapshot, tree_entries

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.errors import Refused, UnknownVersion
from modeltrail.store.query.queries import history
from modeltrail.store.repo import open_repo
from modeltrail.store.write.rollback import plan_rollback, plan_undo
from modeltrail.store.write.rollback_apply import apply_plan
from modeltrail.tui.cli import main

needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


def rollback(repo: Path, model: str, to: str, **kw):
    r = open_repo(repo)
    con = open_catalog(r)
    push = kw.pop("push", False)
    plan = plan_rollback(r, con, model, to, **kw)
    con.close()
    return apply_plan(r, plan, push=push)


def undo(repo: Path, reason: str = ""):
    r = open_repo(repo)
    con = open_catalog(r)
    plan = plan_undo(r, con, reason=reason)
    con.close()
    return apply_plan(r, plan)


def events(repo: Path, model: str | None = None) -> list[dict]:
    con = open_catalog(open_repo(repo))
    try:
        return history(con, model)
    finally:
        con.close()


# --- stage rollback -----------------------------------------------------------------------


@needs_gto
def test_stage_rollback_writes_a_gto_tag_that_gto_show_agrees_with(sample):
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    result = rollback(sample, "churn", "v1.2.0", reason="AUC regression in v1.3.0")

    assert result.plan.kind == "stage" and result.plan.stage == "prod"
    assert result.plan.tag == "churn#prod#11"  # the next counter, as gto assign numbers it
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    assert gto_show(sample)["churn"]["stage"]["staging"] == "v1.2.0"  # others untouched
    assert git(sample, "cat-file", "-t", "refs/tags/churn#prod#11") == "tag"  # annotated
    v120 = git(sample, "rev-parse", "churn@v1.2.0^{commit}")
    assert git(sample, "rev-parse", "churn#prod#11^{commit}") == v120
    body = git(sample, "cat-file", "-p", "refs/tags/churn#prod#11")
    assert "tagger Sam Rivera <" in body  # the repository's configured user
    assert "Rollback-Reason: AUC regression in v1.3.0" in body
    assert "Rollback-From: v1.3.0" in body and "Rollback-To: v1.2.0" in body
    # nothing else moved
    assert git(sample, "status", "--porcelain") == ""
    first = events(sample, "churn")[0]
    assert (first["event"], first["stage"], first["version"], first["from"]) == (
        "rollback",
        "prod",
        "v1.2.0",
        "v1.3.0",
    )
    assert first["reason"] == "AUC regression in v1.3.0"
    assert first["author"] == "Sam Rivera"


@needs_gto
def test_undo_of_stage_rollback_restores_the_holder_and_is_recorded(sample):
    rollback(sample, "churn", "v1.2.0", reason="regression")
    result = undo(sample, reason="false alarm")

    assert result.plan.undoes == "churn#prod#11"
    assert result.plan.tag == "churn#prod#12"
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    body = git(sample, "cat-file", "-p", "refs/tags/churn#prod#12")
    assert "Rollback-Undoes: churn#prod#11" in body
    kinds = [(e["event"], e["version"], e["reason"]) for e in events(sample, "churn")[:2]]
    assert kinds == [("undo", "v1.3.0", "false alarm"), ("rollback", "v1.2.0", "regression")]


@needs_gto
def test_history_survives_a_catalog_rebuild(sample):
    rollback(sample, "churn", "v1.2.0", reason="r1")
    undo(sample)
    for path in (sample / ".git" / "modeltrail").glob("catalog*"):
        path.unlink()
    found = [(e["event"], e["reason"]) for e in events(sample) if e["event"] != "assignment"][:2]
    assert found == [("undo", "undo churn#prod#11"), ("rollback", "r1")]


def test_a_tag_added_between_plan_and_apply_is_refused(sample):
    r = open_repo(sample)
    con = open_catalog(r)
    plan = plan_rollback(r, con, "churn", "v1.2.0", reason="x")
    con.close()
    git(sample, "tag", "-a", "-m", "someone else", "churn#dev#11", "churn@v1.1.0")
    before = snapshot(sample)
    with pytest.raises(Refused, match="changed since the plan"):
        apply_plan(r, plan)
    assert snapshot(sample) == before


def test_stage_rollback_to_the_current_holder_is_refused(sample):
    with pytest.raises(Refused, match="already v1.3.0"):
        rollback(sample, "churn", "v1.3.0")


def test_no_identity_is_refused_with_nothing_written(sample):
    git(sample, "config", "--unset", "user.name")
    git(sample, "config", "--unset", "user.email")
    before = snapshot(sample)
    with pytest.raises(Refused, match="no git identity"):
        rollback(sample, "churn", "v1.2.0", reason="x")
    assert snapshot(sample) == before


# --- branch rollback ----------------------------------------------------------------------


def test_branch_rollback_tree_is_the_target_for_the_model_and_untouched_elsewhere(sample):
    (sample / "models" / "fraud" / "params.yaml").write_text("user: work in progress\n")
    (sample / "notes.txt").write_text("untracked work\n")
    git(sample, "add", "notes.txt")  # a staged change elsewhere
    old = git(sample, "rev-parse", "HEAD")
    result = rollback(sample, "ranker", "2.1.0", reason="ndcg drop")
    target = result.plan.target.commit
    new = git(sample, "rev-parse", "HEAD")

    assert result.plan.kind == "branch" and result.commit == new
    assert git(sample, "rev-parse", "HEAD~1") == old  # a new commit, no rewrite
    # the model's files: byte-identical to the target's
    assert tree_entries(sample, new, "models/ranker") == tree_entries(
        sample, target, "models/ranker"
    )
    # everything else: untouched
    rest_new = {
        p: m for p, m in tree_entries(sample, new).items() if not p.startswith("models/ranker/")
    }
    rest_old = {
        p: m for p, m in tree_entries(sample, old).items() if not p.startswith("models/ranker/")
    }
    assert rest_new == rest_old
    # the work tree followed, the user's changes elsewhere are intact
    assert git(sample, "status", "--porcelain", "--", "models/ranker") == ""
    assert (sample / "models" / "fraud" / "params.yaml").read_text() == "user: work in progress\n"
    assert "A  notes.txt" in git(sample, "status", "--porcelain").splitlines()
    message = git(sample, "log", "-1", "--format=%B")
    for line in (
        "Rollback-Model: ranker",
        "Rollback-From: 2.2.0",
        "Rollback-To: 2.1.0",
        "Rollback-Reason: ndcg drop",
        "Rollback-Branch: main",
    ):
        assert line in message
    assert git(sample, "log", "-1", "--format=%an") == "Sam Rivera"
    first = events(sample, "ranker")[0]
    assert (first["event"], first["version"], first["from"], first["reason"]) == (
        "rollback",
        "2.1.0",
        "2.2.0",
        "ndcg drop",
    )


def test_branch_rollback_removes_files_added_since(tmp_path, fixed_env):
    from gitbuilder import GitRepo

    g = GitRepo(tmp_path / "r")
    g.commit("m v1", {"m/model.yaml": "name: m\nversion: 1.0.0\n", "m/a.txt": "a1", "x.txt": "x"})
    v1 = g.head()
    g.commit("m v2", {"m/model.yaml": "name: m\nversion: 2.0.0\n", "m/sub/new.txt": "new"})
    rollback(g.path, "m", v1[:10], reason="back")
    assert tree_entries(g.path, "HEAD", "m") == tree_entries(g.path, v1, "m")
    assert not (g.path / "m" / "sub" / "new.txt").exists()
    assert (g.path / "m" / "model.yaml").read_text() == "name: m\nversion: 1.0.0\n"
    assert git(g.path, "status", "--porcelain") == ""
    undo(g.path)
    assert (g.path / "m" / "sub" / "new.txt").read_text() == "new"
    assert git(g.path, "status", "--porcelain") == ""


@pytest.mark.parametrize("how", ["modified", "staged", "untracked", "deleted"])
def test_dirty_model_directory_is_refused_and_left_intact(sample, how):
    f = sample / "models" / "ranker" / "model.yaml"
    if how == "modified":
        f.write_text(f.read_text() + "# my edit\n")
    elif how == "staged":
        f.write_text(f.read_text() + "# staged edit\n")
        git(sample, "add", str(f))
    elif how == "untracked":
        (sample / "models" / "ranker" / "scratch.ipynb").write_text("{}")
    else:
        f.unlink()
    before = snapshot(sample)
    with pytest.raises(Refused, match="uncommitted changes under models/ranker/"):
        rollback(sample, "ranker", "2.1.0")
    assert snapshot(sample) == before


def test_a_commit_between_plan_and_apply_is_refused(sample):
    r = open_repo(sample)
    con = open_catalog(r)
    plan = plan_rollback(r, con, "ranker", "2.1.0", reason="x")
    con.close()
    (sample / "other.txt").write_text("concurrent\n")
    git(sample, "add", "other.txt")
    git(sample, "commit", "-q", "-m", "concurrent commit")
    before = snapshot(sample)
    with pytest.raises(Refused, match="moved since the plan"):
        apply_plan(r, plan)
    assert snapshot(sample) == before


def test_rollback_of_a_branch_that_is_not_checked_out_leaves_the_work_tree(sample):
    git(sample, "branch", "hotfix", "HEAD")
    before_files = snapshot(sample)["files"]
    head = git(sample, "rev-parse", "HEAD")
    result = rollback(sample, "ranker", "2.0.0", branch="hotfix", reason="x")
    assert not result.plan.worktree
    assert git(sample, "rev-parse", "HEAD") == head
    assert git(sample, "rev-parse", "hotfix~1") == head
    assert snapshot(sample)["files"] == before_files
    assert git(sample, "status", "--porcelain") == ""


def test_branch_undo_restores_the_tree_byte_for_byte(sample):
    before = git(sample, "rev-parse", "HEAD^{tree}")
    rollback(sample, "ranker", "2.0.0", reason="x")
    assert git(sample, "rev-parse", "HEAD^{tree}") != before
    result = undo(sample)
    assert result.plan.undoes == git(sample, "rev-parse", "HEAD~1")
    assert git(sample, "rev-parse", "HEAD^{tree}") == before
    assert "Rollback-Undoes: " in git(sample, "log", "-1", "--format=%B")
    assert git(sample, "status", "--porcelain") == ""
    assert [e["event"] for e in events(sample, "ranker")[:2]] == ["undo", "rollback"]


def test_undo_refuses_when_the_model_changed_since(sample):
    rollback(sample, "ranker", "2.0.0", reason="x")
    (sample / "models" / "ranker" / "rank.py").write_text("# newer work\n")
    git(sample, "commit", "-q", "-am", "newer ranker work")
    before = snapshot(sample)
    with pytest.raises(Refused, match="changed on main since the rollback"):
        undo(sample)
    assert snapshot(sample) == before


@needs_gto
def test_undo_refuses_when_the_stage_moved_since(sample):
    rollback(sample, "churn", "v1.2.0", reason="x")
    subprocess.run(
        [str(GTO), "assign", "churn", "--version", "v1.1.0", "--stage", "prod"],
        cwd=sample,
        check=True,
        capture_output=True,
    )
    before = snapshot(sample)
    with pytest.raises(Refused, match="is now v1.1.0"):
        undo(sample)
    assert snapshot(sample) == before


def test_undo_with_no_rollback_is_refused(sample):
    with pytest.raises(Refused, match="no rollback to undo"):
        undo(sample)


# --- safety: hooks, filters, option-like names -------------------------------------------


def test_no_hook_or_filter_runs_and_lfs_pointers_are_written_as_stored(sample, tmp_path):
    marker = tmp_path / "marker"
    install_marker_hooks(sample, marker)
    result = rollback(sample, "churn", "v1.2.0", branch="main", reason="x")
    undo(sample)
    rollback(sample, "churn", "v1.2.0", reason="stage")
    assert not marker.exists()
    pointer = git(sample, "cat-file", "-p", f"{result.commit}:models/churn/model.pkl")
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1")
    # the work tree holds the pointer of the version undone back to (HEAD)
    assert (sample / "models/churn/model.pkl").read_text().strip() == git(
        sample, "cat-file", "-p", "HEAD:models/churn/model.pkl"
    )


@pytest.mark.parametrize("spec", ["--output=/tmp/modeltrail-evil", "-h", "--all", "-v1.2.0"])
def test_versions_that_look_like_options_never_reach_git_as_options(sample, tmp_path, spec):
    before = snapshot(sample)
    with pytest.raises(UnknownVersion, match="unknown target"):
        rollback(sample, "churn", spec)
    assert snapshot(sample) == before
    assert not Path("/tmp/modeltrail-evil").exists()


def test_a_tag_named_like_an_option_resolves_as_a_name(sample):
    git(
        sample,
        "update-ref",
        "refs/tags/--v1.2.0",
        git(sample, "rev-parse", "churn@v1.2.0^{commit}"),
    )
    result = rollback(sample, "churn", "--v1.2.0", reason="odd tag")
    assert result.plan.target.version == "v1.2.0"


def test_branch_names_that_look_like_options_are_refused_or_literal(sample):
    before = snapshot(sample)
    with pytest.raises(Refused, match="no branch named"):
        rollback(sample, "ranker", "2.0.0", branch="--help")
    assert snapshot(sample) == before
    head = git(sample, "rev-parse", "HEAD")
    git(sample, "update-ref", "refs/heads/-x", head)
    rollback(sample, "ranker", "2.0.0", branch="-x", reason="x")
    assert git(sample, "rev-parse", "refs/heads/-x~1") == head
    assert git(sample, "rev-parse", "HEAD") == head


# --- command line -------------------------------------------------------------------------


def run_cli(repo: Path, *args: str) -> int:
    return main(["-C", str(repo), *args])


def test_cli_dry_run_shows_the_plan_and_writes_nothing(sample, capsys):
    before = snapshot(sample)
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "churn#prod#11" in out
    assert "v1.3.0 → v1.2.0" in out
    assert "test.auc" in out and "better" in out
    assert "work tree: untouched (only a tag is written)" in out  # a stage rollback
    assert "dry run: nothing was written" in out
    after = snapshot(sample)
    assert after == before


def test_cli_dry_run_json_has_the_plan(sample, capsys):
    import json

    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--dry-run", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True
    assert data["ref"] == "refs/tags/churn#prod#11" and data["ref_old"] is None
    assert data["from"]["version"] == "v1.3.0" and data["to"]["version"] == "v1.2.0"
    assert data["metrics"]["test.loss"]["better"] is True
    assert data["production"] is True


def test_cli_warns_loudly_when_the_targets_lfs_object_is_missing(sample, capsys):
    assert run_cli(sample, "rollback", "churn", "--to", "v1.0.0", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "NOT available locally" in out


def test_cli_without_yes_and_no_terminal_is_refused(sample, capsys):
    before = snapshot(sample)
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--reason", "x") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--yes" in err[0]
    assert snapshot(sample) == before


def test_cli_unknown_target_exits_2_with_one_line(sample, capsys):
    """An unknown version exits 2 in every command, rollback included (README)."""
    before = snapshot(sample)
    assert run_cli(sample, "rollback", "churn", "--to", "v9.9.9", "--yes", "--reason", "x") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown target" in err[0]
    assert snapshot(sample) == before


@needs_gto
def test_cli_rollback_then_undo(sample, capsys):
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--reason", "p1", "--yes") == 0
    assert "churn prod is now v1.2.0" in capsys.readouterr().out
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    assert run_cli(sample, "undo", "--yes") == 0
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    assert run_cli(sample, "history", "churn", "--json") == 0
    capsys.readouterr()


def test_push_sends_the_tag_only_when_asked(sample, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(sample, "remote", "add", "origin", str(remote))
    rollback(sample, "churn", "v1.2.0", reason="x")
    assert git(remote, "tag", "-l") == ""
    rollback(sample, "ranker", "2.0.0", reason="x", push=True)
    assert git(remote, "rev-parse", "refs/heads/main") == git(sample, "rev-parse", "HEAD")
    result = undo(sample)
    assert result.pushed_to is None
    assert git(remote, "rev-parse", "refs/heads/main") == git(sample, "rev-parse", "HEAD~1")
    result = rollback(sample, "churn", "v1.1.0", reason="x", push=True)
    assert result.pushed_to == "origin"
    assert git(remote, "tag", "-l") == result.plan.tag  # only the pushed tag
