"""Suite-wide settings.

Property tests are derandomized so that every run (CI, a fresh clone) checks the same
examples: a failure is reproducible and never depends on luck. To explore new random
examples locally: ``HYPOTHESIS_PROFILE=explore python -m pytest tests/test_readers_fastpath.py``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from workspace_support import ws, ws_template  # noqa: F401  (fixtures: a workspace, copied per test)

settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(autouse=True)
def _own_config_home(tmp_path_factory, monkeypatch):
    """The user's own configuration ($XDG_CONFIG_HOME/modeltrail/config.toml) is an empty
    directory in every test: never the developer's, never another test's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
