"""#16.9: details that fit. Short commit ids (7), one age format, plurals, the status line
and the ``versions``/``history`` tables within 80 columns (version, stage and date kept;
metric columns dropped first), piped tables without padding, JSON numbers from one
function. Real repositories (tests/tui_support.py), the real CLI and app.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tui_support import (
    build_tiny_repo,
    commit,
    frozen_now,
    git,
    index,
    run_async,
    screen_text,
    settle,
    tag,
    write,
)

from modeltrail.store.catalog.files import IndexSummary
from modeltrail.store.query.diff import difference
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main as cli
from modeltrail.tui.format import fmt_age, fmt_version, json_number, plural

FULL_ID = re.compile(r"\b[0-9a-f]{12,40}\b")


@pytest.fixture(scope="module")
def dev_on_a_commit(tmp_path_factory) -> tuple[Path, str]:
    """The tiny repository, with ``dev`` assigned (GTO) to an unregistered commit, and
    a metric whose change is float noise (auc 0.8 -> 0.855: 0.05499999999999994)."""
    root = build_tiny_repo(tmp_path_factory.mktemp("fit") / "repo")
    unlabelled = git(root, "rev-list", "--skip=3", "-n", "1", "main").strip()
    tag(root, "churn#dev#3", "promote", "2026-03-07T10:00:00Z", unlabelled)
    write(root, "models/churn/metrics.json", {"auc": 0.855, "loss": 0.3})
    commit(root, "churn: auc 0.855", "2026-03-12T10:00:00Z")
    index(root)
    return root, unlabelled


def run(capsys, repo: Path, *args: str) -> str:
    capsys.readouterr()
    assert cli(["-C", str(repo), *args]) == 0
    return capsys.readouterr().out


def test_formats():
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert fmt_age(now - timedelta(seconds=20), now) == "now"
    assert fmt_age(now + timedelta(minutes=5), now) == "now"  # a clock a little behind
    assert fmt_age(now - timedelta(minutes=5), now) == "5min"  # never "5m" beside "10mo"
    assert fmt_age(now - timedelta(days=300), now) == "9mo"
    assert plural(1, "warning") == "1 warning" and plural(2, "warning") == "2 warnings"
    assert fmt_version("e18d68f5f39df3669754b45a68483597e0ae61ff") == "e18d68f"
    assert fmt_version("v1.2.0") == "v1.2.0"
    assert json_number(0.855 - 0.8) == 0.855 - 0.8  # exact: JSON floats round-trip
    assert difference(0.8, 0.855) == 0.055  # differences carry no binary float noise
    assert json_number(-0.074) == -0.074


def test_status_line_plurals_and_80_columns():
    one = IndexSummary("incremental", 1, 54, 1, 1, 0, 0.123)
    assert one.line() == "indexed 1 commit (incremental) in 0.1s: 1 model, 1 version"
    same = IndexSummary("unchanged", 0, 1, 1, 1, 0, 0.01)
    assert same.line() == "catalog up to date: 1 model, 1 version, 1 commit"
    many = IndexSummary("full", 99999, 99999, 999, 99999, 9999, 123.4)
    assert len(many.line()) <= 80 + 30  # thousands separators; realistic counts fit
    assert len(IndexSummary("full", 5400, 5400, 12, 6200, 31, 12.3).line()) <= 80


def test_a_stage_on_an_unregistered_commit_shows_a_short_id(dev_on_a_commit, capsys):
    root, unlabelled = dev_on_a_commit
    models = run(capsys, root, "models")
    assert f"○ dev {unlabelled[:7]} " in models
    assert unlabelled not in models
    history = run(capsys, root, "history")
    assert unlabelled not in history and unlabelled[:7] in history
    # JSON keeps the full id (as gto show does)
    (model,) = json.loads(run(capsys, root, "models", "--json"))
    assert model["stages"]["dev"] == unlabelled


@run_async
async def test_models_pane_shows_short_ids(dev_on_a_commit):
    root, unlabelled = dev_on_a_commit
    async with ModeltrailApp(str(root), index=False, now=frozen_now).run_test(
        size=(80, 24)
    ) as pilot:
        await settle(pilot)
        text = screen_text(pilot.app)
        assert f"○ dev {unlabelled[:7]} 13d" in text
        assert unlabelled[:8] not in text.replace("commit " + unlabelled, "")


def on_terminal(repo: Path, *args: str, columns: int) -> list[str]:
    """What the CLI prints on a real terminal (a pseudo-terminal) ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(NO_COLOR="1", TERM="xterm")
    proc = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=True,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.returncode == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode())
    return [line.rstrip("\r") for line in text.rstrip("\r\n").split("\n")]


def test_versions_and_history_fit_80_columns(dev_on_a_commit):
    root, _ = dev_on_a_commit
    lines = on_terminal(root, "versions", "churn", columns=80)
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split()[:4] == ["VERSION", "COMMIT", "DATE", "STAGES"]
    assert any("v1.1.0" in line and "prod" in line and "2026-02-01" in line for line in lines)
    lines = on_terminal(root, "history", columns=80)
    assert all(len(line) <= 80 for line in lines)
    assert {"WHEN", "STAGE", "VERSION"} <= set(lines[0].split())
    narrow = on_terminal(root, "versions", "churn", columns=50)
    assert all(len(line) <= 50 for line in narrow)
    assert narrow[0].split()[:3] == ["VERSION", "DATE", "STAGES"]
    assert "auc" not in narrow[0]  # metric columns went first, then the commit


def test_piped_tables_are_not_padded(dev_on_a_commit, capsys, monkeypatch):
    root, _ = dev_on_a_commit
    monkeypatch.setenv("COLUMNS", "40")  # an exported COLUMNS does not cut piped output
    for args in (("versions", "churn"), ("history",), ("models",)):
        out = run(capsys, root, *args)
        assert all(line == line.rstrip() for line in out.split("\n")), args
    assert "MESSAGE" in run(capsys, root, "versions", "churn")  # nothing dropped


def test_json_numbers_have_no_float_noise(dev_on_a_commit, capsys):
    root, _ = dev_on_a_commit
    diff = json.loads(run(capsys, root, "diff", "churn", "v1.0.0", "HEAD", "--json"))
    (auc,) = [e for e in diff["metrics"].values() if e["key"] == "auc"]
    assert auc["diff"] == 0.055  # 0.855 - 0.8 is 0.05499999999999994 as a float
    flow = run(capsys, root, "flow", "--json")
    assert not re.search(r"\d\.\d*(?:9999999|0000000)\d", flow)
