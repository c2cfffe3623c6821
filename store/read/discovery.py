"""Finding models: which conventions (docs/CONVENTIONS.md) claim which directory.

Input is every manifest-like file the walk saw, in commit order; the newest declaration
of a model wins. A directory belongs to one model: the highest-priority convention that
claims it names it (GTO > model.yaml > Modelbit > MLflow > DVC pipeline); the others
add their source to that model.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

# the order in which conventions get to name a directory
PRIORITY = {"gto": 0, "dvc-artifact": 0, "manifest": 1, "modelbit": 2, "mlflow": 3, "dvc": 4}


def manifest_kind(path: str) -> str | None:
    """What kind of declaration a file path could hold, from its name alone."""
    base = posixpath.basename(path)
    if path == "artifacts.yaml":
        return "artifacts"
    if base == "dvc.yaml":
        return "dvc_yaml"
    if base == "model.yaml":
        return "model_yaml"
    if base == "MLmodel":
        return "mlmodel"
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "deployments" and parts[2] == "metadata.yaml":
        return "modelbit"
    return None


@dataclass
class Claim:
    """One convention's statement that a model lives somewhere."""

    name: str
    source: str  # gto | dvc-artifact | manifest | modelbit | mlflow | dvc
    path: str  # the model's directory
    artifact_path: str | None = None
    type: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class ModelDef:
    name: str
    path: str | None
    artifact_path: str | None = None
    type: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def directory_of(artifact_path: str) -> str:
    """The model directory for a GTO artifact path (the directory of the path)."""
    norm = posixpath.normpath(artifact_path.strip("/")) if artifact_path else ""
    if norm in (".", ""):
        return ""
    return posixpath.dirname(norm)


def resolve(claims_by_file: dict[str, list[Claim]]) -> dict[str, ModelDef]:
    """Models from the latest claims of every declaring file.

    ``claims_by_file`` maps each declaring file's path to what its newest version
    claims (files deleted since still count: their models keep their history).
    """
    claims = [c for cs in claims_by_file.values() for c in cs]
    claims.sort(key=lambda c: (PRIORITY.get(c.source, 9), c.name, c.path))
    models: dict[str, ModelDef] = {}
    owner_of_dir: dict[str, str] = {}
    for c in claims:
        if c.name in models:
            m = models[c.name]
            if c.source not in m.sources:
                m.sources.append(c.source)
            continue
        owner = owner_of_dir.get(c.path)
        if owner is not None and c.source not in ("gto", "dvc-artifact"):
            m = models[owner]
            if c.source not in m.sources:
                m.sources.append(c.source)
            m.description = m.description or c.description
            continue
        models[c.name] = ModelDef(
            name=c.name,
            path=c.path,
            artifact_path=c.artifact_path,
            type=c.type,
            description=c.description,
            labels=list(c.labels),
            sources=[c.source],
        )
        owner_of_dir.setdefault(c.path, c.name)
    return models
