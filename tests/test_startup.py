"""A small repository feels instant: ``index`` and ``models`` import nothing that only
a long history or a rare file needs, and the shortcuts that spare it read the same as
the long way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from tui_support import build_tiny_repo, commit, write

from modeltrail.store.catalog import lines
from modeltrail.store.read.readers import environment

#: modules a small repository's ``index --rebuild`` or ``models`` must not import:
#: the TUI, the vectorised Arrow kernels, the requirement grammar, the parse workers,
#: the incremental run
HEAVY = (
    "textual",
    "pyarrow.compute",
    "packaging.requirements",
    "concurrent.futures.process",
    "modeltrail.store.catalog.incremental",
)

_PROBE = """
import json, sys
from modeltrail.tui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\nMODULES=" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def _imported(repo: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("MODULES=")][-1]
    return set(json.loads(line.removeprefix("MODULES=")))


def test_a_small_repository_imports_nothing_heavy(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    reqs = "numpy==1.26.4\npandas>=2.1,<3\nscikit-learn\ndvc[gs,s3]>=3\n"
    write(repo, "models/churn/requirements.txt", reqs)
    commit(repo, "churn: pin requirements", "2026-03-11T10:00:00Z")
    for args in (("index", "--rebuild"), ("models",)):
        heavy = sorted(m for m in _imported(repo, *args) if m.startswith(HEAVY))
        assert not heavy, (args, heavy)


def test_a_repository_without_tags_does_not_import_semver(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    subprocess.run(["git", "-C", str(repo), "tag", "-d", *_tags(repo)], check=True)
    for args in (("index", "--rebuild"), ("models",)):
        assert "semver" not in _imported(repo, *args), args


def test_a_small_graph_is_read_as_the_vectorised_way_reads_it(monkeypatch) -> None:
    t = pa.table(
        {
            "commit": ["a", "b", "c", "d"],
            "parents": [[], ["a"], ["a", "x"], ["c", "b"]],  # x: not in the table
            "subject": ["1", "2", "3", None],
        }
    )
    small = lines.graph_from_arrow(t)
    monkeypatch.setattr(lines, "VECTORISED_FROM", 0)
    assert lines.graph_from_arrow(t) == small
    assert small.parents == [(), (0,), (0, -1), (2, 1)]


def _by_packaging(text: str) -> tuple[str, str] | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if req.url or req.marker is not None:
        return None
    extras = "[" + ",".join(sorted(req.extras)) + "]" if req.extras else ""
    return environment.canonicalize_name(req.name), extras + str(req.specifier)


_NAME = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True)
_OP = st.sampled_from(["==", "!=", "<=", ">=", "~=", "<", ">", "===", "=", "=>"])
_VERSION = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}(\.\*|a1|rc2|\.post1|\+x)?", fullmatch=True)
_SPACE = st.sampled_from(["", " ", "  ", "\t"])
_SPEC = st.tuples(_SPACE, _OP, _SPACE, _VERSION, _SPACE).map("".join)


_EXTRAS = st.one_of(
    st.just(""),
    st.lists(_NAME, max_size=3).map(lambda names: "[" + ",".join(names) + "]"),
    st.lists(_NAME, min_size=1, max_size=3).map(lambda names: " [ " + " , ".join(names) + " ] "),
)


@settings(max_examples=150, deadline=None)  # a loaded machine must not fail it
@given(_NAME, _EXTRAS, st.lists(_SPEC, max_size=3), st.sampled_from([",", " ,", ", ", ";"]))
@example("a", "", ["~=1"], ",")
@example("a", "", ["==1.*"], ",")
@example("Foo_Bar.baz", "", [" >= 1.0 ", " < 2.0"], ",")
@example("a", "", [">=1", ">=1"], ",")
@example("0", "", ["==0", "==00"], ",")  # equal versions: packaging keeps one of them
@example("dvc", "[gs]", [], ",")
@example("dvc", "[S3,gs,s3]", [">=3.0"], ",")  # extras as written, once each, sorted
@example("dvc", "[]", [], ",")
@example("dvc", "[gs,]", [], ",")
def test_plain_requirements_read_as_packaging_reads_them(
    name: str, extras: str, specs: list[str], sep: str
) -> None:
    text = name + extras + sep.join(specs)
    plain = environment._plain_requirement(text)
    if plain is not None:  # where the shortcut answers, packaging agrees (else it reads)
        assert plain == _by_packaging(text), text


def test_the_shortcut_takes_the_usual_lines() -> None:
    for text in ("numpy", "pandas==2.1.4", "x >= 1.2, <2", "scikit_learn~=1.4", "dvc[gs]"):
        assert environment._plain_requirement(text) is not None, text


