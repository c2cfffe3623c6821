"""``print_json_list`` writes a list's JSON an item at a time (``tui/json_text.py``, by
orjson): the text must be exactly what ``print_json`` of the whole list writes (indent 2,
floats exact, NaN and ±Infinity as null; unsafe characters escaped) and read back as the
values, for any JSON-shaped values and for the odd ones (a date, a tuple, a float
subclass, an integer beyond 64 bits, a lone surrogate, which orjson leaves to
``json.dumps``)."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import sys
from contextlib import contextmanager
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from modeltrail.tui.commands._common import print_json, print_json_list
from modeltrail.tui.json_text import dumps, list_chunks
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


def _as_read(value):
    """``value`` as its JSON text must read back: NaN and ±Infinity null, tuples lists,
    keys and odd values their text."""
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _as_read(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_read(v) for v in value]
    return str(value)


def _same(a, b) -> bool:
    """Equal, floats bit for bit (0.0 is not -0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex()
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=6))
@example([{"n": math.nan, "i": math.inf, "-i": -math.inf, "f": _Float("nan"), "x": -0.0}])
@example([{"huge": 10**30, "n": math.nan, "f": 1e-7}, ["\udcff", math.inf]])
def test_any_list_reads_back_exactly(items):
    for text in (dumps(items), "".join(list_chunks(iter(items), per_chunk=2))):
        assert _same(json.loads(text, parse_constant=_refuse), _as_read(items))


def test_nan_and_infinity_are_null_also_where_orjson_gives_way():
    """NaN and ±Infinity are null in orjson's text and in ``json.dumps``'s, which writes
    an item orjson refuses (here for its integer beyond 64 bits, or a lone surrogate)."""
    for odd in ({}, {"huge": 10**20}, {"path": "a\udcffb"}):
        item = {**odd, "nan": math.nan, "inf": math.inf, "ninf": -math.inf, "sub": _Float("inf")}
        for text in (dumps(item), dumps([item]), "".join(list_chunks([item, item]))):
            assert "NaN" not in text and "Infinity" not in text
            read = json.loads(text, parse_constant=_refuse)
            for got in read if isinstance(read, list) else [read]:
                assert [got[k] for k in ("nan", "inf", "ninf", "sub")] == [None] * 4


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
    assert len(list(list_chunks(iter(items), per_chunk=256))) == 4


def test_empty_and_one_item_lists():
    for items in ([], [{}], [[]], ["\x1b[31m"], [{"k": 1.0000000000001}]):
        old, new = _both(items)
        assert new == old


@settings(max_examples=200, deadline=None)
@given(st.lists(_VALUES, max_size=7), st.integers(1, 3))
@example([{"huge": 10**30}, {"a": [1, {}]}, [], {}], 2)
def test_a_list_in_chunks_is_the_text_of_its_items(items, per_chunk):
    """Each chunk's items are serialized in one call: the text is still, byte for byte,
    that of each item on its own (an item orjson refuses included), in a list."""
    from modeltrail.tui.json_text import _text

    each = ",".join("\n  " + _text(item, b"\n  ", "\n  ") for item in items)
    expected = f"[{each}\n]" if items else "[]"
    assert "".join(list_chunks(iter(items), per_chunk=per_chunk)) == expected


def test_del_in_otherwise_ascii_json_is_escaped(capsys):
    """ASCII JSON text skips the escaping pass, except for DEL, the one ASCII character
    a terminal acts on that JSON leaves raw."""
    from modeltrail.tui.commands._common import print_json_list

    print_json_list([{"name": "plain"}, {"name": "a\x7fb"}])
    out = capsys.readouterr().out
    assert "\x7f" not in out and '"a\\u007fb"' in out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            _TEXT,
            _TEXT | st.sampled_from(["a\udcffb", "\U0010efe9x", "\x85\x9d\u061c\u2066"]),
            max_size=3,
        ),
        max_size=4,
    )
)
@example([{"name": "\ufeffm\x1b]0;t\x07", "path": "m\udce9dels/a"}])
def test_json_is_written_as_safe_text_would_write_it(items):
    """JSON goes to the stream directly, not through ``safe_text.clean`` again: its text
    is already what ``clean`` would leave as it is (JSON's escapes, and ours)."""
    from modeltrail.tui.safe_text import clean

    for write in (print_json, print_json_list):
        with _stdout() as out:
            write(items)
        text = out.getvalue()
        assert clean(text) == text
        json.loads(text)
