"""The version filter language (``store.query.filter``) against a real catalog."""

from __future__ import annotations

import dataclasses
import re

import pytest
from gitbuilder import GitRepo
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tui_support import build_tiny_repo, index

from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.query.browse import metric_keys
from modeltrail.store.query.filter import (
    FIELDS,
    FilterError,
    Term,
    matching_topos,
    parse,
    to_sql,
)
from modeltrail.store.repo import open_repo


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    root = build_tiny_repo(tmp_path_factory.mktemp("filter") / "repo")
    index(root)
    repo = open_repo(root)
    connection = open_catalog(repo, refresh=False)
    yield connection
    connection.close()
    repo.close()


def labels(con, query: str) -> list[str]:
    keys = metric_keys(con, "churn")
    topos = matching_topos(con, "churn", query, keys).to_pylist()
    rows = con.execute(
        "SELECT version FROM versions WHERE model = 'churn' AND topo IN (SELECT unnest(?)) "
        "ORDER BY topo",
        [topos],
    ).fetchall()
    return [r[0] for r in rows]


def test_metric_comparisons(con):
    assert labels(con, "auc>0.84")[-3:-1] == ["v1.1.0", "v1.2.0"]
    assert len(labels(con, "auc>0.84")) == 3  # and the exp/deeper commit (0.90)
    assert labels(con, "auc>=0.88 auc<0.9") == ["v1.2.0"]
    assert labels(con, "loss==0.4") == ["v1.0.0"]
    assert len(labels(con, "auc!=0.8")) == 5
    # negated: every other version, those without the metric too
    every = labels(con, "")
    above = labels(con, "auc>0.84")
    assert labels(con, "-auc>0.84") == [v for v in every if v not in above]


def test_fields(con):
    assert len(labels(con, "author:bruno")) == 2
    assert len(labels(con, "author:BRUNO@example")) == 2  # e-mail, any case
    assert labels(con, "stage:prod") == ["v1.1.0"]
    assert labels(con, "label:v1.2") == ["v1.2.0"]
    assert len(labels(con, "branch:main")) == 5
    assert len(labels(con, "branch:exp/*")) == 6  # exp/deeper contains all of main's too
    assert len(labels(con, "-branch:main")) == 1
    assert labels(con, "is:latest") == ["v1.2.0"]
    assert len(labels(con, "is:labelled")) == 3
    assert labels(con, "is:staged") == ["v1.1.0", "v1.2.0"]
    assert len(labels(con, "message:deeper")) == 1
    assert len(labels(con, "date>=2026-03-01")) == 2
    assert len(labels(con, "date<2026-01-06")) == 1


def test_bare_words_and_quotes(con):
    assert len(labels(con, "deeper")) == 1
    assert len(labels(con, '"auc 0.8"')) == 5  # every main commit's subject: 'churn: auc 0.8x'
    assert labels(con, '"auc 0.85"') == ["v1.1.0"]
    assert labels(con, "v1.0") == ["v1.0.0"]


def test_combined_terms_are_and(con):
    assert labels(con, "auc>0.8 author:ana stage:prod") == ["v1.1.0"]
    assert labels(con, 'auc>0.8 author:"ana lima" -stage:prod') == []
    assert len(labels(con, "auc>0.8 author:ana -stage:prod")) == 1  # Dana's experiment


def test_like_wildcards_are_literal(con):
    assert labels(con, "100%") == []
    assert labels(con, "author:_") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("foo:bar", "unknown field 'foo'"),
        ("aucc>0.8", "unknown metric 'aucc' in filter (metrics: auc, loss)"),
        ("auc>high", "auc needs a number, not 'high'"),
        ("auc>", "needs a value after >"),
        (">0.8", "needs a metric name before the operator"),
        ('author:"ana', "a quote is not closed"),
        ("is:good", "is:good (use is:latest, is:stale, is:labelled, is:staged, is:semver, "),
        ("date>yesterday", "date needs YYYY-MM-DD"),
        ("date>2026-02-30", "'2026-02-30' is not a date"),
        ("stage:", "stage: needs a value"),
        ("auc>nan", "finite number"),
    ],
)
def test_bad_queries_say_what_is_wrong(con, query, message):
    with pytest.raises(FilterError) as err:
        matching_topos(con, "churn", query, metric_keys(con, "churn"))
    assert message in str(err.value)


def test_empty_query_matches_everything(con):
    assert parse("   ") == []
    assert len(labels(con, "")) == 6


#: pieces a query is made of: fields, metrics, operators, quotes, SQL and LIKE syntax
_PIECES = [
    *(f"{f}:" for f in FIELDS),
    "auc", "loss", "date", ">", ">=", "<", "==", "!=", "=", "-", " ", '"', "'", "%", "_", "*",
    "\\", ";", "(", ")", "--", "?", "$1", "nan", "0.8", "2026-03-01", "latest", "semver",
]  # fmt: skip
_QUERIES = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(alphabet="auclos:<>=!-'% 09.,[]/", max_size=4)),
    max_size=10,
).map("".join)


def _blanked(term: Term) -> Term:
    """``term`` with the user's words replaced: the SQL must not change (they are all
    parameters). Kept: the operator, a metric key's colons (which say how many file keys
    it is compared with), a date, and the word of ``is:`` (which picks the condition)."""
    key = re.sub(r"[^:]", "k", term.key) if term.kind == "metric" else term.key
    if term.kind == "date" or term.key == "is" or not isinstance(term.value, str):
        return dataclasses.replace(term, key=key)
    return dataclasses.replace(term, key=key, value="x")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_QUERIES)
