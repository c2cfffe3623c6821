"""The remote in a real terminal (tmux, 80×24): the status bar says where main stands
against origin, ``F`` fetches (a colleague's commit shows as ``↓1``), and the on-call
rollback is pushed with ``p``: a fresh clone of origin then agrees under ``gto show``.

The remote is a local bare repository (a file path: no network). Skipped when tmux is
not installed; the tmux server is always killed."""

from __future__ import annotations

import pytest
import test_rollback_support as support
from test_rollback_support import GTO, git, gto_show
from test_tmux_rollback import TMUX, Terminal, _command

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
IDENT = ("-c", "user.name=Colleague", "-c", "user.email=c@example.com")


@pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")
def test_fetch_then_on_call_rollback_pushed_with_p(sample, tmp_path):
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(sample), str(origin))
    git(sample, "remote", "add", "origin", str(origin))
    git(sample, "fetch", "-q", "origin")
    git(sample, "branch", "-q", "-u", "origin/main", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    (other / "NOTES.md").write_text("a colleague's note\n")
    git(other, "add", "NOTES.md")
    git(other, *IDENT, "commit", "-q", "-m", "notes")
    git(other, "push", "-q", "origin", "main")
    term = Terminal(tmp_path / "tmux.sock", "remote")
    try:
        term.start(_command(sample))
        term.wait_for("● prod v1.3.0 ← v1.2.0")
        term.wait_for("= origin/main · fetched")  # no network: not behind yet
        term.keys("F")
        term.wait_for("↑0 ↓1 origin/main · fetched just now")
        term.keys("r")
        term.wait_for("churn#prod#11")
        term.type("AUC regression in v1.3.0")
        term.keys("Enter")
        term.type("prod")
        term.keys("Enter")
        shown = term.wait_for("p pushes churn#prod#11 to origin")
        assert "churn prod is now v1.2.0" in shown
        term.keys("p")
        term.wait_for("✓ pushed churn#prod#11 to origin")
        term.keys("Escape")
        term.wait_for("● prod v1.2.0 ← v1.0.0")  # v1.3.0 was rolled away from
        term.keys("q")
        term.wait_exit()
    finally:
        term.kill()
    check = tmp_path / "check"
    git(tmp_path, "clone", "-q", str(origin), str(check))
    assert gto_show(check)["churn"]["stage"]["prod"] == "v1.2.0"
    assert git(origin, "rev-parse", "refs/heads/main") == git(other, "rev-parse", "HEAD")
