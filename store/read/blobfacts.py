"""What one blob says, by the role its path gives it. The only caller of ``store.read.readers``.

Each distinct (blob, role) is parsed once per index run; the results become rows of
the catalog's ``blob_*`` tables and the model declarations of ``store.read.discovery``.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeltrail.store.read import discovery
from modeltrail.store.read.discovery import Claim

if TYPE_CHECKING:
    from modeltrail.store.read.readers import (
        _common,
        dvc,
        dvc_templates,
        environment,
        fast_manifests,
        fastpath,
        flattening,
        lfs,
        manifests,
        plain,
        structured,
    )
    from modeltrail.store.read.readers.dvc_templates import OUTSIDE as OUTSIDE
else:

    class _OnFirstUse:
        """A reader module, imported when this module first uses it (then it takes the
        name's place): an index run whose new commits have no document to read (one
        commit touching no model) spares the readers' and YAML's imports."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            module = importlib.import_module(f"modeltrail.store.read.readers.{self._name}")
            globals()[self._name] = module
            return getattr(module, attr)

    _common, dvc, dvc_templates, environment, fast_manifests, fastpath = map(
        _OnFirstUse,
        ("_common", "dvc", "dvc_templates", "environment", "fast_manifests", "fastpath"),
    )
    flattening, lfs, manifests, plain, structured = map(
        _OnFirstUse, ("flattening", "lfs", "manifests", "plain", "structured")
    )

    def __getattr__(name: str) -> Any:
        if name == "OUTSIDE":  # what a vars file outside the repository reads as
            return dvc_templates.OUTSIDE
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


LFS_MAX_POINTER = 1024


@dataclass
class Values:
    """Flattened values of a metrics/params/manifest blob."""

    rows: list[tuple[str, str, float | None, str]] = field(default_factory=list)
    # (section, key, numeric value, JSON text)
    warnings: list[str] = field(default_factory=list)


def _add_section(out: Values, section: str, doc: Any) -> None:
    if doc is None:
        return
    flat, warns = flattening.flatten(doc)
    out.warnings.extend(warns)
    rows = out.rows
    to_text = plain.to_json_text
    if section != "metrics":
        number = structured.metric_value
        for key, val in flat.items():
            rows.append((section, str(key), number(val), to_text(val)))
        return
    # each value read once: its number, its text and what is wrong with it as a metric
    # (structured.metrics_of's warnings, in the same order)
    problems: list[str] = []
    for key, val in flat.items():
        if type(val) is float and math.isfinite(val):  # the commonest metric: no problem
            rows.append((section, str(key), val, to_text(val)))
            continue
        problem = structured.metric_problem(key, val)
        if problem:
            problems.append(problem)
        rows.append((section, str(key), structured.metric_value(val), to_text(val)))
    if problems:
        out.warnings.extend(_common.cap_warnings(problems))


def values_of(data: bytes, path: str, role: str) -> Values:
    """Values of a metrics or params blob (manifests: :func:`read_manifest`)."""
    out = Values()
    if role == "manifest":
        return read_manifest(data, path).values
    fmt = structured.format_for(path)
    if fmt is None:
        out.warnings.append(f"unknown format for {path}")
        return out
    rows = fastpath.document_rows(data, fmt, "metrics" if role == "metrics" else "params")
    if rows is not None:  # a plain document: the same rows, in one pass
        out.rows = rows
        return out
    return _values_carefully(data, fmt, role, out)


def _values_carefully(data: bytes, fmt: str, role: str, out: Values) -> Values:
    doc, warns = structured.load_document(data, fmt)
    out.warnings.extend(warns)
    if doc is not None and not isinstance(doc, dict):
        out.warnings.append(f"{role} file is not a mapping; ignored")
        return out
    _add_section(out, "metrics" if role == "metrics" else "params", doc)
    return out


@dataclass
class ManifestFacts:
    """What a model.yaml says, from one parse: version, files it points at, values."""

    version: str | None = None
    metrics_file: str | None = None
    params_file: str | None = None
    values: Values = field(default_factory=Values)
    #: an MLmodel's own fields, from the same parse (None for other manifests)
    mlmodel: MlmodelFacts | None = None


