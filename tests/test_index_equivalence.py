"""The catalog is the same however it was built: a full ``index --rebuild`` at the tip
equals a catalog built incrementally (indexed at an earlier point of the history, then
the branches and tags advanced in steps and indexed again), table by table, row by row.

Run on the sample repository, a small scaled sample and every shared real repository
(``tests/realrepos.py``). A repository's history is replayed by moving its refs only:
each step keeps the commits of a prefix of ``git rev-list --topo-order --reverse --all``
(a prefix holds every parent of what it holds), each branch at the newest commit of its
first-parent line in that prefix (so branches only ever advance), and each tag only once
the commit it names is in the tag step's prefix (tags arrive after their commits too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from realrepos import BUNDLES, REALREPOS, clone

from modeltrail.sample_repo.generator import build_sample_repo
from modeltrail.store.catalog.files import update_catalog
from modeltrail.store.repo import open_repo, repo_paths

#: (commit prefix, tag prefix) of each step, as fractions of the history; the last step
#: is the tip. A step that adds only tags exercises the tag-only path of an incremental
#: run; a step whose models were found differently falls back to a full run (by design).
STEPS = [(0.5, 0.5), (0.8, 0.5), (1.0, 0.8), (1.0, 1.0)]

#: Columns left out of the row comparison, each for a reason:
#: - ``topo`` (commits, versions): a position in *a* parents-before-children order. A full
#:   index numbers one walk of every ref; an incremental run numbers its new commits after
#:   the ones the catalog has (the order they arrived in), and renumbering every commit
#:   on each run would cost a full index. Both must be parents-before-children orders:
#:   ``_check_orders`` checks it in each catalog.
#: - ``seq`` (versions): 1.. in ``topo`` order within the model, so it follows ``topo``;
#:   ``_check_orders`` checks it is exactly that in each catalog.
UNORDERED_COLUMNS = {"topo", "seq"}


def _git(repo: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=check, capture_output=True, text=True
    ).stdout


def _index(repo: Path, rebuild: bool = False) -> str:
    r = open_repo(repo)
    try:
        return update_catalog(r, rebuild=rebuild).mode
    finally:
        r.close()


def _meta_row(key: str, value: str) -> tuple[str, str]:
    """A ``meta`` row as compared, or ``("", "")`` for one left out."""
    if key == "indexed_at":  # the wall-clock time of the run
        return "", ""
    if key == "lines_state" and value:
        # the heads in claiming priority, for the next run; among branches with as many
        # merges since main, the older head (by ``topo``, above) goes first, so the order
        # follows ``topo``. The lines themselves (``commit_lines``) are compared whole.
        state = json.loads(value)
        state["heads"] = sorted(state["heads"])
        return key, json.dumps(state, sort_keys=True)
    return key, value


def _catalog(repo: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Every base table of the catalog: its compared columns and its rows, sorted."""
    r = open_repo(repo)
    path = repo_paths(r).catalog_file
    r.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        _check_orders(con)
        out: dict[str, tuple[list[str], list[str]]] = {}
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            cols = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'main' AND table_name = $1 ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if c not in UNORDERED_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            rows: list[Any] = con.execute(f'SELECT {select} FROM "{table}"').fetchall()
            if table == "meta":
                rows = [row for row in (_meta_row(*r) for r in rows) if row[0]]
            out[table] = (cols, sorted(map(repr, rows)))
        return out
    finally:
        con.close()


def _check_orders(con: duckdb.DuckDBPyConnection) -> None:
    """``topo`` puts parents before children, and ``seq`` numbers each model's versions
    1.. in ``topo`` order."""
    late = con.execute(
        "SELECT c.commit FROM commits c, unnest(c.parents) AS p(parent) "
        "JOIN commits pc ON pc.commit = p.parent WHERE pc.topo >= c.topo LIMIT 3"
    ).fetchall()
    assert not late, f"commits numbered before a parent: {late}"
    assert con.execute("SELECT count(DISTINCT topo) = count(*) FROM commits").fetchone() == (True,)
    wrong = con.execute(
        "SELECT model, commit FROM (SELECT model, commit, seq, "
        "row_number() OVER (PARTITION BY model ORDER BY topo) AS n FROM versions) "
        "WHERE seq IS DISTINCT FROM n LIMIT 3"
    ).fetchall()
    assert not wrong, f"versions whose seq is not their rank in topo order: {wrong}"


