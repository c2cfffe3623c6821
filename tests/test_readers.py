"""The format readers on realistic files and on hostile input (docs/CONVENTIONS.md).

Every reader takes bytes and returns data plus warnings; none may raise. Hostile input
must produce a warning that says what was wrong, and the good parts must still come
through.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from modeltrail.store.read.readers import (
    DvcOut,
    dvc_cache_path,
    dvc_out_present,
    flatten,
    format_for,
    inspect_lfs_pointer,
    join_dvc_path,
    key_text,
    lfs_object_path,
    lfs_object_present,
    load_document,
    load_mapping,
    metric_problem,
    metric_value,
    metrics_of,
    parse_artifacts_yaml,
    parse_conda_yaml,
    parse_dvc_dir_manifest,
    parse_dvc_lock,
    parse_dvc_pointer,
    parse_dvc_yaml,
    parse_lfs_pointer,
    parse_mlmodel,
    parse_model_yaml,
    parse_modelbit_metadata,
    parse_pyproject,
    parse_requirements,
    read_flat,
    to_json_text,
)
from modeltrail.store.read.readers.plain import MAX_DEPTH, MAX_KEYS

MiB = 1024 * 1024


def warned(warnings: list[str], *words: str) -> bool:
    """Is there one warning containing all ``words`` (case-insensitive)?"""
    return any(all(w.lower() in warning.lower() for w in words) for warning in warnings)


# --- realistic files ---------------------------------------------------------------------

DVC_YAML = b"""\
vars:
  - params.yaml
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
      - data/data.xml
      - src/prepare.py
    params:
      - prepare.seed
      - prepare.split
    outs:
      - data/prepared
  train:
    cmd:
      - python src/train.py data/features model.pkl
      - echo trained
    wdir: ..
    deps:
      - data/features
      - src/train.py
    params:
      - train
      - custom_params.yaml:
          - lr
          - epochs
      - all_of_these.json:
      - other.toml:a,b
    outs:
      - model.pkl:
          cache: true
          persist: false
    metrics:
      - eval/metrics.json:
          cache: false
      - scores.yaml
    plots:
      - eval/prc.json:
          x: recall
          y: precision
  evaluate:
    foreach:
      - train
      - test
    do:
      cmd: python src/evaluate.py ${item}
      metrics:
        - eval/${item}.json
metrics:
  - eval/summary.json
params:
  - params.yaml
plots:
  - eval/roc.json:
      x: fpr
      y: tpr
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    desc: Gradient-boosted churn classifier
    labels:
      - tabular
      - churn
    meta:
      framework: sklearn
"""

DVC_LOCK = b"""\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - path: data/data.xml
      hash: md5
      md5: 22a1a2931c8370d3aeedd7183606fd7f
      size: 14445097
    - path: src/prepare.py
      hash: md5
      md5: f09ea0c15980b43010257ccb9f0055e2
      size: 1576
    params:
      params.yaml:
        prepare.seed: 20170428
        prepare.split: 0.2
    outs:
    - path: data/prepared
      hash: md5
      md5: 153aad06d376b6595932470e459ef42a.dir
      size: 8437363
      nfiles: 2
  train:
    cmd: python src/train.py data/features model.pkl
    deps:
    - path: data/features
      md5: f35d4cc2c552ac959ae602162b8543f3.dir
      size: 2232588
      nfiles: 2
    params:
      params.yaml:
        train:
          lr: 0.01
          layers: [64, 32]
          early_stopping: true
    outs:
    - path: model.pkl
      md5: 9d5b2b3a1b8cfa3e9e0c6f2a3d9b7f10
      size: 1882
"""

MLMODEL = b"""\
artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.0
mlflow_version: 2.8.0
model_size_bytes: 1234
model_uuid: 3f1f0a0e5e5c4b0e9f3c3c3f5d0e1a2b
run_id: 9f8e7d6c5b4a39281706f5e4d3c2b1a0
signature:
  inputs: '[{"type": "double", "name": "tenure"}]'
  outputs: '[{"type": "long"}]'
  params: null
utc_time_created: '2023-11-01 10:00:00.123456'
"""

TEMPLATED_DVC_YAML = b"""\
vars:
  - extra.yaml
  - report: report
    folds:
      - n: a
      - n: b
stages:
  train:
    foreach: ${models}
    do:
      cmd: python train.py ${item} --lr ${train.lr}
      deps:
        - ${data.root}/train.csv
      params:
        - train.lr
      outs:
        - models/${item}.pkl
  evaluate:
    foreach:
      us:
        region: us-east
      eu:
        region: eu-west
    do:
      cmd: python eval.py ${key} ${item.region} ${models[1]}
      metrics:
        - ${eval.dir}/${key}/metrics.json:
            cache: false
  sweep:
    matrix:
      model: ${models}
      seed: ${seeds}
      fold: ${folds}
    cmd: python sweep.py ${item.model} ${item.seed} ${item.fold.n}
    outs:
      - sweep/${item.model}-${item.seed}-${item.fold.n}.json
  report:
    cmd: python report.py
    metrics:
      - ${report}/summary.json
metrics:
  - ${report}/top.json
"""

TEMPLATED_VARS = {
    "params.yaml": b"train:\n  lr: 0.1\n  epochs: 3\neval:\n  dir: results\n"
    b"models: [small, large]\nseeds: [1, 2]\n",
    "extra.yaml": b"data:\n  root: data\n",
}

MODELBIT = b"""\
owner: ada@example.com
runtimeInfo:
  mainFunction: predict_churn
  mainFunctionArgs:
    - features:Any
    - return:float
  pythonVersion: "3.10"
  systemPackages: null
tags:
  - churn
  - production
schemaVersion: 2
"""

REQUIREMENTS = b"""\
# pinned by pip-compile
numpy>=1.20,<2 ; python_version >= "3.8"
Scikit_Learn==1.3.0 \\
    --hash=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
requests[socks,security] >= 2.31  # for the feature store client
-r base.txt
-c constraints.txt
-e git+https://github.com/org/feature-lib.git@v1.4#egg=feature_lib
--index-url https://pypi.org/simple
--extra-index-url https://download.pytorch.org/whl/cpu
https://example.com/wheels/torch-2.1.0-cp311-none-linux_x86_64.whl
mypkg @ https://example.com/mypkg-1.0.zip

pandas
"""

CONDA = b"""\
name: churn
channels:
  - conda-forge
  - defaults
dependencies:
  - python=3.10.12
  - conda-forge::scikit-learn=1.3.0=py310h1fdf081_0
  - numpy >=1.24,<2
  - pip<24
  - pip:
      - mlflow==2.8.0
      - cloudpickle==2.2.1
"""

PYPROJECT = b"""\
[project]
name = "churn-model"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = [
  "pandas>=2",
  "torch==2.1.*; sys_platform == 'linux'",
]

[project.optional-dependencies]
dev = ["pytest"]

