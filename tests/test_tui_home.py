"""The home screen driven by keys: models, versions, details, filter, marks, help, palette.

Real repositories (a tiny one with known metrics, and the sample repository for the
snapshots), real catalogs, the real app under Textual's Pilot.
"""

from __future__ import annotations

import pytest
from tui_support import (
    build_tiny_repo,
    commit,
    frozen_now,
    index,
    run_async,
    screen_text,
    settle,
    wait_for_index,
    write,
)

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.messages import IndexProgress
from modeltrail.tui.screens.help import HelpScreen
from modeltrail.tui.screens.home import HomeScreen
from modeltrail.tui.widgets.version_rows import MARK


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    root = build_tiny_repo(tmp_path_factory.mktemp("tiny") / "repo")
    index(root)
    return str(root)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> str:
    from modeltrail.sample_repo.generator import build_sample_repo

    root = build_sample_repo(tmp_path_factory.mktemp("sample") / "models")
    index(root)
    return str(root)


def _app(path: str, **kw) -> ModeltrailApp:
    return ModeltrailApp(path, index=False, now=frozen_now, **kw)


def _home(app) -> HomeScreen:
    screen = app.screen
    assert isinstance(screen, HomeScreen)
    return screen


def _version_rows(app) -> list[str]:
    """The version list's rows as shown (header excluded)."""
    versions = _home(app).version_list
    return [versions.render_line(y).text for y in range(1, versions.size.height)]


