"""A model directory moved with git-visible renames (``git mv models/old models/new``)
stays one model: its history continues across the move, its name follows the new
place, the old place is no deleted model of its own, and an old version is read and
checked out at its own paths."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.store.read import discovery
from modeltrail.tui.cli import main

MLMODEL = "flavors:\n  sklearn: {}\nrun_id: abc\n"


@pytest.fixture
def moved(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    v1 = g.commit(
        "add", {"samples/churn/MLmodel": MLMODEL, "samples/churn/metrics.json": '{"auc": 0.7}\n'}
    )
    v2 = g.commit("better", {"samples/churn/metrics.json": '{"auc": 0.8}\n'})
    (g.path / "models").mkdir()
    g.git("mv", "samples/churn", "models/churn")
    move = g.commit("reorganise samples")
    v4 = g.commit("better still", {"models/churn/metrics.json": '{"auc": 0.9}\n'})
    return g, {"v1": v1, "v2": v2, "move": move, "v4": v4}


def _run(capsys, argv):
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_a_moved_directory_stays_one_model_with_its_history(moved, capsys):
    g, c = moved
    repo = ["-C", str(g.path)]
    models = json.loads(_run(capsys, [*repo, "models", "--json"]))
    assert [m["name"] for m in models] == ["churn"]
    (churn,) = models
    assert churn["path"] == "models/churn"
    assert churn["deleted"] is None
    assert churn["latest"] == c["v4"][:7]
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--json"]))
    commits = [v["commit"] for v in versions]
    assert c["v1"] in commits and c["v2"] in commits and c["v4"] in commits
    diff = json.loads(_run(capsys, [*repo, "diff", "churn", c["v2"], c["v4"], "--json"]))
    (auc,) = diff["metrics"].values()  # the moved file compares with itself
    assert (auc["old"], auc["new"], auc["file"], auc["key"]) == (
        0.8,
        0.9,
        "models/churn/metrics.json",
        "auc",
    )
    assert [a["path"] for a in diff["artifacts"]] == ["models/churn/metrics.json"]
    assert diff["artifacts"][0]["change"] == "modified"


def test_an_old_version_is_checked_out_at_its_own_paths(moved, capsys):
    g, c = moved
    done = json.loads(_run(capsys, ["-C", str(g.path), "checkout", "churn", c["v2"], "--json"]))
    assert done["path"] == "samples/churn"
    assert (g.path / "samples/churn/metrics.json").read_text() == '{"auc": 0.8}\n'
    assert (g.path / "samples/churn/MLmodel").read_text() == MLMODEL
    assert not (g.path / "models/churn").exists()


def test_a_place_declared_again_after_the_move_is_a_model_of_its_own(moved, capsys):
    g, _ = moved
    g.commit("new sample", {"samples/churn/MLmodel": MLMODEL.replace("abc", "def")})
    models = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    assert sorted(m["path"] for m in models) == ["models/churn", "samples/churn"]


def test_a_move_found_by_an_incremental_index(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    v1 = g.commit("add", {"a/m/MLmodel": MLMODEL, "a/m/metrics.json": '{"auc": 0.7}\n'})
    g.commit("other", {"b/m/MLmodel": MLMODEL.replace("abc", "xyz")})
    repo = ["-C", str(g.path)]
    names = [m["name"] for m in json.loads(_run(capsys, [*repo, "models", "--json"]))]
    assert names == ["a/m", "b/m"]  # two directories named m
    (g.path / "c").mkdir()
    g.git("mv", "a/m", "c/churn")
    g.commit("reorganise samples")
    models = json.loads(_run(capsys, [*repo, "models", "--json"]))
    assert [(m["name"], m["path"], m["deleted"]) for m in models] == [
        ("churn", "c/churn", None),
        ("m", "b/m", None),  # no clash left: named after its directory
    ]
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--json"]))
    assert v1 in [v["commit"] for v in versions]
    # a later change to the moved declaration keeps the model whole, and the catalog too
    g.commit("retrain", {"c/churn/MLmodel": MLMODEL.replace("abc", "def")})
    assert json.loads(_run(capsys, [*repo, "index", "--json"]))["mode"] == "incremental"
    models = json.loads(_run(capsys, [*repo, "models", "--json"]))
    assert [m["name"] for m in models] == ["churn", "m"]
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--json"]))
    assert len(versions) == 3


def test_a_directory_deleted_and_another_added_is_no_move(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit("add", {"a/m/MLmodel": MLMODEL})
    other = "artifact_path: n\nflavors:\n  python_function: {loader_module: x}\nrun_id: z9\n"
    g.commit("swap", {"a/m/MLmodel": None, "b/n/MLmodel": other})
    status = g.git("log", "-1", "-M", "--name-status", "--format=")
    assert not any(line.startswith("R") for line in status.splitlines())  # git: no rename
    models = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    assert [(m["name"], m["deleted"] is not None) for m in models] == [("m", True), ("n", False)]


def test_a_rollback_to_a_version_before_the_move_writes_at_its_own_paths(moved, capsys):
    g, c = moved
    argv = ["-C", str(g.path), "rollback", "churn", "--branch", "main", "--to", c["v2"]]
    _run(capsys, [*argv, "--reason", "x", "--yes"])
    assert (g.path / "samples/churn/metrics.json").read_text() == '{"auc": 0.8}\n'
    assert not (g.path / "models/churn").exists()
    assert g.git("status", "--porcelain") == ""
    _run(capsys, ["-C", str(g.path), "undo", "--yes"])
    assert (g.path / "models/churn/metrics.json").read_text() == '{"auc": 0.9}\n'
    assert not (g.path / "samples/churn").exists()


def test_a_declaration_edited_as_it_moved_moved_when_git_sees_a_rename(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    manifest = "name: churn\nversion: 1.0.0\ndescription: churn model\nlabels: [tabular]\n"
    v1 = g.commit("add", {"a/model.yaml": manifest, "a/w.bin": "w1\n"})
    g.commit(
        "move and bump",
        {
            "a/model.yaml": None,
            "a/w.bin": None,
            "b/model.yaml": manifest.replace("1.0.0", "1.1.0"),
            "b/w.bin": "w1\n",
        },
    )
    assert "R0" in g.git("log", "-1", "-M", "--name-status", "--format=")  # git: a rename
    g.commit("unrelated", {"c/model.yaml": "name: other\n"})
    g.commit("gone", {"c/model.yaml": None, "d/model.yaml": "something: else\nentirely: 1\n"})
    models = json.loads(_run(capsys, ["-C", str(g.path), "models", "--json"]))
    assert [(m["name"], m["path"], m["deleted"] is not None) for m in models] == [
        ("churn", "b", False),
        ("d", "d", False),
        ("other", "c", True),  # not similar enough: not a move
    ]
    versions = json.loads(_run(capsys, ["-C", str(g.path), "versions", "churn", "--json"]))
    assert v1 in [v["commit"] for v in versions]


@pytest.mark.parametrize(
    "path",
    [
        "artifacts.yaml",
        "dvc.yaml",
        "a/dvc.yaml",
        "a/model.yaml",
        "MLmodel",
        "a/b/MLmodel",
        "deployments/x/metadata.yaml",
    ],
)
def test_every_declaring_file_passes_the_cheap_first_test(path):
    assert discovery.manifest_kind(path) and path.endswith(discovery.DECLARING_ENDS)


# --- one metric across the move (versions, diff, compare) --------------------------------


def test_a_metric_keeps_one_key_across_the_move(moved, capsys):
    g, c = moved
    repo = ["-C", str(g.path)]
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--json"]))
    assert {k for v in versions for k in v["metrics"]} == {"auc"}
    table = _run(capsys, [*repo, "versions", "churn"])
    header = table.splitlines()[0]
    assert header.split().count("auc") == 1 and "metrics.json" not in header
    diff = json.loads(_run(capsys, [*repo, "diff", "churn", c["v1"], c["v4"], "--json"]))
    assert list(diff["metrics"]) == ["auc"]
    auc = diff["metrics"]["auc"]
    assert (auc["old"], auc["new"], auc["file"]) == (0.7, 0.9, "models/churn/metrics.json")


def test_a_branch_from_before_the_move_keeps_the_key_in_an_incremental_index(moved, capsys):
    g, c = moved
    repo = ["-C", str(g.path)]
    _run(capsys, [*repo, "index"])
    g.git("checkout", "-q", "-b", "old-exp", c["v2"])
    exp = g.commit("tune", {"samples/churn/metrics.json": '{"auc": 0.85}\n'})
    assert json.loads(_run(capsys, [*repo, "index", "--json"]))["mode"] == "incremental"
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--all", "--json"]))
    assert {k for v in versions for k in v["metrics"]} == {"auc"}
    assert [v["metrics"] for v in versions if v["commit"] == exp] == [{"auc": 0.85}]


def test_several_metrics_files_keep_their_keys_across_the_move(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    g.commit(
        "add",
        {
            "samples/churn/MLmodel": MLMODEL,
            "samples/churn/metrics.json": '{"auc": 0.7}\n',
            "samples/churn/metrics.yaml": "loss: 0.5\n",
        },
    )
    (g.path / "models").mkdir()
    g.git("mv", "samples/churn", "models/churn")
    g.commit("reorganise samples")
    g.commit("retrain", {"models/churn/metrics.json": '{"auc": 0.9}\n'})
    repo = ["-C", str(g.path)]
    versions = json.loads(_run(capsys, [*repo, "versions", "churn", "--json"]))
    keys = {"models/churn/metrics.yaml:loss", "models/churn/metrics.json:auc"}
    assert [set(v["metrics"]) for v in versions] == [keys, keys, keys]
    diff = json.loads(_run(capsys, [*repo, "diff", "churn", "HEAD~2", "HEAD", "--json"]))
    assert list(diff["metrics"]) == ["models/churn/metrics.json:auc"]


def test_the_files_of_a_diff_across_the_move_are_renamed(moved, capsys):
    g, c = moved
    repo = ["-C", str(g.path)]
    diff = json.loads(_run(capsys, [*repo, "diff", "churn", c["v2"], c["v4"], "--json"]))
    assert diff["files"] == [
        {  # git sees this rename (the same blob)
            "path": "models/churn/MLmodel",
            "old_path": "samples/churn/MLmodel",
            "change": "renamed",
            "additions": 0,
            "deletions": 0,
        },
        {  # git sees no rename (one line, rewritten); the model's move pairs them
            "path": "models/churn/metrics.json",
            "old_path": "samples/churn/metrics.json",
            "change": "renamed",
            "additions": 1,
            "deletions": 1,
        },
    ]
    text = _run(capsys, [*repo, "diff", "churn", c["v2"], c["v4"]])
    assert "samples/churn/metrics.json → models/churn/metrics.json" in text
    # two versions before the move: their files, at their own place
    diff = json.loads(_run(capsys, [*repo, "diff", "churn", c["v1"], c["v2"], "--json"]))
    assert [(f["path"], f["change"], f["old_path"]) for f in diff["files"]] == [
        ("samples/churn/metrics.json", "modified", None)
    ]


def test_the_patch_of_a_renamed_file_compares_its_two_places(moved):
    from modeltrail.store.read.gitdiff import file_patch
    from modeltrail.store.repo import open_repo

    g, c = moved
    with open_repo(g.path) as repo:
        text, truncated = file_patch(
            repo, c["v2"], c["v4"], "models/churn/metrics.json", "samples/churn/metrics.json"
        )
    assert not truncated
    assert '-{"auc": 0.8}' in text and '+{"auc": 0.9}' in text


# --- several models moved in one commit --------------------------------------------------

SKLEARN = (
    "flavors:\n  python_function:\n    env: conda.yaml\n    loader_module: mlflow.sklearn\n"
    "    model_path: model.pkl\n    python_version: 3.11.4\n  sklearn:\n"
    "    pickled_model: model.pkl\n    serialization_format: cloudpickle\n"
    "    sklearn_version: 1.3.0\nmlflow_version: 2.8.0\n"
)


#: how each case tells the two moves apart (the other clues lead nowhere): new places
#: for v1/churn and v1/ads, sorted so that pairing in order would cross them
CASES = {
    "other-files": ("models/a_retention", "models/b_revenue"),  # metrics.json moved along
    "closer-MLmodel": ("models/a_retention", "models/b_revenue"),  # edited as they moved
    "directory-name": ("models/retention/churn", "models/revenue/ads"),  # named as before
}


@pytest.mark.parametrize("case", list(CASES))
def test_two_models_moved_in_one_commit_each_follow_their_own_move(
    tmp_path, monkeypatch, capsys, case
):
    """``v1/churn`` and ``v1/ads`` moved in one commit, their MLmodel files alike (the
    same blob, or edited alike as they moved): git itself pairs ``v1/ads/MLmodel`` with
    churn's new place; each model still follows its own directory (the files that moved
    along with it, then the more alike MLmodel, then the directory's name)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    g = GitRepo(tmp_path / "repo")
    edited = case == "closer-MLmodel"
    files = {}
    for name, auc in (("churn", 0.71), ("ads", 0.62)):
        files[f"v1/{name}/MLmodel"] = SKLEARN + (f"run_id: {name}-run-1\n" if edited else "")
        if case == "other-files":
            files[f"v1/{name}/metrics.json"] = f'{{"auc": {auc}}}\n'
    first = g.commit("add", files)
    moves = dict(zip(("churn", "ads"), CASES[case], strict=True))
    after = {}
    for name, new in moves.items():
        for rel in ("MLmodel", "metrics.json"):
            old = files.get(f"v1/{name}/{rel}")
            if old is not None:
                after[f"v1/{name}/{rel}"] = None
                after[f"{new}/{rel}"] = old + ("utc_time_created: '2026'\n" if edited else "")
    g.commit("reorganise samples", after)
    assert "R" in g.git("log", "-1", "-M", "--name-status", "--format=")  # git: renames
    repo = ["-C", str(g.path)]
    models = json.loads(_run(capsys, [*repo, "models", "--json"]))
    assert sorted(m["path"] for m in models) == sorted(moves.values())
    name_at = {m["path"]: m["name"] for m in models}
    for name, new in moves.items():
        model = name_at[new]
        done = json.loads(_run(capsys, [*repo, "checkout", model, first, "--json"]))
        assert done["path"] == f"v1/{name}"
        g.git("reset", "-q", "--hard")
        g.git("clean", "-qfd")
        versions = json.loads(_run(capsys, [*repo, "versions", model, "--json"]))
        assert first in [v["commit"] for v in versions]


