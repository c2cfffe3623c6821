"""``queries.iter_versions`` reads a model's versions in batches from one query; it must
list exactly what ``list_versions`` listed when it gathered every version first (kept
here as the reference), on the sample and on the real repositories."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from realrepos import BUNDLES, clone, needs_realrepos

from modeltrail.store.catalog.files import fresh_catalog
from modeltrail.store.config import load_config
from modeltrail.store.query import queries, values
from modeltrail.store.query import versions as listing
from modeltrail.store.query.mainline import line_relation, main_line
from modeltrail.store.repo import open_repo


def old_list_versions(con, model, limit=None, main=None, all_branches=True) -> list[dict]:
    """``list_versions`` as it was: every version, then metrics, params, labels, MLflow
    and rollbacks each in a query of its own (the reference)."""
    queries.require_model(con, model)
    with contextlib.ExitStack() as stack:
        on_main = "NULL::BOOLEAN"
        scope = ""
        if main is not None:
            line = stack.enter_context(line_relation(con, main))
            on_main = f"commit IN (SELECT commit FROM {line})"
            if not all_branches:
                scope = f" AND ({on_main} OR len(labels) > 0 OR len(stages) > 0)"
        sql = (
            f"SELECT {', '.join(listing._VERSION_COLS)}, {on_main} FROM versions "
            f"WHERE model = $1{scope} ORDER BY topo DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = con.execute(sql, [model]).fetchall()
    versions = []
    for r in rows:
        v = listing._version_dict(r[:-1])
        v["main_line"] = r[-1]
        versions.append(v)
    commits = [v["commit"] for v in versions] if limit is not None or scope else None
    metrics = listing._values_by_commit(con, "metrics", model, commits)
    params = listing._values_by_commit(con, "params", model, commits)
    details = queries.label_details(con, model, commits)
    mlflow = listing._mlflow_by_commit(con, model, commits)
    rollbacks = queries.rolled_back_from(con, model, commits)
    for v in versions:
        v["rolled_back_from"] = rollbacks.get(v["commit"])
        v["metrics"] = metrics.get(v["commit"], {})
        v["params"] = params.get(v["commit"], {})
        v["labels_detail"] = details.get(v["commit"], [])
        v["mlflow"] = mlflow.get(v["commit"])
    return versions


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from modeltrail.sample_repo.generator import build_sample_repo

    return build_sample_repo(tmp_path_factory.mktemp("sample") / "models")


def _catalog(root: Path):
    repo = open_repo(str(root))
    con, _summary = fresh_catalog(repo)
    return con, main_line(con, load_config(root).main)


def _assert_same_listings(root: Path) -> int:
    """Every model of ``root`` listed both ways, in every mode; returns the versions seen."""
    con, line = _catalog(root)
    seen = 0
    for model in queries.model_names(con):
        for limit in (None, 1, 3):
            for main, all_branches in ((None, True), (line, True), (line, False)):
                new = list(queries.iter_versions(con, model, limit, main, all_branches, batch=2))
                old = old_list_versions(con, model, limit, main, all_branches)
                assert new == old, (model, limit, main is not None, all_branches)
                # key order too, nested ones included (the JSON text keeps it)
                assert json.dumps(new, default=str) == json.dumps(old, default=str)
                seen += len(new)
    return seen


def test_the_sample_lists_as_before(sample):
    assert _assert_same_listings(sample) > 20


@needs_realrepos
@pytest.mark.parametrize("name", BUNDLES)
def test_real_repositories_list_as_before(name, tmp_path):
    _assert_same_listings(clone(name, tmp_path / name, exps=True))


def test_stopping_early_leaves_the_connection_usable(sample):
    con, line = _catalog(sample)
    listing = queries.iter_versions(con, "churn", main=line, batch=2)
    first = [next(listing) for _ in range(3)]
    assert len({v["commit"] for v in first}) == 3
    listing.close()  # the rest of the result is dropped, the main line unregistered
    assert con.execute("SELECT count(*) FROM versions").fetchall()[0][0] > 3
    assert list(queries.iter_versions(con, "churn", main=line))[:3] == first


DECL = "m:\n  type: model\n  path: models/m\n"


def test_labels_rollbacks_and_metric_files_list_as_before(tmp_path, capsys):
    """A commit with several labels (their order is their rank), two metrics files (keys
    named FILE:KEY), params, and a branch rollback commit."""
    from gitbuilder import GitRepo

    from modeltrail.tui.cli import main as cli

    r = GitRepo(tmp_path / "repo")
    r.commit(
        "v1",
        {
            "artifacts.yaml": DECL,
            "models/m/metrics.json": '{"auc": 0.8, "loss": [1, {"a": null}]}',
            "models/m/params.yaml": "lr: 0.1\nlayers: [2, 3]\n",
            "models/m/dvc.yaml": "metrics:\n- metrics.json\n- eval.json\n",
            "models/m/eval.json": '{"f1": 0.5, "auc": 0.1}',
        },
    )
    r.tag("m@v1.0.0", message="v1.0.0")
    r.tag("m@v1.0.1", message="again")
    r.tag("v9.0.0")
    r.commit("v2", {"models/m/metrics.json": '{"auc": 0.9}', "models/m/eval.json": '{"f1": 1}'})
    r.tag("m@v1.1.0", message="v1.1.0")
    r.commit("v3", {"models/m/metrics.json": '{"auc": 0.7}'})
    r.tag("m@v1.2.0", message="v1.2.0")
    assert (
        cli(["-C", str(r.path), "rollback", "m", "--to", "v1.1.0", "--yes", "--reason", "x"]) == 0
    )
    capsys.readouterr()
    assert _assert_same_listings(r.path) >= 4
    con, _line = _catalog(r.path)
    listed = list(queries.iter_versions(con, "m"))
    assert listed[0]["rolled_back_from"] == "v1.2.0"
    assert max(len(v["labels_detail"]) for v in listed) >= 2
    assert any(":" in k for v in listed for k in v["metrics"])


def _old_value(value, text):
    if text is not None:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return value


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?", fullmatch=True),
        st.from_regex(r"\s*-?[0-9١]+\.?[0-9]*[eE]?[+-]?[0-9]*\s*", fullmatch=True),
        st.sampled_from(["1e400", "-0", "-0.0", "NaN", "Infinity", "1_0", "0x1", "01", "٣"]),
        st.text(max_size=8),
    ),
    st.none() | st.floats(),
)
def test_metric_values_read_as_json_reads_them(text, value):
    new, old = values._value(value, text), _old_value(value, text)
    assert type(new) is type(old)
    assert new == old or (new != new and old != old)
    assert repr(new) == repr(old)
