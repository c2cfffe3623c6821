"""DVC files: ``dvc.yaml`` (pipeline), ``dvc.lock`` (its recorded state), ``*.dvc``
pointers, and where DVC keeps objects in its local cache.

Paths inside these files are relative to the file's directory (and, for a stage, to its
``wdir``); :func:`join_dvc_path` turns them into repository paths, refusing ones that
leave the repository. Templated ``dvc.yaml`` files (``vars``, ``${...}``, ``foreach``,
``matrix``) are expanded as DVC expands them (:mod:`.dvc_templates`), with the values of
the files the caller gives (``params.yaml`` and ``vars`` files); what cannot be resolved
stays as written.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from modeltrail.store.read import dvc_objects
from modeltrail.store.read.readers import dvc_templates
from modeltrail.store.read.readers._common import (
    budget_spent,
    cap_warnings,
    charge,
    never_raise,
    quote,
)
from modeltrail.store.read.readers.flattening import flatten
from modeltrail.store.read.readers.manifests import GtoArtifactDecl, parse_artifact_entries
from modeltrail.store.read.readers.plain import key_text, kind_of
from modeltrail.store.read.readers.structured import load_document, load_mapping

T = TypeVar("T")

#: The default params file of a stage (in its ``wdir``).
DEFAULT_PARAMS_FILE = "params.yaml"

_MD5 = re.compile(r"[0-9a-f]{32}(\.dir)?")
_PARAMS_FILE = re.compile(r".+\.(yaml|yml|json|toml|py)")


@dataclass(frozen=True)
class DvcOut:
    """One dep or out recorded in ``dvc.lock`` or a ``.dvc`` file.

    ``md5`` is 32 hex digits, with ``.dir`` for a directory (its manifest). ``hash_name``
    is ``"md5"`` for DVC 3 entries (``hash: md5``), ``"md5-dos2unix"`` for DVC 2 ones
    (no ``hash`` key; stored in the old cache layout), or what the entry says.
    ``other_hash`` keeps a non-md5 hash (``etag``/``checksum`` of cloud deps).
    """

    path: str
    md5: str | None = None
    size: int | None = None
    nfiles: int | None = None
    hash_name: str = "md5-dos2unix"
    cache: bool = True
    other_hash: str | None = None

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))

    @property
    def legacy(self) -> bool:
        """Stored in DVC 2's cache layout (``.dvc/cache/ab/cdef…``)."""
        return self.hash_name != "md5"


@dataclass
class DvcStage:
    """A ``dvc.yaml`` stage. ``params`` maps a params file to the keys used from it
    (None: all of them; bare keys belong to ``params.yaml``). ``templated`` marks
    ``foreach``/``matrix`` stages that could not be expanded, whose ``do`` body is read
    as written."""

    name: str
    cmd: str | None = None
    wdir: str = ""
    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    params: dict[str, list[str] | None] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    templated: bool = False


@dataclass
class DvcYaml:
    """A ``dvc.yaml``: its stages, the top-level ``metrics``/``params``/``plots`` files
    (DVC 3) and the ``artifacts:`` section. ``var_files``: when it is templated, the
    files (relative to its directory) whose values its expansion may use."""

    stages: dict[str, DvcStage] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    artifacts: dict[str, GtoArtifactDecl] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)

    def metrics_files(self, base: str = "") -> list[str]:
        """Repository paths of every metrics file declared (top level and stages), given
        the ``dvc.yaml``'s directory ``base``; paths leaving the repository are dropped."""
        found = [join_dvc_path(base, "", p) for p in self.metrics]
        for stage in self.stages.values():
            found += [join_dvc_path(base, stage.wdir, p) for p in stage.metrics]
        return list(dict.fromkeys(p for p in found if p))

    def params_files(self, base: str = "") -> dict[str, list[str] | None]:
        """Repository path of each params file -> keys used (None: all keys)."""
        result: dict[str, list[str] | None] = {}
        for p in self.params:
            path = join_dvc_path(base, "", p)
            if path:
                result[path] = None
        for stage in self.stages.values():
            for p, keys in stage.params.items():
                path = join_dvc_path(base, stage.wdir, p)
                if path:
                    _merge_keys(result, path, keys)
        return result