def read_manifest(data: bytes, path: str) -> ManifestFacts:
    kind = _manifest_kind(path)
    if kind == "model_yaml":
        fast = fast_manifests.model_yaml(data)
        if fast is not None:  # a plain model.yaml: the same facts, in one pass
            version, metrics_file, params_file, rows = fast
            return ManifestFacts(version, metrics_file, params_file, Values(rows))
    return _read_manifest_carefully(kind, data)


def _read_manifest_carefully(kind: str, data: bytes) -> ManifestFacts:
    manifest, warns = _parse_manifest(kind, data)
    facts = ManifestFacts()
    facts.values.warnings.extend(warns)
    if manifest is None:
        return facts
    if kind == "mlmodel":
        facts.mlmodel = _mlmodel_facts_of(manifest, warns)
    version = getattr(manifest, "version", None)
    facts.version = str(version) if version not in (None, "") else None
    facts.metrics_file = _first(getattr(manifest, "metrics_files", None)) or getattr(
        manifest, "metrics_file", None
    )
    facts.params_file = _first(getattr(manifest, "params_files", None)) or getattr(
        manifest, "params_file", None
    )
    _add_section(facts.values, "metrics", getattr(manifest, "metrics", None) or None)
    _add_section(facts.values, "params", getattr(manifest, "params", None) or None)
    return facts


@dataclass
class MlmodelFacts:
    """What an MLflow ``MLmodel`` records (signature specs as JSON text)."""

    flavors: list[str] = field(default_factory=list)
    run_id: str | None = None
    model_uuid: str | None = None
    utc_time_created: str | None = None
    mlflow_version: str | None = None
    signature_inputs: str | None = None
    signature_outputs: str | None = None
    signature_params: str | None = None
    artifact_path: str | None = None
    model_size_bytes: int | None = None
    model_id: str | None = None
    warnings: list[str] = field(default_factory=list)


#: the MLmodel fields the catalog keeps, in ``blob_mlmodel``'s column order
MLMODEL_FIELDS = tuple(f.name for f in fields(MlmodelFacts) if f.name != "warnings")


def mlmodel_facts(data: bytes) -> MlmodelFacts:
    """The fields of an ``MLmodel`` the catalog keeps (``blob_mlmodel``)."""
    row = fast_manifests.mlmodel_row(data)
    if row is not None:  # a plain MLmodel: the same fields, in one pass
        return MlmodelFacts(*row)
    return _mlmodel_facts_of(*manifests.parse_mlmodel(data))


def _mlmodel_facts_of(m: manifests.ModelManifest, warns: list[str]) -> MlmodelFacts:
    return MlmodelFacts(
        flavors=list(m.flavors),
        run_id=m.run_id,
        model_uuid=m.model_uuid,
        utc_time_created=m.created,
        mlflow_version=m.mlflow_version,
        signature_inputs=None
        if m.signature_inputs is None
        else plain.to_json_text(m.signature_inputs),
        signature_outputs=None
        if m.signature_outputs is None
        else plain.to_json_text(m.signature_outputs),
        signature_params=None
        if m.signature_params is None
        else plain.to_json_text(m.signature_params),
        artifact_path=m.artifact_path,
        model_size_bytes=m.model_size_bytes,
        model_id=m.model_id,
        warnings=list(warns),
    )


def _first(items: object) -> str | None:
    return items[0] if isinstance(items, list | tuple) and items else None


def _manifest_kind(path: str) -> str:
    base = posixpath.basename(path)
    if base == "MLmodel":
        return "mlmodel"
    if base == "metadata.yaml":
        return "modelbit"
    return "model_yaml"


def _parse_manifest(kind: str, data: bytes) -> tuple[manifests.ModelManifest, list[str]]:
    if kind == "mlmodel":
        return manifests.parse_mlmodel(data)
    if kind == "modelbit":
        return manifests.parse_modelbit_metadata(data)
    return manifests.parse_model_yaml(data)


