"""Giving freed memory back to the system between the phases of a full index.

The walk and the parse of a large history free most of what they built before the
catalog's own work begins (DuckDB deriving the versions), but the C library keeps what
was freed for later use: at 100,000 commits ~90 MB of free heap stayed resident beside
DuckDB's cache. :func:`trim` asks glibc to return it (``malloc_trim``); elsewhere it
does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return None
    return trim


def trim() -> bool:
    """Return the C heap's free memory to the system; whether any was returned."""
    malloc_trim = _malloc_trim()
    return bool(malloc_trim(0)) if malloc_trim is not None else False