@example("message:deeper")
@example('message:"\'; DROP TABLE versions; --"')
@example('author:"\' OR 1=1 --" stage:"prod\' OR \'1"')
@example('branch:%_*\\\\ label:"v1.2\')"')
@example('auc>0.8) -commit:"?" is:latest')
@example('"100%\' OR 1=1"')
def test_any_text_is_a_result_or_a_filter_error(con, query):
    """No query reaches DuckDB as SQL text: every input is either a FilterError or a
    condition whose SQL is the same whatever the words (they are all parameters), which
    matches only versions of the model."""
    keys = ["auc", "loss"]
    try:
        terms = parse(query, keys)
        topos = matching_topos(con, "churn", query, keys).to_pylist()
    except FilterError:
        return
    where, params = to_sql(terms, "churn")
    assert where.count("?") == len(params)
    assert to_sql([_blanked(t) for t in terms], "churn")[0] == where
    assert all(t.op in ("~", ":", ">", ">=", "<", "<=", "=", "!=") for t in terms)
    every = con.execute("SELECT list(topo) FROM versions WHERE model = 'churn'").fetchall()[0][0]
    assert set(topos) <= set(every)


@pytest.fixture(scope="module")
def schemes(tmp_path_factory):
    """fraud with a label of every scheme: v1.0.0, 2026.01, v7, v70 and an unlabelled head."""
    r = GitRepo(tmp_path_factory.mktemp("schemes") / "repo")
    for i, tag in enumerate(["fraud-v1.0.0", "fraud-2026.01", "fraud-v7", "fraud-v70", None]):
        r.commit(f"train {i}", {"fraud/model.yaml": "name: fraud\n", "fraud/w.bin": f"{i}"})
        if tag:
            r.tag(tag)
    index(r.path)
    repo = open_repo(r.path)
    connection = open_catalog(repo, refresh=False)
    yield connection
    connection.close()
    repo.close()


def fraud(con, query: str) -> list[str]:
    topos = matching_topos(con, "fraud", query, []).to_pylist()
    rows = con.execute(
        "SELECT version FROM versions WHERE model = 'fraud' AND topo IN (SELECT unnest(?)) "
        "ORDER BY topo",
        [topos],
    ).fetchall()
    return [r[0] for r in rows]


def test_label_kinds(schemes):
    assert fraud(schemes, "is:semver") == ["v1.0.0"]
    assert fraud(schemes, "is:calendar") == ["2026.01"]
    assert fraud(schemes, "is:Sequential") == ["v7", "v70"]
    assert len(fraud(schemes, "-is:sequential")) == 3
    assert fraud(schemes, "is:latest") == ["v1.0.0"]  # semver first, whatever is newer


def test_label_matches_whole_parts(schemes):
    assert fraud(schemes, "label:v7") == ["v7"]  # not v70
    assert fraud(schemes, "label:V70") == ["v70"]
    assert fraud(schemes, "label:v1") == ["v1.0.0"]  # up to a separator
    assert fraud(schemes, "label:v1.0") == ["v1.0.0"]
    assert fraud(schemes, "label:2026") == ["2026.01"]
    assert fraud(schemes, "label:v") == []
    assert fraud(schemes, "label:2026.0") == []


# --- a metric named by its last part(s) ---------------------------------------------------

DEMO_KEYS = ["latency_ms", "test.auc", "test.f1", "test.loss", "train.auc", "train.loss"]


def _key(query: str, keys: list[str]) -> str:
    (term,) = parse(query, keys)
    return term.key


def test_a_metric_is_named_by_its_last_part_when_only_one_ends_so():
    assert _key("f1>0.6", DEMO_KEYS) == "test.f1"
    assert _key("test.f1>0.6", DEMO_KEYS) == "test.f1"
    assert _key("F1>0.6", DEMO_KEYS) == "test.f1"  # case only when nothing else matches
    # a file-qualified metric, by its key or by the file's last parts
    keys = ["eval/metrics.json:auc", "train/metrics.json:loss"]
    assert _key("auc>0.8", keys) == "eval/metrics.json:auc"
    assert _key("metrics.json:auc>0.8", keys) == "eval/metrics.json:auc"
    # an exact name wins over one it ends
    assert _key("auc>0.8", ["auc", "test.auc"]) == "auc"
    assert _key("a.auc>0.8", ["a.auc", "b.a.auc"]) == "a.auc"


def test_an_ambiguous_metric_offers_the_choices():
    with pytest.raises(FilterError) as err:
        parse("auc>0.8", DEMO_KEYS)
    assert str(err.value) == "ambiguous metric 'auc' in filter: test.auc or train.auc? (name one)"
    with pytest.raises(FilterError) as err:
        parse("loss<1", ["a.loss", "b.loss", "c.loss"])
    assert "a.loss, b.loss or c.loss?" in str(err.value)
    many = [f"m{i:02}.loss" for i in range(12)]
    with pytest.raises(FilterError) as err:
        parse("loss<1", many)
    assert "(and 4 more)" in str(err.value)


def test_a_part_of_a_word_names_no_metric():
    with pytest.raises(FilterError, match="unknown metric 'uc'"):
        parse("uc>0.8", DEMO_KEYS)
    with pytest.raises(FilterError, match="unknown metric 'ms'"):
        parse("ms<10", DEMO_KEYS)


def test_a_suffix_filter_matches_what_the_whole_name_does(con):
    assert labels(con, "auc>0.84") == labels(con, "AUC>0.84")
