"""Every ``--json`` output is strict JSON whose floats round-trip exactly: a metric of 16
significant digits reads back as the same float, and NaN and ±Infinity (which standard
JSON has no numbers for) are null, with their text beside them where the shape has
room (a diff entry's ``old_text``/``new_text``)."""

from __future__ import annotations

import json

import pytest
from gitbuilder import GitRepo

from modeltrail.tui.cli import main as cli_main
from modeltrail.tui.format import json_number

PRECISE = 0.5158371040723981  # 16 significant digits


def _strict(text: str):
    def refuse(name: str):
        raise ValueError(f"not standard JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> GitRepo:
    r = GitRepo(tmp_path_factory.mktemp("strict") / "repo")
    r.commit(
        "add model",
        {
            "artifacts.yaml": "m:\n  type: model\n  path: models/m/model.pkl\n",
            "models/m/model.pkl": "a",
            "models/m/metrics.yaml": "auc: 0.8\nloss: .nan\nmax: .inf\nf1: 0.855\n",
            "models/m/params.yaml": "lr: 1e-3\nlayers: 010\nflag: on\nclip: .inf\n",
        },
    )
    r.tag("m@v1.0.0", message="register")
    r.branch("exp")
    r.checkout("exp")
    r.commit(
        "better",
        {
            "models/m/model.pkl": "b",
            "models/m/metrics.yaml": f"auc: {PRECISE}\nloss: .nan\nmax: -.inf\nf1: 0.8\n",
            "models/m/params.yaml": "lr: 2e-3\nlayers: 011\nflag: off\nclip: 1.0\n",
        },
    )
    r.checkout("main")
    r.merge("exp", "merge exp")
    r.tag("m@v1.1.0", message="register")
    r.tag("m#prod#1", message="promote")
    return r


def _run(capsys, repo: GitRepo, *args: str):
    assert cli_main(["-C", str(repo.path), *args]) == 0
    return _strict(capsys.readouterr().out)


def test_every_listing_is_strict_json(repo, capsys) -> None:
    for args in (
        ("models",),
        ("versions", "m"),
        ("versions", "m", "--all"),
        ("diff", "m", "v1.0.0", "v1.1.0"),
        ("diff", "m", "v1.0.0", "v1.1.0", "--all"),
        ("flow",),
        ("history",),
        ("audit",),
        ("rollback", "m", "--to", "v1.0.0", "--stage", "prod", "--dry-run"),
        ("sql", "SELECT 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i, 0.5158371040723981 AS p"),
    ):
        _run(capsys, repo, *args, "--json")


def test_floats_round_trip_exactly(repo, capsys) -> None:
    versions = {v["version"]: v for v in _run(capsys, repo, "versions", "m", "--json")}
    assert versions["v1.1.0"]["metrics"]["auc"] == PRECISE
    diff = _run(capsys, repo, "diff", "m", "v1.0.0", "v1.1.0", "--json")
    assert diff["metrics"]["auc"]["new"] == PRECISE
    # differences are the decimal numbers' difference: no binary float noise either
    assert diff["metrics"]["auc"]["diff"] == -0.2841628959276019
    assert diff["metrics"]["f1"]["diff"] == -0.055  # 0.8 - 0.855 is -0.05499999999999994
    merges = _run(capsys, repo, "flow", "--json")["merges"]
    assert merges[0]["metrics"]["m"]["auc"]["new"] == PRECISE
    rows = _run(capsys, repo, "sql", f"SELECT {PRECISE}::DOUBLE AS p", "--json")
    assert rows == [{"p": PRECISE}]


def test_non_finite_numbers_are_null_with_their_text_beside(repo, capsys) -> None:
    versions = {v["version"]: v for v in _run(capsys, repo, "versions", "m", "--json")}
    assert versions["v1.0.0"]["metrics"]["loss"] is None  # present, and not a number
    assert versions["v1.0.0"]["params"]["clip"] is None
    diff = _run(capsys, repo, "diff", "m", "v1.0.0", "v1.1.0", "--json")
    assert "loss" not in diff["metrics"]  # NaN then NaN: unchanged
    m = diff["metrics"]["max"]
    assert (m["old"], m["new"], m["old_text"], m["new_text"]) == (
        None,
        None,
        "Infinity",
        "-Infinity",
    )
    assert "diff" not in m and m["better"] is None
    clip = diff["params"]["clip"]
    assert (clip["old"], clip["old_text"], clip["new"]) == (None, "Infinity", 1.0)
    assert "new_text" not in clip and "diff" not in clip
    # a side that is absent is null without a text
    full = _run(capsys, repo, "diff", "m", "v1.0.0", "v1.1.0", "--all", "--json")
    assert full["metrics"]["loss"]["old_text"] == full["metrics"]["loss"]["new_text"] == "NaN"


def test_yaml_numbers_reach_json_as_dvc_reads_them(repo, capsys) -> None:
    diff = _run(capsys, repo, "diff", "m", "v1.0.0", "v1.1.0", "--json")
    assert diff["params"]["lr"] == {
        "old": 0.001,
        "new": 0.002,
        "diff": 0.001,
        "file": "models/m/params.yaml",
        "key": "lr",
    }
    assert (diff["params"]["layers"]["old"], diff["params"]["layers"]["new"]) == (10, 11)
    assert (diff["params"]["flag"]["old"], diff["params"]["flag"]["new"]) == ("on", "off")


def test_json_number_is_exact_and_null_for_non_finite() -> None:
    assert json_number(PRECISE) == PRECISE
    assert json_number(0.05499999999999994) == 0.05499999999999994
    for value in (float("nan"), float("inf"), float("-inf")):
        assert json_number(value) is None


def test_text_screens_show_non_finite_values_as_their_text(repo, capsys) -> None:
    assert cli_main(["-C", str(repo.path), "diff", "m", "v1.0.0", "v1.1.0"]) == 0
    out = capsys.readouterr().out
    assert "Infinity" in out and "-Infinity" in out