[tool.poetry.dependencies]
lightgbm = "^4.1"
requests = { version = "^2.0", extras = ["socks"] }
feature-lib = { git = "https://github.com/org/feature-lib.git", rev = "v1.4" }
"""

OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
LFS_POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 12345\n".encode()


# --- structured documents ----------------------------------------------------------------


class TestFormatFor:
    @pytest.mark.parametrize(
        ("path", "fmt"),
        [
            ("models/churn/metrics.json", "json"),
            ("params.YAML", "yaml"),
            ("a/b/metrics.yml", "yaml"),
            ("metrics.toml", "toml"),
            ("models/churn/MLmodel", "yaml"),
            ("dvc.lock", "yaml"),
            ("data/raw.csv.dvc", "yaml"),
            ("model.pkl", None),
            (".json", None),
            ("README", None),
        ],
    )
    def test_by_name(self, path: str, fmt: str | None) -> None:
        assert format_for(path) == fmt


class TestLoadDocument:
    def test_json_metrics(self) -> None:
        doc, warnings = load_document(
            b'{"test": {"auc": 0.91, "loss": 0.23}, "epochs": 10}', "json"
        )
        assert doc == {"test": {"auc": 0.91, "loss": 0.23}, "epochs": 10}
        assert warnings == []

    def test_yaml_params(self) -> None:
        doc, warnings = load_document(b"train:\n  lr: 0.01\n  layers: [64, 32]\n", "yml")
        assert doc == {"train": {"lr": 0.01, "layers": [64, 32]}}
        assert warnings == []

    def test_toml_metrics(self) -> None:
        doc, warnings = load_document(b"[test]\nauc = 0.91\nf1 = 0.8\n", "toml")
        assert doc == {"test": {"auc": 0.91, "f1": 0.8}}
        assert warnings == []

    def test_unknown_format(self) -> None:
        doc, warnings = load_document(b"a,b\n1,2\n", "csv")
        assert doc is None
        assert warned(warnings, "unknown document format", "csv")

    @pytest.mark.parametrize(
        ("data", "fmt", "words"),
        [
            (b'{"auc": 0.9,', "json", ("invalid JSON", "line 1")),
            (b"a: [1, 2\nb: 3\n", "yaml", ("invalid YAML", "line 2")),
            (b"auc = = 0.9\n", "toml", ("invalid TOML", "line 1")),
        ],
    )
    def test_broken(self, data: bytes, fmt: str, words: tuple[str, ...]) -> None:
        doc, warnings = load_document(data, fmt)
        assert doc is None
        assert warned(warnings, *words), warnings

    @pytest.mark.parametrize("fmt", ["json", "yaml", "toml"])
    @pytest.mark.parametrize("data", [b"", b"  \n\n\t"])
    def test_empty(self, data: bytes, fmt: str) -> None:
        doc, warnings = load_document(data, fmt)
        assert doc is None
        assert warned(warnings, "empty")

    def test_yaml_with_only_comments_is_empty(self) -> None:
        doc, warnings = load_document(b"# to be filled in\n", "yaml")
        assert doc is None
        assert warned(warnings, "empty")

    @pytest.mark.parametrize(("data", "found"), [(b"[0.9, 0.8]", "a list"), (b"0.93", "a number")])
    def test_mapping_expected(self, data: bytes, found: str) -> None:
        doc, warnings = load_mapping(data, "json")
        assert doc is None
        assert warned(warnings, "expected a mapping", found)
        flat, warnings = read_flat(data, "yaml")
        assert flat == {}
        assert warned(warnings, "expected a mapping", found)

    def test_json_nan_and_infinity_are_read_with_a_warning(self) -> None:
        doc, warnings = load_document(b'{"loss": NaN, "ppl": Infinity, "x": -Infinity}', "json")
        assert math.isnan(doc["loss"])
        assert doc["ppl"] == math.inf and doc["x"] == -math.inf
        assert warned(warnings, "NaN", "Infinity", "standard JSON")

    def test_huge_numbers(self) -> None:
        data = b'{"big": ' + b"9" * 5000 + b', "over": 1e400, "wide": ' + b"9" * 400 + b', "ok": 1}'
        doc, warnings = load_document(data, "json")
        assert doc["ok"] == 1
        assert doc["big"] == "9" * 5000  # kept as text
        assert doc["over"] == math.inf
        assert doc["wide"] == int("9" * 400)
        assert warned(warnings, "4300 digits", "text")

    def test_huge_yaml_integers_keep_the_document(self) -> None:
        data = b"ok: 1\nhex: 0x" + b"f" * 5000 + b"\ndec: " + b"9" * 5000 + b"\n"
        doc, warnings = load_document(data, "yaml")
        assert doc["ok"] == 1
        assert doc["dec"] == "9" * 5000
        assert doc["hex"].startswith("0xfff")
        assert warned(warnings, "integer", "kept as text")

    def test_base60_is_text_and_long_numbers_are_kept_as_text(self) -> None:
        # YAML 1.2 (DVC, GTO) has no base-60 numbers: 1:30:00 is text, quickly
        data = b"ok: 1:30:00\nlong: 1" + b":11" * 300_000 + b"\nnum: 1" + b"0" * 2000 + b".5\n"
        doc, warnings = load_document(data, "yaml")
        assert doc["ok"] == "1:30:00"
        assert doc["long"].startswith("1:11:11")
        assert doc["num"].startswith("1000")
        assert warned(warnings, "number", "over 1000 characters", "kept as text")

    def test_huge_toml_integer_is_a_warning(self) -> None:
        doc, warnings = load_document(b"x = " + b"9" * 5000, "toml")
        assert doc is None
        assert warned(warnings, "invalid TOML", "digits")

    @pytest.mark.parametrize(
        ("fmt", "limit"), [("json", "5.0 MiB"), ("yaml", "2.0 MiB"), ("toml", "2.0 MiB")]
    )
    def test_huge_file_is_refused_with_its_size(self, fmt: str, limit: str) -> None:
        doc, warnings = load_document(b"#" * (6 * MiB), fmt)
        assert doc is None
        assert warned(warnings, "6.0 MiB", limit, "not read")

    def test_binary(self) -> None:
        doc, warnings = load_document(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "yaml")
        assert doc is None
        assert warned(warnings, "binary", "NUL")

    def test_non_utf8_is_decoded_with_replacement(self) -> None:
        doc, warnings = load_document("owner: José\nauc: 0.9\n".encode("latin-1"), "yaml")
        assert doc == {"owner": "Jos\ufffd", "auc": 0.9}
        assert warned(warnings, "not valid UTF-8", "offset 10", "U+FFFD")

    def test_utf8_bom_is_fine(self) -> None:
        doc, warnings = load_document(b"\xef\xbb\xbf" + b'{"auc": 0.9}', "json")
        assert doc == {"auc": 0.9}
        assert warnings == []

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
    def test_utf16_and_utf32_with_bom(self, encoding: str) -> None:
        text = "auc: 0.9\nnote: naïve\n"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        doc, warnings = load_document(data, "yaml")
        assert doc == {"auc": 0.9, "note": "naïve"}
        assert warnings == []

    def test_utf16_without_bom_is_binary(self) -> None:
        doc, warnings = load_document("auc: 0.9".encode("utf-16-le"), "yaml")
        assert doc is None
        assert warned(warnings, "binary")

    def test_python_tags_never_run_code(self, tmp_path: Path) -> None:
        marker = tmp_path / "pwned"
        data = (
            f"a: !!python/object/apply:os.system ['touch {marker}']\n"
            f"b: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n"
            "c: 0.5\n"
        ).encode()
        doc, warnings = load_document(data, "yaml")
        assert not marker.exists()
        assert doc["c"] == 0.5
        assert doc["a"] == [f"touch {marker}"]  # read as plain data
        assert warned(warnings, "unsupported YAML tag", "python/object/apply:os.system")

    def test_custom_tags_and_bad_scalars_keep_the_rest(self) -> None:
        data = b"role: !Ref MyRole\nwhen: 2024-13-45\nbin: !!binary 'abc'\nauc: 0.9\n"
        doc, warnings = load_document(data, "yaml")
        assert doc == {"role": "MyRole", "when": "2024-13-45", "bin": "abc", "auc": 0.9}
        assert warned(warnings, "!Ref")
        assert warned(warnings, "timestamp", "2024-13-45")
        assert warned(warnings, "binary")

    def test_several_yaml_documents(self) -> None:
        doc, warnings = load_document(b"auc: 0.9\n---\nauc: 0.1\n", "yaml")
        assert doc == {"auc": 0.9}
        assert warned(warnings, "several YAML documents", "first")

    def test_control_characters_are_kept_as_data(self) -> None:
        doc, warnings = load_document(
            b'{"\\u001b[31mred": "\\u001b]0;title\\u0007", "t": "a\x01b"}', "json"
        )
        assert doc == {"\x1b[31mred": "\x1b]0;title\x07", "t": "a\x01b"}
        assert warnings == []
        doc, _ = load_document(b'"\\e[2J": "\\e[31mred\\e[0m"\n', "yaml")
        assert doc == {"\x1b[2J": "\x1b[31mred\x1b[0m"}


class TestDeepNesting:
    @pytest.mark.parametrize(
        ("data", "fmt"),
        [
            (b"[" * 100_000, "json"),
            (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "json"),
            (b"[" * 2_000_000, "yaml"),  # crashes libyaml's composer if not refused first
            (b"{a: " * 100_000, "yaml"),
            (b"- " * 1_000_000 + b"x", "yaml"),
            (b"x = " + b"[" * 100_000, "toml"),
            (b"x = " + b"{a = " * 10_000 + b"1" + b"}" * 10_000, "toml"),
        ],
        ids=[
            "json-list",
            "json-object",
            "yaml-flow",
            "yaml-map",
            "yaml-block",
            "toml-array",
            "toml-table",
        ],
    )
    def test_refused_with_a_warning(self, data: bytes, fmt: str) -> None:
        doc, warnings = load_document(data, fmt)
        assert doc is None
        assert warned(warnings, "nested"), warnings

    def test_deep_indentation_yaml(self) -> None:
        data = "".join(" " * i + "a:\n" for i in range(1500)).encode()
        doc, warnings = load_document(data, "yaml")
        assert doc is None
        assert warned(warnings, "nested deeper than 500")

    def test_brackets_inside_strings_do_not_count(self) -> None:
        data = b"pattern: '" + b"[" * 3000 + b"'\nauc: 0.9\n"
        doc, warnings = load_document(data, "yaml")
        assert doc == {"pattern": "[" * 3000, "auc": 0.9}
        assert warnings == []

    def test_moderately_deep_document_flattens_its_shallow_part(self) -> None:
        doc, warnings = load_document(
            b'{"auc": 0.9, "x": ' + b'{"a":' * 100 + b"1" + b"}" * 101, "json"
        )
        assert warnings == []
        flat, warnings = flatten(doc)
        assert flat == {"auc": 0.9}
        assert warned(warnings, f"deeper than {MAX_DEPTH} levels", "x.a.a")


ALIAS_BOMB = b"""\
auc: 0.9
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _mapping_bomb() -> bytes:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: {j}" for j in range(10)) + "}"]
    for i in range(1, 10):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(10)) + "}")
    return ("auc: 0.9\n" + "\n".join(lines) + "\n").encode()


