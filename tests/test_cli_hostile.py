"""Every line the command line prints is safe for a terminal, on every path (errors too).

A model, a branch and a tag carry an OSC 0 title, an OSC 52 clipboard write, a CSI 2J
clear-screen, a bidi override and a C1 control. Each command is driven into its error
paths with those names; nothing it prints on stdout or stderr may hold a raw control.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from modeltrail.tui.cli import main

OSC_TITLE = "\x1b]0;pwned\x07"
OSC_CLIP = "\x1b]52;c;aGk=\x07"
CLEAR = "\x1b[2J"
BIDI = "\u202e"
C1 = "\x85\x9b"
EVIL = OSC_TITLE + OSC_CLIP + CLEAR + BIDI + "evil" + C1
RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\x85", BIDI)


def _git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.com",
        "GIT_AUTHOR_DATE": "1767603600 +0000",
        "GIT_COMMITTER_DATE": "1767603600 +0000",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)
    return out.stdout.decode().strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli-hostile") / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "core.hooksPath", "/dev/null")
    d = root / "models" / "evil"
    d.mkdir(parents=True)
    # YAML escapes: \e ESC, \a BEL, \N U+0085; the reader gets the raw characters
    (d / "model.yaml").write_text(
        'name: "\\e]0;pwned\\a\\e]52;c;aGk=\\a\\e[2J\\u202eevil\\N\\x9b"\n'
    )
    (d / "metrics.json").write_text('{"auc": 0.8}')
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "first " + EVIL)
    (d / "metrics.json").write_text('{"auc": 0.9}')
    _git(root, "commit", "-q", "-am", "second " + EVIL)
    _git(root, "branch", "exp/" + BIDI + "x")
    return root


CASES = [
    ["models"],
    ["versions", "nope" + CLEAR],  # unknown model: lists every model name
    ["versions", EVIL, "-n", "1"],
    ["diff", EVIL, "v9" + OSC_TITLE, "HEAD"],  # unknown version ... of MODEL
    ["diff", "nope" + OSC_CLIP, "a", "b"],
    ["history", "nope" + BIDI],
    ["history", EVIL],
    ["checkout", EVIL, "nope" + CLEAR],
    ["checkout", "nope" + CLEAR, "x"],
    ["rollback", EVIL, "--to", "x" + OSC_TITLE, "--dry-run"],
    ["rollback", EVIL, "--to", "HEAD~1", "--stage", "pr" + BIDI + "od", "--dry-run"],
    ["rollback", EVIL, "--to", "HEAD~1", "--branch", "exp/" + BIDI + "x", "--dry-run"],
    ["rollback", EVIL, "--to", "HEAD~1", "--branch", "no" + CLEAR, "--dry-run"],
    ["undo", "--dry-run"],
    ["sql", "select * from models where name = '" + EVIL + "' and nope"],  # sql error
    ["sql", "select name from models"],
    ["flow"],
    ["index"],
    ["no-such-command" + OSC_TITLE],  # argparse's own error
    ["versions"],  # argparse: missing argument
]


@pytest.mark.parametrize(
    "argv", CASES, ids=lambda a: " ".join(a)[:30].encode("unicode_escape").decode()
)
def test_nothing_printed_drives_the_terminal(repo, capsys, argv):
    with contextlib.suppress(SystemExit):  # argparse exits after printing its message
        main(["-C", str(repo), *argv])
    out, err = capsys.readouterr()
    assert out or err, "the command printed nothing at all"
    for stream, text in (("stdout", out), ("stderr", err)):
        for ch in RAW:
            assert ch not in text, f"{ch!r} reached {stream}: {text!r}"


def test_unknown_model_lists_names_made_visible(repo, capsys):
    assert main(["-C", str(repo), "versions", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'nope'" in err
    assert "\\x1b]0;pwned\\x07" in err and "\\u202eevil" in err


def test_unknown_version_names_the_model_visibly(repo, capsys):
    assert main(["-C", str(repo), "diff", EVIL, "v9", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert "unknown version 'v9'" in err
    assert "\\x1b[2J" in err


def test_rich_colours_survive_but_nothing_else_does():
    import io

    from modeltrail.tui.safe_text import SafeStream

    buf = io.StringIO()
    SafeStream(buf, keep_style=True).write("\x1b[1mbold\x1b[0m " + OSC_TITLE + CLEAR + BIDI)
    assert buf.getvalue() == "\x1b[1mbold\x1b[0m \\x1b]0;pwned\\x07\\x1b[2J\\u202e"
