"""Many tags: a changed tag re-derives only the models it touches, with the result a full
index gives (labels, stages, events, warnings, versions, latest), and gto agrees."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from hypothesis import example, given
from hypothesis import strategies as st

from modeltrail.store.catalog import labels_log
from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.catalog.tag_update import _candidates
from modeltrail.store.read import gitio
from modeltrail.store.read.gto import artifact_part, parse_tag
from modeltrail.store.read.labels import read_tags
from modeltrail.store.repo import open_repo

GTO = shutil.which("gto") or str(Path(sys.executable).parent / "gto")
ARTIFACTS = "churn:\n  type: model\n  path: models/churn\n"
DERIVED = ("labels", "stages", "stage_events", "versions", "warnings", "refs", "model_commits")


def manifest(name: str, version: str | None = None) -> str:
    return f"name: {name}\n" + (f"version: {version}\n" if version else "")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """GTO artifact churn, plain-tagged fraud and fraud2 (a clash-prone pair under the
    team pattern ``{model}{version}``), and ops, known from GTO tags only."""
    r = GitRepo(tmp_path / "repo")
    r.write({".modeltrail.toml": '[tags]\npatterns = ["{model}{version}"]\n'})
    for i in range(4):
        files = {f"models/{m}/model.yaml": manifest(m) for m in ("fraud", "fraud2")}
        files.update({f"models/{m}/weights.bin": f"w{i}" for m in ("fraud", "fraud2")})
        files["models/churn/model.pkl"] = f"churn {i}"
        if i == 0:  # a model nested in fraud's directory, never changed again
            files["models/fraud/sub/model.yaml"] = manifest("fraud-sub")
            files["models/fraud/sub/weights.bin"] = "sub"
        files["artifacts.yaml"] = ARTIFACTS
        if i == 3:
            files.pop("models/churn/model.pkl")  # churn unchanged at the last commit
        r.commit(f"train {i}", files)
    r.tag("churn@v1.0.0", "HEAD~3", "Registering churn v1.0.0")
    r.tag("churn#prod#1", "HEAD~3", "Assigning prod")
    r.tag("churn@v1.1.0", "HEAD~1", "Registering churn v1.1.0")
    r.tag("fraud-v1.0.0", "HEAD~2")
    r.tag("fraud/2026.01.05", "HEAD~1")  # calendar next to semver: mixed schemes
    r.tag("fraud2-v2.0.0", "HEAD~2")
    r.tag("fraud21", "HEAD~1")  # fraud2's 1, or fraud's 21: a clash
    r.tag("ops@v1.0.0", "HEAD~3", "Registering ops")
    update_catalog(open_repo(r.path))
    return r


def derived_tables(path: Path) -> dict:
    con = open_catalog(open_repo(path))
    try:
        out = {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in DERIVED}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    out["latest"] = json.loads(meta["latest"])
    out["models_fingerprint"] = meta["models_fingerprint"]  # an incremental run keeps it
    return out


def versions_of(r: GitRepo, model: str) -> list[str]:
    con = open_catalog(open_repo(r.path))
    try:
        rows = con.execute("SELECT version FROM versions WHERE model = $1", [model]).fetchall()
    finally:
        con.close()
    return [v for (v,) in rows]


def incremental_equals_full(r: GitRepo) -> list[str] | None:
    """Index incrementally, then rebuild: both catalogs must hold the same rows.
    Returns the tags the incremental run re-derived (None: it re-derived every model)."""
    summary = update_catalog(open_repo(r.path))
    assert summary.mode == "incremental", summary.reason
    incremental = derived_tables(r.path)
    update_catalog(open_repo(r.path), rebuild=True)
    assert incremental == derived_tables(r.path)
    return summary.tags_changed


def test_changed_tags_rederive_only_their_models_as_a_full_index_would(repo: GitRepo) -> None:
    r = repo
    r.tag("fraud-v1.1.0")  # a new plain tag: fraud's latest
    assert incremental_equals_full(r) == ["fraud-v1.1.0"]
    assert derived_tables(r.path)["latest"]["fraud"] == ["v1.1.0", "labels"]

    r.tag("churn#prod#2", "HEAD~1", "Assigning prod to v1.1.0")  # a promotion
    r.tag("churn@v2.0.0", "HEAD", "Registering churn v2.0.0")  # a commit churn left alone
    assert incremental_equals_full(r) == ["churn#prod#2", "churn@v2.0.0"]

    r.git("tag", "-d", "fraud-v1.0.0")  # deleted, moved, and a clash that goes away
    r.git("tag", "-f", "fraud2-v2.0.0", "HEAD~3")
    r.git("tag", "-d", "fraud21")
    assert incremental_equals_full(r) == ["fraud-v1.0.0", "fraud2-v2.0.0", "fraud21"]

    r.tag("churn@v1.0.0!", "HEAD~3", "Deregistering v1.0.0")
    r.tag("churn#prod!#3", "HEAD~1", "Unassigning prod")
    r.tag("fraud211", "HEAD~2")  # a new clash
    assert incremental_equals_full(r) == ["churn#prod!#3", "churn@v1.0.0!", "fraud211"]

    # the only tag on a commit that left churn alone goes: so does that version
    assert "v2.0.0" in versions_of(r, "churn")
    r.git("tag", "-d", "churn@v2.0.0")
    assert incremental_equals_full(r) == ["churn@v2.0.0"]
    assert "v2.0.0" not in versions_of(r, "churn")

    # a version a tag makes of a nested model on a commit that left it alone: its own
    # files only, not its parent directory's
    r.tag("fraud-sub-v1.0.0", "HEAD~1")
    assert incremental_equals_full(r) == ["fraud-sub-v1.0.0"]

    # new commits and new tags in one run: a manifest version and a tag on the new commit
    r.commit("fraud 1.3", {"models/fraud/model.yaml": manifest("fraud", "1.3.0")})
    r.tag("fraud-v1.2.0")
    r.tag("churn#staging#4", "HEAD~2", "Assigning staging")
    assert incremental_equals_full(r) == ["churn#staging#4", "fraud-v1.2.0"]


def test_a_change_that_alters_the_names_rederives_everything(repo: GitRepo) -> None:
    # a new GTO artifact is a new name plain tags are matched against: all re-derived
    repo.tag("fraud2-v9@v1.0.0", "HEAD", "Registering fraud2-v9")
    assert incremental_equals_full(repo) is None
    # the last tag of a tags-only artifact goes: its name goes with it
    repo.git("tag", "-d", "ops@v1.0.0")
    assert incremental_equals_full(repo) is None
    assert "ops" not in derived_tables(repo.path)["latest"]


def test_refs_that_are_not_commits_and_branches_as_a_full_index_would(repo: GitRepo) -> None:
    """The incremental run compares the refs with the catalog's instead of reading them
    all: a tag on a tree (no commit) is read again every run, then moved to a commit; a
    branch made at an old commit, another moved forward; a tag and a branch deleted."""
    repo.git("tag", "tree-tag", "HEAD^{tree}")
    repo.tag("fraud-v1.0.1", "HEAD~1")
    assert incremental_equals_full(repo) == ["fraud-v1.0.1", "tree-tag"]
    repo.commit("docs", {"README.md": "hi\n"})
    assert incremental_equals_full(repo) == []  # tree-tag read again, unchanged
    repo.git("tag", "-f", "tree-tag", "HEAD~1")  # now a commit: reads as no model's label
    repo.git("tag", "-f", "fraud2-v2.0.1", "HEAD~1")
    repo.branch("old-line", "HEAD~3")
    assert incremental_equals_full(repo) == ["fraud2-v2.0.1", "tree-tag"]
    repo.git("tag", "-d", "tree-tag")
    repo.git("branch", "-f", "old-line", "HEAD~2")  # forward
    assert incremental_equals_full(repo) == ["tree-tag"]


def test_the_refs_listed_by_the_nothing_new_check_are_used_only_for_that_catalog(
    repo: GitRepo,
) -> None:
    from modeltrail.store.catalog.generations import RefsSeen
    from modeltrail.store.catalog.index_run import run_index

    repo.tag("fraud-v1.1.0")
    stale = RefsSeen(ids=gitio.ref_ids(open_repo(repo.path))[:1], generation=["another"])
    summary = run_index(open_repo(repo.path), seen=stale)  # another writer came in between
    assert summary.mode == "incremental" and summary.tags_changed == ["fraud-v1.1.0"]
    assert update_catalog(open_repo(repo.path)).mode == "unchanged"


def test_nothing_but_branches_moved_reads_no_tag(repo: GitRepo) -> None:
    repo.commit("docs", {"README.md": "hi\n"})
    assert incremental_equals_full(repo) == []


def gto_show(path: Path) -> dict:
    done = subprocess.run([GTO, "show", "--json"], cwd=path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def models_cli(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(path), "models", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return {m["name"]: m for m in json.loads(done.stdout)}


@pytest.mark.skipif(not Path(GTO).exists(), reason="the gto tool is not installed")
def test_gto_agrees_after_each_incremental_tag(repo: GitRepo) -> None:
    steps = [
        [("churn#prod#2", "HEAD~1")],
        [("churn@v1.2.0", "HEAD"), ("churn#staging#3", "HEAD")],
        [("churn#prod#4", "HEAD~3")],  # back to v1.0.0: a rollback
        [("churn@v1.2.0!", "HEAD"), ("ops#prod#5", "HEAD~3")],
    ]
    for step in steps:
        for name, rev in step:
            repo.tag(name, rev, f"gto tag {name}")
        summary = update_catalog(open_repo(repo.path))
        assert summary.tags_changed == sorted(n for n, _ in step)
        ours, theirs = models_cli(repo.path), gto_show(repo.path)
        for name, entry in theirs.items():
            assert ours[name]["latest"] == entry["version"], (step, name)
            stages = {s: v for s, v in (entry.get("stage") or {}).items() if v}
            assert ours[name]["stages"] == stages, (step, name)


def test_tags_that_may_read_as_a_model_are_found_by_prefix_or_suffix() -> None:
    models = {"fraud", "churn"}
    tags = [f"m{i}-v1.0.0" for i in range(200)] + [
        "fraud-v1.0.0",
        "fraud/2026.01.05",
        "release/churn/v3",
        "v2-churn",
        "fraud-v2-v1.0.0",
    ]
    patterns = ["release/{model}/{version}", "{version}-{model}"]
    found = _candidates(tags, models, patterns)
    # the filter may keep more than reads as the models, never less
    every = {lab.tag for lab in read_tags(tags, models | {"fraud-v2"}, None, patterns).labels}
    assert every - {"fraud-v2-v1.0.0"} <= set(found)
    assert set(found) <= set(tags[200:])


def test_only_the_changed_refs_are_read_by_name(repo: GitRepo) -> None:
    git_repo = open_repo(repo.path)
    everything = gitio.read_refs(git_repo)
    named = gitio.read_refs(
        git_repo, ["refs/tags/churn@v1.0.0", "refs/tags/gone", "refs/heads/main"]
    )
    assert [r.name for r in named] == ["refs/heads/main", "refs/tags/churn@v1.0.0"]
    assert named == [r for r in everything if r.name in {x.name for x in named}]
    assert gitio.read_refs(git_repo, []) == []


def test_the_labels_log_records_only_the_changed_tags(repo: GitRepo) -> None:
    log = repo.path / ".git" / "modeltrail" / labels_log.LOG_FILE
    before = log.read_text().splitlines()
    repo.git("tag", "-f", "fraud-v1.0.0", "HEAD")  # moved
    update_catalog(open_repo(repo.path))
    after = log.read_text().splitlines()
    assert len(after) == len(before) + 1
    assert json.loads(after[-1])["tag"] == "fraud-v1.0.0"
    (move,) = labels_log.moves(log.parent)
    assert move["tag"] == "fraud-v1.0.0" and move["new_commit"] == repo.head()


def test_a_rebuild_records_what_moved_since_the_log_was_read(repo: GitRepo) -> None:
    """A rebuild reads the whole labels.log in a thread while it reads git, then appends
    the tags whose commit is not the one last recorded (and nothing on a second one)."""
    log = repo.path / ".git" / "modeltrail" / labels_log.LOG_FILE
    before = log.read_text().splitlines()
    repo.git("tag", "-f", "fraud-v1.0.0", "HEAD")
    update_catalog(open_repo(repo.path), rebuild=True)
    after = log.read_text().splitlines()
    assert [json.loads(x)["tag"] for x in after[len(before) :]] == ["fraud-v1.0.0"]
    update_catalog(open_repo(repo.path), rebuild=True)
    assert log.read_text().splitlines() == after


@pytest.mark.parametrize(
    "name",
    ["churn@v1.2.0", "churn#prod#3", "team/fraud-v2#staging!#1", "models/x=churn@v1.0.0",
     "-x=m@v1.0.0", "a@deprecated", "m@v1.0.0-rc.1+b#7"],
)  # fmt: skip
def test_the_cheap_artifact_part_is_the_artifact_gto_reads(name: str) -> None:
    parsed = parse_tag(name)
    assert parsed is not None and artifact_part(name) == parsed.artifact


@given(st.text(alphabet="ab1-_/.=#@!v0.", max_size=24))
def test_the_cheap_artifact_part_never_misses_a_gto_tag(name: str) -> None:
    parsed = parse_tag(name)
    if parsed is not None:
        assert artifact_part(name) == parsed.artifact


ODD_TAGGERS = [
    b"tagger A B <a@b> 1700000000 +0100",
    b"tagger  <> 1700000002 +0000",  # empty name and email
    b"tagger <e> 1700000002 +0000",  # no space before the email
    b"tagger N <e> 99999999999999999999999 +0000",  # a date git cannot hold
    b"tagger N <e> 000999999999999 +0130",
    b"tagger N <e> 999999999999 +0130",
    b"tagger N <<e>> 1700000000 +0000",
    b"tagger N <e> x",
    b"tagger N e 1700000000 +0000",
    b"tagger N\xff\xfe <\xe9@x> 1700000000 +0000",  # not UTF-8
    b"tagger N <e>  1700000000 +0000",
    b"tagger N <e> 1700000000",
]
ODD_MESSAGES = [
    b"\n\n\nafter blank lines\n\nbody\n",
    b"",
    b"no newline",
    b"with a NUL \x00 inside\n",
    b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
    b"\r\ncarriage\r\n",
    b"caf\xc3\xa9 \xff\n",
]


def test_tags_read_without_for_each_ref_contents_read_as_it_would(repo: GitRepo) -> None:
    """Tag objects are parsed from ``cat-file`` where their shape is plain and read by
    ``for-each-ref`` otherwise: every field must be what ``for-each-ref`` alone gives."""
    commit = repo.head().encode()
    tree = repo.git("rev-parse", "HEAD^{tree}").encode()
    bodies = [b"object %s\ntype commit\ntag t\n%s\n\nm\n" % (commit, t) for t in ODD_TAGGERS]
    plain = b"object %s\ntype commit\ntag t\ntagger N <e> 1700000000 +0000\n" % commit
    bodies += [plain + b"\n" + m for m in ODD_MESSAGES]
    bodies += [
        plain,  # no message at all
        plain.replace(b"tag t\n", b"tag t\nencoding latin1\n") + b"\nm\n",  # another header
        b"object %s\ntype tree\ntag t\ntagger N <e> 1 +0000\n\ntree\n" % tree,
    ]
    made = []
    for i, body in enumerate(bodies):
        oid = repo.git("hash-object", "-t", "tag", "-w", "--stdin", "--literally", input=body)
        repo.git("update-ref", f"refs/tags/odd{i:02d}", oid)
        made.append(oid)
    nested = b"object %s\ntype tag\ntag n\ntagger N <e> 1 +0000\n\nnested\n" % made[0].encode()
    oid = repo.git("hash-object", "-t", "tag", "-w", "--stdin", input=nested)
    repo.git("update-ref", "refs/tags/nested", oid)
    repo.git("tag", "tree-tag", "HEAD^{tree}")
    git_repo = open_repo(repo.path)
    reference = gitio._read_refs(git_repo, gitio.REF_PATTERNS)
    assert gitio.read_refs(git_repo) == reference
    assert len([r for r in reference if r.name.startswith("refs/tags/odd")]) == len(bodies)
    some = ["refs/tags/odd00", "refs/tags/odd05", "refs/tags/nested", "refs/heads/main"]
    assert gitio.read_refs(git_repo, some) == [r for r in reference if r.name in some]


_LOG_TEXT = st.one_of(
    st.sampled_from(["v1.0.0", "4889393e"]),
    st.text(alphabet=st.sampled_from('ab"\\ \n\r\x00\x1e\x85\u2028{}:,é'), max_size=6),
)


@example([("a\\b", "v1", "c1"), ("a\\b", "v1", "c2"), ('a"', "v1", "c3"), ("a\u2028b", "v", "c")])
@given(
    st.lists(
        st.one_of(
            st.tuples(_LOG_TEXT, _LOG_TEXT, st.one_of(st.none(), _LOG_TEXT, st.integers())),
            st.text(alphabet=st.sampled_from('{}"tag:, \n\\a1'), max_size=30),
        ),
        max_size=12,
    )
)
def test_the_last_recorded_commits_are_what_json_reads(tmp_path_factory, items) -> None:
    """``record`` reads the log's own lines with a regex: the commit it finds last for
    each tag is what ``json.loads`` of every line gives, whatever the log holds."""
    lines = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)  # not a line this module wrote
            continue
        tag, label, commit = item
        entry = {"seen_at": "2026-01-01T00:00:00Z", "tag": tag, "model": "m"}
        entry |= {"label": label, "commit": commit}
        lines.append(json.dumps(entry, ensure_ascii=False))
    directory = tmp_path_factory.mktemp("log")
    (directory / labels_log.LOG_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = {e["tag"]: e.get("commit") for e in labels_log._entries(directory)}
    assert labels_log._last_commits(directory) == expected
    few = {t for t, *_ in (i for i in items if isinstance(i, tuple))}
    expected = {e["tag"]: e.get("commit") for e in labels_log._entries(directory, few)}
    assert labels_log._last_commits(directory, few) == expected


def test_an_index_run_leaves_nothing_for_the_cyclic_collector(repo: GitRepo) -> None:
    """An index run pauses the cyclic garbage collector (at 100,000 tags it would keep
    traversing everything the run holds), so what the run frees must be freed by
    reference counting alone: no object cycles (GTO's versions and their stages, a
    closure that calls itself)."""
    repo.commit("metrics", {"models/fraud/metrics.json": '{"auc": {"val": 0.9}}'})
    repo.tag("churn#staging#2", "HEAD~2", "Assigning staging")
    git_repo = open_repo(repo.path)
    update_catalog(git_repo)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        update_catalog(git_repo, rebuild=True)
        gc.collect()
        garbage = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert garbage == []


@given(st.text(alphabet="ab/.", max_size=12))
def test_the_model_paths_dirname_is_posixpaths(path: str) -> None:
    import posixpath

    from modeltrail.store.read.discovery import _dirname

    assert _dirname(path) == posixpath.dirname(path)


def test_writes_in_the_writer_thread_happen_in_order_and_a_failure_is_raised() -> None:
    import duckdb

    from modeltrail.store.catalog.finish import _Writer

    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (x INTEGER)")
    con.execute("CREATE TABLE u (x INTEGER)")
    with _Writer(con) as writer:
        for i in range(5):
            writer.submit(lambda cur, i: cur.execute("INSERT INTO t VALUES ($1)", [i]), i)
        con.execute("INSERT INTO u VALUES (9)")
    assert con.execute("SELECT list(x ORDER BY rowid) FROM t").fetchone() == ([0, 1, 2, 3, 4],)
    ran = []
    with pytest.raises(duckdb.CatalogException), _Writer(con) as writer:
        writer.submit(lambda cur: cur.execute("INSERT INTO missing VALUES (1)"))
        writer.submit(lambda cur: cur.execute("INSERT INTO t VALUES (7)"))  # not after a failure
        ran.append(True)
    assert ran == [True]
    assert con.execute("SELECT count(*) FROM t WHERE x = 7").fetchone() == (0,)


def test_ref_records_built_at_once_are_ref_records() -> None:
    import dataclasses

    from modeltrail.store.read.gitio import RefRecord, _record

    values = ("refs/tags/t", "o1", "tag", "c1", True, "N", "e", None, "m", "tag", "t")
    made, built = RefRecord(*values), _record(*values)
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert list(vars(built)) == [f.name for f in dataclasses.fields(RefRecord)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.name = "x"  # type: ignore[misc]
