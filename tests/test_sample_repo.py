"""The sample repository keeps the promises generator.py's docstring makes."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from modeltrail.sample_repo import generator as g
from modeltrail.sample_repo.__main__ import main as cli_main
from modeltrail.sample_repo.builder import Clock, RepoBuilder
from modeltrail.sample_repo.fastimport import FastImportStream
from modeltrail.sample_repo.models import TEMPLATES
from modeltrail.sample_repo.render import to_yaml
from modeltrail.sample_repo.story import STORY, StoryPlayer, story_steps
from modeltrail.store.read.readers._yaml import load_yaml

LFS_POINTER = re.compile(
    r"version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def blob(repo: Path, rev: str, path: str) -> str:
    return git(repo, "cat-file", "blob", "--end-of-options", f"{rev}:{path}")


def resolve(repo: Path, rev: str) -> str:
    """The commit id ``rev`` names (rev-parse in git 2.39 has no --end-of-options)."""
    return git(repo, "rev-list", "-n1", "--end-of-options", rev).strip()


def parents(repo: Path, rev: str) -> list[str]:
    return git(repo, "rev-list", "--parents", "-n1", "--end-of-options", rev).split()[1:]


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    done = subprocess.run(
        ["git", "merge-base", "--is-ancestor", "--end-of-options", a, b], cwd=repo
    )
    return done.returncode == 0


def refs_and_ids(repo: Path) -> str:
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname) %(objecttype)") + git(
        repo, "log", "--all", "--format=%H %P"
    )


def churn_metrics(repo: Path, rev: str) -> dict:
    return json.loads(blob(repo, rev, "models/churn/metrics.json"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return g.build_sample_repo(tmp_path_factory.mktemp("sample") / "repo")


# --------------------------------------------------------------------------- the build


def test_build_returns_clean_checkout_of_main_with_local_identity(repo: Path) -> None:
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "config", "--local", "user.name").strip() == g.ONCALL.name
    assert git(repo, "config", "--local", "user.email").strip() == g.ONCALL.email
    assert not (repo / ".git" / "hooks").exists()


def test_refuses_non_empty_target_and_leaves_it_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        g.build_sample_repo(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_same_ids_on_every_build(repo: Path, tmp_path: Path) -> None:
    again = g.build_sample_repo(tmp_path / "again")
    assert refs_and_ids(again) == refs_and_ids(repo)
    assert len(git(repo, "log", "--all", "--format=%H").split()) >= 50


def test_commit_ids_are_pinned(repo: Path) -> None:
    # Other tests and snapshots quote these ids: changing the story changes them all.
    heads = {b: resolve(repo, b) for b in ("main", "integration", g.BEATS_MAIN_BRANCH)}
    assert heads == {
        "main": "a003d800e4a2133cdd1848129b98f3df265081d3",
        "integration": "1d9339e742630234a140a26fb2c7bb3a3aba0142",
        g.BEATS_MAIN_BRANCH: "2e783c7366c65c35158a934fdc42fc58597750ad",
    }


def test_cli_prints_path_and_rejects_non_empty_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main([str(tmp_path / "cli")]) == 0
    assert capsys.readouterr().out.strip() == str((tmp_path / "cli").resolve())
    assert cli_main([str(tmp_path / "cli")]) == 2
    err = capsys.readouterr().err
    assert "not an empty directory" in err and len(err.strip().splitlines()) == 1


def test_cli_runs_as_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "modeltrail.sample_repo", str(tmp_path / "m"), "--scale", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()) == (tmp_path / "m").resolve()


def test_story_data_ships_with_the_package() -> None:
    """story.toml and the templates are read at run time: a non-editable install must
    carry them."""
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    folder = (root / config["setuptools"]["package-dir"]["modeltrail.sample_repo"]).resolve()
    patterns = config["setuptools"]["package-data"].get("modeltrail.sample_repo", [])
    data = [STORY, *TEMPLATES.iterdir()]
    assert len(data) > 10
    for path in data:
        rel = path.resolve().relative_to(folder).as_posix()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), (rel, patterns)


def _player() -> StoryPlayer:
    builder = RepoBuilder(FastImportStream(io.BytesIO()), Clock(g.START, "test"), g.MAIN)
    player = StoryPlayer(builder)
    for step in story_steps()[:2]:  # the first commit on main and the churn state
        player.play(step)
    return player


def test_story_refuses_a_misspelt_branch_or_key() -> None:
    player = _player()
    commit = {"do": "commit", "by": "ana", "message": "m", "models": ["churn"]}
    with pytest.raises(ValueError, match="unknown branch"):
        player.play({**commit, "branch": "exp/churn-lr-005"})  # would start a new root
    with pytest.raises(TypeError, match="modles"):
        player.play({"do": "commit", "branch": "main", "by": "ana", "message": "m", "modles": []})
    with pytest.raises(TypeError, match="learning_rat"):
        player.play({"do": "state", "name": "x", "base": "churn", "learning_rat": 0.1})


# --------------------------------------------------------------------------- people and time


def test_five_authors_and_strictly_increasing_times_from_2026_01_05(repo: Path) -> None:
    authors = set(git(repo, "log", "--all", "--format=%an <%ae>").splitlines())
    assert authors == {f"{a.name} <{a.email}>" for a in g.AUTHORS}
    rows = [line.split() for line in git(repo, "log", "--all", "--format=%H %ct %P").splitlines()]
    when = {row[0]: int(row[1]) for row in rows}
    for commit, _, *ps in rows:
        assert all(when[commit] > when[p] for p in ps)
    tag_times = [
        int(line.split()[-2])
        for line in git(repo, "for-each-ref", "--format=%(taggerdate:raw)", "refs/tags").split("\n")
        if line.strip()
    ]
    every = list(when.values()) + tag_times
    assert len(set(every)) == len(every)
    assert min(every) >= 1767571200  # 2026-01-05T00:00:00Z
    assert max(every) < 1775000000  # still in Q1/early Q2 2026


# --------------------------------------------------------------------------- conventions at HEAD


def test_churn_is_a_gto_model_with_lfs_binary(repo: Path) -> None:
    artifacts = yaml.safe_load((repo / "artifacts.yaml").read_text())
    assert artifacts["churn"]["type"] == "model"
    assert artifacts["churn"]["path"] == "models/churn/model.pkl"
    assert artifacts["churn"]["labels"] and artifacts["churn"]["description"]
    params = yaml.safe_load((repo / "models/churn/params.yaml").read_text())
    assert isinstance(params["features"], list) and isinstance(params["model"]["max_depth"], int)
    metrics = json.loads((repo / "models/churn/metrics.json").read_text())
    assert set(metrics["test"]) >= {"auc", "f1", "loss"} and "loss" in metrics["train"]
    assert isinstance(metrics["latency_ms"], float)
    assert LFS_POINTER.fullmatch((repo / "models/churn/model.pkl").read_text())
    for name in ("requirements.txt", "train.py"):
        assert (repo / "models/churn" / name).stat().st_size > 0


def test_fraud_is_a_dvc_pipeline_with_artifacts_section(repo: Path) -> None:
    base = repo / "models/fraud"
    dvc = yaml.safe_load((base / "dvc.yaml").read_text())
    assert list(dvc["stages"]) == ["prepare", "train", "evaluate"]
    for stage in dvc["stages"].values():
        assert stage["deps"] and stage["params"]
    assert dvc["stages"]["evaluate"]["metrics"] == [{"metrics.json": {"cache": False}}]
    assert dvc["artifacts"]["fraud"]["type"] == "model"
    assert dvc["artifacts"]["fraud"]["path"] == "model.pkl"
    params = yaml.safe_load((base / "params.yaml").read_text())
    for dotted in (p for stage in dvc["stages"].values() for p in stage["params"]):
        group, key = dotted.split(".")
        assert key in params[group]
    assert isinstance(params["prepare"]["features"], list)
    assert params["prepare"]["drop_duplicates"] is True
    metrics = json.loads((base / "metrics.json").read_text())
    assert isinstance(metrics["test"]["pr_auc"], float) and isinstance(
        metrics["meets_recall_slo"], bool
    )
    lock = yaml.safe_load((base / "dvc.lock").read_text())
    assert lock["schema"] == "2.0"
    prepared = lock["stages"]["prepare"]["outs"][0]
    assert prepared["md5"].endswith(".dir") and prepared["nfiles"] == 2
    (metrics_out,) = lock["stages"]["evaluate"]["outs"]
    content = (base / "metrics.json").read_bytes()
    assert metrics_out["md5"] == hashlib.md5(content).hexdigest()
    assert metrics_out["size"] == len(content)
    pointer = yaml.safe_load((base / "data/transactions.csv.dvc").read_text())
    (out,) = pointer["outs"]
    assert out["path"] == "transactions.csv" and re.fullmatch(r"[0-9a-f]{32}", out["md5"])
    assert lock["stages"]["prepare"]["deps"][0]["md5"] == out["md5"]
    assert (repo / ".dvc/config").is_file() and (repo / ".dvc/.gitignore").is_file()
    assert git(repo, "ls-files", ".dvc").split() == [".dvc/.gitignore", ".dvc/config"]


def test_recsys_is_a_modelbit_deployment(repo: Path) -> None:
    base = repo / "deployments/recsys"
    meta = yaml.safe_load((base / "metadata.yaml").read_text())
    assert meta["schemaVersion"] == 2 and "@" in meta["owner"]
    assert meta["runtimeInfo"]["pythonVersion"] == "3.10"
    assert meta["runtimeInfo"]["mainFunction"] == "recommend_items"
    stub = yaml.safe_load((base / "data/item_index.pkl").read_text())
    assert stub["_"] == "MBFileStub" and stub["contentHash"].startswith("sha1:")
    assert LFS_POINTER.fullmatch((base / "model.pkl").read_text())
    assert "offline" in yaml.safe_load((base / "metrics.yaml").read_text())
    assert "torch" in (base / "requirements.txt").read_text()


def test_sentiment_is_an_mlflow_model(repo: Path) -> None:
    base = repo / "models/sentiment"
    mlmodel = yaml.safe_load((base / "MLmodel").read_text())
    assert set(mlmodel["flavors"]) == {"python_function", "sklearn"}
    assert re.fullmatch(r"[0-9a-f]{32}", mlmodel["run_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", mlmodel["model_uuid"])
    for key in ("artifact_path", "utc_time_created", "mlflow_version", "signature"):
        assert mlmodel[key]
    assert LFS_POINTER.fullmatch((base / "model.pkl").read_text())
    assert yaml.safe_load((base / "conda.yaml").read_text())["name"] == "mlflow-env"
    assert yaml.safe_load((base / "python_env.yaml").read_text())["python"] == "3.11.7"
    assert "loss" in json.loads((base / "metrics.json").read_text())["eval"]
    versions = git(
        repo, "log", "--format=%H", "--end-of-options", "main", "--", "models/sentiment"
    ).split()
    assert len(versions) >= 3
    tags = git(repo, "tag", "--points-at", versions[0], "--end-of-options") + git(
        repo, "tag", "-l", "*sentiment*"
    )
    assert tags == ""


def test_ranker_manifest_versions_on_main(repo: Path) -> None:
    manifest = yaml.safe_load((repo / "models/ranker/model.yaml").read_text())
    assert manifest["name"] == "ranker" and manifest["labels"] and manifest["description"]
    assert isinstance(manifest["metrics"], dict) and isinstance(manifest["params"], dict)
    first_parent = git(
        repo,
        "log",
        "--first-parent",
        "--reverse",
        "--format=%H",
        "--end-of-options",
        "main",
        "--",
        "models/ranker",
    ).split()
    seen = [
        yaml.safe_load(blob(repo, c, "models/ranker/model.yaml"))["version"] for c in first_parent
    ]
    assert seen == list(g.RANKER_VERSIONS)
    assert "dependencies" in (repo / "models/ranker/pyproject.toml").read_text()


# --------------------------------------------------------------------------- storage outside git


def _lfs_oid(repo: Path, rev: str, path: str) -> tuple[str, int]:
    match = LFS_POINTER.fullmatch(blob(repo, rev, path))
    assert match, f"{rev}:{path} is not an LFS pointer"
    return match[1], int(match[2])


def _lfs_object(repo: Path, oid: str) -> Path:
    return repo / ".git/lfs/objects" / oid[:2] / oid[2:4] / oid


@pytest.mark.parametrize(
    ("rev", "path"),
    [
        ("churn@v1.2.0", "models/churn/model.pkl"),
        ("churn@v1.3.0", "models/churn/model.pkl"),
        (g.BEATS_MAIN_BRANCH, "models/churn/model.pkl"),
        ("exp/recsys-dedupe-items", "deployments/recsys/model.pkl"),
        ("main", "models/sentiment/model.pkl"),
    ],
)
def test_lfs_object_present_and_matches_pointer(repo: Path, rev: str, path: str) -> None:
    oid, size = _lfs_oid(repo, rev, path)
    content = _lfs_object(repo, oid).read_bytes()
    assert hashlib.sha256(content).hexdigest() == oid and len(content) == size


@pytest.mark.parametrize(
    ("rev", "path"),
    [
        ("churn@v1.0.0", "models/churn/model.pkl"),
        ("churn@v1.1.0", "models/churn/model.pkl"),
        ("recsys-v0.1.0", "deployments/recsys/model.pkl"),
    ],
)
def test_lfs_object_absent(repo: Path, rev: str, path: str) -> None:
    oid, _ = _lfs_oid(repo, rev, path)
    assert not _lfs_object(repo, oid).exists()


def _dvc_cached(repo: Path, md5: str) -> Path:
    return repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]


def test_dvc_cache_holds_current_fraud_outputs_only(repo: Path) -> None:
    lock = yaml.safe_load((repo / "models/fraud/dvc.lock").read_text())
    outs = {o["path"]: o for s in lock["stages"].values() for o in s["outs"]}
    model = _dvc_cached(repo, outs["model.pkl"]["md5"]).read_bytes()
    assert hashlib.md5(model).hexdigest() == outs["model.pkl"]["md5"]
    manifest = json.loads(_dvc_cached(repo, outs["data/prepared"]["md5"]).read_text())
    assert len(manifest) == outs["data/prepared"]["nfiles"]
    assert all(_dvc_cached(repo, e["md5"]).is_file() for e in manifest)
    first = git(
        repo, "log", "--reverse", "--format=%H", "--end-of-options", "main", "--", "models/fraud"
    ).split()[0]
    old = yaml.safe_load(blob(repo, first, "models/fraud/data/transactions.csv.dvc"))
    old_lock = yaml.safe_load(blob(repo, first, "models/fraud/dvc.lock"))
    assert not _dvc_cached(repo, old["outs"][0]["md5"]).exists()
    assert not _dvc_cached(repo, old_lock["stages"]["train"]["outs"][0]["md5"]).exists()
    assert "/cache" in (repo / ".dvc/.gitignore").read_text()


# --------------------------------------------------------------------------- branches and merges


def test_every_branch_is_a_ref(repo: Path) -> None:
    heads = set(git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())
    assert heads == {g.MAIN, g.INTEGRATION, *g.EXPERIMENT_BRANCHES}
    assert all(b.startswith("exp/") for b in g.EXPERIMENT_BRANCHES)


def test_integration_cycles_merge_experiments_then_main(repo: Path) -> None:
    main_merges = git(
        repo, "log", "--first-parent", "--merges", "--format=%H %s", "--end-of-options", "main"
    ).splitlines()
    assert len(main_merges) >= 2 and len(main_merges) == len(g.CYCLES)
    for line, cycle in zip(reversed(main_merges), g.CYCLES, strict=True):
        commit, subject = line.split(" ", 1)
        assert subject == "Merge branch 'integration'"
        first, second = parents(repo, commit)
        # the second parent is integration's evaluation commit, on top of the experiment merges
        assert "evaluate" in git(repo, "log", "-1", "--format=%s", "--end-of-options", second)
        merged = []
        rev = parents(repo, second)[0]
        while match := re.fullmatch(
            r"Merge branch '(.+)' into integration",
            git(repo, "log", "-1", "--format=%s", "--end-of-options", rev).strip(),
        ):
            assert len(parents(repo, rev)) == 2
            merged.append(match[1])
            rev = parents(repo, rev)[0]
        assert merged[::-1] == list(cycle)
        for branch in cycle:
            assert is_ancestor(repo, branch, commit) and not is_ancestor(repo, branch, first)
    tagged = {t: resolve(repo, t) for t in ("churn@v1.1.0", "churn@v1.2.0", "churn@v1.3.0")}
    assert set(tagged.values()) == {line.split()[0] for line in main_merges}


def test_unmerged_experiments_and_branches_ahead_of_main(repo: Path) -> None:
    for branch in g.UNMERGED_BRANCHES:
        assert not is_ancestor(repo, branch, "main") and not is_ancestor(
            repo, branch, "integration"
        )
    for branch in g.AHEAD_OF_MAIN:
        assert (
            git(repo, "rev-list", "--count", "--end-of-options", f"main..{branch}").strip() != "0"
        )
    assert is_ancestor(repo, "exp/recsys-dedupe-items", "integration")
    better = churn_metrics(repo, g.BEATS_MAIN_BRANCH)["test"]["auc"]
    assert better > churn_metrics(repo, "main")["test"]["auc"]


def test_oncall_scenario_latest_churn_is_a_regression(repo: Path) -> None:
    new, old = (
        churn_metrics(repo, "churn@v1.3.0"),
        churn_metrics(repo, f"churn@{g.CHURN_PREVIOUS_PROD}"),
    )
    assert new["test"]["auc"] < old["test"]["auc"]
    assert new["test"]["loss"] > old["test"]["loss"]
    # nothing touched churn on main after v1.3.0: HEAD holds its files
    assert (
        git(
            repo,
            "log",
            "--format=%H",
            "--end-of-options",
            "churn@v1.3.0..main",
            "--",
            "models/churn",
        )
        == ""
    )


# --------------------------------------------------------------------------- tags


def _tag_types(repo: Path) -> dict[str, str]:
    lines = git(
        repo, "for-each-ref", "--format=%(refname:short) %(objecttype)", "refs/tags"
    ).splitlines()
    return dict(line.rsplit(" ", 1) for line in lines)


def test_tag_kinds(repo: Path) -> None:
    types = _tag_types(repo)
    gto = {f"churn@{v}" for v in g.CHURN_VERSIONS} | set(g.CHURN_STAGE_TAGS)
    assert all(types[t] == "tag" for t in gto)
    for name, kind in {**g.FRAUD_TAGS, **g.RECSYS_TAGS}.items():
        assert types[name] == ("tag" if kind == "annotated" else "commit")
    assert set(types) == gto | set(g.FRAUD_TAGS) | set(g.RECSYS_TAGS)


def test_gto_tags_carry_gtos_own_messages(repo: Path) -> None:
    for version in g.CHURN_VERSIONS:
        text = git(repo, "for-each-ref", "--format=%(contents)", f"refs/tags/churn@{version}")
        assert text == f"Registering artifact churn version {version}\n\n"
    text = git(repo, "for-each-ref", "--format=%(contents)", "refs/tags/churn#prod#10")
    assert text == "Assigning stage prod to artifact churn version v1.3.0\n\n"


def _gto() -> str:
    beside = Path(sys.executable).parent / "gto"
    found = str(beside) if beside.exists() else shutil.which("gto")
    if not found:
        pytest.fail("the gto tool (a test dependency) is not installed")
    return found


def test_real_gto_agrees(repo: Path) -> None:
    shown = json.loads(
        subprocess.run(
            [_gto(), "show", "--json"], cwd=repo, check=True, capture_output=True, text=True
        ).stdout
    )
    assert shown["churn"]["version"] == "v1.3.0"
    assert shown["churn"]["stage"] == g.CHURN_STAGES
    assert g.CHURN_STAGES["prod"] == "v1.3.0" and g.CHURN_PREVIOUS_PROD == "v1.2.0"


# --------------------------------------------------------------------------- --scale


def test_scale_appends_exactly_n_commits_with_gto_tags(repo: Path, tmp_path: Path) -> None:
    n = 101
    big = g.build_sample_repo(tmp_path / "big", scale=n)
    base = int(git(repo, "rev-list", "--count", "--end-of-options", "main"))
    assert int(git(big, "rev-list", "--count", "--end-of-options", "main")) == base + n
    assert (
        int(git(big, "rev-list", "--count", "--all"))
        == int(git(repo, "rev-list", "--count", "--all")) + n
    )
    new = git(big, "log", f"-{n}", "--format=%s", "--end-of-options", "main").splitlines()
    assert {s.split(":")[0] for s in new} == set(g.MODELS)
    added = set(_tag_types(big)) - set(_tag_types(repo))
    assert added == {
        "churn@v1.4.0",
        "churn@v1.5.0",
        "churn@v1.6.0",
        "churn@v1.7.0",
        "churn@v1.8.0",
        "churn@v1.9.0",
        "churn#dev#11",
        "churn#staging#12",
        "churn#prod#13",
    }
    assert git(big, "status", "--porcelain") == ""
    for path in (
        "models/churn/params.yaml",
        "models/ranker/model.yaml",
        "models/sentiment/MLmodel",
    ):
        assert isinstance(yaml.safe_load((big / path).read_text()), dict)
    shown = json.loads(
        subprocess.run(
            [_gto(), "show", "--json"], cwd=big, check=True, capture_output=True, text=True
        ).stdout
    )
    assert shown["churn"]["version"] == "v1.9.0"
    assert shown["churn"]["stage"]["prod"] == "v1.9.0"
    again = g.build_sample_repo(tmp_path / "again", scale=n)
    assert refs_and_ids(again) == refs_and_ids(big)


# --------------------------------------------------------------------------- the YAML renderer

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)
_keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(
            st.one_of(_scalars, st.dictionaries(_keys, inner, min_size=1, max_size=3)), max_size=4
        ),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=5))
@example({"lr": "1e3", "mode": "0o17", "id": "123e4567", "t": ".inf"})  # numbers to YAML 1.2
def test_yaml_renderer_reads_back_identically(data: dict) -> None:
    text = to_yaml(data, header="a comment\nand another")
    assert yaml.safe_load(text) == data  # YAML 1.1
    assert load_yaml(text)[0] == data  # YAML 1.2, as DVC, GTO and modeltrail read it
