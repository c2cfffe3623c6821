"""The engine never imports Textual, and the package installs under one name."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import modeltrail.store
import modeltrail.tui


def _store_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(modeltrail.store.__path__, prefix="modeltrail.store.")
    )


def test_every_store_module_imports_without_textual() -> None:
    modules = _store_modules()
    assert "modeltrail.store.catalog.index_run" in modules and len(modules) > 20
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"store modules loaded Textual: {out}"


def test_no_top_level_store_or_tui_package_is_installed() -> None:
    script = (
        "import importlib.util\n"
        "print([n for n in ('store', 'tui', 'sample_repo') if importlib.util.find_spec(n)])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd="/"
    ).stdout.strip()
    assert out == "[]"


_SQL = re.compile(
    r"\.execute\(|\.sql\(|\.executemany\(|\bSELECT\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b"
)


def test_no_sql_in_the_tui_but_the_sql_command() -> None:
    tui = Path(modeltrail.tui.__file__).resolve().parent
    found = []
    for path in sorted(tui.rglob("*.py")):
        if path.relative_to(tui).as_posix() == "commands/sql.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _SQL.search(line):
                found.append(f"{path.relative_to(tui)}:{n}: {line.strip()}")
    assert found == [], "SQL outside store/ (ask store.query instead):\n" + "\n".join(found)


def test_the_sql_check_sees_sql() -> None:
    assert _SQL.search('rows = con.execute("SELECT 1").fetchall()')
    assert _SQL.search('cursor.sql(f"SELECT * FROM {name}")')
    assert not _SQL.search("queries.list_models(cursor)")


def test_every_command_is_imported_by_name() -> None:
    from modeltrail.tui.commands import COMMANDS, command_module

    for name in COMMANDS:
        module = command_module(name)
        assert name == module.NAME and callable(module.run) and callable(module.add_arguments)


def test_no_module_is_loaded_by_a_string() -> None:
    tui = Path(modeltrail.tui.__file__).resolve().parent
    offenders = [
        str(p.relative_to(tui))
        for p in sorted(tui.rglob("*.py"))
        if "importlib" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_import_contracts_of_pyproject_hold() -> None:
    """The layers of docs/ARCHITECTURE.md, no cycles, no Textual in store/ (import-linter,
    as .ci/run runs it)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], capture_output=True, text=True, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_import_contracts_see_imports_inside_functions() -> None:
    """The catalog imports its indexer inside a function (so a current catalog never loads
    it), and the contracts must see such imports as well as top-level ones."""
    import grimp

    graph = grimp.build_graph("modeltrail.store", "modeltrail.tui")
    files, index_run = "modeltrail.store.catalog.files", "modeltrail.store.catalog.index_run"
    assert graph.direct_import_exists(importer=files, imported=index_run)
    assert not graph.direct_import_exists(importer=index_run, imported=files)
    assert graph.find_modules_that_directly_import("modeltrail.store.write.push") >= {
        "modeltrail.store.remote",
        "modeltrail.store.write.rollback_apply",
    }
