"""YAML is read as DVC and GTO read it: the YAML 1.2 core schema of ruamel's safe loader
(``YAML(typ="safe")``). Both of modeltrail's paths (the native fast path and the careful
PyYAML one) must give ruamel's values, types included, on the same texts.

Deliberate differences, tested below: where ruamel refuses a whole document over one
scalar it cannot construct (``-_``, ``0x_``, ``2026-13-45``, a lone ``=``), modeltrail
keeps that scalar as its text, with a warning, and reads the rest; a boolean used as a
mapping key becomes ``"true"``/``"false"`` (as keys, ``True`` and ``1`` would collide).
Dates are dates to both; flattened into metrics or params they become their ISO 8601
text, which is shown but never compared.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from modeltrail.store.read.readers import structured
from modeltrail.store.read.readers._yaml import (
    NOT_FAST,
    load_yaml,
    load_yaml_careful,
    load_yaml_fast,
)

_RUAMEL = YAML(typ="safe", pure=True)  # as GTO builds it; DVC's typ="safe" reads the same


_REFUSED = object()


def _ruamel(text: str):
    """ruamel's document, or ``_REFUSED`` when it refuses the text."""
    try:
        return _RUAMEL.load(text)
    except Exception:  # noqa: BLE001 - any refusal
        return _REFUSED


def _same(a, b) -> bool:
    """Equal values of the same type (NaN equal to NaN), through lists and mappings."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _check(scalar: str) -> None:
    """One scalar as a value, a flow item and a whole document: modeltrail reads what
    ruamel reads, types included, on each path (what ruamel refuses is tested apart)."""
    texts = [f"a: {scalar}\n", f"{scalar}\n"]
    if ":" not in scalar:  # in a flow, libyaml and ruamel read a ':' differently (syntax)
        texts.append(f"a: [{scalar}, x]\n")
    for text in texts:
        want = _ruamel(text)
        ours, warnings, ok = load_yaml(text)
        careful, _, careful_ok = load_yaml_careful(text)
        fast = load_yaml_fast(text)
        if want is _REFUSED:  # compared in the test of refusals below
            continue
        assert ok and careful_ok, (text, warnings)
        assert _same(careful, want), (text, careful, want)
        assert _same(ours, want), (text, ours, want)
        if fast is not NOT_FAST:
            assert _same(fast, want), (text, fast, want)


def _syntax(scalar: str) -> bool:
    """Whether the text starts as YAML syntax rather than a plain scalar (``-`` alone
    opens a block sequence entry, ``:`` an empty key)."""
    return scalar[0] in "-:" and (len(scalar) == 1 or scalar[1] in " :")


EDGES = [
    "1e-3",
    "1E3",
    "1e3",
    "-1.0e+3",
    "12e03",
    "010",
    "0011",
    "09",
    "0o10",
    "0o777",
    "0o8",
    "0x1F",
    "0X1F",
    "-0x1F",
    "0b101",
    "0B101",
    "on",
    "On",
    "yes",
    "Yes",
    "off",
    "no",
    "y",
    "n",
    "3:4",
    "1:30:00",
    ".inf",
    "-.Inf",
    "+.INF",
    ".iNf",
    ".nan",
    ".NaN",
    "-.nan",
    "NaN",
    "Infinity",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "_1",
    "-_1",
    "_1.5",
    "-.5",
    "+.5",
    ".5",
    ".5e3",
    ".5e+3",
    "5.",
    "1_000",
    "1__0",
    "1_000.5",
    "1e1_0",
    "0x_",
    "0x_1",
    "-_",
    "2026-01-07",
    "2026-1-7",
    "2026-01-07 10:00:00",
    "2026-01-07T10:00:00Z",
    "2026-01-07T10:00:00.5+01:00",
    "2026-13-45",
    "0.5158371040723981",
    "1e400",
    "=",
    "<<",
    "ndcg@10",
    "660efb2f",
    "1.4.0",
]


@pytest.mark.parametrize("scalar", EDGES)
def test_the_known_edge_cases_read_as_ruamel_reads_them(scalar: str) -> None:
    _check(scalar)


def test_short_number_like_scalars_read_as_ruamel_reads_them() -> None:
    """Every scalar of up to three characters from the characters numbers are made of."""
    for n in (1, 2, 3):
        for chars in itertools.product("0179_.eE+-xXoObB:", repeat=n):
            scalar = "".join(chars)
            if _syntax(scalar):
                continue
            _check(scalar)


_NUMBERISH = st.text(alphabet="0123456789_.eE+-xXoObBaAfFiInNtTrRuUlLsS:~", min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(scalar=_NUMBERISH)
@example(scalar="1e-3")
@example(scalar="1E3")
@example(scalar="010")
@example(scalar="0o10")
@example(scalar="0x1F")
@example(scalar="on")
@example(scalar="3:4")
@example(scalar=".inf")
@example(scalar="-.Inf")
@example(scalar=".nan")
@example(scalar="~")
@example(scalar="True")
@example(scalar="_1")
@example(scalar="-.5")
@example(scalar="+.5")
@example(scalar="1_000")
def test_number_like_scalars_read_as_ruamel_reads_them(scalar: str) -> None:
    if _syntax(scalar):
        return
    _check(scalar)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(_NUMBERISH, st.sampled_from(EDGES)), min_size=1, max_size=6))
def test_documents_of_such_scalars_read_as_ruamel_reads_them(values: list[str]) -> None:
    """Several such scalars in one document: one that needs the careful path sends the
    whole document there, and the others still read as ruamel reads them."""
    values = [v for v in values if not _syntax(v)]
    text = "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    want = _ruamel(text)
    if want is _REFUSED:
        return
    ours, warnings, ok = load_yaml(text)
    assert ok and _same(ours, want), (text, ours, want)


def test_what_dvc_reads_as_numbers_are_metrics_and_params() -> None:
    """The issue's examples, end to end through the metrics/params reader."""
    text = b"lr: 1e-3\nlayers: 010\nmode: 0o10\nflag: on\nratio: 3:4\nbig: 1E3\n"
    flat, warnings = structured.read_flat(text, "yaml")
    assert not warnings
    assert flat == {
        "lr": 0.001,
        "layers": 10,
        "mode": 8,
        "flag": "on",
        "ratio": "3:4",
        "big": 1000.0,
    }
    values, problems = structured.metrics_of(flat)
    assert values["lr"] == 0.001 and values["layers"] == 10.0 and values["big"] == 1000.0
    assert values["flag"] is None and not problems  # text, as DVC reads it: not a number