@run_async
async def test_opens_with_models_stage_badges_versions_and_details(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(pilot.app)
        # the model with its stages, glyph + word + version + age (frozen clock)
        assert "churn" in text
        assert "● prod v1.1.0 15d" in text
        assert "◐ staging v1.2.0 14d" in text
        # the main line, newest first (the unmerged experiment is not listed); latest ★
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert len(rows) == 5
        assert rows[0].startswith("▶")
        assert "v1.2.0 ★" in rows[0] and "◐ staging" in rows[0]
        assert "v1.1.0" in rows[2] and "● prod" in rows[2]
        assert all(" main " in r for r in rows)  # each row names its branch
        assert "2 Versions · churn · 5 · main line · Δ vs previous on main" in text
        # details of the selected version: its message, branch and metrics
        assert "churn: auc 0.88" in text
        assert "branches: exp/deeper, main" in text
        assert "Metrics (change vs " in text


@run_async
async def test_main_line_by_default_and_b_lists_every_branch(tiny):
    """#16.5: the main line (plus labelled/staged versions) by default, each row naming
    its branch; b toggles all branches (the unmerged experiment says so), keeping the
    cursor on its version."""
    async with _app(tiny).run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        assert "b Branches" in screen_text(pilot.app)  # in the footer
        await pilot.press("2", "j")
        await settle(pilot)
        kept = home.version_list.current_commit
        await pilot.press("b")
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert len(rows) == 6
        assert "unmerged: exp/deeper" in rows[0]
        assert all(" main " in r for r in rows[1:])
        assert "churn · 6 · all branches · Δ vs the version it was built on" in screen_text(
            pilot.app
        )
        assert home.version_list.current_commit == kept
        await pilot.press("b")
        await settle(pilot)
        assert len([r for r in _version_rows(pilot.app) if r.strip()]) == 5
        assert home.version_list.current_commit == kept
        assert "main line · Δ vs previous on main" in screen_text(pilot.app)


@run_async
async def test_jump_to_an_unmerged_version_lists_every_branch(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        exp = pilot.app.repo.git.rev_parse("exp/deeper")
        home.jump("churn", exp)
        await settle(pilot)
        assert home.all_branches
        assert home.version_list.current_commit == exp


@run_async
async def test_metric_deltas_are_direction_aware(tiny):
    async with _app(tiny).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        newest = rows[0]  # v1.2.0: auc 0.83 -> 0.88 (better), loss 0.37 -> 0.30 (better)
        assert "▲+0.05" in newest
        assert "▲-0.07" in newest
        fourth = rows[1]  # auc 0.85 -> 0.83 (worse), loss 0.35 -> 0.37 (worse: lower is better)
        assert "▼-0.02" in fourth
        assert "▼+0.02" in fourth
        header = _home(pilot.app).version_list.render_line(0).text
        assert "auc ↑" in header and "loss ↓" in header
        # the details pane says it in words too
        text = screen_text(pilot.app)
        assert "▲ +0.05 better" in text
        assert "▲ -0.07 better" in text


@run_async
async def test_keys_move_between_panes_and_versions(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        assert pilot.app.focused is home.model_list
        await pilot.press("2")
        assert pilot.app.focused is home.version_list
        await pilot.press("j", "j")
        await settle(pilot)
        assert home.version_list.cursor == 2
        assert "churn: auc 0.85" in screen_text(pilot.app)  # the third version's details
        await pilot.press("G")
        await settle(pilot)
        assert "Details · v1.0.0" in screen_text(pilot.app)
        assert home.version_list.cursor == 4
        await pilot.press("g")
        assert home.version_list.cursor == 0
        await pilot.press("enter")
        assert pilot.app.focused is home.details
        await pilot.press("escape")
        assert pilot.app.focused is home.version_list
        await pilot.press("escape")
        assert pilot.app.focused is home.model_list
        await pilot.press("tab")
        assert pilot.app.focused is home.version_list


@run_async
async def test_filter_narrows_versions_and_reports_bad_queries(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("2", "slash")
        assert pilot.app.focused is home.filter_input
        await pilot.press(*"auc>0.84")
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert len(rows) == 2
        assert "v1.2.0" in rows[0] and "v1.1.0" in rows[1]
        assert "filter auc>0.84 → 2 of 5" in screen_text(pilot.app)
        await pilot.press("enter")
        assert pilot.app.focused is home.version_list
        # the filtered rows move like the whole list: G is the last match, g the first
        await pilot.press("G")
        await settle(pilot)
        assert "▶" in _version_rows(pilot.app)[1] and "v1.1.0" in _version_rows(pilot.app)[1]
        assert "Details · v1.1.0" in screen_text(pilot.app)
        await pilot.press("g")
        await settle(pilot)
        assert "Details · v1.2.0" in screen_text(pilot.app)
        # esc in the list clears the filter
        await pilot.press("escape")
        await settle(pilot)
        assert len([r for r in _version_rows(pilot.app) if r.strip()]) == 5
        assert not home.filter_input.display
        # a bad query: a clear message, and the last good result stays ("auc" as a bare
        # word: the five commits on main, whose subjects say "auc")
        await pilot.press("slash", *"auc>>1")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "✗ bad filter: auc needs a number, not '>1'" in text
        assert len([r for r in _version_rows(pilot.app) if r.strip()]) == 5
        # the title gives no count of another query for this one ("→ 5" was the count of
        # the "auc" typed on the way)
        assert "filter auc>>1 → ✗ of 5" in text and home.filter_count is None
        await pilot.press("escape", "slash", *"foo:bar")
        await settle(pilot)
        assert "✗ unknown field 'foo' in filter" in screen_text(pilot.app)
        # esc in the box clears it and the message
        await pilot.press("escape")
        await settle(pilot)
        assert len([r for r in _version_rows(pilot.app) if r.strip()]) == 5
        assert "bad filter" not in screen_text(pilot.app)
        assert "unknown field" not in screen_text(pilot.app)
        assert not home.filter_input.display
        assert pilot.app.focused is home.version_list


@run_async
async def test_filter_by_author_and_stage(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        home.set_filter("author:bruno")
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert len(rows) == 2
        home.set_filter("stage:prod")
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert len(rows) == 1 and "v1.1.0" in rows[0]
        home.set_filter("loss<0.1")
        await settle(pilot)
        assert "no version matches the filter" in screen_text(pilot.app)


@run_async
async def test_space_marks_with_a_glyph_and_compare_needs_two(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("2", "space")
        await settle(pilot)
        rows = _version_rows(pilot.app)
        assert rows[0][1] == MARK  # marked in place: the cursor stays on the marked row
        assert rows[0][0] == "▶"
        assert f"1 marked {MARK}" in screen_text(pilot.app)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert any("mark two or more" in str(n.message) for n in pilot.app._notifications)
        await pilot.press("j", "space")
        assert home.version_list.marked_commits == [home.rows.commit_at(0), home.rows.commit_at(1)]
        # the footer says what space does
        assert "space Mark (in place)" in screen_text(pilot.app)
        await pilot.press("escape")  # esc in the list clears marks first
        await settle(pilot)
        assert home.version_list.marked_commits == []
        assert "marked" not in screen_text(pilot.app)


@run_async
async def test_help_lists_the_current_screens_bindings_with_ids(tiny):
    async with _app(tiny).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        text = screen_text(pilot.app)
        for words in ("Compare", "compare", "Rollback", "Filter", "Mark", "mark", "Help"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, HomeScreen)


@run_async
async def test_keys_are_remapped_from_the_users_own_config(tmp_path):
    from modeltrail.store.config import user_config_path

    root = build_tiny_repo(tmp_path / "repo")
    own = user_config_path()  # in $XDG_CONFIG_HOME: a temporary directory (conftest)
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text('[keys]\nmark = "m"\nfilter = "ctrl+f"\n')
    index(root)
    async with _app(str(root)).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("2", "m")
        assert len(home.version_list.marked_commits) == 1
        await pilot.press("space")  # no longer bound
        assert len(home.version_list.marked_commits) == 1
        await pilot.press("ctrl+f")
        assert pilot.app.focused is home.filter_input
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        lines = screen_text(pilot.app).splitlines()
        assert any("m " in line and "Mark" in line and "mark" in line for line in lines)


@run_async
async def test_palette_jumps_to_a_stage_holder(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"stage churn prod")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert home.version_list.current_commit == home.rows.commit_at(2)  # v1.1.0
        assert pilot.app.focused is home.version_list


@run_async
async def test_narrow_terminal_stacks_the_panes(tiny):
    async with _app(tiny).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        models = home.query_one("#models-pane").region
        versions = home.query_one("#versions-pane").region
        assert versions.y >= models.bottom and versions.x == models.x
        text = screen_text(pilot.app)
        assert "● prod v1.1.0 15d" in text  # one-line badges
        assert "? Help" in text
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        models = home.query_one("#models-pane").region
        versions = home.query_one("#versions-pane").region
        assert versions.x >= models.right and versions.y == models.y


@run_async
async def test_first_run_indexes_in_the_background_then_shows_models(tmp_path):
    root = build_tiny_repo(tmp_path / "repo")  # no catalog yet
    app = ModeltrailApp(str(root), now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, HomeScreen)  # painted before the index ends
        await wait_for_index(pilot)
        text = screen_text(pilot.app)
        assert "indexed" in text and "1 model," in text  # plurals right
        # progress as the index thread reports it (phase, done, total)
        pilot.app.post_message(IndexProgress("reading blobs", 40, 160))
        await settle(pilot)
        assert "indexing: reading blobs 40/160 (25%)" in screen_text(pilot.app)
        assert "● prod v1.1.0" in text
        assert pilot.app.has_catalog


@run_async
async def test_reindex_shows_new_versions_and_keeps_the_selection(tmp_path):
    root = build_tiny_repo(tmp_path / "repo")
    index(root)
    async with _app(str(root)).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("2", "j")
        await settle(pilot)
        selected = home.version_list.current_commit
        write(root, "models/churn/metrics.json", {"auc": 0.91, "loss": 0.2})
        commit(root, "churn: more data", "2026-03-15T10:00:00Z")
        pilot.app.reindex()
        await wait_for_index(pilot)
        assert len(home.rows) == 6
        assert "▲+0.03" in _version_rows(pilot.app)[0]  # auc 0.88 -> 0.91 on main
        assert home.version_list.current_commit == selected


# --- snapshots ------------------------------------------------------------------------


def _run_before():
    async def run_before(pilot) -> None:
        await settle(pilot)

    return run_before


def _press_then_settle(*keys):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_home_snapshot_80x24(sample, snap_compare):
    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=_run_before())


def test_home_snapshot_160x48(sample, snap_compare):
    assert snap_compare(
        _app(sample), terminal_size=(160, 48), run_before=_press_then_settle("2", "j", "j")
    )


def test_home_snapshot_80x24_no_color(sample, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(
        _app(sample), terminal_size=(80, 24), run_before=_press_then_settle("2", "j", "space")
    )


def test_home_snapshot_160x48_no_color(sample, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app(sample), terminal_size=(160, 48), run_before=_run_before())


@run_async
async def test_readme_oncall_jump_palette_to_the_previous_good_version(sample):
    """README: `ctrl+p`, type `churn v1.2.0`, `enter` puts the cursor on v1.2.0."""
    async with _app(sample).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"churn v1.2.0")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        row = home.rows.row_of(home.version_list.current_commit)
        assert home.rows.value("version", row) == "v1.2.0"
        assert pilot.app.focused is home.version_list
        assert "Details · v1.2.0" in screen_text(pilot.app)


@run_async
async def test_the_sample_repository_opens_on_a_main_line_version(sample):
    """#16.5: the demo opened on an unmerged experiment; now on main's newest version."""
    async with _app(sample).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rows = [r for r in _version_rows(pilot.app) if r.strip()]
        assert rows[0].startswith("▶") and "v1.3.0 ★" in rows[0] and " main " in rows[0]
        assert "v1.2.0" in rows[1]
        assert "Details · v1.3.0" in screen_text(pilot.app)


@run_async
async def test_q_in_the_filter_box_is_text_not_quit(tiny):
    async with _app(tiny).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        await pilot.press("slash", "q", "2", "1")
        await settle(pilot)
        assert pilot.app.is_running
        assert home.filter_input.value == "q21"
        assert pilot.app.focused is home.filter_input
