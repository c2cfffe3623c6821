"""The ``Rollback-*`` trailers: written into a rollback's or undo's tag or commit message
(``store.write.rollback``) and read back from it (the undo there, the index's stage
events in ``store.read.derive``), by this one module.

The trailers are ``Rollback-Model``, ``Rollback-Stage`` or ``Rollback-Branch``,
``Rollback-From``, ``Rollback-To``, ``Rollback-Reason``, ``Rollback-Undoes`` (undos
only) and ``Rollback-From-Commit``/``Rollback-To-Commit`` (full ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRAILER = re.compile(r"^(Rollback-[A-Za-z-]+):[ \t]*(.*)$", re.MULTILINE)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_REASON = 500
MAX_VALUE = 300  # characters kept of one trailer's value


def one_line(text: object, limit: int = MAX_REASON) -> str:
    """Text safe for a commit subject or trailer: one line, no control characters."""
    s = _UNSAFE.sub(" ", "" if text is None else str(text)).strip()
    return s[:limit]


def trailer_lines(pairs: Iterable[tuple[str, object]]) -> list[str]:
    """``Name: value`` lines, each value made one safe line."""
    return [f"{name}: {one_line(value, MAX_VALUE)}" for name, value in pairs]


def read_trailers(message: str | None) -> dict[str, str]:
    """Every ``Rollback-*`` trailer of a message (the last occurrence wins)."""
    return {k: v.strip() for k, v in TRAILER.findall(message or "")}


def rollback_trailers(message: str | None) -> dict[str, str] | None:
    """The ``Rollback-*`` trailers of a rollback's message (``None`` when it is none)."""
    found = read_trailers(message)
    return found if "Rollback-Model" in found else None