@dataclass
class DvcLockStage:
    """A ``dvc.lock`` stage: hashed deps and outs, and the params values used
    (``{file: {flattened key: value}}``)."""

    name: str
    cmd: str | None = None
    deps: list[DvcOut] = field(default_factory=list)
    outs: list[DvcOut] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class DvcLock:
    """A ``dvc.lock``: its ``schema`` (``"2.0"``; None for DVC 1 files) and stages."""

    schema: str | None = None
    stages: dict[str, DvcLockStage] = field(default_factory=dict)


# --- paths -------------------------------------------------------------------------------


def join_dvc_path(base: str, wdir: str, path: str) -> str | None:
    """``base/wdir/path`` as a normalised repository path, or None when the result is
    absolute, leaves the repository, or is not usable text."""
    if not all(isinstance(p, str) for p in (base, wdir, path)) or not path:
        return None
    return _joined(base, wdir, path)


@functools.lru_cache(maxsize=65536)  # the same few paths, once per version of a pipeline
def _joined(base: str, wdir: str, path: str) -> str | None:
    if "\x00" in path or "\x00" in wdir or path.startswith("/") or wdir.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base or ".", wdir or ".", path))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return "" if joined == "." else joined


def _merge_keys(result: dict[str, list[str] | None], file: str, keys: list[str] | None) -> None:
    if file in result and result[file] is None:
        return
    if keys is None:
        result[file] = None
        return
    result[file] = list(dict.fromkeys([*(result.get(file) or []), *keys]))


def dvc_cache_path(repo_root: Path, md5: str, legacy: bool | None = None) -> list[Path]:
    """Candidate cache paths for an object (:func:`..dvc_objects.cache_paths`): DVC 3's
    ``.dvc/cache/files/md5/ab/cdef…`` and DVC 2's ``.dvc/cache/ab/cdef…``."""
    return dvc_objects.cache_paths(repo_root, md5, legacy)


def dvc_cache_roots(repo_root: Path, tracked: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Where a cache object may really be (``realpath``): the work tree, and the cache
    directory ``.dvc/cache`` wherever it leads (a shared cache), unless the repository
    itself puts something there: ``tracked`` is git's ``(mode, path)`` index entries under
    ``.dvc``, and a committed ``.dvc`` symlink or anything committed under ``.dvc/cache``
    makes the cache directory the repository's say, not the user's."""
    roots = [os.path.realpath(repo_root)]
    if not any(
        (path == ".dvc" and mode == "120000")
        or path == ".dvc/cache"
        or path.startswith(".dvc/cache/")
        for mode, path in tracked
    ):
        roots.append(os.path.realpath(Path(repo_root) / ".dvc" / "cache"))
    return tuple(roots)


def inside(path: Path, roots: Iterable[str]) -> bool:
    """Is ``path``, every symlink resolved, one of ``roots`` or under one?"""
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, ValueError):
        return False
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


def dvc_cache_object(
    repo_root: Path, md5: str, legacy: bool | None, roots: Iterable[str]
) -> tuple[Path | None, bool]:
    """The cache file of an object and whether one was refused: ``(path, False)`` when it
    is there, ``(None, True)`` when a candidate exists but leads (through a symlink)
    outside ``roots`` (:func:`dvc_cache_roots`) and is never read, ``(None, False)`` when
    it is not in the cache."""
    refused = False
    for path in dvc_cache_path(repo_root, md5, legacy):
        try:
            if not path.is_file():
                continue
        except (OSError, ValueError):
            continue
        if inside(path, roots):
            return path, False
        refused = True
    return None, refused


def dvc_out_present(repo_root: Path, out: DvcOut, roots: Iterable[str] = ()) -> bool | None:
    """Is the out's object in the local cache (within ``roots``, :func:`dvc_cache_roots`;
    by default the work tree only)? None when it has no md5. For a directory this checks
    its ``.dir`` manifest only (see :func:`parse_dvc_dir_manifest`)."""
    if not out.md5:
        return None
    roots = tuple(roots) or (os.path.realpath(repo_root),)
    return dvc_cache_object(repo_root, out.md5, out.legacy, roots)[0] is not None


@never_raise(lambda msg: ([], [f"DVC directory manifest {msg}"]))
def parse_dvc_dir_manifest(data: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """A ``.dir`` cache object: the directory's ``[(relpath, md5), ...]``."""
    doc, warnings = load_document(data, "json")
    if doc is None:
        return [], warnings
    if not isinstance(doc, list):
        warnings.append(f"expected a list, found {kind_of(doc)}")
        return [], warnings
    entries = []
    for item in doc:
        if (
            isinstance(item, dict)
            and isinstance(item.get("relpath"), str)
            and isinstance(item.get("md5"), str)
            and _MD5.fullmatch(item["md5"])
        ):
            entries.append((item["relpath"], item["md5"]))
        else:
            warnings.append(f"malformed entry {quote(key_text(item) if item is not None else '')}")
    return entries, cap_warnings(warnings)


