"""Names that are not UTF-8: paths are read, kept and written back byte for byte, and an
author or tagger name in Latin-1 is shown (with a replacement character), never a
traceback.

A model directory ``m\\xe9dels/a`` (a Latin-1 byte) was stored as ``m\\ufffddels/a``:
``checkout a 1.0.0`` said the files already matched while the work tree held 1.1.0.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from gitbuilder import GitRepo

from modeltrail.store import pathtext
from modeltrail.tui.cli import main
from modeltrail.tui.safe_text import clean, shell_word

RAW_DIR = b"m\xe9dels/a"


def _write(root: Path, rel: bytes, data: bytes) -> None:
    path = os.fsencode(root) + b"/" + rel
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(root: Path, rel: bytes) -> bytes:
    with open(os.fsencode(root) + b"/" + rel, "rb") as f:
        return f.read()


@pytest.fixture
def latin1(tmp_path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    _write(r.path, RAW_DIR + b"/model.yaml", b"name: a\nversion: 1.0.0\n")
    _write(r.path, RAW_DIR + b"/weights.bin", b"w1")
    _write(r.path, RAW_DIR + b"/metrics.json", b'{"auc": 0.8}')
    r.c1 = r.commit("a 1.0.0")
    _write(r.path, RAW_DIR + b"/model.yaml", b"name: a\nversion: 1.1.0\n")
    _write(r.path, RAW_DIR + b"/weights.bin", b"w2")
    _write(r.path, RAW_DIR + b"/metrics.json", b'{"auc": 0.9}')
    r.c2 = r.commit("a 1.1.0")
    return r


def _run(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_latin1_directory_is_checked_out_byte_for_byte(latin1, capsys):
    code, out, err = _run(capsys, latin1.path, "checkout", "a", "1.0.0")
    assert code == 0, err
    assert "nothing changed" not in out
    assert _read(latin1.path, RAW_DIR + b"/weights.bin") == b"w1"
    assert _read(latin1.path, RAW_DIR + b"/model.yaml") == b"name: a\nversion: 1.0.0\n"
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "-z"],
        cwd=latin1.path,
        capture_output=True,
        check=True,
    ).stdout
    assert sorted(staged.split(b"\0")[:-1]) == [
        RAW_DIR + b"/metrics.json",
        RAW_DIR + b"/model.yaml",
        RAW_DIR + b"/weights.bin",
    ]


def test_a_latin1_directory_is_listed_and_rolled_back(latin1, capsys):
    code, out, _ = _run(capsys, latin1.path, "models", "--json")
    assert code == 0
    (model,) = json.loads(out)
    assert model["name"] == "a" and model["versions"] == 2
    code, out, err = _run(
        capsys, latin1.path, "rollback", "a", "--to", "1.0.0", "--yes", "--reason", "t"
    )
    assert code == 0, err
    assert "already has the files" not in out + err
    assert latin1.head() != latin1.c2  # a commit restoring 1.0.0's files
    shown = subprocess.run(
        ["git", "show", "HEAD:" + os.fsdecode(RAW_DIR + b"/weights.bin")],
        cwd=latin1.path,
        capture_output=True,
        check=True,
    ).stdout
    assert shown == b"w1"


def test_a_latin1_author_and_tagger_are_shown_never_a_traceback(tmp_path, capsys):
    r = GitRepo(tmp_path / "repo")
    r.git("config", "user.name", os.fsdecode(b"Jos\xe9"))
    decl = "m:\n  type: model\n  path: models/m\n"
    r.commit("v1", {"artifacts.yaml": decl, "models/m/metrics.json": '{"auc": 0.8}'})
    r.tag("m@v1.0.0", message="v1")
    r.git("tag", "-a", "-m", "prod", "m#prod#1", env=r.env(os.fsdecode(b"Jos\xe9")))
    r.commit("v2", {"models/m/metrics.json": '{"auc": 0.9}'}, author=os.fsdecode(b"Jos\xe9"))
    r.tag("m@v1.1.0", message="v2")
    r.git("tag", "-a", "-m", "prod", "m#prod#2", env=r.env(os.fsdecode(b"Jos\xe9")))
    for args in (("audit",), ("history",), ("versions", "m"), ("audit", "--json")):
        code, out, err = _run(capsys, r.path, *args)
        assert code == 0, (args, err)
        assert "Traceback" not in err
    code, out, err = _run(
        capsys, r.path, "rollback", "m", "--stage", "prod", "--yes", "--reason", "t"
    )
    assert code == 0, err
    assert "Traceback" not in err
    code, out, err = _run(capsys, r.path, "history", "--json")
    assert code == 0
    assert "Jos\ufffd" in out


def test_versions_and_diff_list_the_path_as_its_bytes(latin1, capsys):
    code, out, err = _run(capsys, latin1.path, "diff", "a", "1.0.0", "1.1.0")
    assert code == 0, err
    assert "m\\xe9dels/a/weights.bin" in out  # the byte shown as itself, not U+FFFD
    assert "\ufffd" not in out
    code, out, err = _run(capsys, latin1.path, "diff", "a", "1.0.0", "1.1.0", "--json")
    assert code == 0, err
    paths = {pathtext.to_bytes(a["path"]) for a in json.loads(out)["artifacts"]}
    assert RAW_DIR + b"/weights.bin" in paths  # JSON reads back the exact name
    assert all(ord(ch) < 0x80 for ch in out)  # the stand-ins escaped, never raw
    code, out, err = _run(capsys, latin1.path, "models", "--json")
    assert pathtext.to_bytes(json.loads(out)[0]["path"]) == RAW_DIR
    code, out, err = _run(capsys, latin1.path, "versions", "a", "--json")
    assert code == 0, err
    assert [v["version"] for v in json.loads(out)] == ["1.1.0", "1.0.0"]


def test_a_file_name_that_is_not_utf8_inside_a_model(tmp_path, capsys):
    r = GitRepo(tmp_path / "repo")
    name = b"models/b/w\xff\xfe.bin"
    _write(r.path, b"models/b/model.yaml", b"name: b\nversion: 1.0.0\n")
    _write(r.path, name, b"old")
    r.commit("b 1.0.0")
    _write(r.path, b"models/b/model.yaml", b"name: b\nversion: 1.1.0\n")
    _write(r.path, name, b"new")
    r.commit("b 1.1.0")
    code, out, err = _run(capsys, r.path, "checkout", "b", "1.0.0")
    assert code == 0, err
    assert "nothing changed" not in out
    assert _read(r.path, name) == b"old"
    assert "models/b/w\\xff\\xfe.bin" in out
    # the drop hint names the same bytes for a shell ($'...' quoting)
    assert "$'models/b/w\\xff\\xfe.bin'" in out
    undone = subprocess.run(
        [
            "bash",
            "-c",
            "git restore --source=HEAD --staged --worktree -- $'models/b/w\\xff\\xfe.bin'",
        ],
        cwd=r.path,
        capture_output=True,
    )
    assert undone.returncode == 0, undone.stderr
    assert _read(r.path, name) == b"new"
    r.git("reset", "-q", "--hard")
    code, out, err = _run(
        capsys, r.path, "rollback", "b", "--to", "1.0.0", "--yes", "--reason", "t"
    )
    assert code == 0, err
    shown = subprocess.run(
        ["git", "show", "HEAD:" + os.fsdecode(name)], cwd=r.path, capture_output=True, check=True
    ).stdout
    assert shown == b"old"


def test_a_model_named_after_a_latin1_directory_is_found_from_the_command_line(tmp_path, capsys):
    r = GitRepo(tmp_path / "repo")
    _write(r.path, b"models/r\xe9seau/MLmodel", b"flavors: {}\n")
    _write(r.path, b"models/r\xe9seau/metrics.json", b'{"auc": 0.8}')
    r.commit("one")
    _write(r.path, b"models/r\xe9seau/metrics.json", b'{"auc": 0.9}')
    r.commit("two")
    code, out, err = _run(capsys, r.path, "models")
    assert code == 0, err
    assert "r\\xe9seau" in out
    # argv arrives surrogate-escaped, as Python decodes a byte that is not UTF-8
    code, out, err = _run(capsys, r.path, "versions", os.fsdecode(b"r\xe9seau"))
    assert code == 0, err


@pytest.mark.parametrize(
    "raw",
    [b"", b"plain/path.txt", "caf\u00e9".encode(), b"m\xe9dels", b"\xff\xfe", b"\xed\xb3\xa9"]
    + ["\U0010ef80x".encode(), b"\xf4\x8e\xbe", bytes(range(1, 256))],
)
def test_the_catalog_form_round_trips_every_name(raw):
    text = pathtext.from_bytes(raw)
    text.encode("utf-8")  # storable: Arrow and DuckDB take it
    assert pathtext.to_bytes(text) == raw
    assert pathtext.to_os(text) == os.fsdecode(raw)
    assert pathtext.to_catalog(os.fsdecode(raw)) == text
    if raw.isascii() or raw == "caf\u00e9".encode():
        assert text == raw.decode()  # a UTF-8 name is itself


def test_random_names_round_trip():
    rnd = random.Random(27)
    alphabet = [0x61, 0x2F, 0x80, 0xE9, 0xF4, 0x8E, 0xBE, 0xBF, 0xC3, 0xA9, 0xED, 0xB3, 0xFF]
    for _ in range(5000):
        raw = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 9)))
        text = pathtext.from_bytes(raw)
        text.encode("utf-8")
        assert pathtext.to_bytes(text) == raw, raw
        assert pathtext.to_os(text) == os.fsdecode(raw), raw


def test_a_byte_that_is_not_utf8_is_shown_as_xnn():
    assert clean(pathtext.from_bytes(b"m\xe9dels")) == "m\\xe9dels"
    assert clean(os.fsdecode(b"m\xe9dels")) == "m\\xe9dels"
    assert clean("café ✓") == "café ✓"
    assert shell_word(pathtext.from_bytes(b"it's \xe9")) == "$'it\\'s \\xe9'"
    assert shell_word("a b") == "'a b'"
