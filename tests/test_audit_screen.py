"""The audit screen: `a` from home, glyphs and words per check, reasons, stage times."""

from __future__ import annotations

from pathlib import Path

import test_rollback_support as support
from tui_support import frozen_now, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.audit import AuditScreen

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@run_async
async def test_a_opens_the_audit_of_the_selected_model_and_toggles_to_all(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AuditScreen)
        text = screen_text(pilot.app)
        assert "Audit · churn · 0 of 22 versions reproducible (0%)" in text
        assert "P D E A M" in text
        # the highlighted version's reasons, in words (never colour alone)
        assert "✗ D data: no dvc.lock or .dvc data pointer" in text
        assert "✓ P params: recorded" in text
        # churn's prod moved v1.0.0 -> v1.2.0 -> v1.3.0 (and dev, staging): how long each held
        assert "churn: 7 stage moves; a version held its stage 22.0d (median)" in text
        await pilot.press("a")
        await settle(pilot)
        assert "Audit · all models" in screen_text(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AuditScreen)


def test_snapshot_audit_80x24(sample, snap_compare):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)

    assert snap_compare(_app(sample), terminal_size=(80, 24), run_before=run)


@run_async
async def test_the_version_list_and_details_say_how_reproducible_a_version_is(sample):
    """The R column (✓ ✗ ?) and a line in the details: the same checks as `audit`."""
    from modeltrail.store.catalog.files import open_catalog
    from modeltrail.store.query.audit import remotes_of, version_checks
    from modeltrail.store.repo import open_repo

    repo = open_repo(sample)
    con = open_catalog(repo, refresh=False)
    checks = version_checks(con, "churn", remotes_of(repo))
    con.close()
    async with _app(sample).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        home = pilot.app.screen
        rows = home.rows
        assert rows is not None and "R" in screen_text(pilot.app)
        for row in range(len(rows)):
            commit = rows.commit_at(row)
            want = checks[commit]
            state = False if want["missing"] else None if None in want["checks"].values() else True
            assert rows.cell("repro", row).text == {True: "✓", False: "✗", None: "?"}[state]
        text = screen_text(pilot.app)
        assert "✗ not reproducible · P✓ D✗" in text
        assert "· data: no dvc.lock or .dvc data pointer" in text


def test_checks_by_part_are_the_checks_of_every_version(sample):
    """The version list reads the checks a part at a time (a model with 100,000 versions
    held every version's facts at once: +370 MB); each part's are the whole run's."""
    from modeltrail.store.catalog.files import open_catalog
    from modeltrail.store.query.audit import remotes_of, version_checks, version_checks_by_part
    from modeltrail.store.repo import open_repo

    repo = open_repo(sample)
    con = open_catalog(repo, refresh=False)
    try:
        remotes = remotes_of(repo)
        whole = version_checks(con, "churn", remotes)
        parts = list(version_checks_by_part(con, "churn", remotes, part=2))
    finally:
        con.close()
    assert len(whole) > 4 and len(parts) == (len(whole) + 1) // 2
    merged = {c: v for p in parts for c, v in p.items()}
    assert merged == whole
    assert list(merged) == list(whole)  # newest first, as the list shows them
