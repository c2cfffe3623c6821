"""``print_json_list`` writes a list's JSON an item at a time (``tui/json_text.py``): the
text must be exactly what ``print_json`` of the whole list writes (``json.dumps`` with
indent 2, floats by ``json_number``: exact, NaN and ±Infinity as null; unsafe characters escaped), for any JSON-shaped
values and for the odd ones ``json.dumps`` takes (a date, a tuple, a float subclass)."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from contextlib import contextmanager
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from modeltrail.tui.commands._common import print_json, print_json_list
from modeltrail.tui.json_text import list_chunks
from modeltrail.tui.safe_text import SafeStream


@contextmanager
def _stdout():
    saved = sys.stdout
    buf = io.StringIO()
    sys.stdout = SafeStream(buf)  # as the CLI runs every command
    try:
        yield buf
    finally:
        sys.stdout = saved


def _both(items: list) -> tuple[str, str]:
    with _stdout() as old:
        print_json(items)
    with _stdout() as new:
        print_json_list(iter(items))
    return old.getvalue(), new.getvalue()


class _Float(float):
    pass


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from('\x1b\x07\n\r\t\x9b\u202e\u2028\ufeff"\\/…漢🎉'),
    max_size=12,
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.sampled_from([0.1 + 0.2, 1e16, 1e-7, -0.0, 0.05499999999999994, 2.5e-310]),
    _TEXT,
)
_ODD = st.one_of(
    st.builds(_Float, st.floats()),
    st.just(dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)),
    st.just(Decimal("1.10")),
)
_VALUES = st.recursive(
    _SCALAR | _ODD,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_TEXT, inner, max_size=4),
        st.dictionaries(st.integers(0, 9), inner, max_size=2),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=6))
@example([1e-7, 0.12345, -1.1304062055970203e-73, 2.5e-310, [0.1 + 0.2, {"k": 1e16}]])
def test_any_list_streams_as_the_whole_list_prints(items):
    old, new = _both(items)
    assert new == old
    json.loads(new, parse_constant=_refuse)  # strict JSON: NaN and ±Infinity are null


def _refuse(name: str):
    raise ValueError(f"not standard JSON: {name}")


def test_a_versions_like_listing_in_many_chunks():
    items = [
        {
            "version": f"v1.{i}.0",
            "labels": [],
            "metrics": {"auc": 0.1 * i, "loss": [1, {"a": None}], "x:y": float("nan")},
            "params": {},
            "mlflow": None if i % 2 else {"path": "m", "signature": {"inputs": None}},
            "main_line": i % 3 == 0,
        }
        for i in range(1000)
    ]
    old, new = _both(items)
    assert new == old
    assert json.loads(new)[999]["version"] == "v1.999.0"
    assert len(list(list_chunks(iter(items), float, lambda x: x, per_chunk=256))) == 4


def test_empty_and_one_item_lists():
    for items in ([], [{}], [[]], ["\x1b[31m"], [{"k": 1.0000000000001}]):
        old, new = _both(items)
        assert new == old