def test_a_full_index_opens_its_catalog_once_and_logs_the_same_labels(
    tmp_path: Path, monkeypatch
) -> None:
    """A full index reads the labels log's lines from the catalog it is writing, before
    closing it, instead of opening it again once installed (a second DuckDB instance:
    ~0.05 s); the lines are those the installed catalog gives. With no tag, nothing."""
    from modeltrail.store.catalog import index_run, labels_log
    from modeltrail.store.catalog.files import update_catalog
    from modeltrail.store.repo import open_repo, repo_paths

    reopened: list[object] = []
    real = index_run.connect_readonly

    def counting(path):
        reopened.append(path)
        return real(path)

    monkeypatch.setattr(index_run, "connect_readonly", counting)
    repo = build_tiny_repo(tmp_path / "tiny")
    r = open_repo(repo)
    paths = repo_paths(r)
    assert update_catalog(r, rebuild=True).mode == "full"
    assert reopened == []
    written = (paths.catalog_dir / labels_log.LOG_FILE).read_text(encoding="utf-8")
    assert written.count("\n") == 3  # the three version tags (stage tags are no labels)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    con = real(paths.catalog_file)
    assert con is not None
    labels_log.record(elsewhere, con)  # the installed catalog's lines: the same
    con.close()
    again = (elsewhere / labels_log.LOG_FILE).read_text(encoding="utf-8")
    assert [_unstamped(line) for line in written.splitlines()] == [
        _unstamped(line) for line in again.splitlines()
    ]
    assert update_catalog(r, rebuild=True).mode == "full"  # nothing moved: nothing added
    assert (paths.catalog_dir / labels_log.LOG_FILE).read_text(encoding="utf-8") == written
    subprocess.run(["git", "-C", str(repo), "tag", "-d", *_tags(repo)], check=True)
    assert update_catalog(r, rebuild=True).mode == "full"
    assert reopened == []
    r.close()


def _unstamped(line: str) -> dict[str, object]:
    entry = json.loads(line)
    del entry["seen_at"]
    return entry


def _tags(repo: Path) -> list[str]:
    return subprocess.run(
        ["git", "-C", str(repo), "tag"], check=True, capture_output=True, text=True
    ).stdout.split()


def test_the_schema_script_makes_what_the_statements_make(tmp_path: Path) -> None:
    """A full index creates the schema as one script in one transaction (one commit
    instead of one per table): the same tables, columns, keys and views, committed."""
    import duckdb

    from modeltrail.store.catalog.schema import ddl, ddl_script

    def shape(con: duckdb.DuckDBPyConnection) -> list[object]:
        return [
            con.execute(sql).fetchall()
            for sql in (
                "SELECT table_name, column_index, column_name, data_type, is_nullable "
                "FROM duckdb_columns() ORDER BY ALL",
                "SELECT table_name, constraint_type, constraint_column_names "
                "FROM duckdb_constraints() ORDER BY ALL",
                "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
            )
        ]

    one_by_one = duckdb.connect(str(tmp_path / "a.duckdb"))
    for stmt in ddl():
        one_by_one.execute(stmt)
    scripted = duckdb.connect(str(tmp_path / "b.duckdb"))
    scripted.execute(ddl_script())
    scripted.execute("BEGIN TRANSACTION")  # none is left open
    scripted.execute("ROLLBACK")
    scripted.close()  # committed: the file holds it
    scripted = duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True)
    assert shape(scripted) == shape(one_by_one)
    assert len(shape(scripted)[0]) > 100


def test_arrow_arrays_do_not_search_for_a_missing_dateutil_each_time() -> None:
    """pyarrow tries to import ``dateutil`` for every array whose type it infers; when it
    is not installed, the catalog's rows module makes that try fail at once instead of
    searching ``sys.path`` again each time (a hundred arrays in a small index)."""
    import importlib.util

    import pytest

    from modeltrail.store.catalog import rows

    if "dateutil" not in sys.modules and importlib.util.find_spec("dateutil") is not None:
        pytest.skip("dateutil is installed: imported once")
    searched: list[str] = []

    class Watch:
        def find_spec(self, name, path=None, target=None):
            if name.startswith("dateutil"):
                searched.append(name)
            return None

    watch = Watch()
    sys.meta_path.insert(0, watch)
    try:
        for _ in range(5):
            pa.array(["a", None, "b"])
    finally:
        sys.meta_path.remove(watch)
    assert rows.TAG_WARNINGS and searched == []
