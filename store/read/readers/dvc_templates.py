"""``dvc.yaml`` templating, expanded as DVC expands it: ``vars`` (inline mappings and
files, ``params.yaml`` beside the ``dvc.yaml`` loaded first when it exists), ``${...}``
interpolation (dotted keys, ``[N]`` list indexes, ``\\${`` escapes; a string that is one
``${...}`` keeps the value's type), ``foreach`` over a list (stage ``name@item``, or
``name@N`` for a list of mappings or lists) or a mapping (``name@key``, with ``${key}``),
and ``matrix`` (``name@a-b``, a dimension of mappings or lists naming its values
``dimN``; ``${item.dim}``).

Files are given by the caller, keyed by their path relative to the ``dvc.yaml``'s
directory: ``bytes``, None for a file known not to exist, or :data:`OUTSIDE` for a path
that leaves the repository (never read: said once); a path not among them is unknown
(what it would define stays unresolved, and no warning blames it).

Two sources defining the same key (``params.yaml`` and a ``vars`` file, two ``vars``
files, a stage's ``vars`` and the global ones) make DVC refuse the whole ``dvc.yaml``
("cannot redefine"): that is one warning naming the key and both sources, and the key
takes neither value (what uses it stays as written, not warned about again).
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from modeltrail.store.read.readers._common import charge, quote
from modeltrail.store.read.readers.plain import key_text
from modeltrail.store.read.readers.structured import format_for, load_document

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

#: a vars file whose path leaves the repository: never read
OUTSIDE = "outside the repository"

VarFiles = Mapping[str, bytes | str | None]


class _Refused:
    """The value of a key two sources define (DVC refuses the file): no value at all."""

    __slots__ = ()


REFUSED = _Refused()


class _Context(dict[str, Any]):
    """Interpolation values, with where each came from: ``origins`` maps a key's dotted
    path to its source (``params.yaml``, ``vars[0]``, ``stage.vars[1]``), ``imports`` the
    files loaded (path -> None when whole, else the keys taken)."""

    __slots__ = ("origins", "imports")

    def __init__(self, base: Mapping[str, Any] | None = None) -> None:
        super().__init__(base or {})
        origins = getattr(base, "origins", None)
        imports = getattr(base, "imports", None)
        self.origins: dict[str, str] = dict(origins) if origins else {}
        self.imports: dict[str, list[str] | None] = dict(imports) if imports else {}


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
        self.conflicts: set[tuple[str, str, str]] = set()  # (key, source, earlier source)
        self.nodes = MAX_NODES

    # --- values --------------------------------------------------------------------------

    def load(self, ctx: _Context, path: str, keys: list[str] | None, default: bool) -> None:
        if self.files is None or path not in self.files:
            self.complete = False
            return
        data = self.files[path]
        if data is None:
            if not default:
                self.warnings.append(f"vars file {quote(path)} does not exist")
            return
        if isinstance(data, str):  # OUTSIDE: not read, and what it defines is unknown
            self.complete = False
            self.warnings.append(f"vars file {quote(path)} is {OUTSIDE}; not read")
            return
        if path in ctx.imports and not self._load_again(ctx, path, keys):
            return
        fmt = format_for(path)
        doc, more = load_document(data, fmt) if fmt else (None, [f"unknown format of {path}"])
        self.warnings.extend(f"vars file {quote(path)}: {w}" for w in more)
        if not isinstance(doc, dict):
            return
        if keys is not None:
            doc = {k: doc[k] for k in keys if k in doc}
        self.merge(ctx, doc, path)
        before = ctx.imports.get(path)
        ctx.imports[path] = None if keys is None else [*(before or []), *keys]

    def _load_again(self, ctx: _Context, path: str, keys: list[str] | None) -> bool:
        """A file loaded before, named again: whole twice is allowed (nothing to do);
        DVC refuses a partial load of a file loaded whole, a whole load of one loaded
        in part, and the same key twice."""
        before = ctx.imports[path]
        if keys is None and before is None:
            return False
        if keys is None or before is None or set(keys) & set(before):
            self.warnings.append(
                f"vars: {quote(path)} is loaded twice (in part and whole, or the same key);"
                " DVC refuses this dvc.yaml; loaded once"
            )
            return False
        return True

    def merge(self, ctx: _Context, new: dict[str, Any], source: str) -> None:
        """``new`` into ``ctx`` as DVC merges vars: mappings merge key by key, and a key
        both define is refused (:data:`REFUSED`, one warning)."""
        for key, where, before in _merge(ctx, new, source, ctx.origins):
            if (key, where, before) in self.conflicts:
                continue
            self.conflicts.add((key, where, before))
            self.warnings.append(
                f"vars: cannot redefine {quote(key)} from {quote(where)} as it already"
                f" exists in {quote(before)}; DVC refuses this dvc.yaml, so nothing using"
                f" {quote(key)} is read"
            )

    def context(
        self, base: Mapping[str, Any], entries: Any, wdir: str, default: bool, stage: str = ""
    ) -> _Context:
        ctx = _Context(base)
        if default:
            self.load(ctx, DEFAULT_PARAMS_FILE, None, True)
        if entries is None:
            return ctx
        if not isinstance(entries, list):
            self.warnings.append("vars should be a list; ignored")
            return ctx
        files = iter(_file_entries(entries, wdir))
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                where = f"{stage}.vars[{index}]" if stage else f"vars[{index}]"
                self.merge(ctx, self.resolve(entry, ctx), where)
            elif isinstance(entry, str) and entry:
                path, keys = next(files)
                self.load(ctx, path, keys, False)
        return ctx

    # --- interpolation -------------------------------------------------------------------

    def resolve(self, value: Any, ctx: dict[str, Any], depth: int = 0) -> Any:
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

    def text(self, text: str, ctx: dict[str, Any]) -> Any:
        if "${" not in text:
            return text
        whole = _INTERP.fullmatch(text)
        if whole is not None:
            found, value = _lookup(ctx, whole.group(1))
            if found is True:
                return value
            if found is False:
                self.unresolved.add(whole.group(1))
            return text

        def one(match: re.Match[str]) -> str:
            found, value = _lookup(ctx, match.group(1))
            if found is not True:
                if found is False:
                    self.unresolved.add(match.group(1))
                return match.group(0)
            return _to_str(value)

        result = _INTERP.sub(one, text).replace("\\${", "${")
        charge(result)
        return result

    # --- stages --------------------------------------------------------------------------

    def stages(self, stages: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, body in stages.items():
            if not isinstance(body, dict) or not isinstance(name, str):
                out[name] = body
                continue
            wdir = body.get("wdir")
            wdir = wdir if isinstance(wdir, str) and "${" not in wdir else ""
            local = (
                self.context(ctx, body.get("vars"), wdir, False, name) if "vars" in body else ctx
            )
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


def _merge(
    into: dict[str, Any],
    new: dict[str, Any],
    source: str,
    origins: dict[str, str],
    prefix: str = "",
) -> list[tuple[str, str, str]]:
    """``new`` merged into ``into`` as DVC merges contexts (never overwriting): the keys
    both define, as ``(dotted key, source, the earlier source)``; such a key becomes
    :data:`REFUSED`. ``origins`` (dotted key -> source) learns the new keys' sources."""
    conflicts = []
    for k, v in new.items():
        path = f"{prefix}.{_to_str(k)}" if prefix else _to_str(k)
        old = into.get(k)
        if isinstance(v, dict) and isinstance(old, dict):
            merged = dict(old)
            conflicts += _merge(merged, v, source, origins, path)
            into[k] = merged
        elif k in into:
            if old is not REFUSED:
                conflicts.append((path, source, _origin(origins, path)))
            into[k] = REFUSED
        else:
            into[k] = v
            origins[path] = source
    return conflicts


