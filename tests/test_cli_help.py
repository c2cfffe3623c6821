"""``modeltrail --help`` and docs/CLI.md: what the command line accepts, as it says it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from modeltrail.tui.cli import build_parser, main
from modeltrail.tui.commands import COMMANDS

CLI_DOC = Path(__file__).resolve().parents[1] / "docs" / "CLI.md"


def _help(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_says_a_bare_modeltrail_opens_the_tui(capsys):
    out = _help(capsys, ["--help"])
    usage = out.splitlines()[0]
    assert usage == (
        "usage: modeltrail [-h] [-C PATH|URL | --workspace FILE] [--offline] [COMMAND [OPTIONS]]"
    )
    assert "Without a command, `modeltrail` opens the TUI" in " ".join(out.split())


def test_a_command_s_usage_line_is_still_its_own(capsys):
    out = _help(capsys, ["versions", "--help"])
    assert out.startswith("usage: modeltrail versions [-h]")


def _option_sets(name: str) -> list[list[str]]:
    """Each option of command ``name``: its spellings (``-n``, ``--limit``)."""
    parser = build_parser([name])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [
        a.option_strings
        for a in sub.choices[name]._actions
        if "--help" not in a.option_strings and a.option_strings
    ]


def _options(name: str) -> set[str]:
    return {o for spellings in _option_sets(name) for o in spellings}


def _doc_heading(name: str) -> str:
    match = re.search(rf"^### `{name}\b(.*)`$", CLI_DOC.read_text(encoding="utf-8"), re.M)
    assert match, f"docs/CLI.md has no section for {name}"
    return match.group(1)


@pytest.mark.parametrize("name", COMMANDS)
def test_docs_cli_lists_every_long_option_of_every_command(name):
    heading = _doc_heading(name)
    missing = [
        spellings[-1]
        for spellings in _option_sets(name)
        if not any(re.search(rf"(?<![\w-]){o}\b", heading) for o in spellings)
    ]
    assert not missing, f"docs/CLI.md's {name} lacks {missing}"


def test_offline_is_an_option_of_rollback_and_undo_only():
    assert {n for n in COMMANDS if "--offline" in _options(n)} == {"rollback", "undo"}
