"""``[tags] patterns`` has a bound: thousands of patterns are matched in one pass (a tag
meets only the forms whose literal pieces it holds), the incremental run's candidate
tags are found the same way, and past 200 patterns a warning says the list is unusual.

Speed is measured by ``bench/bench_refs.py --patterns N``; these tests check the shape
(how many forms a tag is read against) and that the index finds exactly what trying
every form found.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_labels import cli_json, fraud_repo, warnings_of

from modeltrail.store.catalog import tag_update
from modeltrail.store.config import read_tag_patterns
from modeltrail.store.read import labels
from modeltrail.store.read.labels import TagLabel, read_tags
from modeltrail.tui.cli import main

MANY = [f"team{i}/{{model}}/{{version}}" for i in range(2000)] + [
    "{model}@{version}",
    "{model}-r{version}",
    "release/{model}/{version}",
]


def test_thousands_of_patterns_label_as_one_would_and_warn(tmp_path: Path, capsys) -> None:
    r = fraud_repo(
        tmp_path / "repo",
        [["team1500/fraud/v1.0.0"], ["release/fraud/v2.0.0", "fraud-r7"], ["fraud-v3"]],
    )
    quoted = ", ".join(f'"{p}"' for p in MANY)
    r.write({".modeltrail.toml": f"[tags]\npatterns = [{quoted}]\n"})
    assert main(["-C", str(r.path), "index"]) == 0
    out = capsys.readouterr().out
    assert "2,003 tag forms" in out
    versions = cli_json(r, "versions", "fraud", capsys=capsys)
    assert [v["labels"] for v in versions] == [["v3"], ["v2.0.0", "7"], ["v1.0.0"]]
    assert any("2,003 tag forms" in w[2] for w in warnings_of(r))
    # a new tag, incrementally: found among the candidates through a team's pattern
    r.tag("team1999/fraud/v4.0.0")
    assert main(["-C", str(r.path), "index"]) == 0
    capsys.readouterr()
    versions = cli_json(r, "versions", "fraud", capsys=capsys)
    assert sorted(versions[0]["labels"]) == ["v3", "v4.0.0"]


def test_a_few_patterns_do_not_warn() -> None:
    from modeltrail.store.config import MANY_TAG_PATTERNS

    usable, warnings = read_tag_patterns(MANY[: MANY_TAG_PATTERNS - 1] + MANY[:5])
    assert len(usable) == MANY_TAG_PATTERNS - 1 and warnings == []  # repeats read once
    usable, warnings = read_tag_patterns(MANY[: MANY_TAG_PATTERNS + 1])
    assert len(usable) == MANY_TAG_PATTERNS + 1 and len(warnings) == 1


def test_a_tag_is_read_against_the_forms_it_holds_only(monkeypatch) -> None:
    tried: list[str] = []
    readings = labels._readings

    def counted(tag, pat, names):
        tried.append(tag)
        return readings(tag, pat, names)

    monkeypatch.setattr(labels, "_readings", counted)
    tags = ["team7/fraud/v1.0.0", "fraud-r3", "fraud@v2.0.0", "fraud/v1.1.0", "other/x"]
    reading = read_tags(tags, {"fraud"}, None, MANY)
    assert reading.labels == [
        TagLabel("fraud", "v1.0.0", "semver", "team7/fraud/v1.0.0"),
        TagLabel("fraud", "3", "sequential", "fraud-r3"),
        TagLabel("fraud", "v2.0.0", "semver", "fraud@v2.0.0"),
        TagLabel("fraud", "v1.1.0", "semver", "fraud/v1.1.0"),
    ]
    # each tag meets its own team form, and the built-in ones whose middle it holds;
    # trying every form read each tag with a "/" against all 2,000 "teamN/" forms
    assert len(tried) <= 3 * len(tags)


_PIECES = st.sampled_from(["{model}", "{version}", "-", "/", "r", "v", "@", "x", "rc", ""])
_PATTERNS = st.lists(st.lists(_PIECES, max_size=6).map("".join), max_size=30)
_TAGS = st.lists(
    st.lists(st.sampled_from(["m", "mx", "-", "/", "r", "v1", "1.0.0", "@", "x", "rc", "2"]))
    .map("".join)
    .filter(bool),
    max_size=20,
)
_MIDDLES = st.lists(
    st.sampled_from(["-", "r", "x", "rc", "@", "-r", "x-", "rcx", "/"]), max_size=12
)


@settings(deadline=None, max_examples=300)
@given(_PATTERNS, _MIDDLES, _TAGS)
def test_the_index_finds_what_trying_every_form_found(patterns, middles, tags) -> None:
    # many forms sharing a prefix and suffix: the index slides over the tag's middle
    patterns = patterns + [f"{{model}}{m}{{version}}" for m in middles]
    compiled = [p for p in map(labels._compile, patterns) if p]
    rules = [*compiled, *labels.BUILTIN_PATTERNS]
    index = labels._Rules(rules)
    names = {"m", "mx", "m-r", "x"}
    for tag in tags:
        every = [r for r in rules if labels._readings(tag, r, names)]
        assert [r for r in index.matching(tag) if labels._readings(tag, r, names)] == every


def _candidates_by_trying_every_form(tags, models, patterns) -> list[str]:
    """The candidates as they were found before: a prefix/suffix tuple of every model
    with every pattern."""
    starts = {f"{m}{sep}" for m in models for sep in ("-", "/")}
    ends: set[str] = set()
    for pattern in patterns:
        if "{model}" not in pattern:
            continue
        before, _, after = pattern.partition("{model}")
        if "{version}" in before:
            ends.update(f"{m}{after}" for m in models)
        else:
            starts.update(f"{before}{m}" for m in models)
    start_t, end_t = tuple(starts), tuple(ends)
    return [t for t in tags if t.startswith(start_t) or (end_t and t.endswith(end_t))]


@settings(deadline=None, max_examples=300)
@given(_PATTERNS, st.sets(st.sampled_from(["m", "mx", "m-r", "x", "2"]), max_size=3), _TAGS)
def test_incremental_candidates_are_those_of_every_form(patterns, models, tags) -> None:
    expected = _candidates_by_trying_every_form(tags, models, patterns)
    assert tag_update._candidates(tags, models, patterns) == expected