def claims_of(
    kind: str,
    path: str,
    data: bytes,
    root_name: str = discovery.ROOT_NAME,
    var_files: dvc_templates.VarFiles | None = None,
) -> tuple[list[Claim], list[str]]:
    """Models a declaring file claims (see ``store.read.discovery.manifest_kind``).

    ``root_name`` names a model declared at the repository root by its directory;
    ``var_files`` give a templated ``dvc.yaml`` the values it is expanded with (see
    :func:`parse_dvc_yaml`), so the outputs and artifacts it names are what DVC names.
    """
    directory = posixpath.dirname(path)
    dir_name = posixpath.basename(directory) or root_name
    if kind == "artifacts":
        decls, warns = manifests.parse_artifacts_yaml(data)
        claims = []
        for name, d in (decls or {}).items():
            apath = getattr(d, "path", None) or ""
            inside = discovery.in_repository(apath)
            claims.append(
                Claim(
                    name=str(name),
                    source="gto",
                    path=discovery.directory_of(inside) if inside else None,
                    artifact_path=apath or None,
                    type=getattr(d, "type", None),
                    description=getattr(d, "description", None),
                    labels=list(getattr(d, "labels", None) or []),
                    declaring_file=path,
                )
            )
        return claims, warns
    if kind == "dvc_yaml":
        doc, warns = dvc.parse_dvc_yaml(data, var_files)
        claims = []
        pipeline = pipeline_files(doc, directory, path) if dvc_metrics_files(doc) else []
        for name, d in (getattr(doc, "artifacts", None) or {}).items():
            apath = dvc.join_dvc_path(directory, "", getattr(d, "path", "") or "")
            if not apath:
                warns.append(f"artifact {name!r}: path leaves the repository; ignored")
                continue
            claims.append(
                Claim(
                    name=str(name),
                    source="dvc-artifact",
                    path=discovery.directory_of(apath),
                    artifact_path=apath,
                    type=getattr(d, "type", None),
                    description=getattr(d, "description", None) or getattr(d, "desc", None),
                    labels=list(getattr(d, "labels", None) or []),
                    declared=list(pipeline),
                    declaring_file=path,
                )
            )
        if pipeline and not claims:  # a pipeline without artifacts is a model itself
            claims.append(
                Claim(
                    name=dir_name,
                    source="dvc",
                    path=directory,
                    named_by_directory=True,
                    declared=pipeline,
                    declaring_file=path,
                )
            )
        return claims, warns
    manifest, warns = _parse_manifest(
        {"model_yaml": "model_yaml", "mlmodel": "mlmodel", "modelbit": "modelbit"}[kind], data
    )
    if manifest is None:
        return [], warns
    source = {"model_yaml": "manifest", "mlmodel": "mlflow", "modelbit": "modelbit"}[kind]
    name = manifest.name or ""
    by_directory = False
    if kind == "mlmodel" or not name:
        name, by_directory = dir_name, True
    if kind == "modelbit":
        name, by_directory = path.split("/")[1], True
    return [
        Claim(
            name=str(name),
            source=source,
            path=directory,
            description=getattr(manifest, "description", None),
            labels=list(getattr(manifest, "labels", None) or []),
            named_by_directory=by_directory,
            declared=[path, *_named_by(manifest, directory)],
            declaring_file=path,
        )
    ], warns


def _named_by(manifest: manifests.ModelManifest, directory: str) -> list[str]:
    """Repository paths of the files a manifest names as the model's (an MLmodel's
    artifacts, python model, data and environment files), inside the repository only."""
    out = []
    for rel in getattr(manifest, "named_paths", None) or ():
        joined = dvc.join_dvc_path(directory, "", rel)
        if joined:
            out.append(joined)
    return out


def pipeline_files(doc: dvc.DvcYaml | None, base: str, dvc_yaml: str) -> list[str]:
    """The files a ``dvc.yaml`` names as its own: itself, its ``dvc.lock``, its metrics,
    params and plots files, the files its templating takes values from (``params.yaml``
    and ``vars`` files, inside the repository) and its stages' outs (repository paths)."""
    if doc is None:
        return []
    found = [dvc_yaml, posixpath.join(base, "dvc.lock") if base else "dvc.lock"]
    found += dvc_metrics_files(doc, base)
    found += dvc_params_files(doc, base)
    found += [p for p in (var_file_path(base, rel) for rel in doc.var_files) if p]
    found += [p for p in (dvc.join_dvc_path(base, "", x) for x in doc.plots) if p]
    for stage in doc.stages.values():
        for rel in (*stage.outs, *stage.plots):
            joined = dvc.join_dvc_path(base, stage.wdir, rel)
            if joined:
                found.append(joined)
    return list(dict.fromkeys(found))