class TestAliasBombs:
    def test_list_bomb_stops_flattening(self) -> None:
        flat, warnings = read_flat(ALIAS_BOMB, "yaml")
        assert flat["auc"] == 0.9
        assert flat["a"] == ["lol"] * 9
        assert "i" not in flat
        assert warned(warnings, "more than 100000 values", "alias bomb")

    def test_mapping_bomb_stops_at_the_key_limit(self) -> None:
        flat, warnings = read_flat(_mapping_bomb(), "yaml")
        assert flat["auc"] == 0.9
        assert flat["m1.k0.k0"] == 0
        assert len(flat) == MAX_KEYS
        assert warned(warnings, f"more than {MAX_KEYS} keys")

    def test_recursive_aliases(self) -> None:
        data = b"auc: 0.9\nlst: &l [1, *l]\nmap: &m {self: *m, n: 2}\n"
        flat, warnings = read_flat(data, "yaml")
        assert flat == {"auc": 0.9, "map.n": 2}
        assert warned(warnings, "'lst'", "contains itself")
        assert warned(warnings, "'map.self'", "recursive")

    def test_recursive_merge_key(self) -> None:
        flat, warnings = read_flat(b"a: &a {<<: *a, x: 1}\nauc: 0.9\n", "yaml")
        assert flat["auc"] == 0.9
        assert isinstance(warnings, list)

    def test_long_string_bomb_stops_at_the_text_limit(self) -> None:
        data = b'auc: 0.9\ns: &s "' + b"x" * 100_000 + b'"\ncopies: [' + b"*s, " * 200 + b"]\n"
        flat, warnings = read_flat(data, "yaml")
        assert flat == {"auc": 0.9, "s": "x" * 100_000}
        assert warned(warnings, "more than 16 MiB of text", "alias bomb")

    def test_long_key_bomb_stops_at_the_text_limit(self) -> None:
        key = b"k" * 100_000
        data = (
            b"a: &a\n  ? "
            + key
            + b"\n  : 1\nb:\n"
            + b"".join(b"  k%d: *a\n" % i for i in range(200))
        )
        flat, warnings = read_flat(data, "yaml")
        assert sum(map(len, flat)) < 17 * MiB
        assert warned(warnings, "MiB of text")

    def test_alias_bomb_used_as_a_key_is_cut(self) -> None:
        lines = ['? [&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"],']
        lines += [f"   &a{i} [{','.join([f'*a{i - 1}'] * 9)}]," for i in range(1, 9)]
        lines += ["  ]", ": 1", "auc: 0.9"]
        doc, warnings = load_document("\n".join(lines).encode(), "yaml")
        assert doc["auc"] == 0.9
        (key,) = (k for k in doc if k != "auc")
        assert key.startswith('[["lol", "lol"') and key.endswith("…]") and len(key) < 10_000
        assert warned(warnings, "sequence used as a key")

    def test_merge_keys_follow_the_spec_as_dvc_and_gto_read_them(self) -> None:
        # The merge-key spec: explicit keys win, and of several merged mappings the
        # earlier ones win. DVC and GTO read YAML with ruamel.yaml, which does that;
        # PyYAML releases disagree with each other (6.0.4 lets the later one win).
        from ruamel.yaml import YAML

        data = b"""\
base: &b {lr: 0.1, epochs: 10}
override:
  <<: *b
  epochs: 20
several:
  <<: [*b, {lr: 0.5, seed: 1}]
"""
        doc, warnings = load_document(data, "yaml")
        assert warnings == []
        assert doc == {
            "base": {"lr": 0.1, "epochs": 10},
            "override": {"lr": 0.1, "epochs": 20},
            "several": {"lr": 0.1, "epochs": 10, "seed": 1},
        }
        assert doc == YAML(typ="safe", pure=True).load(data)

    def test_chained_merge_keys_stay_linear(self) -> None:
        # each level merges the previous one ten times: PyYAML copies 10**n entries
        lines = ["m0: &m0 {" + ", ".join(f"k{j}: {j}" for j in range(10)) + "}"]
        for i in range(1, 30):
            lines.append(f"m{i}: &m{i}\n  <<: [{', '.join([f'*m{i - 1}'] * 10)}]\n  x{i}: {i}")
        flat, warnings = read_flat("\n".join(lines).encode(), "yaml")
        assert warnings == []
        assert flat["m29.k9"] == 9 and flat["m29.x1"] == 1 and flat["m29.x29"] == 29

    def test_merge_key_bomb_is_refused(self) -> None:
        base = b"b: &b {" + b", ".join(b"k%d: 1" % i for i in range(1000)) + b"}\n"
        data = base + b"x:\n  <<: [" + b", ".join([b"*b"] * 5000) + b"]\n"
        doc, warnings = load_document(data, "yaml")
        assert doc is None
        assert warned(warnings, "merge keys", "merge-key bomb")

    def test_to_json_text_of_a_bomb_is_bounded(self) -> None:
        doc, _ = load_document(ALIAS_BOMB, "yaml")
        text = to_json_text(doc["i"])
        assert len(text) < 200
        assert "more than" in text


class TestOutputBudget:
    """YAML aliases repeat a long string or a list for free; what a reader returns (and
    the indexer stores) must stay bounded all the same."""

    LONG = b'"' + b"p" * 100_000 + b'"'

    def test_paths_and_commands(self) -> None:
        stages = b"".join(b"  s%d: {cmd: *long, deps: *many}\n" % i for i in range(300))
        data = (
            b"x: &long " + self.LONG + b"\ny: &many [" + b"*long, " * 300 + b"]\nstages:\n" + stages
        )
        dvc, warnings = parse_dvc_yaml(data)
        assert 0 < len(dvc.stages) < 300
        assert all(stage.deps == ["p" * 100_000] for stage in dvc.stages.values())
        assert warned(warnings, "more than 16 MiB of text", "alias bomb")

    def test_labels_of_many_artifacts(self) -> None:
        labels = b"labels: &labels [" + b", ".join(b"l%d" % i for i in range(2000)) + b"]\n"
        data = labels + b"".join(b"a%d: {path: m, labels: *labels}\n" % i for i in range(2000))
        decls, warnings = parse_artifacts_yaml(data)
        assert sum(len(d.labels) for d in decls.values()) <= 100_000
        assert warned(warnings, "more than 100000 values", "alias bomb")
        assert warned(warnings, "artifact 'labels'", "expected a mapping")

    def test_conda_entries(self) -> None:
        data = b"x: &s " + self.LONG + b"\ndependencies: [" + b"*s, " * 1000 + b"]\n"
        packages, warnings = parse_conda_yaml(data)
        assert len(packages) == 1
        assert warned(warnings, "alias bomb")

    def test_lock_outs(self) -> None:
        out = b"o: &o {path: " + self.LONG + b", md5: 22a1a2931c8370d3aeedd7183606fd7f}\n"
        stages = b"".join(b"  s%d: {outs: [*o, *o]}\n" % i for i in range(400))
        lock, warnings = parse_dvc_lock(out + b"schema: '2.0'\nstages:\n" + stages)
        assert 0 < len(lock.stages) < 400
        assert all(len(stage.outs) <= 1 for stage in lock.stages.values())
        assert warned(warnings, "alias bomb")

    def test_a_million_bad_entries_make_fifty_warnings(self) -> None:
        packages, warnings = parse_conda_yaml(b"dependencies: [" + b"1," * 100_000 + b"1]")
        assert packages == []
        assert len(warnings) == 51
        assert warnings[-1] == "… and 99951 more warnings"


