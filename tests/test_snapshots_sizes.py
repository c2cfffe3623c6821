"""The home, compare, flow and rollback screens at the three sizes people use them at
(80×24, 60×20 and 120×40), as SVG snapshots of the sample repository (#28.9).

The other snapshot tests pin details (colours off, ASCII lines, one tab); these pin how
each screen fits: nothing cut that matters, ``? Help`` and the way back in the footer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_rollback_support as support
from tui_support import frozen_now, settle

from modeltrail.tui.app import ModeltrailApp

# shared fixtures
fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

SIZES = [(80, 24), (60, 20), (120, 40)]
SIZE_IDS = ["80x24", "60x20", "120x40"]

#: the keys that open each screen from the home screen
SCREENS = {
    "home": ("2",),
    "compare": ("2", "space", "j", "space", "c"),
    "flow": ("f",),
    "rollback": ("r",),
}


@pytest.fixture(autouse=True)
def unicode_lines(monkeypatch):
    """Box-drawing lines whatever the test runner's encoding."""
    monkeypatch.setenv("MODELTRAIL_ASCII", "0")


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_snapshot_screen_at_size(screen, size, sample, snap_compare):
    assert snap_compare(_app(sample), terminal_size=size, run_before=_keys(*SCREENS[screen]))