def dvc_metrics_files(doc: dvc.DvcYaml | None, base: str = "") -> list[str]:
    """Repository paths of the metrics files a parsed dvc.yaml in ``base`` declares."""
    return doc.metrics_files(base) if doc is not None else []


def dvc_params_files(doc: dvc.DvcYaml | None, base: str = "") -> list[str]:
    """Repository paths of the params files a parsed dvc.yaml in ``base`` uses."""
    return list(doc.params_files(base)) if doc is not None else []


#: a templating values file that leaves the repository (never read)


def dvc_var_files(data: bytes) -> list[str]:
    """The files a templated ``dvc.yaml`` takes values from (relative to it); [] when it
    is not templated."""
    doc, _w = dvc.parse_dvc_yaml(data)
    return list(doc.var_files)


def var_file_path(base: str, rel: str) -> str | None:
    """The repository path of a templating values file named ``rel`` by the ``dvc.yaml``
    in ``base``; None when it leaves the repository."""
    return dvc.join_dvc_path(base, "", rel)


def parse_dvc_yaml(
    data: bytes, var_files: dvc_templates.VarFiles | None = None
) -> tuple[dvc.DvcYaml, list[str]]:
    """A ``dvc.yaml``; ``var_files`` (path relative to it -> bytes, None: no such file)
    give the values its templating is expanded with."""
    return dvc.parse_dvc_yaml(data, var_files)


@dataclass
class DvcFacts:
    rows: list[tuple[str, str, str, str | None, int | None, int | None]] = field(
        default_factory=list
    )  # (kind out|dep, stage, path, md5, size, nfiles)
    warnings: list[str] = field(default_factory=list)


def dvc_facts(data: bytes, path: str) -> DvcFacts:
    """Outs (and dvc.lock deps) of a .dvc pointer or a dvc.lock."""
    out = DvcFacts()
    if posixpath.basename(path) == "dvc.lock":
        lock, warns = dvc.parse_dvc_lock(data)
        out.warnings.extend(warns)
        for stage_name, stage in (getattr(lock, "stages", None) or {}).items():
            for kind, items in (("dep", stage.deps), ("out", stage.outs)):
                for o in items or []:
                    out.rows.append((kind, str(stage_name), o.path, o.md5, o.size, o.nfiles))
        return out
    outs, warns = dvc.parse_dvc_pointer(data)
    out.warnings.extend(warns)
    for o in outs or []:
        out.rows.append(("out", "", o.path, o.md5, o.size, o.nfiles))
    return out


def facts_for_role(data: bytes, path: str, role: str) -> Any:
    """What the catalog keeps of a blob in ``role``: :class:`Values` (metrics, params,
    manifest), :class:`MlmodelFacts`, ``(packages, warnings)`` (environment) or
    :class:`DvcFacts` (dvc.lock, .dvc pointers)."""
    if role == "mlmodel":
        return mlmodel_facts(data)
    if role == "environment":
        return packages_of(data, path)
    if role in ("dvc_lock", "dvc_pointer"):
        return dvc_facts(data, path)
    return values_of(data, path, role)


def packages_of(data: bytes, path: str) -> tuple[list[tuple[str, str]], list[str]]:
    base = posixpath.basename(path)
    if base == "pyproject.toml":
        return environment.parse_pyproject(data)
    if base in ("conda.yaml", "conda.yml"):
        return environment.parse_conda_yaml(data)
    if base == "python_env.yaml":
        return environment.parse_python_env(data)
    return environment.parse_requirements(data)


def lfs_pointer(data: bytes) -> lfs.LfsPointer | None:
    return lfs.parse_lfs_pointer(data)


def lfs_present(common_dir: Path, pointer: lfs.LfsPointer) -> bool:
    """Is the pointer's object in the local LFS store, whole?"""
    return lfs.lfs_object_present(common_dir, pointer)


# --- DVC pipelines: metrics from the local cache, staleness from dvc.lock ----------------


def parse_dvc_lock(data: bytes) -> dvc.DvcLock:
    """A ``dvc.lock``'s stages (``readers.dvc.DvcLock``); warnings are reported elsewhere."""
    return dvc.parse_dvc_lock(data)[0]