class TestFlatten:
    def test_nested_keys_and_list_leaves(self) -> None:
        flat, warnings = flatten({"test": {"auc": 0.91, "cm": [[5, 1], [2, 7]]}, "epochs": 10})
        assert flat == {"test.auc": 0.91, "test.cm": [[5, 1], [2, 7]], "epochs": 10}
        assert warnings == []

    def test_prefix_and_scalars(self) -> None:
        assert flatten({"auc": 1}, "eval") == ({"eval.auc": 1}, [])
        assert flatten(0.93, "auc") == ({"auc": 0.93}, [])

    def test_empty_mapping_yields_nothing(self) -> None:
        assert flatten({"a": {}, "b": 1}) == ({"b": 1}, [])

    def test_keys_that_are_not_strings(self) -> None:
        doc, warnings = load_document(
            b"1: a\n1.5: b\nnull: c\ntrue: d\nno: e\n2024-01-07: f\n? [1, 2]\n: g\n", "yaml"
        )
        flat, more = flatten(doc)
        assert flat == {
            "1": "a",
            "1.5": "b",
            "null": "c",
            "true": "d",
            "no": "e",  # YAML 1.2: text, as DVC and GTO read it
            "2024-01-07": "f",
            "[1, 2]": "g",
        }
        assert warned(warnings, "sequence used as a key")
        assert more == []

    def test_key_containing_a_dot_collides_with_nesting(self) -> None:
        flat, warnings = flatten({"a.b": 1, "a": {"b": 2, "c": 3}})
        assert flat == {"a.b": 1, "a.c": 3}
        assert warned(warnings, "'a.b'", "more than once", "first is kept")

    def test_warnings_stay_on_one_line(self) -> None:
        flat, warnings = flatten({"x": {"a\nb\x1b[2J": 1}, "x.a\nb\x1b[2J": 2})
        assert flat == {"x.a\nb\x1b[2J": 1}  # the data keeps its characters
        assert warnings == [
            "key 'x.a\\x0ab\\x1b[2J' appears more than once (a key containing '.'?); the first is kept"
        ]

    def test_values_become_plain_data(self) -> None:
        doc, _ = load_document(
            b"when: 2024-01-07\nat: 2024-01-07 10:00:00\ns: !!set {b, a}\nraw: !!binary aGk=\n",
            "yaml",
        )
        flat, warnings = flatten(doc)
        assert flat == {
            "when": "2024-01-07",
            "at": "2024-01-07T10:00:00",
            "s": ["a", "b"],
            "raw": "aGk=",
        }
        assert warnings == []

    def test_lists_of_mappings_get_string_keys(self) -> None:
        flat, _ = flatten({"layers": [{1: "dense", None: True}]})
        assert flat == {"layers": [{"1": "dense", "null": True}]}


class TestMetrics:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (0.5, 0.5),
            (3, 3.0),
            (True, 1.0),
            (False, 0.0),
            (-0.0, 0.0),
            (math.nan, None),
            (math.inf, None),
            (-math.inf, None),
            (10**400, None),
            ("0.93", None),
            (None, None),
            ([1, 2], None),
        ],
        ids=lambda v: repr(v)[:20],
    )
    def test_metric_value(self, value: object, expected: float | None) -> None:
        assert metric_value(value) == expected

    @pytest.mark.parametrize(
        ("value", "words"),
        [
            (math.nan, ("'loss'", "NaN", "not compared")),
            (math.inf, ("Infinity",)),
            (-math.inf, ("-Infinity",)),
            (10**400, ("too large",)),
            ("0.93", ("text '0.93'", "not a number")),
            (" 1e-3 ", ("not a number",)),
        ],
        ids=lambda v: repr(v)[:20],
    )
    def test_problems_are_explained(self, value: object, words: tuple[str, ...]) -> None:
        problem = metric_problem("loss", value)
        assert problem is not None and all(w in problem for w in words), problem

    @pytest.mark.parametrize("value", [0.5, 1, True, "adam", None, [1, 2], "nan"])
    def test_no_problem(self, value: object) -> None:
        assert metric_problem("x", value) is None

    def test_metrics_of_a_file(self) -> None:
        flat, warnings = read_flat(
            b'{"auc": 0.9, "loss": NaN, "acc": "0.8", "ok": true, "note": "hi"}', "json"
        )
        values, problems = metrics_of(flat)
        assert values == {"auc": 0.9, "loss": None, "acc": None, "ok": 1.0, "note": None}
        assert len(problems) == 2
        assert warned(problems, "'loss'", "NaN") and warned(problems, "'acc'", "text")


class TestJsonText:
    def test_stable_and_sorted(self) -> None:
        assert (
            to_json_text({"b": 1, "a": [1, 2.5, None, True]})
            == '{"a": [1, 2.5, null, true], "b": 1}'
        )
        assert to_json_text({"a": 1, "b": 2}) == to_json_text({"b": 2, "a": 1})

    def test_scalars(self) -> None:
        assert to_json_text("adam") == '"adam"'
        assert to_json_text("héllo\x1b") == '"héllo\\u001b"'
        assert to_json_text(math.nan) == "NaN"
        assert to_json_text([math.inf, -math.inf]) == "[Infinity, -Infinity]"
        assert to_json_text(10**400) == str(10**400)

    def test_odd_values_do_not_raise(self) -> None:
        loop: list[object] = []
        loop.append(loop)
        assert "contains itself" in to_json_text(loop)
        assert to_json_text({1: "a", None: "b"}) == '{"1": "a", "null": "b"}'
        assert to_json_text({"b", "a"}) == '["a", "b"]'
        assert to_json_text(object()).startswith('"<object object')
        assert "bits" in to_json_text(1 << 20000)
        assert json.loads(to_json_text({"x": (1, 2)})) == {"x": [1, 2]}

    def test_key_text(self) -> None:
        assert [key_text(k) for k in ("a", None, True, False, 3, 2.5, math.nan)] == [
            "a",
            "null",
            "true",
            "false",
            "3",
            "2.5",
            "NaN",
        ]


# --- Git LFS -----------------------------------------------------------------------------


class TestLfs:
    def test_pointer(self) -> None:
        pointer = parse_lfs_pointer(LFS_POINTER)
        assert pointer is not None
        assert (pointer.oid, pointer.size) == (OID, 12345)

    def test_without_final_newline_and_with_extension(self) -> None:
        ext = "a" * 64
        data = (
            "version https://git-lfs.github.com/spec/v1\n"
            f"ext-0-foo sha256:{ext}\noid sha256:{OID}\nsize 0"
        ).encode()
        pointer = parse_lfs_pointer(data)
        assert pointer is not None and pointer.size == 0 and pointer.extensions == (("foo", ext),)

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (LFS_POINTER.replace(b"size 12345\n", b""), "size"),
            (LFS_POINTER.replace(OID.encode(), OID.upper().encode()), "oid"),
            (LFS_POINTER.replace(b"sha256:", b"md5:"), "oid"),
            (LFS_POINTER.replace(b"size 12345", b"size -1"), "size"),
            (LFS_POINTER.replace(b"size 12345", b"size 99999999999999999999999"), "size"),
            (
                b"version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:" + OID.encode(),
                "sorted",
            ),
            (LFS_POINTER + b"size 3\n", "twice"),
            (LFS_POINTER + b"x" * 1100, "1024"),
            (LFS_POINTER + b"zebra yes\n", "unknown key"),
            (LFS_POINTER.replace(b"\n", b"\r\n"), "malformed"),
            (LFS_POINTER + b"\xff\xfe\n", "UTF-8"),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )
    def test_malformed_pointer_is_explained(self, data: bytes, reason: str) -> None:
        pointer, warnings = inspect_lfs_pointer(data)
        assert pointer is None
        assert warned(warnings, "Git LFS pointer", reason), warnings

    @pytest.mark.parametrize(
        "data", [b"", b"\x00\x01binary", b"{}", b"version 1\n", b"oid sha256:" + OID.encode()]
    )
    def test_other_blobs_are_not_pointers(self, data: bytes) -> None:
        assert inspect_lfs_pointer(data) == (None, [])

    def test_object_path_and_presence(self, tmp_path: Path) -> None:
        pointer = parse_lfs_pointer(LFS_POINTER)
        assert pointer is not None
        path = lfs_object_path(tmp_path, OID)
        assert path == tmp_path / "lfs" / "objects" / "4d" / "7a" / OID
        assert not lfs_object_present(tmp_path, pointer)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 12344)
        assert not lfs_object_present(tmp_path, pointer)  # wrong size: truncated download
        path.write_bytes(b"x" * 12345)
        assert lfs_object_present(tmp_path, pointer)

    @pytest.mark.parametrize("oid", ["../../etc/passwd", OID[:-1], OID.upper(), "", "/" + OID[1:]])
    def test_object_path_of_hostile_oid(self, tmp_path: Path, oid: str) -> None:
        assert lfs_object_path(tmp_path, oid) is None


