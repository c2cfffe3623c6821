"""``modeltrail sql`` reads the catalog and nothing else: no file read or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_hostile import _git

from modeltrail.tui.cli import build_parser, main


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sql") / "repo"
    (root / "models" / "m").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "models" / "m" / "model.yaml").write_text("name: m\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    return root


def test_queries_still_answer(repo, capsys):
    assert main(["-C", str(repo), "sql", "select name from models", "--json"]) == 0
    assert '"name": "m"' in capsys.readouterr().out


def test_copy_to_a_file_is_refused(repo, tmp_path, capsys):
    target = tmp_path / "x.csv"
    assert main(["-C", str(repo), "sql", f"COPY (select * from models) TO '{target}'"]) == 2
    assert not target.exists()
    assert "no file access" in capsys.readouterr().err


@pytest.mark.parametrize(
    "query",
    [
        "select * from read_text('/etc/hostname')",
        "select * from read_csv('/etc/passwd', sep=':')",
        "attach '/tmp/other.duckdb' as o",
        "SET enable_external_access = true",
    ],
)
def test_reading_files_or_reenabling_is_refused(repo, capsys, query):
    assert main(["-C", str(repo), "sql", query]) == 2
    err = capsys.readouterr().err
    assert "modeltrail:" in err and "Traceback" not in err


def test_help_says_so(capsys):
    with pytest.raises(SystemExit):
        build_parser(["sql", "--help"]).parse_args(["sql", "--help"])
    assert "no file access" in capsys.readouterr().out