def test_the_compare_screen_shows_files_renamed_across_the_move(moved):
    import asyncio
    from datetime import UTC, datetime

    from textual.widgets import DataTable, Static
    from tui_support import settle

    from modeltrail.store.catalog.files import update_catalog
    from modeltrail.store.repo import open_repo
    from modeltrail.tui.app import ModeltrailApp
    from modeltrail.tui.screens.compare import CompareScreen

    g, c = moved
    with open_repo(g.path) as repo:
        update_catalog(repo)
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)

    async def run():
        app = ModeltrailApp(str(g.path), index=False, now=lambda: now)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await app.push_screen(CompareScreen("churn", [c["v2"], c["v4"]]))
            await settle(pilot)
            screen = app.screen
            metrics = screen.query_one("#metrics-table", DataTable)
            keys = [str(metrics.get_row_at(i)[0]) for i in range(metrics.row_count)]
            assert keys == ["auc"]  # one row across the move
            await pilot.press("4")
            await settle(pilot)
            table = screen.query_one("#files-table", DataTable)
            rows = [[str(x) for x in table.get_row_at(i)] for i in range(table.row_count)]
            assert rows == [
                ["renamed", "+0", "-0", "samples/churn/MLmodel → models/churn/MLmodel"],
                ["renamed", "+1", "-1", "samples/churn/metrics.json → models/churn/metrics.json"],
            ]
            table.move_cursor(row=1)
            await pilot.press("enter")
            await settle(pilot)
            code = screen.query_one("#diff-text", Static).content.code
            assert '-{"auc": 0.8}' in code and '+{"auc": 0.9}' in code

    asyncio.run(run())