class DvcCache:
    """The local DVC cache of a work tree, for metrics that a ``dvc.yaml`` declares as
    cached outputs (not in git). Lookups are memoised; nothing is written. Nothing is
    read through a symlink that leads outside the work tree or the user's own cache
    directory (``readers.dvc.dvc_cache_roots``; ``tracked()`` gives git's index entries
    under ``.dvc``, asked once, when a first object is looked up): such an object is
    *refused* (:meth:`refused`), not read and not present."""

    def __init__(
        self,
        root: Path | None,
        limit: int,
        tracked: Callable[[], Iterable[tuple[str, str]]] | None = None,
    ) -> None:
        self.root = root
        self.limit = limit
        self._tracked = tracked
        self._roots: tuple[str, ...] | None = None
        self._files: dict[str, Path | None] = {}
        self._refused: set[str] = set()
        self._dirs: dict[str, dict[str, str]] = {}

    def _object(self, md5: str, legacy: bool | None) -> Path | None:
        if md5 not in self._files:
            found = None
            if self.root is not None:
                if self._roots is None:
                    tracked = self._tracked() if self._tracked is not None else ()
                    self._roots = dvc.dvc_cache_roots(self.root, tracked)
                found, refused = dvc.dvc_cache_object(self.root, md5, legacy, self._roots)
                if refused:
                    self._refused.add(md5)
            self._files[md5] = found
        return self._files[md5]

    def present(self, md5: str, legacy: bool | None = None) -> bool:
        """Is the object in the cache (and readable by the rules above)?"""
        return self._object(md5, legacy) is not None

    def refused(self, md5: str) -> bool:
        """Was the object's cache file refused (a symlink leading elsewhere)?"""
        return md5 in self._refused

    def _dir(self, out: dvc.DvcOut) -> dict[str, str]:
        md5 = out.md5 or ""
        if md5 not in self._dirs:
            entries: dict[str, str] = {}
            path = self._object(md5, out.legacy)
            if path is not None:
                try:
                    if path.stat().st_size <= self.limit:
                        entries = dict(dvc.parse_dvc_dir_manifest(path.read_bytes())[0])
                except OSError:
                    pass
            self._dirs[md5] = entries
        return self._dirs[md5]

    def locate(self, lock: dvc.DvcLock, base: str, path: str) -> tuple[str, bool | None] | None:
        """Where ``lock`` keeps repository ``path``: ``(md5, layout)`` of the cached object
        holding it (an output of a stage of ``lock`` in directory ``base``, or a file
        inside a directory output); the directory's own md5 when its manifest (which
        names the file's md5) is not in the cache or was refused: the object ``dvc
        pull`` must bring first. None when no cached output of ``lock`` holds ``path``
        (then DVC has nothing to pull for it either)."""
        for stage in lock.stages.values():
            for out in stage.outs:
                where = dvc.join_dvc_path(base, "", out.path)
                if where is None or not out.md5 or not out.cache:
                    continue
                if where == path and not out.is_dir:
                    return out.md5, out.legacy
                if out.is_dir and path.startswith(where + "/" if where else ""):
                    if not self.present(out.md5, out.legacy):
                        return out.md5, out.legacy
                    md5 = self._dir(out).get(path[len(where) + 1 :] if where else path)
                    if md5 is not None:
                        return md5, out.legacy
        return None

    def read(self, md5: str) -> bytes | None:
        path = self._files.get(md5)
        if path is None:
            return None
        try:
            if path.stat().st_size > self.limit:
                return None
            return path.read_bytes()
        except OSError:
            return None


_TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"


def dvc_file_md5(data: bytes, legacy: bool) -> str:
    """The md5 DVC records for a file: of its bytes (DVC 3, ``hash: md5``), or for DVC 2
    (``md5-dos2unix``) of a text file's bytes with CRLF turned into LF, text as DVC
    judges it (its first 512 bytes hold no NUL and at most 30% other non-text bytes)."""
    if legacy:
        block = data[:512]
        if not block or (
            b"\x00" not in block and len(block.translate(None, _TEXT_CHARS)) / len(block) <= 0.3
        ):
            data = data.replace(b"\r\n", b"\n")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