# --- dvc.yaml ----------------------------------------------------------------------------


def _cmd(value: Any) -> str | None:
    """A stage's command; a list of commands is joined with newlines."""
    texts = []
    for part in value if isinstance(value, list) else [value]:
        if part is None or isinstance(part, dict | list):
            continue
        text = part if isinstance(part, str) else key_text(part)
        if not charge(text):
            break
        texts.append(text)
    return "\n".join(texts) if texts else None


def _paths(value: Any, what: str, warnings: list[str]) -> list[str]:
    """A list of paths, each written as ``path`` or ``{path: {options}}``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if charge(value) else []
    if not isinstance(value, list):
        warnings.append(f"{what} should be a list, found {kind_of(value)}; ignored")
        return []
    paths: list[str] = []
    for item in value:
        if isinstance(item, str):
            found = [item]
        elif isinstance(item, dict):
            found = [key_text(k) for k in item]
        else:
            warnings.append(f"{what}: {kind_of(item)} is not a path; skipped")
            continue
        if not charge(*found):
            break
        paths.extend(found)
    return list(dict.fromkeys(paths))


def _params(value: Any, what: str, warnings: list[str]) -> dict[str, list[str] | None]:
    """A stage's ``params``: ``key``, ``file.yaml:key,key``, ``{file.yaml: [keys]}`` or
    ``{file.yaml: null}`` (all keys)."""
    result: dict[str, list[str] | None] = {}
    if value is None:
        return result
    if not isinstance(value, list):
        value = [value]
    for item in value:
        if not charge(item if isinstance(item, str) else None):
            break
        if isinstance(item, str):
            file, sep, keys = item.partition(":")
            if sep and _PARAMS_FILE.fullmatch(file):
                _merge_keys(result, file, [k for k in keys.split(",") if k] or None)
            else:
                _merge_keys(result, DEFAULT_PARAMS_FILE, [item])
        elif isinstance(item, dict):
            for raw_file, keys in item.items():
                file = key_text(raw_file)
                if isinstance(keys, list) and not charge(*[k for k in keys if isinstance(k, str)]):
                    break
                if keys is None or keys == [] or keys == {}:
                    _merge_keys(result, file, None)
                elif isinstance(keys, str):
                    _merge_keys(result, file, [keys])
                elif isinstance(keys, list):
                    _merge_keys(
                        result, file, [key_text(k) for k in keys if not isinstance(k, dict | list)]
                    )
                else:
                    warnings.append(f"{what}: keys of {quote(file)} should be a list; ignored")
        else:
            warnings.append(f"{what}: {kind_of(item)} is not a param; skipped")
    return result


def _stage(name: str, body: dict[Any, Any], warnings: list[str]) -> DvcStage:
    what = f"stage {quote(name)}"
    templated = "foreach" in body or "matrix" in body
    if templated:
        body = body.get("do", body) if "foreach" in body else body
        if not isinstance(body, dict):
            warnings.append(f"{what}: 'do' should be a mapping, found {kind_of(body)}")
            body = {}
    wdir = body.get("wdir")
    wdir = wdir if isinstance(wdir, str) and charge(wdir) else ""
    stage = DvcStage(
        name=name,
        cmd=_cmd(body.get("cmd")),
        wdir=wdir,
        deps=_paths(body.get("deps"), f"{what}: deps", warnings),
        outs=_paths(body.get("outs"), f"{what}: outs", warnings),
        params=_params(body.get("params"), f"{what}: params", warnings),
        metrics=_paths(body.get("metrics"), f"{what}: metrics", warnings),
        plots=_paths(body.get("plots"), f"{what}: plots", warnings),
        templated=templated,
    )
    return stage


def _read_stages(
    stages: Any, read_stage: Callable[[str, dict[str, Any], list[str]], T], warnings: list[str]
) -> dict[str, T]:
    """Each ``name: {body}`` of a ``stages`` mapping through ``read_stage``."""
    return {
        name: read_stage(name, body, warnings)
        for name, body in _entries(stages, "'stages'", "stage", warnings)
    }


def _entries(
    value: Any, section: str, entry: str, warnings: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ``name: {mapping}`` entries of ``value``, within the reader's budget; an entry
    that is not a mapping (``entry 'name': expected a mapping``) or a ``value`` that is
    not one (``section should be a mapping``) becomes a warning."""
    if isinstance(value, dict):
        for raw_name, body in value.items():
            if budget_spent():
                break
            name = key_text(raw_name)
            if isinstance(body, dict):
                yield name, body
            else:
                warnings.append(f"{entry} {quote(name)}: expected a mapping, found {kind_of(body)}")
    elif value is not None:
        warnings.append(f"{section} should be a mapping, found {kind_of(value)}")


