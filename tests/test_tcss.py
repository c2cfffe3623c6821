"""The TUI's look lives in .tcss files, not in DEFAULT_CSS strings, and every .tcss file
ships with the package (an installed, non-editable copy must find it)."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

from textual.app import App
from textual.screen import Screen

import modeltrail.tui
from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.audit import AuditScreen
from modeltrail.tui.screens.changes import ChangesScreen
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.screens.flow import FlowScreen
from modeltrail.tui.screens.help import HelpScreen
from modeltrail.tui.screens.history import HistoryScreen
from modeltrail.tui.screens.rollback import RollbackScreen, UndoScreen

ROOT = Path(__file__).resolve().parents[1]
TUI = Path(modeltrail.tui.__file__).resolve().parent
STYLED: list[type[App] | type[Screen]] = [
    ModeltrailApp,
    AuditScreen,
    ChangesScreen,
    CompareScreen,
    FlowScreen,
    HelpScreen,
    HistoryScreen,
    RollbackScreen,
    UndoScreen,
]


def _default_css_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(TUI)}:{node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for stmt in node.body
        for target in (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else [stmt.target]
            if isinstance(stmt, ast.AnnAssign)
            else []
        )
        if isinstance(target, ast.Name) and target.id == "DEFAULT_CSS"
    ]


def test_no_module_under_tui_defines_default_css() -> None:
    modules = sorted(TUI.rglob("*.py"))
    assert len(modules) > 20
    found = [name for path in modules for name in _default_css_classes(path)]
    assert found == [], f"CSS belongs in a .tcss file (CSS_PATH), not DEFAULT_CSS: {found}"


def _css_paths(cls: type[App] | type[Screen]) -> list[Path]:
    paths = cls.CSS_PATH
    assert paths is not None, cls
    return [Path(p) for p in (paths if isinstance(paths, list) else [paths])]


def test_every_css_path_is_an_existing_tcss_file_under_tui() -> None:
    for cls in STYLED:
        for path in _css_paths(cls):
            assert path.is_absolute(), (cls, path)  # relative paths follow subclasses
            assert path.suffix == ".tcss" and path.is_file(), (cls, path)
            assert path.resolve().is_relative_to(TUI), (cls, path)


def test_every_tcss_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_dir = config["tool"]["setuptools"]["package-dir"]
    package_data = config["tool"]["setuptools"]["package-data"]
    tui_dir = package_dir["modeltrail.tui"]
    tcss = sorted((ROOT / tui_dir).rglob("*.tcss"))
    assert len(tcss) >= 3
    for path in tcss:
        rel = path.relative_to(ROOT / tui_dir)
        package = ".".join(["modeltrail.tui", *rel.parent.parts])
        patterns = package_data.get(package, [])
        assert any(fnmatch.fnmatch(rel.name, p) for p in patterns), (package, rel)
    used = {p.resolve() for cls in STYLED for p in _css_paths(cls)}
    assert used == {p.resolve() for p in tcss}, "a .tcss file nobody loads, or one not found"
