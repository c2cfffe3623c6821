"""The filter's own examples work on the demo repository (its churn model): the help's,
the placeholder's, the palette's and the README's; a name that fits several metrics
offers them, wrapped on screen, never cut; the same language on the command line
(``versions --filter``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tui_support import frozen_now, index, run_async, screen_text, settle

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.catalog.files import open_catalog
from modeltrail.store.query.browse import metric_keys
from modeltrail.store.query.filter import FilterError, matching_topos
from modeltrail.store.repo import open_repo
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main as cli
from modeltrail.tui.screens.help import FILTER_EXAMPLES, FILTER_HELP, FILTER_PLACEHOLDER
from modeltrail.tui.screens.home import HomeScreen

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = build_sample_repo(tmp_path_factory.mktemp("filter-demo") / "models")
    index(root)
    return root


@pytest.fixture(scope="module")
def churn(demo):
    repo = open_repo(demo)
    con = open_catalog(repo, refresh=False)

    def matches(query: str) -> int:
        return len(matching_topos(con, "churn", query, metric_keys(con, "churn")))

    yield matches
    con.close()
    repo.close()


def _queries(example: str) -> list[str]:
    """An example as queries: ``is:a|b`` is ``is:a`` and ``is:b``; ``(not)`` a note."""
    example = example.removesuffix(" (not)")
    field, sep, values = example.partition(":")
    if sep and "|" in values:
        return [f"{field}:{v}" for v in values.split("|")]
    return [example]


@pytest.mark.parametrize("example", FILTER_EXAMPLES)
def test_every_help_example_works_on_the_demo(churn, example):
    queries = _queries(example)
    counts = [churn(q) for q in queries]  # none is an error
    assert counts[0] > 0, f"{queries[0]} matches nothing on the demo's churn"
    assert example in FILTER_HELP


def test_the_placeholder_palette_and_readme_examples_work_on_the_demo(churn):
    assert churn(FILTER_PLACEHOLDER.removeprefix("filter: ")) > 0
    home = (ROOT / "tui/screens/home.py").read_text(encoding="utf-8")
    (palette,) = re.findall(r'"/ — e\.g\. ([^"]+)"', home)
    assert churn(palette) > 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `/` |")]
    shown = re.findall(r"`([^`]+)`", row)
    assert churn(shown[1]) > 0  # test.auc>0.8 branch:main author:ana -is:stale
    assert churn(shown[2]) > 0  # f1>0.6


def test_a_name_several_metrics_end_with_offers_them(churn):
    with pytest.raises(FilterError) as err:
        churn("auc>0.8")
    assert "test.auc or train.auc" in str(err.value)
    assert churn("f1>0.6") == churn("test.f1>0.6") > 0


@run_async
async def test_a_long_filter_error_wraps_at_80_columns(demo):
    app = ModeltrailApp(str(demo), index=False, now=frozen_now)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen) and home.model == "churn"
        home.set_filter("aucc>0.8")
        await settle(pilot)
        text = screen_text(app)
        message = (
            "✗ unknown metric 'aucc' in filter (metrics: latency_ms, test.auc, test.f1, "
            "test.loss, test.precision, test.recall, train.auc, train.loss)"
        )
        assert " ".join(text.split()).count(message) == 1  # whole, over several lines
        home.set_filter("auc>0.8")
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        assert "✗ ambiguous metric 'auc' in filter: test.auc or train.auc? (name one)" in text


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_versions_filter_in_the_table_and_json(demo, capsys):
    query = "test.auc>0.86 branch:main"
    status, out, _ = _cli(capsys, "-C", str(demo), "versions", "churn", "--filter", query)
    assert status == 0
    rows = out.splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["v1.2.0", "v1.1.0"]
    status, out, _ = _cli(capsys, "-C", str(demo), "versions", "churn", "--filter", query, "--json")
    listed = json.loads(out)
    assert [v["version"] for v in listed] == ["v1.2.0", "v1.1.0"]
    assert all(v["metrics"]["test.auc"] > 0.86 for v in listed)
    # the same language, the scope and the limit as without a filter
    _, out, _ = _cli(
        capsys, "-C", str(demo), "versions", "churn", "--all", "--filter", "f1>0.67", "--json"
    )
    assert {v["commit"][:7] for v in json.loads(out)} == {"2e783c7", "be14769"}
    _, out, _ = _cli(
        capsys, "-C", str(demo), "versions", "churn", "--filter", "branch:main", "-n", "1"
    )
    assert out.splitlines()[1].startswith("v1.3.0 (latest)")


def test_versions_filter_that_is_not_valid_exits_2_and_says_why(demo, capsys):
    status, out, err = _cli(capsys, "-C", str(demo), "versions", "churn", "--filter", "auc>0.8")
    assert status == 2 and out == ""
    assert err.strip() == (
        "modeltrail: ambiguous metric 'auc' in filter: test.auc or train.auc? (name one)"
    )
    status, _, err = _cli(capsys, "-C", str(demo), "versions", "churn", "--filter", "foo:bar")
    assert status == 2 and "unknown field 'foo'" in err