def _origin(origins: dict[str, str], path: str) -> str:
    """The source of ``path`` or of the nearest mapping holding it."""
    while path not in origins and "." in path:
        path = path.rsplit(".", 1)[0]
    return origins.get(path, "?")


def _lookup(ctx: Any, expr: str) -> tuple[bool | None, Any]:
    """``a.b[0].c`` in ``ctx``: (found, value); found is None when the path goes
    through a key DVC refuses (:data:`REFUSED`): neither found nor undefined."""
    if not expr:
        return False, None
    value = ctx
    for index, key in _PART.findall(expr):
        if value is REFUSED:
            return None, None
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
    if value is REFUSED:
        return None, None
    return True, value


def _to_str(value: Any) -> str:
    """A value inside a string, as DVC writes it (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "None"
    return value if isinstance(value, str) else key_text(value)


def _foreach(items: list[Any] | dict[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(items, dict):
        return [(_to_str(k), v) for k, v in items.items()]
    if any(isinstance(v, dict | list) for v in items):
        return [(str(i), v) for i, v in enumerate(items)]
    return [(_to_str(v), v) for v in items]


def _matrix(matrix: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
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


def expand(
    doc: dict[str, Any], files: VarFiles | None, warnings: list[str]
) -> tuple[dict[str, Any], set[str], bool]:
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
