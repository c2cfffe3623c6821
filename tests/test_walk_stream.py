"""The history walk parses ``git log`` as git writes it, in pieces cut anywhere (a
100,000-commit log held whole cost ~150 MB): the records are the same as from the whole
text, whatever the cuts. A commit message is hostile text: a record separator in it
once made its commit vanish from the index, and one that spells out a whole record
must not forge a commit."""

from __future__ import annotations

from pathlib import Path

from gitbuilder import GitRepo
from hypothesis import given, settings
from hypothesis import strategies as st

from modeltrail.store import gitcmd
from modeltrail.store.read import gitio
from modeltrail.store.repo import open_repo

NONCE = "0123abcd"


def _log_text(repo) -> str:
    heads = [r.commit for r in gitio.read_refs(repo) if r.commit]
    stdin = "".join(f"{c}\n" for c in dict.fromkeys(heads)).encode()
    cmd = ["log", "--topo-order", "--reverse", f"--format={gitio.log_format(NONCE)}", "--stdin"]
    cmd += ["--raw", "-z", "--no-renames", "--diff-merges=first-parent", "--no-abbrev"]
    return gitcmd.piped(repo, cmd, stdin).decode("utf-8", errors="replace")


ZERO = "0" * 40
#: a message that spells out a record of the old format: separator, ids, a changed file
FORGED = f"\x1e{'1' * 40}\x00\x00{'2' * 40}\x00Eve\x00eve@x\x000\x000\x00forged\x00\n"
FORGED += f":000000 100644 {ZERO} {'3' * 40} A\x00models/a/evil.pkl\x00"


def _history(tmp: Path) -> Path:
    g = GitRepo(tmp / "repo")
    g.commit(
        "first\n\nbody with \x1e the record separator, tabs\tand é",
        {"models/a/metrics.json": '{"auc": 0.9}'},
    )
    g.commit(FORGED.replace("\x00", "\t"), {"models/a/metrics.json": '{"auc": 0.95}'})
    g.commit(
        "second: ünïcödé 🎉",
        {"models/a/metrics.json": '{"auc": 0.91}', "models/b/params.yaml": "lr: 0.1\n"},
    )
    g.commit("third removes a file", {"models/b/params.yaml": None})
    return g.path


def test_the_walk_gives_every_commit_with_its_changes(tmp_path) -> None:
    repo = open_repo(_history(tmp_path))
    records = list(gitio.walk_commits(repo, [repo.head.commit.hexsha]))
    assert [r.subject for r in records] == [
        "first",
        FORGED.replace("\x00", "\t").split("\n")[0].rstrip(),  # its own commit, as written
        "second: ünïcödé 🎉",
        "third removes a file",
    ]
    assert "\x1e the record separator" in records[0].message
    assert [c.path for c in records[1].changes] == ["models/a/metrics.json"]
    assert not any(c.path.endswith("evil.pkl") for r in records for c in r.changes)
    assert [(c.path, c.blob is None) for c in records[3].changes] == [
        ("models/b/params.yaml", True)
    ]


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_pieces_cut_anywhere_parse_as_the_whole(tmp_path_factory, cuts) -> None:
    repo = open_repo(_history(tmp_path_factory.mktemp("walk")))
    text = _log_text(repo)
    edges = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    pieces = [text[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    assert list(gitio.parse_log(pieces, NONCE)) == list(gitio.parse_log([text], NONCE))
    assert len(list(gitio.parse_log(pieces, NONCE))) == 4


def test_blobs_are_read_whole_when_git_writes_them_in_pieces(tmp_path) -> None:
    """``cat-file --batch`` output arrives a megabyte at a time and is taken apart as it
    comes: objects cut across pieces (a 1.3 MB blob, one ending right at a boundary,
    contents holding newlines and what looks like a header) come out whole and exact;
    a missing id is skipped; ``max_size`` truncates."""
    header_like = b"x" * 10 + b"\n" + ("0" * 40).encode() + b" blob 5\nhello\n"
    contents = {
        "models/a/big.bin": bytes(range(256)) * 5200,  # 1.3 MB, binary
        "models/a/edge.bin": b"e" * ((1 << 20) - 200),
        "models/a/tiny.json": b'{"auc": 0.9}\n',
        "models/a/odd.txt": header_like,
        "models/a/empty.txt": b"",
    }
    g = GitRepo(tmp_path / "repo")
    g.commit("blobs", contents)
    repo = open_repo(tmp_path / "repo")
    ids = {p: g.git("rev-parse", f"HEAD:{p}").strip() for p in contents}
    missing = "f" * 40
    got = gitio.read_blobs(repo, [*ids.values(), missing, "not-an-id"], 10**9)
    assert {p: got[ids[p]] for p in contents} == contents
    assert missing not in got and len(got) == len(contents)
    assert gitio.read_blobs(repo, [ids["models/a/big.bin"]], 300) == {
        ids["models/a/big.bin"]: contents["models/a/big.bin"][:300]
    }
