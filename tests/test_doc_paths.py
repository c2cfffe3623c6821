"""Docs that cannot drift: every module path and every ``path/file.py`` that the
documents, docstrings and comments name exists.

Checked: README.md, CONTRIBUTING.md, docs/*.md, and the docstrings and comments of
store/ and tui/. A dotted name (``store.write.rollback``, ``modeltrail.store.read.gitio``,
``store.query.queries.resolve_version``) must be a module, optionally followed by a name
defined in it; a file name must be a file of the repository (from its root, from
``store/`` or ``tui/``, or beside the text that names it; a bare ``name.py`` anywhere in
them). ``store/read/gto.py`` also names files of the installed ``gto`` it follows.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from functools import cache
from pathlib import Path

import gto
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
SOURCES = sorted(p for d in ("store", "tui") for p in (ROOT / d).rglob("*.py"))
#: where a relative file name may start, besides the folder of the text that names it
BASES = (ROOT, ROOT / "store", ROOT / "tui", Path(gto.__file__).resolve().parent.parent)
TREES = ("store", "tui", "tests", "bench", "screenshots", "sample_repo")

DOTTED = re.compile(r"(?<![\w./-])(?:modeltrail\.)?(?:store|tui)(?:\.[A-Za-z_]\w*)+")
PY_FILE = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.py)\b")
#: placeholders in how-to steps (``tui/commands/NAME.py``)
PLACEHOLDER = re.compile(r"\bNAME\b")
#: "`one_line` in `store/trailers.py`": a name placed in a file
NAME_IN_FILE = re.compile(r"`+(\w+)(?:\(\))?`+ (?:in|from) `+((?:[\w-]+/)*[\w-]+\.py)`+")
#: an UPPER_CASE name in backticks is a constant of ours, unless it is one of these words
#: of git, the shell or SQL
CONSTANT = re.compile(r"`+([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,})`+")
NOT_OURS = re.compile(
    r"GIT_\w+|PYTHON\w+|FETCH_HEAD|HEAD|NO_COLOR|COLUMNS|LINES|LANG\w*|LC_\w+|PATH|POSIX|MODELTRAIL_\w+|TRUE|ERROR|"
    r"ATTACH|TIMESTAMPTZ|NAME|HELP|KEY|DIR"
)


def _texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of a document's lines, or of a source file's comments and strings."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return list(enumerate(source.splitlines(), 1))
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [
        (tok.start[0], tok.string)
        for tok in tokens
        if tok.type in (tokenize.COMMENT, tokenize.STRING)
    ]


def _module_file(parts: list[str]) -> Path | None:
    """The file of module ``store.a.b`` (``parts`` = ["store", "a", "b"]), if it exists."""
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _defines(module: Path, name: str, imported: bool = True) -> bool:
    """Whether ``module`` defines ``name`` (or, with ``imported``, imports it)."""
    text = module.read_text(encoding="utf-8")
    pattern = rf"^\s*(?:def|class|async def)\s+{name}\b|^\s*{name}\s*[:=]"
    if imported:
        pattern += rf"|\bimport\b.*\b{name}\b"
    return re.search(pattern, text, re.MULTILINE) is not None


def dotted_exists(name: str) -> bool:
    """``store.x.y[.attr]``: the longest module prefix exists, and the first name after
    it is defined there."""
    parts = name.removeprefix("modeltrail.").split(".")
    for cut in range(len(parts), 0, -1):
        module = _module_file(parts[:cut])
        if module is not None:
            return cut == len(parts) or _defines(module, parts[cut])
    return False


@cache
def _bare_names() -> frozenset[str]:
    found = {p.name for tree in TREES for p in (ROOT / tree).rglob("*.py")}
    return frozenset(found | {p.name for p in Path(gto.__file__).parent.rglob("*.py")})


def file_exists(name: str, beside: Path) -> bool:
    if "/" not in name:  # a module of ours, of gto, or of the standard library
        return name in _bare_names() or name.removesuffix(".py") in sys.stdlib_module_names
    return any((base / name).is_file() for base in (beside, *BASES))


@cache
def _constants() -> frozenset[str]:
    pattern = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*[:=]", re.MULTILINE)
    return frozenset(
        name
        for tree in ("store", "tui")
        for p in (ROOT / tree).rglob("*.py")
        for name in pattern.findall(p.read_text(encoding="utf-8"))
    )


def name_in_file(name: str, file: str, beside: Path) -> bool:
    return any(
        (base / file).is_file() and _defines(base / file, name, imported=False)
        for base in (beside, *BASES)
    )


def stale_names(path: Path) -> list[str]:
    """``file:line: name`` for every name in ``path`` that does not exist."""
    where = path.relative_to(ROOT)
    return [
        f"{where}:{line}: {name}"
        for line, text in _texts(path)
        for name in stale_names_in(text, path.parent)
    ]


def stale_names_in(text: str, beside: Path = ROOT) -> list[str]:
    """The names in ``text`` (found in a file of folder ``beside``) that do not exist."""
    found = [f"{n} in {f}" for n, f in NAME_IN_FILE.findall(text) if not name_in_file(n, f, beside)]
    found += [
        n for n in CONSTANT.findall(text) if not NOT_OURS.fullmatch(n) and n not in _constants()
    ]
    found += [m for m in DOTTED.findall(text) if not dotted_exists(m)]
    found += [
        m for m in PY_FILE.findall(text) if not PLACEHOLDER.search(m) and not file_exists(m, beside)
    ]
    return found


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_documents_name_only_modules_and_files_that_exist(path: Path) -> None:
    stale = stale_names(path)
    assert stale == [], "names that do not exist (moved or renamed?):\n" + "\n".join(stale)


def test_docstrings_and_comments_name_only_modules_and_files_that_exist() -> None:
    stale = [s for p in SOURCES for s in stale_names(p)]
    assert stale == [], "names that do not exist (moved or renamed?):\n" + "\n".join(stale)


def test_the_check_sees_stale_names() -> None:
    assert dotted_exists("store.write.rollback_apply")
    assert dotted_exists("modeltrail.store.query.queries.resolve_version")
    assert dotted_exists("store.read.readers")
    assert not dotted_exists("store.rollback_apply")
    assert not dotted_exists("store.readers.structured")
    assert not dotted_exists("store.query.queries.no_such_function")
    assert file_exists("store/write/rollback.py", ROOT)
    assert file_exists("catalog/files.py", ROOT / "docs")
    assert not file_exists("store/rollback_apply.py", ROOT)
    assert not file_exists("no_such_module.py", ROOT)
    assert name_in_file("one_line", "store/trailers.py", ROOT)
    assert not name_in_file("one_line", "store/write/rollback.py", ROOT)
    assert stale_names_in("``BINDING_DOCS`` lists every id") == ["BINDING_DOCS"]
    assert stale_names_in("`one_line` in `store/write/rollback.py`") == [
        "one_line in store/write/rollback.py"
    ]
    assert stale_names_in("see ``store.readers.lfs`` and `read/gitio.py`") == ["store.readers.lfs"]


def test_the_architecture_names_every_module() -> None:
    """docs/ARCHITECTURE.md's tables of store/ and tui/ stay whole (one module per
    command and one per reader format are described together)."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        p.relative_to(ROOT).as_posix()
        for p in SOURCES
        if p.name != "__init__.py"
        and p.parent.name not in ("commands", "readers")
        and f"`{p.name}`" not in text
        and f"{p.parent.name}/{p.name}`" not in text
    ]
    assert missing == [], "not in docs/ARCHITECTURE.md: " + ", ".join(missing)