@never_raise(lambda msg: (DvcYaml(), [f"dvc.yaml {msg}"]))
def parse_dvc_yaml(
    data: bytes, var_files: dvc_templates.VarFiles | None = None
) -> tuple[DvcYaml, list[str]]:
    """A ``dvc.yaml``: stages (deps, outs, params, metrics, plots), top-level
    ``metrics``/``params``/``plots`` and ``artifacts``, its templating expanded with the
    ``var_files`` given (path relative to its directory -> bytes, or None for a file
    known not to exist: see :mod:`.dvc_templates`). Returns ``(DvcYaml, warnings)``;
    a ``${...}`` nothing defines is a warning only when every file that could define it
    was given (else it may be defined where we did not look)."""
    doc, warnings = load_mapping(data, "yaml")
    result = DvcYaml()
    if doc is None:
        return result, warnings
    if dvc_templates.is_templated(doc):
        result.var_files = dvc_templates.var_files(doc)
        doc, unresolved, complete = dvc_templates.expand(doc, var_files, warnings)
        if unresolved and complete:
            names = ", ".join("${" + n + "}" for n in sorted(unresolved)[:5])
            warnings.append(
                f"{names} not defined by params.yaml, vars, foreach or matrix;"
                " DVC cannot run this pipeline"
            )
    result.stages = _read_stages(doc.get("stages"), _stage, warnings)
    result.metrics = _paths(doc.get("metrics"), "metrics", warnings)
    result.params = _paths(doc.get("params"), "params", warnings)
    result.plots = _paths(doc.get("plots"), "plots", warnings)
    result.artifacts = parse_artifact_entries(doc.get("artifacts"), "dvc.yaml", warnings)
    return result, cap_warnings(warnings)


# --- dvc.lock and .dvc -------------------------------------------------------------------


def _count(entry: dict[Any, Any], key: str, what: str, warnings: list[str]) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    warnings.append(f"{what}: {key} {quote(key_text(value))} is not a size; ignored")
    return None