# --- DVC ---------------------------------------------------------------------------------


class TestDvcYaml:
    def test_stages(self) -> None:
        dvc, warnings = parse_dvc_yaml(DVC_YAML)
        assert list(dvc.stages) == ["prepare", "train", "evaluate@train", "evaluate@test"]
        prepare = dvc.stages["prepare"]
        assert prepare.cmd == "python src/prepare.py data/data.xml"
        assert prepare.deps == ["data/data.xml", "src/prepare.py"]
        assert prepare.params == {"params.yaml": ["prepare.seed", "prepare.split"]}
        assert prepare.outs == ["data/prepared"]
        train = dvc.stages["train"]
        assert train.cmd == "python src/train.py data/features model.pkl\necho trained"
        assert train.wdir == ".."
        assert train.params == {
            "params.yaml": ["train"],
            "custom_params.yaml": ["lr", "epochs"],
            "all_of_these.json": None,
            "other.toml": ["a", "b"],
        }
        assert train.outs == ["model.pkl"]
        assert train.metrics == ["eval/metrics.json", "scores.yaml"]
        assert train.plots == ["eval/prc.json"]
        # foreach over an inline list expands without any file (stage name@item)
        assert not dvc.stages["evaluate@train"].templated
        assert dvc.stages["evaluate@train"].metrics == ["eval/train.json"]
        assert dvc.stages["evaluate@test"].cmd == "python src/evaluate.py test"
        assert warnings == []

    def test_templating_expanded_as_dvc_expands_it(self) -> None:
        """Stage names, paths and commands as ``dvc`` 3.67 lists them for this file
        (``Repo.index.stages``), with params.yaml and a vars file given."""
        dvc, warnings = parse_dvc_yaml(TEMPLATED_DVC_YAML, TEMPLATED_VARS)
        assert warnings == []
        assert list(dvc.stages) == [
            "train@small",
            "train@large",
            "evaluate@us",
            "evaluate@eu",
            *(f"sweep@{m}-{s}-fold{f}" for m in ("small", "large") for s in (1, 2) for f in (0, 1)),
            "report",
        ]
        assert dvc.stages["train@large"].outs == ["models/large.pkl"]
        assert dvc.stages["train@large"].deps == ["data/train.csv"]
        assert dvc.stages["train@large"].cmd == "python train.py large --lr 0.1"
        assert dvc.stages["evaluate@eu"].metrics == ["results/eu/metrics.json"]
        assert dvc.stages["evaluate@eu"].cmd == "python eval.py eu eu-west large"
        assert dvc.stages["sweep@large-2-fold1"].outs == ["sweep/large-2-b.json"]
        assert dvc.metrics_files("m") == [
            "m/report/top.json",
            "m/results/us/metrics.json",
            "m/results/eu/metrics.json",
            "m/report/summary.json",
        ]
        assert dvc.var_files == ["params.yaml", "extra.yaml"]

    def test_templating_without_its_files_warns_of_nothing(self) -> None:
        # params.yaml not given: what it would define stays as written, no warning
        dvc, warnings = parse_dvc_yaml(TEMPLATED_DVC_YAML)
        assert warnings == []
        assert dvc.stages["train"].templated  # foreach over ${models}: not expandable
        assert "m/${eval.dir}/us/metrics.json" in dvc.metrics_files("m")
        # every file given and still undefined: DVC could not run it either
        files = {**TEMPLATED_VARS, "params.yaml": None}
        _dvc, warnings = parse_dvc_yaml(TEMPLATED_DVC_YAML, files)
        assert warned(warnings, "${eval.dir}", "${models}", "not defined")
        files = {**TEMPLATED_VARS, "extra.yaml": None}
        _dvc, warnings = parse_dvc_yaml(TEMPLATED_DVC_YAML, files)
        assert warned(warnings, "'extra.yaml'", "does not exist")
        assert warned(warnings, "${data.root}", "not defined")

    def test_templating_hostile(self) -> None:
        # a matrix of 100^3 combinations is cut at MAX_EXPANDED; escapes stay literal
        dims = "\n".join(f"      {d}: [{', '.join(map(str, range(100)))}]" for d in "abc")
        text = f"stages:\n  s:\n    matrix:\n{dims}\n    cmd: echo \\${{x}} ${{item.a}}\n"
        dvc, _w = parse_dvc_yaml(text.encode(), {})
        assert len(dvc.stages) == 1000
        assert dvc.stages["s@0-0-0"].cmd == "echo ${x} 0"
        dvc, _w = parse_dvc_yaml(b"vars: [{a: '${a}'}]\nstages: {s: {cmd: '${a}'}}\n", {})
        assert dvc.stages["s"].cmd == "${a}"

    def test_top_level_sections_and_artifacts(self) -> None:
        dvc, _ = parse_dvc_yaml(DVC_YAML)
        assert dvc.metrics == ["eval/summary.json"]
        assert dvc.params == ["params.yaml"]
        assert dvc.plots == ["eval/roc.json"]
        art = dvc.artifacts["churn-model"]
        assert (art.path, art.type, art.description) == (
            "models/model.pkl",
            "model",
            "Gradient-boosted churn classifier",
        )
        assert art.labels == ("tabular", "churn")
        assert art.custom == {"framework": "sklearn"}
        assert art.source == "dvc.yaml"

    def test_repository_paths_of_metrics_and_params(self) -> None:
        dvc, _ = parse_dvc_yaml(DVC_YAML)
        assert dvc.metrics_files("models/churn") == [
            "models/churn/eval/summary.json",
            "models/eval/metrics.json",  # train's wdir is ..
            "models/scores.yaml",
            "models/churn/eval/train.json",
            "models/churn/eval/test.json",
        ]
        assert dvc.params_files("models/churn") == {
            "models/churn/params.yaml": None,
            "models/params.yaml": ["train"],
            "models/custom_params.yaml": ["lr", "epochs"],
            "models/all_of_these.json": None,
            "models/other.toml": ["a", "b"],
        }

    def test_paths_leaving_the_repository_are_dropped(self) -> None:
        dvc, _ = parse_dvc_yaml(b"metrics: [../../../etc/passwd, /abs.json, ok.json]\n")
        assert dvc.metrics_files("m") == ["m/ok.json"]

    def test_bad_shapes_keep_the_good_stages(self) -> None:
        data = b"""\
stages:
  good:
    cmd: train
    metrics: [m.json]
  bad: just a string
  worse:
    deps: 5
    metrics: [3, {m2.json: {cache: false}}]
artifacts:
  "": {path: x}
  ok: {path: y}
"""
        dvc, warnings = parse_dvc_yaml(data)
        assert dvc.stages["good"].metrics == ["m.json"]
        assert "bad" not in dvc.stages
        assert dvc.stages["worse"].metrics == ["m2.json"]
        assert list(dvc.artifacts) == ["ok"]
        assert warned(warnings, "'bad'", "expected a mapping", "text")
        assert warned(warnings, "'worse'", "deps", "should be a list")
        assert warned(warnings, "metrics", "a number is not a path")
        assert warned(warnings, "artifact name ''", "not valid")

    def test_stages_not_a_mapping(self) -> None:
        dvc, warnings = parse_dvc_yaml(b"stages: [a, b]\n")
        assert dvc.stages == {}
        assert warned(warnings, "'stages'", "a list")