def test_dates_are_dates_and_flatten_to_their_iso_text() -> None:
    doc, warnings, ok = load_yaml("released: 2026-01-07\nat: 2026-01-07T10:00:00Z\n")
    assert ok and not warnings
    assert doc["released"] == dt.date(2026, 1, 7) == _RUAMEL.load("a: 2026-01-07\n")["a"]
    assert doc["at"] == dt.datetime(2026, 1, 7, 10, tzinfo=dt.UTC)
    flat, _ = structured.read_flat(b"released: 2026-01-07\n", "yaml")
    assert flat == {"released": "2026-01-07"}


def test_scalars_ruamel_refuses_are_kept_as_text_with_a_warning() -> None:
    """ruamel refuses the whole document; modeltrail keeps the rest and says which."""
    for scalar in ("-_", "0x_", "2026-13-45"):
        text = f"auc: 0.9\nodd: {scalar}\n"
        assert _ruamel(text) is _REFUSED
        doc, warnings, ok = load_yaml(text)
        assert ok and doc == {"auc": 0.9, "odd": scalar}
        assert warnings and "kept as text" in warnings[0], warnings
    doc, warnings, ok = load_yaml("a: =\n")
    assert ok and doc == {"a": "="} and not warnings


def test_the_careful_path_keeps_its_guards() -> None:
    """The YAML 1.2 resolvers change no guard: depth, merge bombs, unknown tags."""
    doc, warnings, ok = load_yaml("[" * 2000 + "]" * 2000)
    assert not ok and "nested deeper" in warnings[0]
    bomb = "a0: &a0 {k: 1}\n" + "".join(
        f"a{i}: &a{i}\n  <<: [*a{i - 1}, *a{i - 1}]\n  x{i}: 1\n" for i in range(1, 40)
    )
    doc, warnings, ok = load_yaml(bomb)
    assert ok and doc["a39"]["k"] == 1  # merges stay linear: one entry per key
    doc, warnings, ok = load_yaml("a: !Ref 010\nb: 010\n")
    assert ok and doc == {"a": "010", "b": 10} and "unsupported YAML tag" in warnings[0]
    doc, warnings, ok = load_yaml("a: !!int 010\nb: !!float 1\n")
    assert ok and doc == {"a": 10, "b": 1.0} == _RUAMEL.load("a: !!int 010\nb: !!float 1\n")


def test_plain_numbers_dvc_writes_take_the_fast_path() -> None:
    """What YAML 1.1 and 1.2 read differently no longer needs the careful path: both of
    modeltrail's paths read YAML 1.2."""
    for text in ("lr: 1e-3\n", "a: 010\n", "flag: on\n", "t: 3:4\n", "x: ~\n", "n: 1_000\n"):
        fast = load_yaml_fast(text)
        assert fast is not NOT_FAST, text
        assert _same(fast, _RUAMEL.load(text)), text
