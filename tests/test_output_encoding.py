"""An output encoding that lacks modeltrail's glyphs (``PYTHONIOENCODING=latin-1``, a C
locale without coercion): output degrades to ASCII stand-ins and escapes, never a crash,
and a write that happened never exits as if nothing had changed (#27.2).

Each case runs the real command line in a process of its own under that environment.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, git, index, write

ENVIRONMENTS = {
    "latin-1": ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
    "C-locale": (
        {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"},
        "ascii",
    ),
}
NON_ASCII = "café → 10× faster ✓ 😀"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = build_tiny_repo(tmp_path_factory.mktemp("encoding") / "repo")
    write(root, "models/churn/metrics.json", {"auc": 0.86, "loss": 0.33})
    commit(root, f"churn: {NON_ASCII}", "2026-03-12T10:00:00Z", ("Zoë Ångström", "z@example.com"))
    index(root)
    return root


@pytest.fixture
def repo(template, tmp_path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def modeltrail(root: Path, env_name: str, *args: str) -> tuple[int, str, str]:
    """Run the CLI under ``env_name``; stdout and stderr must be in its encoding."""
    extra, encoding = ENVIRONMENTS[env_name]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    env.update(extra)
    env.update(
        GIT_AUTHOR_NAME="Ana Lima",
        GIT_AUTHOR_EMAIL="ana@example.com",
        GIT_COMMITTER_NAME="Ana Lima",
        GIT_COMMITTER_EMAIL="ana@example.com",
        GIT_COMMITTER_DATE="2026-03-20T10:00:00Z",
        GIT_AUTHOR_DATE="2026-03-20T10:00:00Z",
    )
    done = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(root), *args],
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )
    out, err = done.stdout.decode(encoding), done.stderr.decode(encoding)  # else: raises
    assert "Traceback" not in err, err
    return done.returncode, out, err


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize(
    ("argv", "shows"),
    [
        (["models"], "* prod v1.1.0"),
        (["versions", "churn"], "^+0.05 better"),
        (["flow"], "* beats main"),
        (["audit"], "(+ x ? unknown)"),
        (["diff", "churn", "v1.0.0", "v1.2.0"], "v1.0.0 (2f96ce5) -> v1.2.0"),
        (["history"], "promote"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_listings_degrade_to_what_the_encoding_can_show(template, env_name, argv, shows):
    status, out, err = modeltrail(template, env_name, *argv)
    assert status == 0, err
    assert shows in out


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_repository_text_is_escaped_and_json_stays_exact(template, env_name):
    status, out, err = modeltrail(template, env_name, "versions", "churn")
    assert status == 0, err
    shown = {"C-locale": "caf\\xe9 -> 10\\xd7", "latin-1": "café -> 10×"}[env_name]
    assert f"churn: {shown} faster + \\U0001f600" in out
    status, out, err = modeltrail(template, env_name, "versions", "churn", "--json")
    assert status == 0, err
    rows = json.loads(out)
    assert rows[0]["message"] == f"churn: {NON_ASCII}"  # \uXXXX escapes, not stand-ins
    assert rows[0]["author"] == "Zoë Ångström"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["rollback", "churn", "--to", "v1.0.0", "--stage", "prod"], "tag churn#prod#2"),
        (["rollback", "churn", "--to", "v1.0.0", "--branch", "main"], "branch main is now"),
    ],
    ids=["stage", "branch"],
)
def test_a_done_rollback_exits_0_and_says_what_it_wrote(repo, env_name, argv, said):
    before = git(repo, "rev-parse", "main")
    write_args = [*argv, "--reason", NON_ASCII, "--yes", "--offline"]
    status, out, err = modeltrail(repo, env_name, *write_args)
    assert status == 0, err
    assert out.startswith("+ Rolled back: churn") and said in out, out
    if "--stage" in argv:
        assert "churn#prod#2" in git(repo, "tag", "--list", "churn#prod#*")
    else:
        assert git(repo, "rev-parse", "main^") == before
        assert NON_ASCII in git(repo, "log", "-1", "--format=%B", "main")
    status, out, err = modeltrail(repo, env_name, "undo", "--yes", "--offline", "--json")
    assert status == 0, err
    assert json.loads(out)["done"] is True


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_a_done_checkout_exits_0(repo, env_name):
    status, out, err = modeltrail(repo, env_name, "checkout", "churn", "v1.0.0")
    assert status == 0, err
    assert "v1.0.0" in out
    assert json.loads((repo / "models/churn/metrics.json").read_text())["auc"] == 0.8


def test_stand_ins_and_escapes():
    from modeltrail.tui.safe_text import ASCII_STAND_INS, STAND_IN_ERRORS

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors=STAND_IN_ERRORS)
    stream.write("✓ a → b ▲▼ é \udce9 😀 … ⏎")
    stream.flush()
    assert raw.getvalue() == b"+ a -> b ^v \\xe9 \\xe9 \\U0001f600 ... \\n"
    assert all(s.isascii() for s in ASCII_STAND_INS.values())


def test_the_cli_puts_its_streams_back(capsys):
    from modeltrail.tui.cli import main

    stream = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    saved = sys.stdout
    sys.stdout = stream
    try:
        with pytest.raises(SystemExit):
            main(["--help"])
        assert stream.errors == "strict"
    finally:
        sys.stdout = saved
