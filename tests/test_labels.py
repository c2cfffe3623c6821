"""Plain tag labels and the choice of the latest label (docs/CONVENTIONS.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from hypothesis import given
from hypothesis import strategies as st

from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.read.labels import (
    Clash,
    LabelledVersion,
    TagLabel,
    calendar_key,
    classify,
    mixed_schemes,
    pick_latest,
    plain_tag_labels,
    read_tags,
    semver_key,
    sequential_key,
)
from modeltrail.store.repo import open_repo

MODELS = {"churn", "churn-v2", "team/fraud", "team"}


def test_plain_tags_of_known_models() -> None:
    tags = [
        "churn-v1.2.0",
        "churn/v1.3.0-rc.1",
        "churn-2026.01.07",
        "churn-v2-v0.1.0",
        "churn-v2.0.0",
        "team/fraud-v3.0.0",
        "team/fraud/2025.12.31",
        "team-v1.0.0",
    ]
    assert plain_tag_labels(tags, MODELS, None) == [
        TagLabel("churn", "v1.2.0", "semver", "churn-v1.2.0"),
        TagLabel("churn", "v1.3.0-rc.1", "semver", "churn/v1.3.0-rc.1"),
        TagLabel("churn", "2026.01.07", "calendar", "churn-2026.01.07"),
        TagLabel("churn-v2", "v0.1.0", "semver", "churn-v2-v0.1.0"),
        TagLabel("churn", "v2.0.0", "semver", "churn-v2.0.0"),
        TagLabel("team/fraud", "v3.0.0", "semver", "team/fraud-v3.0.0"),
        TagLabel("team/fraud", "2025.12.31", "calendar", "team/fraud/2025.12.31"),
        TagLabel("team", "v1.0.0", "semver", "team-v1.0.0"),
    ]


@pytest.mark.parametrize(
    "tag",
    [
        "churn-1.2.0",  # no leading v (and 1 is no year)
        "churn-v1.2",  # not semver, not a number
        "churn-v01.2.0",
        "churn-v07",  # a sequential number is not zero-padded
        "churn-2026.13.01",  # no such month
        "churn-2026.02.30",  # a padded month and a two-digit day: a real date or nothing
        "churn-2026-02-30",
        "churn-2026.13",
        "churn-26.01.07",  # MICRO is not padded
        "churn-v2026.01.07",
        "churn-r7",  # not a built-in form (a team pattern can make it one)
        "churn_v1.0.0",
        "churn@v1.0.0",  # GTO's, not a plain tag
        "churn#prod#1",
        "other-v1.0.0",  # unknown model
        "churn-",
        "churn-v1.0.0-",
        "-churn-v1.0.0",
        "v1.0.0",  # bare: only with a single model
        "v7",
        "churn-v１.0.0",  # full-width digit
    ],
)
def test_tags_that_give_no_label(tag: str) -> None:
    assert plain_tag_labels([tag], MODELS, None) == []


def test_bare_semver_tags_only_in_a_single_model_repository() -> None:
    tags = ["v1.0.0", "v2.0.0-beta", "2026.01.07", "latest", "churn-v1.1.0", "v7", "7"]
    assert plain_tag_labels(tags, {"churn"}, "churn") == [
        TagLabel("churn", "v1.0.0", "semver", "v1.0.0"),
        TagLabel("churn", "v2.0.0-beta", "semver", "v2.0.0-beta"),
        TagLabel("churn", "v1.1.0", "semver", "churn-v1.1.0"),
        TagLabel("churn", "v7", "sequential", "v7"),
    ]
    assert plain_tag_labels(tags, {"churn", "fraud"}, None) == [
        TagLabel("churn", "v1.1.0", "semver", "churn-v1.1.0"),
    ]


def test_keys() -> None:
    assert semver_key("v1.2.0") == semver_key("1.2.0") == semver_key("V1.2.0")
    assert semver_key("v1.10.0") > semver_key("v1.9.0")
    assert semver_key("v2.0.0-rc.1") < semver_key("v2.0.0")
    for bad in ("", "v", "1.2", "vv1.0.0", "2026.01.07", "abc1234", "v1.0.0 "):
        assert semver_key(bad) is None
    assert calendar_key("2026.01.07") == calendar_key("2026-01-07") == (2026, 1, 7)
    assert calendar_key("2026.1.7") == calendar_key("26.1.7") == calendar_key("26.01.7")
    for bad in ("2026.02.29", "v2026.01.07", "", "2026.0.1", "26.13.1", "6.1.1", "2026.01.007"):
        assert calendar_key(bad) is None, bad
    assert sequential_key("v10") == sequential_key("10") == 10
    for bad in ("", "v", "V7", "v-1", "07", "v1.0", "1e3", "١"):
        assert sequential_key(bad) is None, bad


@pytest.mark.parametrize(
    ("tag", "label", "kind"),
    [
        ("churn-v7", "v7", "sequential"),
        ("churn/v7", "v7", "sequential"),
        ("churn-7", "7", "sequential"),
        ("churn-v10", "v10", "sequential"),
        ("churn-2026.01.07", "2026.01.07", "calendar"),  # YYYY.MM.DD
        ("churn-2026.01", "2026.01", "calendar"),  # YYYY.MM
        ("churn/2026.1", "2026.1", "calendar"),
        ("churn-2026.1.12", "2026.1.12", "calendar"),  # YYYY.MM.MICRO, not padded
        ("churn-2026.01.3", "2026.01.3", "calendar"),  # YYYY.MM.MICRO, padded month
        ("churn-2026-01-07", "2026-01-07", "calendar"),  # YYYY-MM-DD
        ("churn-26.1.3", "26.1.3", "calendar"),  # YY.MM.MICRO
        ("churn-26.01.3", "26.01.3", "calendar"),
        ("churn-v1.2.0", "v1.2.0", "semver"),
    ],
)
def test_every_scheme_form_of_a_tag(tag: str, label: str, kind: str) -> None:
    assert plain_tag_labels([tag], MODELS, None) == [TagLabel("churn", label, kind, tag)]


def test_classify_bare_versions() -> None:
    # manifests and the team's patterns: X.Y.Z is semver, a four-digit year is calendar
    assert classify("1.2.0") == "semver"
    assert classify("24.5.1") == "semver"
    assert classify("24.05.1") == "calendar"  # not semver (padded), so YY.0M.MICRO
    assert classify("2026.1.3") == "calendar"
    assert classify("3") == classify("v3") == "sequential"
    assert classify("beta") is None
    # the built-in tag forms want the v for semver: there 24.5.1 is a date
    assert classify("24.5.1", bare_semver=False) == "calendar"
    assert classify("1.2.0", bare_semver=False) is None


T0 = datetime(2025, 1, 1, tzinfo=UTC)


def lv(label: str, days: int = 0, order: int = 0) -> LabelledVersion:
    return LabelledVersion(label, T0 + timedelta(days=days), order)


def test_latest_is_highest_semver_even_if_older() -> None:
    versions = [lv("v1.10.0", 1), lv("v1.9.0", 5), lv("2026.01.07", 9), lv("abc1234", 10)]
    assert pick_latest(versions) == "v1.10.0"


def test_latest_semver_accepts_manifest_versions_without_v() -> None:
    assert pick_latest([lv("v1.0.0", 1), lv("1.2.0", 0)]) == "1.2.0"


def test_latest_prefers_release_over_prerelease_and_newer_commit_on_equal_semver() -> None:
    assert pick_latest([lv("v2.0.0-rc.2", 9), lv("v2.0.0", 1)]) == "v2.0.0"
    assert pick_latest([lv("v1.0.0+a", 2), lv("v1.0.0+b", 1)]) == "v1.0.0+a"


def test_latest_calendar_when_no_semver() -> None:
    versions = [lv("2025.12.31", 5), lv("2026.01.07", 1), lv("abc1234", 9)]
    assert pick_latest(versions) == "2026.01.07"
    # 2026.10.10 is valid semver too, but it is a calendar label: a real semver still wins
    assert pick_latest([lv("2026.10.10", 5), lv("v0.1.0", 1)]) == "v0.1.0"


def test_sequential_labels_are_numbers() -> None:
    assert pick_latest([lv("v10", 1), lv("v9", 5), lv("v2", 9)]) == "v10"
    assert pick_latest([lv("10", 1), lv("9", 5)]) == "10"
    # a sequential label loses to any semver or calendar label
    assert pick_latest([lv("v99", 9), lv("2026.01", 1)]) == "2026.01"
    assert pick_latest([lv("v99", 9), lv("2026.01", 1), lv("v0.0.1", 0)]) == "v0.0.1"
    # ... and wins over an unlabelled commit, however new
    assert pick_latest([lv("v1", 1), LabelledVersion("1234567", T0 + timedelta(9), 0, "commit")])
    assert pick_latest([lv("v1", 1), lv("abc1234", 9)]) == "v1"


def test_calendar_order_is_date_then_micro() -> None:
    order = ["2026.01", "2026.1.3", "2026.1.12", "2026.01.20", "2026.2.1", "2026-02-03"]
    for i in range(len(order)):
        for later in order[i + 1 :]:
            older = order[i]
            # whatever the commit dates say, the later calendar label is the latest
            assert pick_latest([lv(later, 1), lv(older, 9)]) == later, (older, later)
    assert pick_latest([lv("26.1.3", 1), lv("25.12.9", 9)]) == "26.1.3"


def test_kind_given_wins_over_the_text() -> None:
    # a tag fraud-24.5.1 is a calendar label; the same text in a manifest would be semver
    cal = LabelledVersion("24.5.1", T0, 0, "calendar")
    assert pick_latest([cal, LabelledVersion("7", T0, 1, "sequential")]) == "24.5.1"
    assert pick_latest([cal, LabelledVersion("2026.01", T0, 1, "calendar")]) == "2026.01"


def test_team_patterns() -> None:
    patterns = ["release/{model}/{version}", "{model}-r{version}", "{version}@@{model}"]
    tags = [
        "release/team/fraud/2026.01.2",
        "release/churn/1.4.0",
        "release/churn/v3",
        "churn-r7",
        "team/fraud-r12",
        "2026.1.3@@churn",
        "release/other/1.0.0",  # no such model
        "release/churn/final",  # no version
        "churn-v2-r1",  # the longest name first
    ]
    assert plain_tag_labels(tags, MODELS, None, patterns) == [
        TagLabel("team/fraud", "2026.01.2", "calendar", "release/team/fraud/2026.01.2"),
        TagLabel("churn", "1.4.0", "semver", "release/churn/1.4.0"),
        TagLabel("churn", "v3", "sequential", "release/churn/v3"),
        TagLabel("churn", "7", "sequential", "churn-r7"),
        TagLabel("team/fraud", "12", "sequential", "team/fraud-r12"),
        TagLabel("churn", "2026.1.3", "calendar", "2026.1.3@@churn"),
        TagLabel("churn-v2", "1", "sequential", "churn-v2-r1"),
    ]
    # the built-in forms still apply beside the team's own
    assert plain_tag_labels(["churn-v1.0.0"], MODELS, None, patterns) == [
        TagLabel("churn", "v1.0.0", "semver", "churn-v1.0.0")
    ]


def test_a_tag_two_models_could_claim_is_a_clash() -> None:
    models = {"fraud", "fraud2"}
    reading = read_tags(["fraud21", "fraud2x", "fraud-v1"], models, None, ["{model}{version}"])
    assert reading.labels == [
        TagLabel("fraud2", "1", "sequential", "fraud21"),  # or fraud's 21: the longest name
        TagLabel("fraud", "v1", "sequential", "fraud-v1"),
    ]
    assert reading.clashes == [Clash("fraud21", ("fraud2", "fraud"))]
    assert read_tags(["fraud21"], models, None).clashes == []  # no pattern, no clash


def test_mixed_schemes() -> None:
    assert mixed_schemes([("v1.0.0", "gto"), ("1.1.0", "manifest"), ("beta", "manifest")]) == {}
    assert mixed_schemes([("v7", "sequential"), ("v1.0.0", "semver"), ("v8", "sequential")]) == {
        "semver": ["v1.0.0"],
        "sequential": ["v7", "v8"],
    }


def test_latest_newest_commit_when_unlabelled() -> None:
    assert pick_latest([lv("aaa1111", 1), lv("bbb2222", 3), lv("ccc3333", 2)]) == "bbb2222"
    # equal dates: the order decides; missing dates count as oldest
    assert pick_latest([lv("aaa1111", 1, order=2), lv("bbb2222", 1, order=1)]) == "aaa1111"
    assert pick_latest([LabelledVersion("ddd4444"), lv("eee5555", 0)]) == "eee5555"
    assert pick_latest([]) is None


@given(st.lists(st.text(max_size=30), max_size=20), st.sets(st.text(max_size=12), max_size=5))
def test_never_raises_and_labels_are_tag_suffixes(tags: list[str], models: set[str]) -> None:
    single = next(iter(models)) if len(models) == 1 else None
    for found in plain_tag_labels(tags, models, single):
        assert found.tag in tags
        assert found.tag.endswith(found.label)
        assert found.model in models
        assert classify(found.label, bare_semver=False) == found.kind
    pick_latest(LabelledVersion(t) for t in tags)


# --- on generated repositories, through the catalog and the CLI ---------------------------


def fraud_repo(path: Path, tags_by_commit: list[list[str]], models=("fraud",)) -> GitRepo:
    """One commit per entry (each changes every model), tagged with that entry's tags."""
    r = GitRepo(path)
    for i, tags in enumerate(tags_by_commit):
        files = {f"models/{m}/model.yaml": f"name: {m}\n" for m in models}
        files.update({f"models/{m}/weights.bin": f"w{i}" for m in models})
        r.commit(f"train {i}", files)
        for t in tags:
            r.tag(t)
    return r


