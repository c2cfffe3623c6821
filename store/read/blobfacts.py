"""What one blob says, by the role its path gives it. The only caller of ``store.readers``.

Each distinct (blob, role) is parsed once per index run; the results become rows of
the catalog's ``blob_*`` tables and the model declarations of ``store.discovery``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from modeltrail.store.read import discovery
from modeltrail.store.read.discovery import Claim
from modeltrail.store.read.readers import dvc, environment, lfs, manifests, structured

METRIC_FILES = ("metrics.json", "metrics.yaml", "metrics.yml", "metrics.toml")
PARAM_FILES = ("params.yaml", "params.json", "params.toml")
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
    flat, warns = structured.flatten(doc)
    out.warnings.extend(warns)
    if section == "metrics":
        out.warnings.extend(structured.metrics_of(flat)[1])
    for key, val in flat.items():
        out.rows.append(
            (section, str(key), structured.metric_value(val), structured.to_json_text(val))
        )


def values_of(data: bytes, path: str, role: str) -> Values:
    """Values of a metrics or params blob (manifests: :func:`read_manifest`)."""
    out = Values()
    if role == "manifest":
        return read_manifest(data, path).values
    fmt = structured.format_for(path)
    if fmt is None:
        out.warnings.append(f"unknown format for {path}")
        return out
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


def read_manifest(data: bytes, path: str) -> ManifestFacts:
    manifest, warns = _parse_manifest(_manifest_kind(path), data)
    facts = ManifestFacts()
    facts.values.warnings.extend(warns)
    if manifest is None:
        return facts
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


def _first(items) -> str | None:
    return items[0] if isinstance(items, list | tuple) and items else None


def _manifest_kind(path: str) -> str:
    base = posixpath.basename(path)
    if base == "MLmodel":
        return "mlmodel"
    if base == "metadata.yaml":
        return "modelbit"
    return "model_yaml"


def _parse_manifest(kind: str, data: bytes):
    if kind == "mlmodel":
        return manifests.parse_mlmodel(data)
    if kind == "modelbit":
        return manifests.parse_modelbit_metadata(data)
    return manifests.parse_model_yaml(data)


def claims_of(kind: str, path: str, data: bytes) -> tuple[list[Claim], list[str]]:
    """Models a declaring file claims (see ``store.discovery.manifest_kind``)."""
    directory = posixpath.dirname(path)
    if kind == "artifacts":
        decls, warns = manifests.parse_artifacts_yaml(data)
        claims = []
        for name, d in (decls or {}).items():
            apath = getattr(d, "path", None) or ""
            claims.append(
                Claim(
                    name=str(name),
                    source="gto",
                    path=discovery.directory_of(apath),
                    artifact_path=apath or None,
                    type=getattr(d, "type", None),
                    description=getattr(d, "description", None),
                    labels=list(getattr(d, "labels", None) or []),
                )
            )
        return claims, warns
    if kind == "dvc_yaml":
        doc, warns = dvc.parse_dvc_yaml(data)
        claims = []
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
                )
            )
        if dvc_metrics_files(doc):
            name = posixpath.basename(directory) or "root"
            claims.append(Claim(name=name, source="dvc", path=directory))
        return claims, warns
    manifest, warns = _parse_manifest(
        {"model_yaml": "model_yaml", "mlmodel": "mlmodel", "modelbit": "modelbit"}[kind], data
    )
    if manifest is None:
        return [], warns
    source = {"model_yaml": "manifest", "mlmodel": "mlflow", "modelbit": "modelbit"}[kind]
    name = getattr(manifest, "name", None)
    if kind == "mlmodel" or not name:
        name = posixpath.basename(directory) or "root"
    if kind == "modelbit":
        name = path.split("/")[1]
    return [
        Claim(
            name=str(name),
            source=source,
            path=directory,
            description=getattr(manifest, "description", None),
            labels=list(getattr(manifest, "labels", None) or []),
        )
    ], warns


def dvc_metrics_files(doc, base: str = "") -> list[str]:
    """Repository paths of the metrics files a parsed dvc.yaml in ``base`` declares."""
    return doc.metrics_files(base) if doc is not None else []


def dvc_params_files(doc, base: str = "") -> list[str]:
    """Repository paths of the params files a parsed dvc.yaml in ``base`` uses."""
    return list(doc.params_files(base)) if doc is not None else []


def parse_dvc_yaml(data: bytes):
    return dvc.parse_dvc_yaml(data)


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


def packages_of(data: bytes, path: str) -> tuple[list[tuple[str, str]], list[str]]:
    base = posixpath.basename(path)
    if base == "pyproject.toml":
        return environment.parse_pyproject(data)
    if base in ("conda.yaml", "conda.yml"):
        return environment.parse_conda_yaml(data)
    return environment.parse_requirements(data)


def is_environment_file(path: str) -> bool:
    base = posixpath.basename(path)
    return (base.startswith("requirements") and base.endswith(".txt")) or base in (
        "conda.yaml",
        "conda.yml",
        "pyproject.toml",
    )


def lfs_pointer(data: bytes):
    return lfs.parse_lfs_pointer(data)


def lfs_present(common_dir, pointer) -> bool:
    """Is the pointer's object in the local LFS store, whole?"""
    return lfs.lfs_object_present(common_dir, pointer)


def dvc_cache_paths(repo_root, md5: str):
    return dvc.dvc_cache_path(repo_root, md5)