def _refs(repo: Path) -> list[tuple[str, str, str]]:
    """(name, object, the commit it peels to) of every ref that is not symbolic."""
    out = []
    listed = _git(
        repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)%00%(symref)"
    )
    for line in listed.splitlines():
        name, obj, peeled, symref = line.split("\0")
        if not symref:
            out.append((name, obj, peeled or obj))
    return out


def _first_parents(repo: Path) -> dict[str, str]:
    return {
        c: ps[0]
        for c, *ps in (
            line.split() for line in _git(repo, "rev-list", "--parents", "--all").splitlines()
        )
        if ps
    }


def _set_refs(repo: Path, refs: dict[str, str | None]) -> None:
    """Move (or delete, for ``None``) refs; HEAD's work tree follows, as after a pull."""
    for name, target in refs.items():
        if target is None:
            _git(repo, "update-ref", "-d", name, check=False)
        else:
            _git(repo, "update-ref", name, target)
    _git(repo, "reset", "-q", "--hard")
    _git(repo, "clean", "-qfd")  # files of later commits (ignored ones, the DVC cache, stay)


def _index_in_steps(repo: Path) -> list[str]:
    """Index the history as it grew (``STEPS``); the modes of the runs."""
    final = _refs(repo)
    order = _git(repo, "rev-list", "--topo-order", "--reverse", "--all").split()
    pos = {c: i for i, c in enumerate(order)}
    first_parent = _first_parents(repo)
    modes = []
    for commit_frac, tag_frac in STEPS:
        cut, tag_cut = (max(1, round(len(order) * f)) for f in (commit_frac, tag_frac))
        step: dict[str, str | None] = {}
        for name, obj, peeled in final:
            if peeled not in pos:  # names no commit (a tree, a blob): there all along
                step[name] = obj
            elif name.startswith("refs/tags/"):
                step[name] = obj if pos[peeled] < tag_cut else None
            else:
                c: str | None = peeled
                while c is not None and pos[c] >= cut:
                    c = first_parent.get(c)
                step[name] = c
        _set_refs(repo, step)
        modes.append(_index(repo))
    assert _refs(repo) == final
    return modes


def _index_both_ways(source: Path, tmp: Path) -> tuple[dict[str, str], list[str]]:
    """The tables that differ between a full index and a grown one (with what differs),
    and the modes of the grown one's runs."""
    # the same folder name both ways: a root model is named after the repository
    full, grown = tmp / "full" / source.name, tmp / "grown" / source.name
    shutil.copytree(source, full, symlinks=True)
    shutil.copytree(source, grown, symlinks=True)
    assert _index(full, rebuild=True) == "full"
    modes = _index_in_steps(grown)
    a, b = _catalog(full), _catalog(grown)
    assert sorted(a) == sorted(b)
    differ = {}
    for table in a:
        if a[table] != b[table]:
            only_full = sorted(set(a[table][1]) - set(b[table][1]))
            only_grown = sorted(set(b[table][1]) - set(a[table][1]))
            differ[table] = (
                f"columns {a[table][0]} / {b[table][0]}\n"
                f"only in the full index: {only_full[:5]}\n"
                f"only in the grown one: {only_grown[:5]}"
            )
    return differ, modes


@pytest.mark.parametrize("scale", [0, 120], ids=["sample", "scaled"])
def test_sample_repositories_index_the_same_both_ways(scale: int, tmp_path: Path) -> None:
    source = build_sample_repo(tmp_path / "src" / "sample", scale=scale)
    differ, modes = _index_both_ways(source, tmp_path)
    assert not differ, "\n".join(f"{t}: {d}" for t, d in differ.items())
    assert "incremental" in modes, modes  # the incremental path was exercised


