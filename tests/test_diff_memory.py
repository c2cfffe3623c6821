"""The diff of a huge text file is streamed and capped: memory stays near the cap, and
a file past the size limit is summarised without asking git for its patch."""

from __future__ import annotations

import tracemalloc

import git
import pytest
from test_cli_hostile import _git

from modeltrail.store.read import gitdiff as diff_mod

LINES = 200_000  # about 5 MB of text, every line changed


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("bigdiff") / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    big = root / "data.txt"
    big.write_text("".join(f"line {i} old\n" for i in range(LINES)))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    a = _git(root, "rev-parse", "HEAD")
    big.write_text("".join(f"line {i} new\n" for i in range(LINES)))
    _git(root, "commit", "-q", "-am", "two")
    b = _git(root, "rev-parse", "HEAD")
    repo = git.Repo(root)
    yield repo, a, b
    repo.close()


def test_patch_is_streamed_and_capped(repo, monkeypatch):
    r, a, b = repo
    monkeypatch.setattr(diff_mod, "MAX_PATCH_BYTES", 64 * 1024)
    tracemalloc.start()
    try:
        text, truncated = diff_mod.file_patch(r, a, b, "data.txt")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert truncated
    assert 0 < len(text.encode()) <= 64 * 1024
    assert text.startswith("diff --git")
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes: the whole patch was read"


def test_a_file_past_the_size_limit_is_summarised(repo, monkeypatch):
    r, a, b = repo
    monkeypatch.setattr(diff_mod, "MAX_DIFF_BLOB", 1024 * 1024)
    text, truncated = diff_mod.file_patch(r, a, b, "data.txt")
    assert truncated
    assert "too large" in text and "MB" in text
    assert "@@" not in text