def cli_json(repo: GitRepo, *args: str, capsys) -> object:
    from modeltrail.tui.cli import main

    assert main(["-C", str(repo.path), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def warnings_of(repo: GitRepo) -> list[tuple]:
    con = open_catalog(open_repo(repo.path))
    try:
        return con.execute("SELECT path, model, message FROM warnings ORDER BY message").fetchall()
    finally:
        con.close()


def latest(repo: GitRepo, capsys, model: str = "fraud") -> str:
    found = {m["name"]: m["latest"] for m in cli_json(repo, "models", capsys=capsys)}
    return found[model]


def test_sequential_tags_order_as_numbers(tmp_path: Path, capsys) -> None:
    # v10 is on the older commit: neither the text order nor the dates make it the latest
    r = fraud_repo(tmp_path / "repo", [["fraud-v8"], ["fraud-v10"], ["fraud/v9"], []])
    assert latest(r, capsys) == "v10"
    versions = cli_json(r, "versions", "fraud", capsys=capsys)
    assert [(v["version"], v["is_latest"]) for v in versions] == [
        (r.head()[:7], False),
        ("v9", False),
        ("v10", True),
        ("v8", False),
    ]
    assert versions[1]["labels"] == ["v9"]  # the existing key is unchanged
    assert versions[1]["labels_detail"] == [
        {"label": "v9", "kind": "sequential", "source": "tag", "tag": "fraud/v9"}
    ]
    assert versions[0]["labels_detail"] == []
    assert warnings_of(r) == []
    # a sequential label or its tag names a version wherever a VERSION is asked for
    diff = cli_json(r, "diff", "fraud", "fraud-v8", "v10", capsys=capsys)
    assert (diff["a"]["version"], diff["b"]["version"]) == ("v8", "v10")


def test_bare_sequential_tags_in_a_one_model_repository(tmp_path: Path, capsys) -> None:
    r = fraud_repo(tmp_path / "repo", [["v1"], ["v2"], ["7"]])
    assert latest(r, capsys) == "v2"  # a bare 7 is no label
    assert [v["version"] for v in cli_json(r, "versions", "fraud", capsys=capsys)][1:] == [
        "v2",
        "v1",
    ]


def test_calendar_forms_order_by_date_then_micro(tmp_path: Path, capsys) -> None:
    tags = [["fraud-2026.2.1"], ["fraud-2026.1.12"], ["fraud-2026.1.3"], ["fraud-2026-01-20"]]
    r = fraud_repo(tmp_path / "repo", tags)
    assert latest(r, capsys) == "2026.2.1"
    details = [v["labels_detail"] for v in cli_json(r, "versions", "fraud", capsys=capsys)]
    assert {d[0]["kind"] for d in details} == {"calendar"}
    # a YYYY.MM release and a YY.MM.MICRO one, in a repository of their own
    r2 = fraud_repo(tmp_path / "repo2", [["fraud-26.3.1"], ["fraud-2026.02"], ["fraud-26.1.9"]])
    assert latest(r2, capsys) == "26.3.1"


def test_mixed_schemes_warn_once_and_semver_wins(tmp_path: Path, capsys) -> None:
    tags = [["fraud-v1.0.0"], ["fraud-v7", "fraud-2026.01"], ["fraud-v8"], []]
    r = fraud_repo(tmp_path / "repo", tags)
    assert latest(r, capsys) == "v1.0.0"
    warns = warnings_of(r)
    assert len(warns) == 1
    path, model, message = warns[0]
    assert (path, model) == ("tags", "fraud")
    assert message.startswith("labels mix schemes: 1 semver (e.g. v1.0.0), 1 calendar")
    assert "2 sequential (e.g. v8)" in message
    # the newest version with a label of each kind shows its kind
    details = cli_json(r, "versions", "fraud", capsys=capsys)[2]["labels_detail"]
    assert [(d["label"], d["kind"]) for d in details] == [
        ("2026.01", "calendar"),
        ("v7", "sequential"),
    ]


def test_team_patterns_from_config(tmp_path: Path, capsys) -> None:
    tags = [["release/fraud/2026.01.2"], ["fraud-r7"], ["release/fraud/2026.01.10"]]
    r = fraud_repo(tmp_path / "repo", tags)
    # without the patterns these tags say nothing: the newest commit is the latest
    assert latest(r, capsys) == r.head()[:7]
    r.write(
        {
            ".modeltrail.toml": '[tags]\npatterns = ["release/{model}/{version}", "{model}-r{version}"]\n'
        }
    )
    # the same refs, a new config: the catalog is brought up to date
    assert latest(r, capsys) == "2026.01.10"
    versions = cli_json(r, "versions", "fraud", capsys=capsys)
    assert [v["labels_detail"][0]["kind"] for v in versions] == [
        "calendar",
        "sequential",
        "calendar",
    ]
    assert versions[1]["labels_detail"][0]["tag"] == "fraud-r7"
    assert len(warnings_of(r)) == 1  # calendar and sequential labels: mixed schemes
    # pyproject's [tool.modeltrail.tags] works the same when there is no .modeltrail.toml
    r.write({".modeltrail.toml": None})
    r.write({"pyproject.toml": '[tool.modeltrail.tags]\npatterns = ["{model}-r{version}"]\n'})
    assert latest(r, capsys) == "7"


def test_pattern_warnings_clash_and_never_match(tmp_path: Path, capsys) -> None:
    r = fraud_repo(tmp_path / "repo", [["fraud21"], ["fraud2-v3"]], models=("fraud", "fraud2"))
    r.write(
        {
            ".modeltrail.toml": '[tags]\npatterns = ["{model}{version}", "release/{model}", "{model} {version}"]\n'
        }
    )
    from modeltrail.tui.cli import main

    assert main(["-C", str(r.path), "index"]) == 0
    out = capsys.readouterr().out
    assert "3 warnings" in out
    assert (
        "warning: tags: tag fraud21 reads as a label of fraud2 and of fraud; it labels fraud2"
        in out
    )
    assert "tag pattern 'release/{model}' can never match: it needs {version} exactly once" in out
    assert "tag pattern '{model} {version}' can never match: git does not allow ' '" in out
    assert latest(r, capsys, "fraud2") == "v3"


@given(
    st.lists(st.text(max_size=30), max_size=15),
    st.sets(st.text(max_size=10), max_size=4),
    st.lists(
        st.sampled_from(["{model}", "{version}", "-", "/", "r", "{", "}", "v", ""]), max_size=6
    ),
)
def test_any_pattern_never_raises_and_labels_known_models(tags, models, pieces) -> None:
    pattern = "".join(pieces)
    reading = read_tags(tags, models, None, [pattern, "{model}{version}"])
    for found in reading.labels:
        assert found.tag in tags and found.model in models
        assert classify(found.label) is not None
    for clash in reading.clashes:
        assert len(set(clash.models)) == len(clash.models) > 1


def test_a_new_manifest_version_of_another_scheme_warns_without_new_tags(tmp_path: Path) -> None:
    r = fraud_repo(tmp_path / "repo", [["fraud-v1"], ["fraud-v2"]])
    assert warnings_of(r) == []
    r.commit("fraud 2026.1.3", {"models/fraud/model.yaml": "name: fraud\nversion: 2026.1.3\n"})
    summary = update_catalog(open_repo(r.path))
    assert summary.mode == "incremental"
    (warning,) = warnings_of(r)
    assert warning[1] == "fraud" and warning[2].startswith("labels mix schemes: 1 calendar")
    con = open_catalog(open_repo(r.path))
    try:
        latest = con.execute("SELECT version FROM versions WHERE is_latest").fetchall()
    finally:
        con.close()
    assert latest == [("2026.1.3",)]  # calendar before sequential


_LABELS = st.sampled_from(
    ["v1.0.0", "v1.0.0+b", "v1.0.0-rc.1", "v2.0.0", "1.2.0", "2026.01.07", "2026.1",
     "26.1.3", "v7", "v10", "7", "latest", "abc1234", "V1.0.0"]
)  # fmt: skip
_DATES = st.sampled_from(
    [None, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1), datetime(2027, 1, 1, tzinfo=UTC)]
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["c1", "c2", "c3"]),
            _LABELS,
            st.sampled_from(["gto", "semver", "calendar", "sequential", "manifest", None]),
        ),
        max_size=12,
    ),
    st.fixed_dictionaries({c: _DATES for c in ("c1", "c2", "c3")}),
)
def test_the_latest_label_of_every_model_in_one_pass_is_pick_latests(rows, dates) -> None:
    from modeltrail.store.read.derive import latest_label

    rows = [(m, c, label, kind, None) for m, c, label, kind in rows]
    expected = {}
    for model in {r[0] for r in rows}:
        versions = [
            LabelledVersion(label=lab, date=dates.get(c), kind=kind)
            for m, c, lab, kind, _t in rows
            if m == model
        ]
        best = pick_latest(versions)
        if best is not None:
            expected[model] = best
    assert latest_label(rows, dates) == expected


