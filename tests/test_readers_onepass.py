"""The one-pass readers (``readers.fastpath``, ``readers.fast_manifests``) must give the
catalog exactly the rows the careful readers give, whenever they answer at all, and
must leave to the careful readers everything those would warn about."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_readers_fastpath import leaves, trees

from modeltrail.store.read import blobfacts
from modeltrail.store.read.readers import fast_manifests, fastpath, manifests

SAMPLE_MLMODEL = (
    "artifact_path: model\n"
    "flavors:\n"
    "  python_function:\n"
    "    env:\n"
    "      conda: conda.yaml\n"
    "      virtualenv: python_env.yaml\n"
    "    loader_module: mlflow.sklearn\n"
    "    model_path: model.pkl\n"
    "    python_version: 3.11.7\n"
    "  sklearn:\n"
    "    code: null\n"
    "    pickled_model: model.pkl\n"
    "    sklearn_version: 1.4.0\n"
    "mlflow_version: 2.10.2\n"
    "model_size_bytes: 333658\n"
    "model_uuid: b4d04ad1791ae1fbbc114cd795e8a989\n"
    "run_id: de9ef1e32a65e19657c8a0fc7ab65fab\n"
    "signature:\n"
    '  inputs: \'[{"type": "string", "name": "text", "required": true}]\'\n'
    '  outputs: \'[{"type": "long", "required": true}]\'\n'
    '  params: \'[{"name": "ngram_max", "type": "long", "default": 1, "shape": null}]\'\n'
    "utc_time_created: '2026-01-07 15:22:07.318204'\n"
)

SAMPLE_MODEL_YAML = (
    "name: ranker\nversion: 2.0.0\ndescription: LightGBM LambdaRank\n"
    "labels:\n  - search\n  - lightgbm\n"
    "metrics:\n  ndcg@10: 0.412\n  mrr: 0.388\n  latency_ms: 11\n"
    "params:\n  objective: lambdarank\n  learning_rate: 0.05\n  features: [bm25, price]\n"
    "owner: search-team\n"
)


def _careful_values(data: bytes, path: str, role: str) -> blobfacts.Values:
    fmt = blobfacts.structured.format_for(path)
    assert fmt is not None
    return blobfacts._values_carefully(data, fmt, role, blobfacts.Values())


def _agrees(data: bytes, path: str, role: str) -> bool:
    """Whether the one-pass rows, when given, are the careful rows (with no warning).
    True when the one-pass reader declines."""
    fmt = blobfacts.structured.format_for(path)
    assert fmt is not None
    fast = fastpath.document_rows(data, fmt, "metrics" if role == "metrics" else "params")
    if fast is None:
        return True
    careful = _careful_values(data, path, role)
    return not careful.warnings and repr(fast) == repr(careful.rows)


def _mlmodel_agrees(data: bytes) -> bool:
    fast = fast_manifests.mlmodel_row(data)
    if fast is None:
        return True
    careful = blobfacts._mlmodel_facts_of(*manifests.parse_mlmodel(data))
    row = tuple(getattr(careful, f) for f in blobfacts.MLMODEL_FIELDS)
    return not careful.warnings and repr(fast) == repr(row)


def _model_yaml_agrees(data: bytes) -> bool:
    fast = fast_manifests.model_yaml(data)
    if fast is None:
        return True
    careful = blobfacts._read_manifest_carefully("model_yaml", data)
    got = (careful.version, careful.metrics_file, careful.params_file, careful.values.rows)
    return not careful.values.warnings and repr(fast) == repr(got)


@settings(max_examples=300, deadline=None)
@given(doc=trees, role=st.sampled_from(["metrics", "params"]), form=st.sampled_from(range(3)))
@example(doc={"a": 1, "b": {"c": "x:y"}}, role="metrics", form=0)  # a ':' in a value
@example(doc={"auc": "0.91"}, role="metrics", form=0)  # a metric as text: warned about
@example(doc={"a.b": 1, "a": {"b": 2}}, role="params", form=2)  # one flattened key twice
def test_one_pass_rows_are_the_careful_rows(doc, role, form) -> None:
    if form == 0:
        data, path = json.dumps(doc, ensure_ascii=False).encode(), "m/metrics.json"
    elif form == 1:
        data, path = json.dumps(doc, indent=2).encode(), "m/metrics.json"
    else:
        text = yaml.safe_dump(doc, allow_unicode=True)
        data, path = text.encode(), "m/params.yaml"
    assert _agrees(data, path, role)


@pytest.mark.parametrize(
    ("text", "path", "role"),
    [
        ('{"auc": NaN, "f1": 0.5}', "metrics.json", "metrics"),  # non-finite: warned
        ('{"auc": Infinity}', "metrics.json", "params"),
        ('{"auc": 1e999}', "metrics.json", "metrics"),
        ('{"auc": 0.9, "auc": 0.8}', "metrics.json", "metrics"),  # a key twice
        ('{"a": "x:y", "a": 0.8}', "metrics.json", "metrics"),  # ... behind a ':' in text
        ('{"auc": "0.91"}', "metrics.json", "metrics"),  # a number as text
        ('{"a.b": 1, "a": {"b": 2}}', "metrics.json", "metrics"),  # a flattened key twice
        ('{"n": ' + "9" * 5000 + "}", "metrics.json", "metrics"),  # too long to convert
        ('{"n": 9223372036854775808}', "metrics.json", "metrics"),  # 64 bits
        ('{"l": [1, {"a": 2}]}', "metrics.json", "params"),  # a list of mappings
        ("[1, 2]", "metrics.json", "metrics"),  # not a mapping
        ("{}", "metrics.json", "metrics"),
        ("", "metrics.json", "metrics"),
        ("a: &x [1, 2]\nb: *x\n", "params.yaml", "params"),  # aliases
        ("a: 2026-01-07\n", "params.yaml", "params"),  # a date
        ("a: 1\na: 2\n", "params.yaml", "params"),  # a key twice
        ("1: x\n", "params.yaml", "params"),  # a key that is not text
        ("a: .nan\n", "params.yaml", "metrics"),
        ("a: [" * 40 + "]" * 40 + "\n", "params.yaml", "params"),  # deep
    ],
)
def test_what_the_careful_readers_warn_about_is_left_to_them(text, path, role) -> None:
    fmt = blobfacts.structured.format_for(path)
    assert fastpath.document_rows(text.encode(), fmt, role) is None


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + b'{"a": 1}',  # a byte-order mark
        b'{"a": "\x00"}',  # NUL: binary
        b'{"a": "\xff"}',  # not UTF-8
        b'{"a": "' + b"x" * (64 * 1024) + b'"}',  # larger than the fast paths take
    ],
)
def test_odd_bytes_are_left_to_the_careful_readers(data) -> None:
    assert fastpath.document_rows(data, "json", "metrics") is None


def test_a_plain_document_gives_its_rows_in_one_pass() -> None:
    text = '{"test": {"auc": 0.9, "n": 3, "ok": true}, "tags": ["a", 1], "note": null}'
    assert fastpath.document_rows(text.encode(), "json", "metrics") == [
        ("metrics", "test.auc", 0.9, "0.9"),
        ("metrics", "test.n", 3.0, "3"),
        ("metrics", "test.ok", 1.0, "true"),
        ("metrics", "tags", None, '["a", 1]'),
        ("metrics", "note", None, "null"),
    ]
    # YAML 1.2 as DVC reads it: 1e-3 is a number, 010 is ten, on is text
    rows = fastpath.document_rows(b"lr: 1e-3\nn: 010\nflag: on\n", "yaml", "params")
    assert rows == [
        ("params", "lr", 0.001, "0.001"),
        ("params", "n", 10.0, "10"),
        ("params", "flag", None, '"on"'),
    ]


def test_the_sample_mlmodel_and_model_yaml_take_the_one_pass_readers() -> None:
    row = fast_manifests.mlmodel_row(SAMPLE_MLMODEL.encode())
    assert row is not None
    assert row[0] == ["python_function", "sklearn"]
    assert row[5] == '[{"name": "text", "required": true, "type": "string"}]'
    assert _mlmodel_agrees(SAMPLE_MLMODEL.encode())
    got = fast_manifests.model_yaml(SAMPLE_MODEL_YAML.encode())
    assert got is not None and got[0] == "2.0.0"
    assert [r[1] for r in got[3]] == [
        "ndcg@10",
        "mrr",
        "latency_ms",
        "objective",
        "learning_rate",
        "features",
    ]
    assert _model_yaml_agrees(SAMPLE_MODEL_YAML.encode())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("model_size_bytes: 333658", "model_size_bytes: '333658'"),
        ("model_size_bytes: 333658", "model_size_bytes: -1"),
        ("model_size_bytes: 333658", "model_size_bytes: true"),
        ("run_id: de9ef1e32a65e19657c8a0fc7ab65fab", "run_id: 1.5"),  # a number: warned
        ("run_id: de9ef1e32a65e19657c8a0fc7ab65fab", "run_id: [a]"),
        ('"required": true}]', '"required": NaN}]'),
        ('"required": true}]', '"required": true, "required": false}]'),  # a key twice
        ('{"type": "long", "required": true}', '{"type": "a:b", "type": "long"}'),
        ('[{"type": "long", "required": true}]', '{"type": "long"}'),  # not a list
        ('[{"type": "long", "required": true}]', "[{broken"),
        ("flavors:", "flavours:"),  # no flavors: warned about
        ("mlflow_version: 2.10.2", "a.b: 1\na:\n  b: 2"),  # the rest flattens with a warning
        ("artifact_path: model", "artifact_path: &p model\nmodel_id: *p"),
    ],
)
def test_an_mlmodel_the_careful_reader_warns_about_is_left_to_it(old, new) -> None:
    assert old in SAMPLE_MLMODEL
    data = SAMPLE_MLMODEL.replace(old, new).encode()
    assert fast_manifests.mlmodel_row(data) is None
    assert _mlmodel_agrees(data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("version: 2.0.0", "version: 2.1"),  # a float: "write it in quotes"
        ("labels:\n  - search\n  - lightgbm\n", "labels: [[a]]\n"),
        ("labels:\n  - search\n  - lightgbm\n", "labels: {a: 1}\n"),
        ("mrr: 0.388", "mrr: .nan"),
        ("mrr: 0.388", 'mrr: "0.388"'),  # a metric as text
        ("metrics:\n  ndcg@10: 0.412\n  mrr: 0.388\n  latency_ms: 11\n", "metrics: ''\n"),
        ("metrics:\n  ndcg@10: 0.412\n  mrr: 0.388\n  latency_ms: 11\n", "metrics: [a, 1]\n"),
        ("metrics:\n  ndcg@10: 0.412\n  mrr: 0.388\n  latency_ms: 11\n", "metrics: 3\n"),
        ("owner: search-team", "owner: [1, {a: 2}]\nowner.x: 1\nx: {y: 1}\nx.y: 2"),
        ("name: ranker", "name: {a: 1}"),
    ],
)
def test_a_model_yaml_the_careful_reader_warns_about_is_left_to_it(old, new) -> None:
    assert old in SAMPLE_MODEL_YAML
    data = SAMPLE_MODEL_YAML.replace(old, new).encode()
    assert fast_manifests.model_yaml(data) is None
    assert _model_yaml_agrees(data)


def test_model_yaml_file_names_and_numbers_read_as_the_careful_reader_reads_them() -> None:
    for text in (
        "version: 3\nmetrics: m.json\nparams: [p.yaml, q.yaml]\n",
        "name: 7\nmetrics: []\nparams: {}\nlabels: prod\n",
        "description: null\n",
    ):
        assert fast_manifests.model_yaml(text.encode()) is not None, text
        assert _model_yaml_agrees(text.encode()), text
    assert fast_manifests.model_yaml(b"version: 3\nmetrics: m.json\n")[:3] == ("3", "m.json", None)


spec_values = st.lists(st.dictionaries(st.sampled_from(["name", "type", "shape"]), leaves))


@settings(max_examples=200, deadline=None)
@given(spec=spec_values, as_text=st.booleans(), extra=trees)
def test_one_pass_mlmodel_rows_are_the_careful_rows(spec, as_text, extra) -> None:
    doc = {**extra, "flavors": {"sklearn": {"pickled_model": "model.pkl"}}}
    doc["signature"] = {"inputs": json.dumps(spec) if as_text else spec}
    assert _mlmodel_agrees(yaml.safe_dump(doc, allow_unicode=True).encode())


@settings(max_examples=200, deadline=None)
@given(metrics=trees, params=trees, rest=trees)
def test_one_pass_model_yaml_facts_are_the_careful_facts(metrics, params, rest) -> None:
    doc = {**rest, "name": "m", "version": "1", "metrics": metrics, "params": params}
    assert _model_yaml_agrees(yaml.safe_dump(doc, allow_unicode=True).encode())


def test_an_mlmodel_with_lists_of_mappings_among_the_rest_takes_the_one_pass_reader() -> None:
    text = SAMPLE_MLMODEL + "metadata:\n  datasets:\n    - {name: a, rows: 3}\n    - [1, 2]\n"
    assert fast_manifests.mlmodel_row(text.encode()) is not None
    assert _mlmodel_agrees(text.encode())
    # the same signature string a second time (read from memory) gives the same text
    assert fast_manifests.mlmodel_row(text.encode()) == fast_manifests.mlmodel_row(text.encode())


def test_every_document_of_the_sample_repository_takes_the_one_pass_readers(tmp_path) -> None:
    """The demo's metrics, params, MLmodel and model.yaml are the common shapes: were
    one of them sent the careful way, a full index would pay for it 20,000 times."""
    from modeltrail.sample_repo.generator import build_sample_repo

    repo = build_sample_repo(tmp_path / "sample", scale=0)
    seen = set()
    for path in sorted(repo.rglob("*")):
        if ".git" in path.parts or ".dvc" in path.parts or not path.is_file():
            continue
        data, name = path.read_bytes(), path.name
        if name in ("metrics.json", "metrics.yaml", "params.yaml"):
            fmt = "json" if name.endswith(".json") else "yaml"
            assert fastpath.document_rows(data, fmt, name.split(".")[0]) is not None, path
        elif name == "MLmodel":
            assert fast_manifests.mlmodel_row(data) is not None, path
        elif name == "model.yaml":
            assert fast_manifests.model_yaml(data) is not None, path
        else:
            continue
        seen.add(name)
    assert seen == {"metrics.json", "metrics.yaml", "params.yaml", "MLmodel", "model.yaml"}


plain_keys = st.text(alphabet="abcxyz_-@0123456789", min_size=1, max_size=8)
plain_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet="abc xyz.:-_0123456789", max_size=10),
    st.lists(st.one_of(st.integers(-1000, 1000), st.floats(-10, 10), st.text("ab")), max_size=3),
)
plain_trees = st.recursive(
    st.dictionaries(plain_keys, plain_leaves, min_size=1, max_size=5),
    lambda children: st.dictionaries(plain_keys, st.one_of(plain_leaves, children), max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(doc=plain_trees, role=st.sampled_from(["metrics", "params"]), flow=st.booleans())
def test_one_pass_rows_of_plain_yaml_are_the_careful_rows(doc, role, flow) -> None:
    """Documents like the metrics and params files people write, most of which the
    native YAML parser reads (random text mostly goes the careful way)."""
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    assert _agrees(text.encode(), "m/params.yaml", role)
