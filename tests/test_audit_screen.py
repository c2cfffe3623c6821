"""The audit screen: `a` from home, glyphs and words per check, reasons, stage times."""

from __future__ import annotations

from pathlib import Path

import test_rollback_support as support
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.audit import AuditScreen
from tui_support import frozen_now, run_async, screen_text, settle

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
