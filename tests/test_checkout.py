"""``checkout MODEL VERSION``: the version's model files, staged, nothing committed."""

from __future__ import annotations

import pytest
import test_rollback_support as support
from gitbuilder import GitRepo
from test_rollback_support import git, install_marker_hooks, snapshot, tree_entries

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.errors import Refused
from modeltrail.store.repo import open_repo
from modeltrail.store.write.checkout import checkout
from modeltrail.tui.cli import main

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


def do_checkout(repo, model, version):
    r = open_repo(repo)
    con = open_catalog(r)
    try:
        return checkout(r, con, model, version)
    finally:
        con.close()


def test_checkout_stages_the_versions_files_and_commits_nothing(tmp_path, fixed_env):
    g = GitRepo(tmp_path / "r")
    g.commit("m v1", {"m/model.yaml": "name: m\nversion: 1.0.0\n", "m/a.txt": "a1", "x.txt": "x"})
    v1 = g.head()
    g.commit("m v2", {"m/model.yaml": "name: m\nversion: 2.0.0\n", "m/a.txt": "a2", "m/b.txt": "b"})
    head = g.head()
    (g.path / "x.txt").write_text("my unrelated edit")

    result = do_checkout(g.path, "m", "1.0.0")

    assert {f.path: f.change for f in result.files} == {
        "m/model.yaml": "modified",
        "m/a.txt": "modified",
        "m/b.txt": "removed",
    }
    assert g.head() == head  # no commit
    assert (g.path / "m" / "a.txt").read_text() == "a1"
    assert not (g.path / "m" / "b.txt").exists()
    assert (g.path / "x.txt").read_text() == "my unrelated edit"
    # staged: committing it would give exactly v1's model files
    index = {
        line.split("\t")[1]: line.split()[1]
        for line in git(g.path, "ls-files", "-s", "--", "m").splitlines()
    }
    assert index == {p: meta.split()[2] for p, meta in tree_entries(g.path, v1, "m").items()}
    assert git(g.path, "diff", "--name-only", "--", "m") == ""  # work tree = index


def test_checkout_refuses_to_overwrite_uncommitted_changes(sample):
    (sample / "models" / "ranker" / "rank.py").write_text("# my local experiment\n")
    before = snapshot(sample)
    with pytest.raises(Refused, match="uncommitted changes under models/ranker/"):
        do_checkout(sample, "ranker", "2.0.0")
    assert snapshot(sample) == before


def test_checkout_of_the_current_files_changes_nothing(sample):
    before = snapshot(sample)
    result = do_checkout(sample, "ranker", "2.2.0")
    assert result.files == ()
    assert "nothing changed" in result.summary()
    assert snapshot(sample) == before


def test_checkout_writes_lfs_pointers_as_stored_and_runs_no_hook(sample, tmp_path):
    marker = tmp_path / "marker"
    install_marker_hooks(sample, marker)
    result = do_checkout(sample, "churn", "v1.0.0")
    assert "models/churn/model.pkl" in [f.path for f in result.files]
    assert result.missing == ["models/churn/model.pkl"]  # v1.0.0's LFS object is not here
    stored = git(sample, "cat-file", "-p", "churn@v1.0.0:models/churn/model.pkl")
    assert (sample / "models" / "churn" / "model.pkl").read_text().strip() == stored
    assert not marker.exists()


def test_cli_checkout(sample, capsys):
    assert main(["-C", str(sample), "checkout", "ranker", "2.0.0"]) == 0
    out = capsys.readouterr().out
    assert "checked out ranker 2.0.0" in out and "models/ranker/model.yaml" in out
    assert main(["-C", str(sample), "checkout", "ranker", "9.9.9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "9.9.9" in err[0]
    assert main(["-C", str(sample), "checkout", "ranker", "2.1.0"]) == 1  # dirty now
    assert "uncommitted changes" in capsys.readouterr().err
