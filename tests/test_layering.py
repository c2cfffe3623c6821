"""The engine never imports Textual, and the package installs under one name."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import modeltrail.store


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
