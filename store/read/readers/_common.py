"""Shared helpers for the readers: byte decoding, size caps, warning text, a no-raise guard.

Every reader takes hostile bytes from a git blob. The helpers here turn bytes into text
(or refuse, with a warning) and make sure no reader lets an exception escape.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

MiB = 1024 * 1024

#: How much of a warning message may quote from the input.
QUOTE_LIMIT = 80

#: At most this many warnings are kept per call; the rest are summarised.
MAX_WARNINGS = 50

#: What one reader call may return in all: values (keys, list items, fields) and
#: characters of text. YAML aliases let a small file name the same long string or list
#: a million times; these limits keep what comes out (and goes into the catalog) small.
MAX_VALUES = 100_000
MAX_TEXT = 16 * MiB

P = ParamSpec("P")
#: what a reader returns: (its result, warnings)
Result = TypeVar("Result", bound=tuple[Any, list[str]])


class OutputBudget:
    """The values and characters one reader call may still return."""

    __slots__ = ("values", "chars", "reported")

    def __init__(self) -> None:
        self.values = 0
        self.chars = 0
        self.reported = False  # a warning about running out was already given

    @property
    def spent(self) -> bool:
        return self.values > MAX_VALUES or self.chars > MAX_TEXT

    def charge(self, chars: int = 0, values: int = 1) -> bool:
        """Account for returning something; False once the budget is spent."""
        self.values += values
        self.chars += chars
        return self.values <= MAX_VALUES and self.chars <= MAX_TEXT

    def problem(self) -> str:
        """Why the budget ran out, for a warning."""
        if self.values > MAX_VALUES:
            return f"more than {MAX_VALUES} values"
        return f"more than {MAX_TEXT // MiB} MiB of text"


_BUDGET: ContextVar[OutputBudget | None] = ContextVar("modeltrail_reader_budget", default=None)


@contextmanager
def output_budget() -> Iterator[OutputBudget]:
    """The budget of the reader call in progress, or a fresh one for a new call."""
    budget = _BUDGET.get()
    if budget is not None:
        yield budget
        return
    budget = OutputBudget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def budget_spent() -> bool:
    """Has the reader call in progress spent its output budget?"""
    budget = _BUDGET.get()
    return budget is not None and budget.spent


def charge(*texts: str | None) -> bool:
    """Charge the current reader call for returning ``texts`` (one value each).

    False once its budget is spent: the caller stops adding results. Outside a reader
    call nothing is charged.
    """
    budget = _BUDGET.get()
    if budget is None:
        return True
    return budget.charge(sum(len(t) for t in texts if t), len(texts))


# control characters and line separators, shown as escapes inside warnings
_ESCAPES = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def quote(text: object, limit: int = QUOTE_LIMIT) -> str:
    """``text`` in single quotes, cut to ``limit`` characters, control characters and
    line breaks written as escapes (``\\x1b``) so that a warning stays one line.

    Only warnings are escaped this way: the data itself is returned as it was written.
    """
    try:
        s = text if isinstance(text, str) else str(text)
    except Exception:  # a hostile __str__ cannot come from plain data, but be safe
        s = "<unprintable>"
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"'{s.translate(_ESCAPES)}'"


def size_text(n: int) -> str:
    """A byte count for humans: ``1.5 MiB``, ``300 KiB``, ``12 bytes``."""
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


class Warnings(list[str]):
    """A list of warnings that keeps the first ``MAX_WARNINGS`` and then one last line
    counting the rest, however many are appended (a list of a million bad entries must
    not make a million warnings)."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        super().__init__()
        self.dropped = 0
        self.extend(items)

    def append(self, warning: str) -> None:
        if len(self) < MAX_WARNINGS:
            super().append(warning)
        else:
            self._drop(1)

    def extend(self, warnings: Iterable[str]) -> None:
        items = list(warnings)
        dropped = warnings.dropped if isinstance(warnings, Warnings) else 0
        for warning in items[:-1] if dropped else items:  # not its count line
            self.append(warning)
        if dropped:
            self._drop(dropped)

    def _drop(self, count: int) -> None:
        summary = f"… and {self.dropped + count} more warnings"
        if self.dropped:
            self[-1] = summary
        else:
            super().append(summary)
        self.dropped += count


def cap_warnings(warnings: Iterable[str]) -> Warnings:
    """``warnings`` as a :class:`Warnings` list (the first ``MAX_WARNINGS``, then a count)."""
    return warnings if isinstance(warnings, Warnings) else Warnings(warnings)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, limit: int, what: str = "file") -> tuple[str | None, list[str]]:
    """Decode a blob to text, or refuse it.

    Returns ``(text, warnings)``; ``text`` is None when the blob is not read at all:
    larger than ``limit`` bytes, or binary (NUL bytes outside a UTF-16/32 encoding).
    A byte-order mark selects UTF-8/16/32 and is dropped. Bytes that are not valid
    UTF-8 are replaced with U+FFFD, with a warning naming the first bad offset.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        return None, [f"{what}: expected bytes, got {type(data).__name__}"]
    data = bytes(data)
    if len(data) > limit:
        return None, [
            f"{what} is {size_text(len(data))}, over the {size_text(limit)} limit; not read"
        ]
    encoding = "utf-8"
    for bom, enc in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            encoding = enc
            break
    warnings: list[str] = []
    if encoding == "utf-8" and b"\x00" in data:
        return None, [f"{what} looks binary (contains NUL bytes); not read"]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        text = data.decode(encoding, errors="replace")
        warnings.append(
            f"{what} is not valid {encoding.upper()} (first bad byte at offset {e.start});"
            " undecodable bytes were replaced with U+FFFD"
        )
    if encoding != "utf-8" and "\x00" in text:
        return None, [f"{what} looks binary (contains NUL characters); not read"]
    return text, warnings


def never_raise(
    fallback: Callable[[str], Any],
) -> Callable[[Callable[P, Result]], Callable[P, Result]]:
    """Decorate a reader returning ``(result, warnings)``: an unexpected exception
    becomes a warning, and the call gets an :class:`OutputBudget` (shared with the
    readers it calls) whose exhaustion is reported once.

    ``fallback(message)`` builds the value returned instead; it receives a one-line
    description of the failure. This is a last line of defence: readers handle the
    failures they know about themselves, with better messages.
    """

    def decorate(func: Callable[P, Result]) -> Callable[P, Result]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result:
            try:
                outermost = _BUDGET.get() is None
                with output_budget() as budget:
                    result = func(*args, **kwargs)
                if outermost and budget.spent and not budget.reported:
                    budget.reported = True
                    result[1].append(f"{budget.problem()} (an alias bomb?); the rest was skipped")
                return result
            except RecursionError:
                return cast(Result, fallback("nested too deeply to read"))
            except MemoryError:
                return cast(Result, fallback("too large to read (out of memory)"))
            except Exception as e:  # noqa: BLE001 - the contract is: never raise
                why = f"could not be read ({type(e).__name__}: {quote(e, 120)})"
                return cast(Result, fallback(why))

        return wrapper

    return decorate


def duplicate_keys_warning(keys: list[str]) -> str:
    """One warning for keys given twice in one mapping (the last value is read)."""
    shown = ", ".join(quote(k, 40) for k in dict.fromkeys(keys[:5]))
    more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
    return f"duplicate key {shown}{more}: the last value is read, the earlier ones ignored"