class TestDvcLock:
    def test_schema_2(self) -> None:
        lock, warnings = parse_dvc_lock(DVC_LOCK)
        assert warnings == []
        assert lock.schema == "2.0"
        prepare = lock.stages["prepare"]
        assert prepare.deps[0] == DvcOut(
            path="data/data.xml",
            md5="22a1a2931c8370d3aeedd7183606fd7f",
            size=14445097,
            hash_name="md5",
        )
        out = prepare.outs[0]
        assert (out.path, out.md5, out.size, out.nfiles, out.is_dir, out.legacy) == (
            "data/prepared",
            "153aad06d376b6595932470e459ef42a.dir",
            8437363,
            2,
            True,
            False,
        )
        assert prepare.params == {"params.yaml": {"prepare.seed": 20170428, "prepare.split": 0.2}}
        train = lock.stages["train"]
        assert train.params["params.yaml"] == {
            "train.lr": 0.01,
            "train.layers": [64, 32],
            "train.early_stopping": True,
        }
        assert train.deps[0].legacy  # no "hash: md5": written by DVC 2

    def test_dvc1_lock(self) -> None:
        data = b"train:\n  cmd: python train.py\n  outs:\n  - path: model.pkl\n    md5: 9d5b2b3a1b8cfa3e9e0c6f2a3d9b7f10\n"
        lock, warnings = parse_dvc_lock(data)
        assert lock.schema is None
        assert lock.stages["train"].outs[0].md5 == "9d5b2b3a1b8cfa3e9e0c6f2a3d9b7f10"
        assert lock.stages["train"].outs[0].legacy
        assert list(warnings) == []  # a valid format, not a problem

    def test_params_that_are_not_mappings_are_named_and_skipped(self) -> None:
        data = b"""\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    params:
      params.yaml: [lr, depth]
      good.yaml:
        lr: 0.1
  other:
    cmd: echo
    params: [params.yaml]
"""
        lock, warnings = parse_dvc_lock(data)
        assert lock.stages["train"].params == {"good.yaml": {"lr": 0.1}}
        assert warned(
            warnings, "stage 'train'", "params 'params.yaml'", "expected a mapping", "a list"
        )
        assert warned(warnings, "stage 'other'", "params should be a mapping", "a list")
        assert lock.stages["other"].params == {}

    def test_unknown_schema(self) -> None:
        lock, warnings = parse_dvc_lock(b"schema: '3.0'\nstages: {}\n")
        assert lock.schema == "3.0"
        assert warned(warnings, "unknown dvc.lock schema", "3.0")

    def test_malformed_entries(self) -> None:
        data = b"""\
schema: '2.0'
stages:
  s:
    deps:
    - path: ok.csv
      md5: 22a1a2931c8370d3aeedd7183606fd7f
    - md5: 22a1a2931c8370d3aeedd7183606fd7f
    - path: evil.csv
      md5: ../../../etc/passwd
      size: -5
      nfiles: true
    - just-a-path.csv
    - 42
    outs: nope
"""
        lock, warnings = parse_dvc_lock(data)
        deps = lock.stages["s"].deps
        assert [d.path for d in deps] == ["ok.csv", "evil.csv", "just-a-path.csv"]
        assert deps[1].md5 is None and deps[1].size is None and deps[1].nfiles is None
        assert warned(warnings, "without a 'path'")
        assert warned(warnings, "'evil.csv'", "md5", "malformed")
        assert warned(warnings, "size '-5'")
        assert warned(warnings, "a number")
        assert warned(warnings, "outs should be a list")


class TestDvcPointer:
    def test_dvc3_pointer(self) -> None:
        data = b"outs:\n- md5: a304afb96060aad90176268345e10355\n  size: 14445097\n  hash: md5\n  path: data.xml\n"
        outs, warnings = parse_dvc_pointer(data)
        assert outs == [
            DvcOut(
                path="data.xml",
                md5="a304afb96060aad90176268345e10355",
                size=14445097,
                hash_name="md5",
            )
        ]
        assert warnings == []

    def test_dvc2_directory_pointer(self) -> None:
        data = b"outs:\n- md5: b6923e1e4ad16ea1a7e2b328842d56a2.dir\n  size: 4096\n  nfiles: 3\n  path: images\n  cache: false\n"
        (out,), _ = parse_dvc_pointer(data)
        assert out.is_dir and out.legacy and out.nfiles == 3 and not out.cache

    def test_no_outs(self) -> None:
        outs, warnings = parse_dvc_pointer(b"frozen: true\n")
        assert outs == []
        assert warned(warnings, "no 'outs'")

    def test_cache_paths(self, tmp_path: Path) -> None:
        md5 = "a304afb96060aad90176268345e10355"
        new = tmp_path / ".dvc" / "cache" / "files" / "md5" / "a3" / md5[2:]
        old = tmp_path / ".dvc" / "cache" / "a3" / md5[2:]
        assert dvc_cache_path(tmp_path, md5) == [new, old]
        assert dvc_cache_path(tmp_path, md5, legacy=True) == [old, new]
        assert dvc_cache_path(tmp_path, md5 + ".dir")[0].name == md5[2:] + ".dir"
        out = DvcOut(path="data.xml", md5=md5, hash_name="md5")
        assert dvc_out_present(tmp_path, out) is False
        old.parent.mkdir(parents=True)
        old.write_text("x")
        assert dvc_out_present(tmp_path, out) is True  # found in the DVC 2 layout too
        assert dvc_out_present(tmp_path, DvcOut(path="x")) is None

    @pytest.mark.parametrize(
        "md5", ["../../etc/passwd", "A304AFB96060AAD90176268345E10355", "abc", ""]
    )
    def test_hostile_md5_gives_no_path(self, tmp_path: Path, md5: str) -> None:
        assert dvc_cache_path(tmp_path, md5) == []

    def test_dir_manifest(self) -> None:
        data = json.dumps(
            [
                {"md5": "a304afb96060aad90176268345e10355", "relpath": "cat/1.jpg"},
                {"md5": "bad", "relpath": "cat/2.jpg"},
            ]
        ).encode()
        entries, warnings = parse_dvc_dir_manifest(data)
        assert entries == [("cat/1.jpg", "a304afb96060aad90176268345e10355")]
        assert warned(warnings, "malformed entry")

    @pytest.mark.parametrize(
        ("base", "wdir", "path", "expected"),
        [
            ("models/churn", "", "metrics.json", "models/churn/metrics.json"),
            ("models/churn", "..", "eval/m.json", "models/eval/m.json"),
            ("", "", "./a/../b.json", "b.json"),
            ("m", "", "../../x", None),
            ("m", "", "/etc/passwd", None),
            ("m", "/abs", "x", None),
            ("m", "", "", None),
            ("m", "", "a\x00b", None),
        ],
    )
    def test_join_dvc_path(self, base: str, wdir: str, path: str, expected: str | None) -> None:
        assert join_dvc_path(base, wdir, path) == expected


# --- manifests ---------------------------------------------------------------------------

ARTIFACTS_YAML = b"""\
churn:
  type: model
  path: models/churn/model.pkl
  virtual: false
  description: Churn classifier
  labels:
  - tabular
  - churn
fraud:
  type: model
  path: models/fraud
  labels: [graph]
  custom:
    owner: risk-team
embeddings: {}
"""