class _Newest:
    """The sort key ``rank_labels`` used to wrap each order key in: highest first,
    labels without a key last."""

    def __init__(self, key) -> None:
        self.key = key

    def __lt__(self, other: _Newest) -> bool:
        if self.key is None or other.key is None:
            return self.key is not None and other.key is None
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Newest) and self.key == other.key


def _ranked_one_by_one(rows: list[tuple]) -> list[tuple]:
    from modeltrail.store.read.labels import SCHEMES, order_key, scheme_of

    order = {"gto": 0, "semver": 1, "calendar": 2, "sequential": 3, "manifest": 4}
    schemes = {s: i for i, s in enumerate(SCHEMES)}
    grouped: dict = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append((*row, scheme_of(row[2], row[3])))
    out = []
    for group in grouped.values():
        group.sort(
            key=lambda r: (
                order.get(r[3], 9),
                schemes.get(r[5], 9),
                _Newest(order_key(r[2], r[5])),
                r[2],
            )
        )
        seen, rank = set(), 0
        for r in group:
            if (r[2], r[3]) not in seen:
                seen.add((r[2], r[3]))
                rank += 1
                out.append((*r[:5], rank, r[5]))
    return out


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["c1", "c2"]),
            _LABELS,
            st.sampled_from(["gto", "semver", "calendar", "sequential", "manifest", None]),
            st.sampled_from(["t1", "t2", None]),
        ),
        max_size=14,
    )
)
def test_labels_rank_as_each_group_sorted_one_key_at_a_time(rows) -> None:
    from modeltrail.store.read.derive import rank_labels

    assert rank_labels(rows) == _ranked_one_by_one(rows)