#: Known differences: the tables that differ, each a bug to fix (the test fails when
#: one is fixed, so that the entry goes).
KNOWN: dict[str, set[str]] = {}

_REAL = (
    list(BUNDLES)
    if BUNDLES
    else [
        pytest.param(
            "none",
            marks=pytest.mark.skip(
                reason=f"the real-repository bundles are not here ({REALREPOS})"
            ),
        )
    ]
)


@pytest.mark.parametrize("name", _REAL)
def test_real_repositories_index_the_same_both_ways(name: str, tmp_path: Path) -> None:
    source = clone(name, tmp_path / "src" / name, exps=True)
    differ, _modes = _index_both_ways(source, tmp_path)
    unexpected = {t: d for t, d in differ.items() if t not in KNOWN.get(name, set())}
    assert not unexpected, "\n".join(f"{t}: {d}" for t, d in unexpected.items())
    assert set(differ) == KNOWN.get(name, set()), "a known difference is gone: update KNOWN"


@pytest.mark.parametrize("name", ["sample", *BUNDLES])
def test_rows_given_as_parameters_or_through_arrow_make_the_same_catalog(
    name: str, tmp_path: Path, monkeypatch
) -> None:
    """Small batches of rows go to DuckDB as query parameters, large ones as Arrow
    tables (``rows.SMALL_INSERT``): a full index with every batch sent one way equals one
    with every batch sent the other, table by table, row by row."""
    from modeltrail.store.catalog import rows

    if name == "sample":
        repo = build_sample_repo(tmp_path / "sample", scale=0)
    else:
        repo = clone(name, tmp_path / name, exps=True)
    built = {}
    for way, limit in (("arrow", 0), ("parameters", 10**9)):
        monkeypatch.setattr(rows, "SMALL_INSERT", limit)
        assert _index(repo, rebuild=True) == "full"
        built[way] = _catalog(repo)
    assert built["arrow"].keys() == built["parameters"].keys()
    for table, (cols, got) in built["parameters"].items():
        assert (cols, got) == built["arrow"][table], table


@pytest.mark.parametrize("name", ["sample", BUNDLES[0]] if BUNDLES else ["sample"])
def test_versions_derived_in_slices_make_the_same_catalog(
    name: str, tmp_path: Path, monkeypatch
) -> None:
    """A full index derives the versions (their content digests, then their rows) a slice
    of the history at a time (``derive_versions.VERSION_SLICE``), so that DuckDB holds one
    slice's rows at once: in slices of a handful of versions the catalog equals the one
    derived in one statement, table by table, row by row, positions and numbers too."""
    from modeltrail.store.catalog import derive_versions

    if name == "sample":
        repo = build_sample_repo(tmp_path / "sample", scale=0)
    else:
        repo = clone(name, tmp_path / name, exps=True)
    monkeypatch.setattr(sys.modules[__name__], "UNORDERED_COLUMNS", set())
    slices: list[int] = []
    sliced = derive_versions._topo_slices

    def counted(*args: Any, **kwargs: Any) -> list[tuple[int, int]]:
        got = sliced(*args, **kwargs)
        slices.append(len(got))
        return got

    monkeypatch.setattr(derive_versions, "_topo_slices", counted)
    built = {}
    for way, size in (("sliced", 2), ("whole", 10**9)):
        monkeypatch.setattr(derive_versions, "VERSION_SLICE", size)
        slices.clear()
        assert _index(repo, rebuild=True) == "full"
        assert (max(slices) > 2) == (way == "sliced"), slices
        built[way] = _catalog(repo)
    assert built["sliced"].keys() == built["whole"].keys()
    for table, (cols, got) in built["whole"].items():
        assert "topo" not in table or "topo" in cols
        assert (cols, got) == built["sliced"][table], table