class TestArtifactsYaml:
    def test_declarations(self) -> None:
        decls, warnings = parse_artifacts_yaml(ARTIFACTS_YAML)
        assert warnings == []
        churn = decls["churn"]
        assert (churn.type, churn.path, churn.description, churn.labels, churn.virtual) == (
            "model",
            "models/churn/model.pkl",
            "Churn classifier",
            ("tabular", "churn"),
            False,
        )
        assert decls["fraud"].custom == {"owner": "risk-team"}
        assert decls["fraud"].virtual is True
        assert decls["embeddings"].path is None

    def test_agrees_with_gto(self) -> None:
        gto_index = pytest.importorskip("gto.index")
        state = gto_index.Index.read_state(io.StringIO(ARTIFACTS_YAML.decode()))
        decls, _ = parse_artifacts_yaml(ARTIFACTS_YAML)
        assert set(decls) == set(state)
        for name, artifact in state.items():
            ours = decls[name]
            assert (ours.type, ours.path, ours.description, list(ours.labels), ours.virtual) == (
                artifact.type,
                artifact.path,
                artifact.description,
                artifact.labels,
                artifact.virtual,
            )

    def test_invalid_names_are_skipped(self) -> None:
        decls, warnings = parse_artifacts_yaml(
            b"good: {path: a}\n-bad-: {path: b}\n'x y': {}\n7: {path: c}\n"
        )
        assert set(decls) == {"good", "7"}
        assert warned(warnings, "'-bad-'", "not valid for GTO")
        assert warned(warnings, "'x y'")

    def test_wrong_shapes(self) -> None:
        decls, warnings = parse_artifacts_yaml(b"churn: a string\nok:\n  labels: 5\n  path: [x]\n")
        assert set(decls) == {"ok"}
        assert decls["ok"].labels == () and decls["ok"].path is None
        assert warned(warnings, "'churn'", "expected a mapping")
        assert warned(warnings, "labels", "should be a list")
        assert warned(warnings, "path", "should be text")


class TestModelManifests:
    def test_model_yaml_inline(self) -> None:
        data = b"""\
name: churn
version: v1.2.0
description: Churn classifier
labels: [tabular, churn]
metrics:
  test: {auc: 0.91, loss: 0.23}
params:
  lr: 0.01
owner: ml-platform
"""
        m, warnings = parse_model_yaml(data)
        assert warnings == []
        assert (m.source, m.name, m.version, m.description) == (
            "manifest",
            "churn",
            "v1.2.0",
            "Churn classifier",
        )
        assert m.labels == ["tabular", "churn"]
        assert m.metrics == {"test.auc": 0.91, "test.loss": 0.23}
        assert m.params == {"lr": 0.01}
        assert m.metrics_file is None
        assert m.extra == {"owner": "ml-platform"}

    def test_model_yaml_files(self) -> None:
        m, warnings = parse_model_yaml(
            b"metrics: eval/metrics.json\nparams: [params.yaml, extra.toml]\n"
        )
        assert warnings == []
        assert m.name is None
        assert m.metrics_file == "eval/metrics.json"
        assert m.params_files == ["params.yaml", "extra.toml"]
        assert m.params_file == "params.yaml"

    def test_model_yaml_odd_values(self) -> None:
        m, warnings = parse_model_yaml(
            b"name: 42\nversion: 1.10\nlabels: prod\nmetrics: 7\ndescription: [x]\n"
        )
        assert (m.name, m.version, m.labels, m.description) == ("42", "1.1", ["prod"], None)
        assert warned(warnings, "version", "1.1", "quotes")
        assert warned(warnings, "metrics", "a number")
        assert warned(warnings, "description", "should be text")

    def test_model_yaml_calendar_version(self) -> None:
        m, _ = parse_model_yaml(b"version: 2026-01-07\n")
        assert m.version == "2026-01-07"

    def test_modelbit(self) -> None:
        m, warnings = parse_modelbit_metadata(MODELBIT)
        assert warnings == []
        assert m.source == "modelbit" and m.name is None
        assert m.labels == ["churn", "production"]
        assert m.extra["runtimeInfo.mainFunction"] == "predict_churn"
        assert m.extra["runtimeInfo.pythonVersion"] == "3.10"
        assert m.extra["owner"] == "ada@example.com"

    def test_mlmodel(self) -> None:
        m, warnings = parse_mlmodel(MLMODEL)
        assert warnings == []
        assert m.source == "mlflow"
        assert m.flavors == ["python_function", "sklearn"]
        assert m.run_id == "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
        assert m.model_uuid == "3f1f0a0e5e5c4b0e9f3c3c3f5d0e1a2b"
        assert m.mlflow_version == "2.8.0"
        assert m.created == "2023-11-01 10:00:00.123456"
        assert m.extra["flavors.sklearn.sklearn_version"] == "1.3.0"
        assert m.model_size_bytes == 1234 and "model_size_bytes" not in m.extra
        assert m.artifact_path == "model" and m.model_id is None
        assert m.signature_inputs == [{"type": "double", "name": "tenure"}]
        assert m.signature_outputs == [{"type": "long"}]
        assert m.signature_params is None
        assert not any(k.startswith("signature") for k in m.extra)

    def test_mlmodel_odd_size_and_python_env(self) -> None:
        from modeltrail.store.read.readers import parse_python_env

        m, warnings = parse_mlmodel(b"flavors: {sklearn: {}}\nmodel_size_bytes: lots\n")
        assert m.model_size_bytes is None and warned(warnings, "model_size_bytes")
        packages, warnings = parse_python_env(
            b"python: 3.10.12\nbuild_dependencies: [pip, 'setuptools==69.0']\n"
            b"dependencies: ['-r requirements.txt', 'numpy>=1.26', '-r ../other.txt', 7]\n"
        )
        assert packages == [
            ("python", "==3.10.12"),
            ("pip", ""),
            ("setuptools", "==69.0"),
            ("numpy", ">=1.26"),
        ]
        assert len(warnings) == 2  # ../other.txt is not followed; 7 is not a requirement
        assert parse_python_env(b"python: [3]\ndependencies: 5\n")[0] == []
        assert parse_python_env(b"\x00\xff: [")[0] == []

    def test_mlmodel_signature_broken_or_as_yaml_list(self) -> None:
        m, warnings = parse_mlmodel(
            b"flavors: {sklearn: {}}\nsignature:\n  inputs: '[{\"type\": '\n"
            b"  outputs: [{type: tensor, tensor-spec: {dtype: float32, shape: [-1, 4]}}]\n"
        )
        assert m.signature_inputs is None
        assert warned(warnings, "signature inputs")
        assert m.signature_outputs == [
            {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}
        ]

    def test_mlmodel_unquoted_timestamp(self) -> None:
        m, _ = parse_mlmodel(b"flavors: {sklearn: {}}\nutc_time_created: 2023-11-01 10:00:00\n")
        assert m.created == "2023-11-01T10:00:00"

    def test_mlmodel_without_flavors(self) -> None:
        m, warnings = parse_mlmodel(b"run_id: abc\n")
        assert m.flavors == []
        assert warned(warnings, "no flavors")


# --- environment -------------------------------------------------------------------------


class TestRequirements:
    def test_realistic_file(self) -> None:
        packages, warnings = parse_requirements(REQUIREMENTS)
        assert packages == [
            ("numpy", '<2,>=1.20; python_version >= "3.8"'),
            ("scikit-learn", "==1.3.0"),
            ("requests", "[security,socks]>=2.31"),
            ("feature-lib", "-e git+https://github.com/org/feature-lib.git@v1.4#egg=feature_lib"),
            ("torch", "@ https://example.com/wheels/torch-2.1.0-cp311-none-linux_x86_64.whl"),
            ("mypkg", "@ https://example.com/mypkg-1.0.zip"),
            ("pandas", ""),
        ]
        assert warned(warnings, "line 6", "-r 'base.txt'", "not followed")
        assert warned(warnings, "line 7", "-c 'constraints.txt'")
        assert len(warnings) == 2

    def test_bad_lines_are_skipped_with_their_line_number(self) -> None:
        packages, warnings = parse_requirements(b"numpy==1.26\nthis is not !! valid\n\npandas\n")
        assert packages == [("numpy", "==1.26"), ("pandas", "")]
        assert warned(warnings, "line 2", "not a valid requirement")

    def test_duplicates_keep_the_first(self) -> None:
        packages, warnings = parse_requirements(b"numpy==1.26\nNumPy==1.0\nnumpy==1.26\n")
        assert packages == [("numpy", "==1.26")]
        assert warned(warnings, "line 2", "listed again", "==1.0")
        assert len(warnings) == 1

    def test_editable_path_and_unnamed_url(self) -> None:
        packages, warnings = parse_requirements(
            b"-e ./libs/shared\nhttps://example.com/archive/main.tar.gz\n"
        )
        assert packages == [
            ("./libs/shared", "-e"),
            ("https://example.com/archive/main.tar.gz", ""),
        ]
        assert warned(warnings, "cannot tell the package name")

    def test_crlf_and_bom(self) -> None:
        packages, warnings = parse_requirements(b"\xef\xbb\xbfnumpy==1.26\r\npandas>=2\r\n")
        assert packages == [("numpy", "==1.26"), ("pandas", ">=2")]
        assert warnings == []

    def test_overlong_lines_are_skipped(self) -> None:
        data = b"numpy\n" + b"x" * 70_000 + b"\n-e " + b"y" * 3000 + b"\npandas\n"
        packages, warnings = parse_requirements(data)
        assert packages == [("numpy", ""), ("pandas", "")]
        assert warned(warnings, "line 2", "longer than 65536")
        assert warned(warnings, "line 3", "-e target longer than 2000")

    def test_too_many_lines(self) -> None:
        from modeltrail.store.read.readers.environment import MAX_LINES

        packages, warnings = parse_requirements(b"numpy\n" + b"# x\n" * MAX_LINES + b"pandas\n")
        assert packages == [("numpy", "")]
        assert warned(warnings, f"more than {MAX_LINES} lines")

    def test_too_many_packages(self) -> None:
        from modeltrail.store.read.readers.environment import MAX_PACKAGES

        data = "".join(f"pkg{i}\n" for i in range(MAX_PACKAGES + 10)).encode()
        packages, warnings = parse_requirements(data)
        assert len(packages) == MAX_PACKAGES
        assert warned(warnings, f"more than {MAX_PACKAGES} packages")


