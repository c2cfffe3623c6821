"""Plain tag labels and the choice of the latest label (docs/CONVENTIONS.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modeltrail.store.read.labels import (
    LabelledVersion,
    TagLabel,
    calendar_key,
    pick_latest,
    plain_tag_labels,
    semver_key,
)

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
        "churn-1.2.0",  # no leading v
        "churn-v1.2",  # not semver
        "churn-v01.2.0",
        "churn-2026.13.01",  # no such month
        "churn-2026.02.30",
        "churn-26.01.07",
        "churn_v1.0.0",
        "churn@v1.0.0",  # GTO's, not a plain tag
        "churn#prod#1",
        "other-v1.0.0",  # unknown model
        "churn-",
        "churn-v1.0.0-",
        "-churn-v1.0.0",
        "v1.0.0",  # bare: only with a single model
        "churn-v１.0.0",  # full-width digit
    ],
)
def test_tags_that_give_no_label(tag: str) -> None:
    assert plain_tag_labels([tag], MODELS, None) == []


def test_bare_semver_tags_only_in_a_single_model_repository() -> None:
    tags = ["v1.0.0", "v2.0.0-beta", "2026.01.07", "latest", "churn-v1.1.0"]
    assert plain_tag_labels(tags, {"churn"}, "churn") == [
        TagLabel("churn", "v1.0.0", "semver", "v1.0.0"),
        TagLabel("churn", "v2.0.0-beta", "semver", "v2.0.0-beta"),
        TagLabel("churn", "v1.1.0", "semver", "churn-v1.1.0"),
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
    assert calendar_key("2026.01.07") == date(2026, 1, 7)
    for bad in ("2026-01-07", "2026.1.7", "2026.02.29", "v2026.01.07", ""):
        assert calendar_key(bad) is None


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
        assert (semver_key if found.kind == "semver" else calendar_key)(found.label) is not None
    pick_latest(LabelledVersion(t) for t in tags)
