"""Property tests for the format readers: nothing raises, and flattening keeps every leaf.

Two kinds of property:
- arbitrary (and mutated realistic) bytes and text never make any reader raise, and
  the results are plain data with one-line warnings;
- any nested JSON-like document, written out as JSON, YAML or TOML and read back,
  flattens to exactly one key per leaf, with the values intact.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeltrail.store.read.readers import (
    flatten,
    inspect_lfs_pointer,
    load_document,
    parse_artifacts_yaml,
    parse_conda_yaml,
    parse_dvc_lock,
    parse_dvc_pointer,
    parse_dvc_yaml,
    parse_mlmodel,
    parse_model_yaml,
    parse_modelbit_metadata,
    parse_pyproject,
    parse_requirements,
    read_flat,
    to_json_text,
)
from modeltrail.store.read.readers._yaml import HostileSafeLoader

# MODELTRAIL_FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps the suite quick
_EXAMPLES = int(os.environ.get("MODELTRAIL_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# documents are slower to generate and serialise: fewer, smaller examples
ROUND_TRIP = settings(FUZZ, max_examples=max(1, _EXAMPLES // 2))

READERS = [
    lambda d: load_document(d, "json"),
    lambda d: load_document(d, "yaml"),
    lambda d: load_document(d, "toml"),
    lambda d: read_flat(d, "yaml"),
    parse_dvc_yaml,
    parse_dvc_lock,
    parse_dvc_pointer,
    parse_artifacts_yaml,
    parse_model_yaml,
    parse_modelbit_metadata,
    parse_mlmodel,
    parse_requirements,
    parse_conda_yaml,
    parse_pyproject,
    inspect_lfs_pointer,
]

SEEDS = [
    b"stages:\n  train:\n    cmd: python train.py\n    deps: [data.csv]\n    params:\n"
    b"    - train.lr\n    - p.yaml: [a]\n    metrics:\n    - m.json: {cache: false}\n"
    b"artifacts:\n  churn: {path: model.pkl, type: model, labels: [a]}\n",
    b"schema: '2.0'\nstages:\n  train:\n    deps:\n    - path: data.csv\n      hash: md5\n"
    b"      md5: 22a1a2931c8370d3aeedd7183606fd7f\n      size: 14445097\n"
    b"    params:\n      params.yaml:\n        train: {lr: 0.1}\n",
    b'{"test": {"auc": 0.91, "loss": NaN}, "cm": [[1, 2], [3, 4]]}',
    b"[project]\ndependencies = ['numpy>=1.2', 'pandas']\n[tool.poetry.dependencies]\nx = '^1'\n",
    b"numpy>=1.20 ; python_version >= '3.8'\n-r base.txt\n-e git+https://x/y.git#egg=y\n",
    b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"a" * 64 + b"\nsize 12\n",
    b"a: &a [1, 2]\nb: &b [*a, *a]\nc: !!python/object:os.system {x: *b}\n",
]


def _check(result: Any, warnings: Any) -> None:
    assert isinstance(warnings, list)
    assert all(isinstance(w, str) and "\n" not in w for w in warnings)
    json.loads(to_json_text(vars(result) if hasattr(result, "__dict__") else result))


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    for reader in READERS:
        _check(*reader(data))


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    for reader in READERS:
        _check(*reader(data))


@FUZZ
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=4)), max_size=6),
)
def test_mutated_real_files_never_raise(seed: bytes, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(seed)
    for position, replacement in edits:
        at = position % (len(data) + 1)
        data[at : at + len(replacement)] = replacement
    for reader in READERS:
        _check(*reader(bytes(data)))


# --- flatten round trips -----------------------------------------------------------------

_CHARS = st.characters(blacklist_categories=("Cs",))
_KEYS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="."), max_size=8)
_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
_INTS = st.integers(-(2**63), 2**63 - 1)


def _documents(*, with_none: bool) -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.one_of(st.booleans(), _INTS, _FLOATS, st.text(_CHARS, max_size=12))
    if with_none:
        scalars = st.one_of(st.none(), scalars)
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
        max_leaves=15,
    )
    return st.dictionaries(_KEYS, values, max_size=5)


def _reference_flatten(doc: dict[str, Any], prefix: str | None = None) -> dict[str, Any]:
    """What flattening must give: one key per leaf, dot-joined; empty mappings vanish."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        full = key if prefix is None else f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(_reference_flatten(value, full))
        else:
            out[full] = value
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"


def _toml_string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _to_toml(doc: dict[str, Any]) -> bytes:
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in doc.items()).encode()


class _Yaml12Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper quoting the text YAML 1.2 reads as something else (its own
    YAML 1.1 rules leave ``0E0`` bare, a number to DVC, GTO and modeltrail)."""

    yaml_implicit_resolvers = HostileSafeLoader.yaml_implicit_resolvers


def _assert_round_trip(doc: dict[str, Any], flat: dict[str, Any]) -> None:
    expected = _reference_flatten(doc)
    assert len(flat) == len(expected)
    assert to_json_text(flat) == to_json_text(expected)


@ROUND_TRIP
@given(_documents(with_none=True))
def test_json_round_trip(doc: dict[str, Any]) -> None:
    flat, warnings = read_flat(json.dumps(doc).encode(), "json")
    assert all("standard JSON" in w for w in warnings), warnings  # only the NaN note
    _assert_round_trip(doc, flat)


@ROUND_TRIP
@given(_documents(with_none=True))
def test_yaml_round_trip(doc: dict[str, Any]) -> None:
    # non-ASCII escaped: PyYAML's emitter writes U+0085/U+2028 raw, and YAML reads them
    # as line breaks (a PyYAML round-trip quirk, not the reader's)
    data = yaml.dump(doc, Dumper=_Yaml12Dumper, allow_unicode=False).encode()
    flat, warnings = read_flat(data, "yaml")
    assert warnings == []
    _assert_round_trip(doc, flat)


@ROUND_TRIP
@given(_documents(with_none=False))
def test_toml_round_trip(doc: dict[str, Any]) -> None:
    flat, warnings = read_flat(_to_toml(doc), "toml")
    assert warnings == ([] if doc else ["TOML file is empty"])
    _assert_round_trip(doc, flat)


# --- flatten on any Python value ---------------------------------------------------------

_ODD_KEYS = st.one_of(
    st.text(max_size=6), st.integers(), st.none(), st.booleans(), _FLOATS,
    st.dates(), st.tuples(st.integers(), st.text(max_size=3)),
)  # fmt: skip
_ODD_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), _FLOATS, st.text(max_size=8),
    st.binary(max_size=8), st.dates(), st.datetimes(), st.times(),
    st.frozensets(st.integers(), max_size=3),
)  # fmt: skip


@ROUND_TRIP
@given(
    st.recursive(
        _ODD_SCALARS,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.tuples(inner, inner)
            | st.dictionaries(_ODD_KEYS, inner, max_size=4)
        ),
        max_leaves=30,
    ),
    st.sampled_from(["", "eval"]),
)
def test_flatten_any_value(value: Any, prefix: str) -> None:
    flat, warnings = flatten(value, prefix)
    assert all(isinstance(k, str) for k in flat)
    assert all(isinstance(w, str) for w in warnings)
    text = to_json_text(flat)
    assert isinstance(json.loads(text), dict)
    for v in flat.values():
        assert not isinstance(v, dict | tuple | set | frozenset | bytes | dt.date | dt.time)
