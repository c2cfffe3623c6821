"""A full index of 100,000 commits must stay under 400 MB, git and the parse helpers
included (issue #30): what it holds is not held twice, what it is done with is let go,
and what it lets go goes back to the system."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from tui_support import index

from modeltrail.store import gitcmd
from modeltrail.store.read import gitio, heap, indexer
from modeltrail.store.repo import open_repo


def _history(tmp: Path) -> GitRepo:
    g = GitRepo(tmp / "repo")
    g.commit("first", {"models/a/metrics.json": '{"auc": 0.9}'})
    g.commit("second", {"models/a/metrics.json": '{"auc": 0.91}'})
    g.branch("side")
    g.commit("third", {"models/a/params.yaml": "lr: 0.1\n"})
    g.checkout("side")
    g.commit("on side", {"models/a/notes.txt": "x"})
    g.checkout("main")
    g.merge("side", "merge side")
    return g


def test_a_parents_id_is_the_text_of_its_own_record(tmp_path) -> None:
    """The walk holds one copy of each commit id: a parent's id in its children's
    records is the very text of the parent's own (100,000 copies cost ~10 MB)."""
    g = _history(tmp_path)
    repo = open_repo(g.path)
    try:
        commits = list(gitio.walk_commits(repo, [g.head()]))
    finally:
        repo.close()
    own = {c.commit: c.commit for c in commits}
    parents = [p for c in commits for p in c.parents]
    assert len(parents) == len(commits)  # a root, and a merge with two parents
    assert all(p is own[p] for p in parents)


def test_a_full_index_lets_each_commit_record_go_once_followed(tmp_path, monkeypatch) -> None:
    """The records of the walk and the versions made from them were the peak of a
    full index, held both at once: each record goes as its files are followed."""
    g = _history(tmp_path)
    left: list[list[object]] = []
    original = indexer.propagate

    def spy(commits, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = original(commits, *args, **kwargs)
        left.append(list(commits))
        return out

    monkeypatch.setattr(indexer, "propagate", spy)
    index(g.path)
    assert len(left) == 1 and len(left[0]) == 5
    assert left[0] == [None] * 5


def test_git_keeps_a_small_cache_of_delta_bases() -> None:
    """git's default (96 MB of delta bases) held ~60 MB more in the walk of 100,000
    commits, in no less time: every git process is started with 8 MB."""
    assert "core.deltaBaseCacheLimit=8m" in gitcmd.argv("log")


def test_a_git_process_is_given_the_small_cache(tmp_path) -> None:
    g = GitRepo(tmp_path / "repo")
    done = gitcmd.run_at(g.path, "config", "--get", "core.deltaBaseCacheLimit")
    assert done.stdout.decode().strip() == "8m"


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(heap._malloc_trim() is None, reason="not glibc: nothing to trim")
def test_freed_heap_goes_back_to_the_system() -> None:
    """What the walk and the parse freed stayed resident beside DuckDB's cache (the
    C library keeps it for later): trimmed, it is the system's again."""
    malloc = ctypes.CDLL(None).malloc
    free = ctypes.CDLL(None).free
    malloc.restype = ctypes.c_void_p
    free.argtypes = [ctypes.c_void_p]
    blocks = [malloc(4000) for _ in range(16_000)]  # 64 MB below the mmap threshold
    for p in blocks:
        ctypes.memset(p, 1, 4000)  # resident
    for p in blocks[:-1]:
        free(p)  # the last one keeps the freed space off the top of the heap
    before = _rss_kb()
    assert heap.trim()
    after = _rss_kb()
    free(blocks[-1])
    assert before - after > 32_000, (before, after)


def test_a_full_index_trims_the_heap_before_parsing_and_deriving(tmp_path, monkeypatch) -> None:
    """Once before the documents are parsed (the walk's records and the versions' files
    are rows by then), once before DuckDB derives the versions."""
    g = _history(tmp_path)
    calls: list[bool] = []
    monkeypatch.setattr(heap, "trim", lambda: calls.append(True) or True)
    index(g.path)
    assert calls == [True, True]


def test_blob_ids_read_back_are_the_callers_own_text(tmp_path) -> None:
    """Sizes and contents are keyed by the ids as the caller gave them, not by copies
    decoded from git's answers (138,000 copies were ~13 MB), a missing one among them."""
    g = _history(tmp_path)
    listed = g.git("ls-tree", "-r", "HEAD").split("\n")
    wanted = [line.split("\t")[0].split(" ")[2] for line in listed]
    wanted.insert(1, "f" * 40)  # not in the repository: git says "missing"
    repo = open_repo(g.path)
    try:
        sizes = gitio.blob_sizes(repo, wanted)
        contents = gitio.read_blobs(repo, wanted, 1000)
    finally:
        repo.close()
    own = {w: w for w in wanted}
    assert len(sizes) == len(contents) == len(wanted) - 1
    assert all(k is own[k] for k in sizes) and all(k is own[k] for k in contents)
    assert contents[wanted[0]] == g.git("cat-file", "blob", wanted[0]).encode()


def test_a_long_parse_trims_the_heap_every_few_rounds(monkeypatch) -> None:
    """The documents read and parsed are freed round after round, but the C library
    kept them (~25 MB at 100,000 commits): every few rounds they go back."""
    from modeltrail.store.read import parse_pool

    jobs = [(f"{i:040x}", "metrics", "m/metrics.json", b'{"auc": %d}' % i) for i in range(64)]
    calls: list[bool] = []
    monkeypatch.setattr(heap, "trim", lambda: calls.append(True) or True)
    monkeypatch.setattr(parse_pool, "SHARE", 4)
    monkeypatch.setattr(parse_pool, "TRIM_ROUNDS", 2, raising=False)
    monkeypatch.setattr(parse_pool, "workers_for", lambda count: 1)
    got = parse_pool.parse(jobs)
    assert got == [parse_pool._parse_one(j) for j in jobs]
    assert len(calls) >= 3  # 64 documents in rounds of 4 here and 8 or so in the worker
