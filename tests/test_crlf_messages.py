"""Commit messages written with Windows line endings (``\\r\\n``) read as lines: the TUI
showed ``\\x0d`` at the end of every line (and of the subject in the version list). A
carriage return on its own is still made visible: it could overwrite a line."""

from __future__ import annotations

import pytest
from tui_support import frozen_now, git, index, run_async, screen_text, settle, write

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.cli import main as cli_main
from modeltrail.tui.safe_text import clean

MESSAGE = "train: crlf subject\r\n\r\nfirst body line\r\nsecond body line\r\n"


@pytest.fixture(scope="module")
def crlf_repo(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("crlf") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "artifacts.yaml", "m:\n  type: model\n  path: models/m/model.pkl\n")
    write(root, "models/m/model.pkl", "weights")
    write(root, "models/m/metrics.json", {"auc": 0.8})
    (root / "msg.txt").write_bytes(MESSAGE.encode())
    git(root, "add", "artifacts.yaml", "models")
    # verbatim: git's default clean-up would strip the CRs (editors on Windows, and
    # tools that write commits themselves, keep them)
    git(root, "commit", "-q", "--no-verify", "--cleanup=verbatim", "-F", "msg.txt")
    assert git(root, "log", "-1", "--format=%B").startswith("train: crlf subject\r\n")
    (root / "msg.txt").write_bytes(b"promote: crlf reason\r\n\r\nmore\r\n")
    git(root, "tag", "-a", "--cleanup=verbatim", "-F", "msg.txt", "m#prod#1")
    index(root)
    return str(root)


def test_clean_reads_crlf_as_a_line_break() -> None:
    assert clean("a\r\nb\r\n") == "a\nb\n"
    assert clean("a\rb") == "a\\x0db"  # a lone CR still made visible
    assert clean("a\r\nb", single_line=True) == "a ⏎ b"


@run_async
async def test_the_details_and_the_list_show_crlf_messages_as_lines(crlf_repo):
    app = ModeltrailApp(crlf_repo, index=False, now=frozen_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # the version list: its only version, with its details
        await settle(pilot)
        text = screen_text(app)
        assert "train: crlf subject" in text
        assert "first body line" in text and "second body line" in text
        assert "\\x0d" not in text


def test_the_tables_show_first_lines_without_cr(crlf_repo, capsys) -> None:
    assert cli_main(["-C", crlf_repo, "versions", "m"]) == 0
    out = capsys.readouterr().out
    assert "train: crlf subject" in out and "\\x0d" not in out and "\r" not in out
    assert cli_main(["-C", crlf_repo, "history"]) == 0
    out = capsys.readouterr().out
    assert "promote: crlf reason" in out and "\\x0d" not in out and "\r" not in out


@run_async
async def test_the_history_screen_shows_tag_messages_without_cr(crlf_repo):
    app = ModeltrailApp(crlf_repo, index=False, now=frozen_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        text = screen_text(app)
        assert "promote: crlf reason" in text and "\\x0d" not in text
