"""``dvc.yaml`` templating, expanded as DVC expands it: ``vars`` (inline mappings and
files, ``params.yaml`` beside the ``dvc.yaml`` loaded first when it exists), ``${...}``
interpolation (dotted keys, ``[N]`` list indexes, ``\\${`` escapes; a string that is one
``${...}`` keeps the value's type), ``foreach`` over a list (stage ``name@item``, or
``name@N`` for a list of mappings or lists) or a mapping (``name@key``, with ``${key}``),
and ``matrix`` (``name@a-b``, a dimension of mappings or lists naming its values
``dimN``; ``${item.dim}``).

Files are given by the caller, keyed by their path relative to the ``dvc.yaml``'s
directory: ``bytes``, or None for a file known not to exist; a path not among them is
unknown (what it would define stays unresolved, and no warning blames it).
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from modeltrail.store.read.readers._common import charge, quote
from modeltrail.store.read.readers.structured import format_for, key_text, load_document

DEFAULT_PARAMS_FILE = "params.yaml"
#: stages one templated definition may expand to (DVC has no limit; a bound keeps a
#: hostile matrix from taking the index's memory)
MAX_EXPANDED = 1000
_MAX_DEPTH = 50
#: values one expansion looks at, all stages together (YAML aliases can make a small
#: file a huge tree; past this, the rest is read as written)
MAX_NODES = 200_000

_INTERP = re.compile(r"(?<!\\)\$\{\s*([^{}]*?)\s*\}")
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")

VarFiles = Mapping[str, bytes | None]


def is_templated(doc: Mapping[Any, Any]) -> bool:
    """Does this ``dvc.yaml`` document use templating at all?"""
    if "vars" in doc:
        return True
    stages = doc.get("stages")
    if isinstance(stages, dict):
        for body in stages.values():
            if isinstance(body, dict) and ("foreach" in body or "matrix" in body):
                return True
    return _has_interp(doc, [MAX_NODES])


def _has_interp(value: Any, budget: list[int], depth: int = 0) -> bool:
    """Is there a ``${`` in ``value``? Looks at ``MAX_NODES`` values at most (YAML
    aliases can make a small file a huge tree)."""
    budget[0] -= 1
    if depth > _MAX_DEPTH or budget[0] < 0:
        return False
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(
            _has_interp(k, budget, depth + 1) or _has_interp(v, budget, depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_interp(v, budget, depth + 1) for v in value)
    return False


def var_files(doc: Mapping[Any, Any]) -> list[str]:
    """The files (relative to the ``dvc.yaml``'s directory) whose values its templating
    may use: ``params.yaml``, the global ``vars`` files, and stage ``vars`` files (in
    the stage's ``wdir`` when it is written plainly)."""
    found = [DEFAULT_PARAMS_FILE]
    found += [f for f, _keys in _file_entries(doc.get("vars"), "")]
    stages = doc.get("stages")
    for body in stages.values() if isinstance(stages, dict) else ():
        if isinstance(body, dict) and "vars" in body:
            wdir = body.get("wdir")
            wdir = wdir if isinstance(wdir, str) and "${" not in wdir else ""
            found += [f for f, _keys in _file_entries(body.get("vars"), wdir)]
    return list(dict.fromkeys(found))


def _file_entries(entries: Any, wdir: str) -> list[tuple[str, list[str] | None]]:
    """``file`` / ``file:key1,key2`` entries of a ``vars`` list, as (path, keys)."""
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str) and entry:
            file, sep, keys = entry.partition(":")
            path = posixpath.normpath(posixpath.join(wdir or ".", file))
            out.append((path, [k for k in keys.split(",") if k] if sep else None))
    return out


class _Expander:
    def __init__(self, files: VarFiles | None, warnings: list[str]) -> None:
        self.files = files
        self.warnings = warnings
        self.complete = files is not None  # every file the values come from was given
        self.unresolved: set[str] = set()
        self.nodes = MAX_NODES

    # --- values --------------------------------------------------------------------------

    def load(self, ctx: dict, path: str, keys: list[str] | None, default: bool) -> None:
        if self.files is None or path not in self.files:
            self.complete = False
            return
        data = self.files[path]
        if data is None:
            if not default:
                self.warnings.append(f"vars file {quote(path)} does not exist")
            return
        fmt = format_for(path)
        doc, more = load_document(data, fmt) if fmt else (None, [f"unknown format of {path}"])
        self.warnings.extend(f"vars file {quote(path)}: {w}" for w in more)
        if not isinstance(doc, dict):
            return
        if keys is not None:
            doc = {k: doc[k] for k in keys if k in doc}
        _merge(ctx, doc)

    def context(self, base: dict, entries: Any, wdir: str, default: bool) -> dict:
        ctx = dict(base)
        if default:
            self.load(ctx, DEFAULT_PARAMS_FILE, None, True)
        if entries is None:
            return ctx
        if not isinstance(entries, list):
            self.warnings.append("vars should be a list; ignored")
            return ctx
        files = iter(_file_entries(entries, wdir))
        for entry in entries:
            if isinstance(entry, dict):
                _merge(ctx, self.resolve(entry, ctx))
            elif isinstance(entry, str) and entry:
                path, keys = next(files)
                self.load(ctx, path, keys, False)
        return ctx

    # --- interpolation -------------------------------------------------------------------

    def resolve(self, value: Any, ctx: dict, depth: int = 0) -> Any:
        self.nodes -= 1
        if depth > _MAX_DEPTH or self.nodes < 0:
            return value
        if isinstance(value, str):
            return self.text(value, ctx)
        if isinstance(value, dict):
            return {
                self.text(k, ctx) if isinstance(k, str) else k: self.resolve(v, ctx, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.resolve(v, ctx, depth + 1) for v in value]
        return value

    def text(self, text: str, ctx: dict) -> Any:
        if "${" not in text:
            return text
        whole = _INTERP.fullmatch(text)
        if whole is not None:
            found, value = _lookup(ctx, whole.group(1))
            if found:
                return value
            self.unresolved.add(whole.group(1))
            return text

        def one(match: re.Match) -> str:
            found, value = _lookup(ctx, match.group(1))
            if not found:
                self.unresolved.add(match.group(1))
                return match.group(0)
            return _to_str(value)

        result = _INTERP.sub(one, text).replace("\\${", "${")
        charge(result)
        return result

    # --- stages --------------------------------------------------------------------------

    def stages(self, stages: dict, ctx: dict) -> dict:
        out: dict = {}
        for name, body in stages.items():
            if not isinstance(body, dict) or not isinstance(name, str):
                out[name] = body
                continue
            wdir = body.get("wdir")
            wdir = wdir if isinstance(wdir, str) and "${" not in wdir else ""
            local = self.context(ctx, body.get("vars"), wdir, False) if "vars" in body else ctx
            plain = {k: v for k, v in body.items() if k not in ("vars", "foreach", "do", "matrix")}
            if "foreach" in body:
                items = self.resolve(body["foreach"], local)
                do = body.get("do")
                if not isinstance(do, dict) or not isinstance(items, list | dict):
                    out[name] = body  # read as written (unresolved, or not expandable)
                    continue
                for key, item in _foreach(items)[:MAX_EXPANDED]:
                    each = {**local, "item": item}
                    if isinstance(items, dict):
                        each["key"] = key
                    out[f"{name}@{key}"] = self.resolve(do, each)
            elif "matrix" in body:
                matrix = self.resolve(body["matrix"], local)
                if not isinstance(matrix, dict) or not all(
                    isinstance(v, list) for v in matrix.values()
                ):
                    out[name] = body
                    continue
                for key, item in _matrix(matrix):
                    out[f"{name}@{key}"] = self.resolve(plain, {**local, "item": item})
            else:
                out[name] = self.resolve(plain, local)
        return out


def _merge(into: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            merged = dict(into[k])
            _merge(merged, v)
            into[k] = merged
        else:
            into[k] = v


def _lookup(ctx: Any, expr: str) -> tuple[bool, Any]:
    """``a.b[0].c`` in ``ctx``: (found, value)."""
    if not expr:
        return False, None
    value = ctx
    for index, key in _PART.findall(expr):
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                return False, None
            value = value[int(index)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False, None
    return True, value


def _to_str(value: Any) -> str:
    """A value inside a string, as DVC writes it (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "None"
    return value if isinstance(value, str) else key_text(value)


def _foreach(items: list | dict) -> list[tuple[str, Any]]:
    if isinstance(items, dict):
        return [(_to_str(k), v) for k, v in items.items()]
    if any(isinstance(v, dict | list) for v in items):
        return [(str(i), v) for i, v in enumerate(items)]
    return [(_to_str(v), v) for v in items]


def _matrix(matrix: dict) -> list[tuple[str, dict]]:
    names = []
    for dim, values in matrix.items():
        if any(isinstance(v, dict | list) for v in values):
            names.append([f"{_to_str(dim)}{i}" for i in range(len(values))])
        else:
            names.append([_to_str(v) for v in values])
    out = []
    combos = zip(itertools.product(*names), itertools.product(*matrix.values()), strict=True)
    for key, values in itertools.islice(combos, MAX_EXPANDED):
        out.append(("-".join(key), dict(zip(matrix.keys(), values, strict=True))))
    return out


def expand(doc: dict, files: VarFiles | None, warnings: list[str]) -> tuple[dict, set[str], bool]:
    """``doc`` with its templating expanded: ``(document, unresolved ${...} expressions,
    complete)``; ``complete`` says every file values may come from was given, so an
    unresolved expression is one DVC could not resolve either."""
    ex = _Expander(files, warnings)
    ctx = ex.context({}, doc.get("vars"), "", True)
    out = {k: v for k, v in doc.items() if k != "vars"}
    if isinstance(doc.get("stages"), dict):
        out["stages"] = ex.stages(doc["stages"], ctx)
    for section in ("metrics", "params", "plots", "artifacts"):
        if section in doc:
            out[section] = ex.resolve(doc[section], ctx)
    return out, ex.unresolved, ex.complete
