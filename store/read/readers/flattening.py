"""Flattening a loaded document into ``key.sub.key -> plain value`` (``flatten``), within
the limits ``MAX_KEYS``, ``MAX_DEPTH`` and ``MAX_NODES`` (announced by a warning when
they bite); a fast path takes the common small, plain documents. ``structured.py``
loads the documents; ``plain.py`` turns values into plain data and JSON text.
"""

from __future__ import annotations

from typing import Any

from modeltrail.store.read.readers._common import (
    OutputBudget,
    Warnings,
    cap_warnings,
    never_raise,
    output_budget,
    quote,
)
from modeltrail.store.read.readers.plain import (
    _FAST_KEYS,
    _FAST_STR,
    MAX_DEPTH,
    MAX_KEYS,
    _Cycle,
    _fast_leaf,
    _plain,
    _Stop,
    _TooDeep,
    key_text,
    kind_of,
)


class _Flattener:
    def __init__(self, budget: OutputBudget) -> None:
        self.out: dict[str, Any] = {}
        self.warnings = Warnings()
        self.budget = budget
        self.deep_warned = False
        self.duplicates = 0

    def mapping(
        self, d: dict[Any, Any], prefix: str | None, depth: int, enclosing: set[int]
    ) -> None:
        if depth >= MAX_DEPTH:
            if not self.deep_warned:
                self.deep_warned = True
                self.warnings.append(
                    f"nested deeper than {MAX_DEPTH} levels under {quote(prefix)}; deeper keys skipped"
                )
            return
        enclosing.add(id(d))
        try:
            for k, v in d.items():
                text = key_text(k)
                key = text if prefix is None else f"{prefix}.{text}"
                if not self.budget.charge(len(key)):
                    raise _Stop
                if isinstance(v, dict):
                    if id(v) in enclosing:
                        self.warnings.append(
                            f"{quote(key)} refers back to a mapping that contains it"
                            " (a recursive YAML alias); not followed"
                        )
                    elif v:
                        self.mapping(v, key, depth + 1, enclosing)
                else:
                    self.leaf(key, v, depth + 1)
        finally:
            enclosing.discard(id(d))

    def leaf(self, key: str, value: Any, depth: int) -> None:
        if key in self.out:
            self.duplicates += 1
            if self.duplicates <= 5:
                self.warnings.append(
                    f"key {quote(key)} appears more than once (a key containing '.'?);"
                    " the first is kept"
                )
            return
        if len(self.out) >= MAX_KEYS:
            self.warnings.append(f"more than {MAX_KEYS} keys; the rest are skipped")
            raise _Stop
        try:
            self.out[key] = _plain(value, depth, self.budget, set())
        except _Cycle:
            self.warnings.append(
                f"value of {quote(key)} contains itself (a recursive YAML alias); skipped"
            )
        except _TooDeep:
            self.warnings.append(
                f"value of {quote(key)} is nested deeper than {MAX_DEPTH} levels; skipped"
            )


@never_raise(lambda msg: ({}, [f"flattening: value {msg}"]))
def flatten(doc: Any, prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """Flatten nested mappings into ``{"test.auc": 0.9}``. Returns ``(flat, warnings)``.

    Keys join with ``.``; non-string keys are stringified (:func:`key_text`); a key that
    arrives twice (``{"a.b": 1, "a": {"b": 2}}``) keeps the first. Lists are leaf
    values, kept as (plain) lists; empty mappings yield no keys. ``prefix`` is prepended
    to every key; a non-mapping ``doc`` becomes the single key ``prefix`` (or, without a
    prefix, nothing and a warning). Recursive aliases are skipped; work stops at
    ``MAX_KEYS`` keys / ``MAX_NODES`` values; deeper than ``MAX_DEPTH`` is skipped.
    """
    fast = _fast_flatten(doc, prefix)
    if fast is not None:
        return fast, []
    with output_budget() as budget:
        return _flatten(doc, prefix, budget)


class _NotFast(Exception):
    """The document needs the careful flatten."""


def _fast_flatten(doc: Any, prefix: str) -> dict[str, Any] | None:
    """:func:`flatten` for small plain trees (string keys, plain leaves, no repeated
    keys, shallow); None whenever anything would need the careful path's rules."""
    if not isinstance(doc, dict) or not isinstance(prefix, str):
        return None
    out: dict[str, Any] = {}
    try:
        _fast_walk(out, doc, prefix or None, 0)
    except (_NotFast, RecursionError):
        return None
    return out


def _fast_walk(out: dict[str, Any], d: dict[str, Any], pre: str | None, depth: int) -> None:
    # a module function, not a closure that calls itself (a cycle per document that
    # only the cyclic collector would free)
    if depth >= 32:
        raise _NotFast
    for k, v in d.items():
        if not isinstance(k, str) or len(k) > _FAST_STR:
            raise _NotFast
        key = k if pre is None else f"{pre}.{k}"
        if isinstance(v, dict):
            if v:
                _fast_walk(out, v, key, depth + 1)
        elif key in out or not _fast_leaf(v) or len(out) >= _FAST_KEYS:
            raise _NotFast
        else:
            out[key] = list(v) if isinstance(v, list) else v


def _flatten(doc: Any, prefix: str, budget: OutputBudget) -> tuple[dict[str, Any], list[str]]:
    f = _Flattener(budget)
    top = prefix if isinstance(prefix, str) and prefix else None
    try:
        if isinstance(doc, dict):
            f.mapping(doc, top, 0, set())
        elif top is not None:
            f.leaf(top, doc, 0)
        else:
            f.warnings.append(f"expected a mapping at the top level, found {kind_of(doc)}")
    except _Stop:
        if budget.spent and not budget.reported:
            budget.reported = True
            f.warnings.append(
                f"{budget.problem()} to flatten (an alias bomb?); the rest are skipped"
            )
    except RecursionError:
        f.warnings.append("nested too deeply to flatten; the rest is skipped")
    if f.duplicates > 5:
        f.warnings.append(f"{f.duplicates} duplicate keys in all")
    return f.out, cap_warnings(f.warnings)