class TestConda:
    def test_realistic_file(self) -> None:
        packages, warnings = parse_conda_yaml(CONDA)
        assert packages == [
            ("python", "=3.10.12"),
            ("scikit-learn", "=1.3.0=py310h1fdf081_0"),
            ("numpy", ">=1.24,<2"),
            ("pip", "<24"),
            ("mlflow", "==2.8.0"),
            ("cloudpickle", "==2.2.1"),
        ]
        assert warnings == []

    def test_odd_entries(self) -> None:
        data = b"dependencies:\n  - 42\n  - ''\n  - pip: [-r requirements.txt, 5, requests]\n  - {other: x}\n"
        packages, warnings = parse_conda_yaml(data)
        assert packages == [("requests", "")]
        assert warned(warnings, "dependency 1", "a number")
        assert warned(warnings, "-r 'requirements.txt'")
        assert warned(warnings, "pip entry 2")
        assert warned(warnings, "dependency 4", "a mapping")

    def test_no_dependencies(self) -> None:
        packages, warnings = parse_conda_yaml(b"name: env\n")
        assert packages == []
        assert warned(warnings, "no 'dependencies'")


class TestPyproject:
    def test_project_and_poetry(self) -> None:
        packages, warnings = parse_pyproject(PYPROJECT)
        assert packages == [
            ("python", ">=3.10"),
            ("pandas", ">=2"),
            ("torch", '==2.1.*; sys_platform == "linux"'),
            ("lightgbm", "^4.1"),
            ("requests", "[socks]^2.0"),
            ("feature-lib", "git https://github.com/org/feature-lib.git@v1.4"),
        ]
        assert warnings == []

    def test_dynamic_dependencies(self) -> None:
        packages, warnings = parse_pyproject(b'[project]\nname = "x"\ndynamic = ["dependencies"]\n')
        assert packages == []
        assert warned(warnings, "dynamic")

    def test_broken_toml(self) -> None:
        packages, warnings = parse_pyproject(b"[project\nname = 1\n")
        assert packages == []
        assert warned(warnings, "invalid TOML", "line 1")


# --- every reader against every hostile input --------------------------------------------

HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"\n \n",
    "broken": b'{"a": [1, 2\n  b: : :\n[[x',
    "list": b"[1, 2, 3]\n",
    "scalar": b"42\n",
    "null": b"null\n",
    "binary": bytes(range(256)) * 4,
    "huge": b"a: 1\n" + b"#" * (6 * MiB),
    "deep_flow": b"[" * 200_000,
    "deep_block": b"- " * 200_000 + b"x",
    "deep_json": b'{"a":' * 20_000,
    "alias_bomb": ALIAS_BOMB,
    "mapping_bomb": _mapping_bomb(),
    "recursive": b"a: &a [*a]\nb: &b {c: *b}\nstages: &s {x: *s}\n",
    "merge_chain": "\n".join(
        ["m0: &m0 {k: 1, stages: {}, outs: [], flavors: {}}"]
        + [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}" for i in range(1, 12)]
    ).encode(),
    "latin1": "name: café\nstages: {}\n".encode("latin-1"),
    "python_tag": b"a: !!python/object/apply:os.system ['true']\n",
    "nan": b'{"a": NaN, "stages": {"x": {"metrics": [NaN]}}}',
    "escapes": b'"\\e[31m": "\\e]0;pwn\\a"\nstages: {"\\e[2J": {cmd: "\\e[1m"}}\n',
    "utf16": "outs: [{path: x}]".encode("utf-16"),
    "lfs_like": LFS_POINTER[:60],
}

READERS = {
    "load_json": lambda d: load_document(d, "json"),
    "load_yaml": lambda d: load_document(d, "yaml"),
    "load_toml": lambda d: load_document(d, "toml"),
    "read_flat": lambda d: read_flat(d, "yaml"),
    "dvc_yaml": parse_dvc_yaml,
    "dvc_lock": parse_dvc_lock,
    "dvc_pointer": parse_dvc_pointer,
    "dvc_dir": parse_dvc_dir_manifest,
    "artifacts": parse_artifacts_yaml,
    "model_yaml": parse_model_yaml,
    "modelbit": parse_modelbit_metadata,
    "mlmodel": parse_mlmodel,
    "requirements": parse_requirements,
    "conda": parse_conda_yaml,
    "pyproject": parse_pyproject,
    "lfs": inspect_lfs_pointer,
}

YAML_READERS = ["load_yaml", "read_flat", "dvc_yaml", "dvc_lock", "dvc_pointer", "artifacts"]
YAML_READERS += ["model_yaml", "modelbit", "mlmodel", "conda"]
MAPPING_READERS = [r for r in READERS if r not in ("load_json", "load_yaml", "lfs", "requirements")]
FLATTENING_READERS = ["read_flat", "model_yaml", "modelbit", "mlmodel"]


def _check_shape(result: object, warnings: object) -> None:
    assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
    assert all("\n" not in w and len(w) < 400 for w in warnings), warnings
    plain = vars(result) if hasattr(result, "__dict__") else result
    json.loads(to_json_text(plain))  # plain data all the way down


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_never_raises(reader: str, name: str) -> None:
    _check_shape(*READERS[reader](HOSTILE[name]))


@pytest.mark.parametrize("reader", [r for r in READERS if r != "lfs"])
@pytest.mark.parametrize(
    "name", ["broken", "binary", "huge", "deep_flow", "deep_block", "deep_json", "latin1"]
)
def test_bad_input_is_always_a_warning(reader: str, name: str) -> None:
    _, warnings = READERS[reader](HOSTILE[name])
    assert warnings


@pytest.mark.parametrize("reader", [r for r in READERS if r not in ("lfs", "requirements")])
@pytest.mark.parametrize("name", ["empty", "whitespace", "null"])
def test_empty_input_is_a_warning(reader: str, name: str) -> None:
    _, warnings = READERS[reader](HOSTILE[name])
    assert warned(warnings, "empty") or warned(warnings, "invalid"), warnings


@pytest.mark.parametrize("reader", MAPPING_READERS)
@pytest.mark.parametrize("name", ["list", "scalar"])
def test_not_a_mapping_is_a_warning(reader: str, name: str) -> None:
    _, warnings = READERS[reader](HOSTILE[name])
    expected = "expected a mapping"
    if reader == "dvc_dir":  # a list is the right shape for a .dir manifest
        expected = "malformed entry" if name == "list" else "expected a list"
    assert warned(warnings, expected) or warned(warnings, "invalid TOML"), warnings


@pytest.mark.parametrize("reader", YAML_READERS)
def test_python_tag_is_a_warning(reader: str) -> None:
    _, warnings = READERS[reader](HOSTILE["python_tag"])
    assert warned(warnings, "unsupported YAML tag")


@pytest.mark.parametrize("reader", FLATTENING_READERS)
@pytest.mark.parametrize("name", ["alias_bomb", "mapping_bomb", "recursive"])
def test_bombs_are_a_warning(reader: str, name: str) -> None:
    result, warnings = READERS[reader](HOSTILE[name])
    assert warned(warnings, "alias") or warned(warnings, f"more than {MAX_KEYS} keys"), warnings
    assert len(to_json_text(vars(result) if hasattr(result, "__dict__") else result)) < 5 * MiB
