"""The version tree in a real terminal (tmux, 80×24): ``f`` then ``t`` on the sample
repository shows churn's versions only, with its branches, tags and stages; ``t`` goes
back to every commit. Skipped when tmux is not installed; the tmux server is always
killed."""

from __future__ import annotations

import pytest
import test_rollback_support as support
from test_tmux_rollback import TMUX, Terminal, _command

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def test_version_tree_in_a_real_terminal(sample, tmp_path):
    term = Terminal(tmp_path / "tmux.sock", "tree")
    try:
        term.start(_command(sample))
        term.wait_for("● prod v1.3.0 ← v1.2.0")
        term.keys("f")
        term.wait_for("[exp/churn-focal-loss]")
        term.keys("t")
        term.wait_for("Version tree churn")
        shown = term.wait_for("churn:prod")
        assert "[exp/churn-focal-loss]" in shown and "churn:prod" in shown
        assert "recsys" not in shown and "fraud" not in shown  # other models' commits
        assert all(len(line) <= 80 for line in shown.splitlines())
        term.keys("t")
        term.wait_for("[exp/recsys-dedupe-items]")  # every commit again
        term.keys("Escape")
        term.wait_for("1 Models")  # home again (q right after Escape would read as Alt+q)
        term.keys("q")
        term.wait_exit()
    finally:
        term.kill()