def _out(item: Any, what: str, warnings: list[str]) -> DvcOut | None:
    if isinstance(item, str):  # a bare path (seen in hand-written .dvc files)
        return DvcOut(path=item) if charge(item) else None
    if not isinstance(item, dict):
        warnings.append(f"{what}: expected a mapping, found {kind_of(item)}; skipped")
        return None
    path = item.get("path")
    if not isinstance(path, str) or not path:
        warnings.append(f"{what}: an entry without a 'path'; skipped")
        return None
    if not charge(path):
        return None
    what = f"{what} {quote(path)}"
    md5 = item.get("md5")
    if md5 is not None and not (isinstance(md5, str) and _MD5.fullmatch(md5)):
        warnings.append(f"{what}: md5 {quote(key_text(md5))} is malformed; ignored")
        md5 = None
    hash_name = item.get("hash")
    other = next((item[k] for k in ("etag", "checksum") if isinstance(item.get(k), str)), None)
    cache = item.get("cache", True)
    return DvcOut(
        path=path,
        md5=md5,
        size=_count(item, "size", what, warnings),
        nfiles=_count(item, "nfiles", what, warnings),
        hash_name=hash_name if isinstance(hash_name, str) and hash_name else "md5-dos2unix",
        cache=cache if isinstance(cache, bool) else True,
        other_hash=other,
    )


def _outs(value: Any, what: str, warnings: list[str]) -> list[DvcOut]:
    if value is None:
        return []
    if not isinstance(value, list):
        warnings.append(f"{what} should be a list, found {kind_of(value)}; ignored")
        return []
    outs: dict[str, DvcOut] = {}  # one per path, as DVC requires
    for item in value:
        out = _out(item, what, warnings)
        if budget_spent():
            break
        if out is not None:
            outs.setdefault(out.path, out)
    return list(outs.values())


def _lock_stage(name: str, body: dict[Any, Any], warnings: list[str]) -> DvcLockStage:
    what = f"stage {quote(name)}"
    stage = DvcLockStage(
        name=name,
        cmd=_cmd(body.get("cmd")),
        deps=_outs(body.get("deps"), f"{what}: deps", warnings),
        outs=_outs(body.get("outs"), f"{what}: outs", warnings),
    )
    for file, values in _entries(
        body.get("params"), f"{what}: params", f"{what}: params", warnings
    ):
        flat, more = flatten(values)
        stage.params[file] = flat
        warnings.extend(f"{what}: params {quote(file)}: {w}" for w in more)
    return stage


@never_raise(lambda msg: (DvcLock(), [f"dvc.lock {msg}"]))
def parse_dvc_lock(data: bytes) -> tuple[DvcLock, list[str]]:
    """A ``dvc.lock`` (schema 2.0, or DVC 1's schema-less form, read without a warning:
    it is a valid format). Returns
    ``(DvcLock, warnings)``."""
    doc, warnings = load_mapping(data, "yaml")
    lock = DvcLock()
    if doc is None:
        return lock, warnings
    schema = doc.get("schema")
    if schema is None and "stages" not in doc:
        stages: Any = doc  # DVC 1: stages at the top level, no schema (a valid format)
    else:
        lock.schema = key_text(schema) if schema is not None else None
        if lock.schema != "2.0":
            warnings.append(f"unknown dvc.lock schema {quote(lock.schema)}; read as 2.0")
        stages = doc.get("stages")
    lock.stages = _read_stages(stages, _lock_stage, warnings)
    return lock, cap_warnings(warnings)


@never_raise(lambda msg: ([], [f".dvc file {msg}"]))
def parse_dvc_pointer(data: bytes) -> tuple[list[DvcOut], list[str]]:
    """A ``.dvc`` file's ``outs`` (paths relative to the ``.dvc`` file's directory)."""
    doc, warnings = load_mapping(data, "yaml")
    if doc is None:
        return [], warnings
    if "outs" not in doc:
        warnings.append("no 'outs' in this .dvc file")
        return [], warnings
    return _outs(doc.get("outs"), "outs", warnings), cap_warnings(warnings)
