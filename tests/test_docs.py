"""The documentation stands alone: a user's clone has everything it points at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
SOURCES = sorted(
    p for d in ("store", "tui", "sample_repo", "bench") for p in (ROOT / d).rglob("*.py")
)
# a pointer at the internal product contract, which lives outside the repository
OUTSIDE = re.compile(r"PRODUCT\.md|PRODUCT §|\.\./shared")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_documents_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "CONTRIBUTING.md", "docs/CLI.md", "docs/CONVENTIONS.md"} <= names
    assert {"docs/ROLLBACK.md", "docs/ARCHITECTURE.md", "docs/SCHEMA.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_point_at_nothing_outside_the_repository(doc: Path) -> None:
    lines = doc.read_text(encoding="utf-8").splitlines()
    found = [f"{i}: {line.strip()}" for i, line in enumerate(lines, 1) if OUTSIDE.search(line)]
    assert found == [], f"{doc.name} points outside the repository:\n" + "\n".join(found)


def test_code_comments_point_at_nothing_outside_the_repository() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in SOURCES
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"PRODUCT\.md|PRODUCT §", line)
    ]
    assert found == [], "docstrings or comments point at the internal contract: " + ", ".join(found)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_lead_to_files_in_the_repository(doc: Path) -> None:
    broken = [
        target
        for target in LINK.findall(doc.read_text(encoding="utf-8"))
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == [], f"{doc.name} links to missing files: {broken}"
