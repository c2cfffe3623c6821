"""Model declarations: GTO's ``artifacts.yaml``, modeltrail's ``model.yaml``, Modelbit's
``deployments/<name>/metadata.yaml`` and MLflow's ``MLmodel``.

Each parser returns plain data and a list of warnings and never raises. Names are kept
as written (they are shown literally elsewhere); artifact names GTO would reject are
skipped with a warning, since GTO tags can never refer to them.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from modeltrail.store.read.readers._common import (
    budget_spent,
    cap_warnings,
    charge,
    never_raise,
    quote,
)
from modeltrail.store.read.readers.flattening import flatten
from modeltrail.store.read.readers.plain import key_text, kind_of, to_plain
from modeltrail.store.read.readers.structured import load_document, load_mapping

#: GTO's rule for artifact names, types and labels (``gto.constants.name``).
GTO_NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?")


@dataclass(frozen=True)
class GtoArtifactDecl:
    """One artifact declared in ``artifacts.yaml`` or a ``dvc.yaml``'s ``artifacts:``.

    ``path`` is the artifact's file or directory (repository-relative for
    ``artifacts.yaml``, relative to the ``dvc.yaml``'s directory there); ``virtual`` is
    GTO's flag (True: the path need not exist in the repository); ``custom`` holds
    GTO's ``custom`` or DVC's ``meta`` as plain data; ``source`` names the file kind.
    """

    name: str
    type: str | None = None
    path: str | None = None
    description: str = ""
    labels: tuple[str, ...] = ()
    virtual: bool = True
    custom: Any = None
    source: str = "artifacts.yaml"


@dataclass
class ModelManifest:
    """What a model manifest says about its model.

    ``source`` is ``"manifest"`` (``model.yaml``), ``"modelbit"`` or ``"mlflow"``.
    ``metrics``/``params`` hold inline values, flattened (``{"test.auc": 0.9}``);
    ``metrics_files``/``params_files`` list files the manifest points to, relative to
    its directory. MLflow fields (``flavors`` ... ``created``, the signature's
    ``signature_inputs``/``signature_outputs``/``signature_params``: MLflow's column,
    tensor or param specs, e.g. ``[{"name": "tenure", "type": "double"}]``;
    ``artifact_path``, ``model_size_bytes``, MLflow 3's ``model_id``) are None/empty
    elsewhere.
    ``extra`` holds every other field, flattened, for display.
    """

    source: str
    name: str | None = None
    version: str | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics_files: list[str] = field(default_factory=list)
    params_files: list[str] = field(default_factory=list)
    flavors: list[str] = field(default_factory=list)
    run_id: str | None = None
    model_uuid: str | None = None
    mlflow_version: str | None = None
    created: str | None = None
    named_paths: list[str] = field(default_factory=list)  # files the MLmodel names (relative)
    signature_inputs: list[Any] | None = None
    signature_outputs: list[Any] | None = None
    signature_params: list[Any] | None = None
    artifact_path: str | None = None
    model_size_bytes: int | None = None
    model_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics_file(self) -> str | None:
        """The first metrics file named, if any."""
        return self.metrics_files[0] if self.metrics_files else None

    @property
    def params_file(self) -> str | None:
        """The first params file named, if any."""
        return self.params_files[0] if self.params_files else None


# --- small field readers -----------------------------------------------------------------


#: the fields of an MLmodel kept apart (not flattened among the rest)
MLMODEL_OWN = frozenset(
    (
        "run_id",
        "model_uuid",
        "mlflow_version",
        "utc_time_created",
        "signature",
        "artifact_path",
        "model_id",
        "model_size_bytes",
    )
)


def _text(value: Any, what: str, warnings: list[str]) -> str | None:
    """A text field: strings as they are, numbers/dates as text (with a warning), else None."""
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        warnings.append(f"{what} should be text, found {kind_of(value)}; ignored")
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    else:
        text = key_text(value)
        if isinstance(value, float):
            warnings.append(
                f"{what} is the number {text}; write it in quotes (YAML reads 1.10 as 1.1)"
            )
    return text if charge(text) else None


def _labels(value: Any, what: str, warnings: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        warnings.append(f"{what} should be a list, found {kind_of(value)}; ignored")
        return []
    labels = []
    for item in value:
        if isinstance(item, dict | list):
            warnings.append(f"{what}: {kind_of(item)} is not a label; skipped")
            continue
        label = key_text(item)
        if not charge(label):
            break
        labels.append(label)
    return list(dict.fromkeys(labels))


def _files(value: Any, what: str, warnings: list[str]) -> list[str]:
    files = []
    for item in [value] if isinstance(value, str) else value:
        if not (isinstance(item, str) and item):
            warnings.append(f"{what}: {kind_of(item)} is not a file name; skipped")
        elif not charge(item):
            break
        else:
            files.append(item)
    return list(dict.fromkeys(files))


def _values_or_files(
    value: Any, what: str, warnings: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Inline mapping (flattened) or file name(s)."""
    if value is None:
        return {}, []
    if isinstance(value, dict):
        flat, more = flatten(value)
        warnings.extend(f"{what}: {w}" for w in more)
        return flat, []
    if isinstance(value, str | list):
        return {}, _files(value, what, warnings)
    warnings.append(f"{what} should be a mapping or a file name, found {kind_of(value)}; ignored")
    return {}, []


def _extra(doc: dict[Any, Any], skip: AbstractSet[str], warnings: list[str]) -> dict[str, Any]:
    rest = {k: v for k, v in doc.items() if key_text(k) not in skip}
    flat, more = flatten(rest)
    warnings.extend(more)
    return flat


# --- artifacts.yaml and dvc.yaml artifacts ----------------------------------------------


def parse_artifact_entries(
    section: Any, source: str, warnings: list[str]
) -> dict[str, GtoArtifactDecl]:
    """Read a ``name: {type, path, description, labels, ...}`` mapping (GTO's
    ``artifacts.yaml`` or a ``dvc.yaml``'s ``artifacts:``); problems go to ``warnings``."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        warnings.append(f"artifacts should be a mapping of names, found {kind_of(section)}")
        return {}
    decls: dict[str, GtoArtifactDecl] = {}
    for raw_name, entry in section.items():
        if budget_spent():
            break
        name = key_text(raw_name)
        if not GTO_NAME.fullmatch(name):
            warnings.append(
                f"artifact name {quote(name)} is not valid for GTO (letters, digits, '-', '_',"
                " '/'; starting and ending with a letter or digit); skipped"
            )
            continue
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            warnings.append(f"artifact {quote(name)}: expected a mapping, found {kind_of(entry)}")
            continue
        what = f"artifact {quote(name)}"
        type_ = _text(entry.get("type"), f"{what}: type", warnings)
        if type_ is not None and not GTO_NAME.fullmatch(type_):
            warnings.append(f"{what}: type {quote(type_)} is not a valid GTO name")
        description = entry.get("description", entry.get("desc"))
        labels = _labels(entry.get("labels"), f"{what}: labels", warnings)
        custom, problems = to_plain(entry.get("custom", entry.get("meta")))
        warnings.extend(f"{what}: {p}" for p in problems)
        virtual = entry.get("virtual", True)
        decls[name] = GtoArtifactDecl(
            name=name,
            type=type_,
            path=_text(entry.get("path"), f"{what}: path", warnings) or None,
            description=_text(description, f"{what}: description", warnings) or "",
            labels=tuple(labels),
            virtual=virtual if isinstance(virtual, bool) else True,
            custom=custom,
            source=source,
        )
    return decls


@never_raise(lambda msg: ({}, [f"artifacts.yaml {msg}"]))
def parse_artifacts_yaml(data: bytes) -> tuple[dict[str, GtoArtifactDecl], list[str]]:
    """GTO's ``artifacts.yaml``: ``{name: GtoArtifactDecl}`` and warnings."""
    doc, warnings = load_mapping(data, "yaml")
    decls = parse_artifact_entries(doc, "artifacts.yaml", warnings)
    return decls, cap_warnings(warnings)


# --- model manifests ---------------------------------------------------------------------


def _empty(source: str) -> Any:
    return lambda msg: (ModelManifest(source=source), [f"manifest {msg}"])


@never_raise(_empty("manifest"))
def parse_model_yaml(data: bytes) -> tuple[ModelManifest, list[str]]:
    """modeltrail's ``model.yaml``::

    name: churn                # optional: defaults to the directory's name
    version: v1.2.0            # optional label for this commit
    description: ...
    labels: [tabular, prod]
    metrics: {auc: 0.91}       # inline mapping, or a file name (or list of them)
    params: params.yaml
    """
    doc, warnings = load_mapping(data, "yaml")
    manifest = ModelManifest(source="manifest")
    if doc is None:
        return manifest, warnings
    manifest.name = _text(doc.get("name"), "name", warnings) or None
    manifest.version = _text(doc.get("version"), "version", warnings) or None
    manifest.description = _text(doc.get("description"), "description", warnings)
    manifest.labels = _labels(doc.get("labels"), "labels", warnings)
    manifest.metrics, manifest.metrics_files = _values_or_files(
        doc.get("metrics"), "metrics", warnings
    )
    manifest.params, manifest.params_files = _values_or_files(doc.get("params"), "params", warnings)
    skip = {"name", "version", "description", "labels", "metrics", "params"}
    manifest.extra = _extra(doc, skip, warnings)
    return manifest, cap_warnings(warnings)


@never_raise(_empty("modelbit"))
def parse_modelbit_metadata(data: bytes) -> tuple[ModelManifest, list[str]]:
    """Modelbit's ``deployments/<name>/metadata.yaml`` (``owner``, ``runtimeInfo``,
    ``tags``, ``schemaVersion``). The name is the deployment directory's; ``tags``
    become labels; everything else lands in ``extra`` (``runtimeInfo.pythonVersion``...)."""
    doc, warnings = load_mapping(data, "yaml")
    manifest = ModelManifest(source="modelbit")
    if doc is None:
        return manifest, warnings
    manifest.labels = _labels(doc.get("tags"), "tags", warnings)
    manifest.description = _text(doc.get("description"), "description", warnings)
    manifest.extra = _extra(doc, {"tags", "description"}, warnings)
    return manifest, cap_warnings(warnings)


def _specs(value: Any, what: str, warnings: list[str]) -> list[Any] | None:
    """A signature's ``inputs``/``outputs``: MLflow writes a JSON list inside a YAML
    string (``'[{"type": "double", "name": "tenure"}]'``); a plain YAML list is taken too."""
    if value is None:
        return None
    if isinstance(value, str):
        if not charge(value):
            return None
        value, more = load_document(value.encode("utf-8", "replace"), "json")
        warnings.extend(f"signature {what}: {w}" for w in more)
        if value is None:
            return None
    if not isinstance(value, list):
        warnings.append(f"signature {what} should be a list, found {kind_of(value)}; ignored")
        return None
    plain: list[Any]
    plain, more = to_plain(value)
    warnings.extend(f"signature {what}: {w}" for w in more)
    return plain


_FLAVOR_FILES = ("python_model", "data", "model_data", "pickled_model", "code")


def _flavor_paths(flavors: dict[str, Any]) -> list[str]:
    """Relative paths the flavors name as the model's files: each ``artifacts`` entry's
    ``path``, ``python_model``, ``data``, ``model_data``, ``pickled_model``, ``code`` and
    the ``env`` files (a path, or ``conda``/``virtualenv`` paths)."""
    found: list[str] = []

    def take(value: Any) -> None:
        if isinstance(value, str) and value and charge(value):
            found.append(value)

    for flavor in flavors.values():
        if not isinstance(flavor, dict):
            continue
        for key in _FLAVOR_FILES:
            take(flavor.get(key))
        artifacts = flavor.get("artifacts")
        if isinstance(artifacts, dict):
            for entry in artifacts.values():
                if isinstance(entry, dict):
                    take(entry.get("path"))
        env = flavor.get("env")
        if isinstance(env, dict):
            for value in env.values():
                take(value)
        else:
            take(env)
    return list(dict.fromkeys(found))


@never_raise(_empty("mlflow"))
def parse_mlmodel(data: bytes) -> tuple[ModelManifest, list[str]]:
    """MLflow's ``MLmodel``: ``flavors`` (names), ``run_id``, ``model_uuid``,
    ``mlflow_version``, ``utc_time_created`` (as ``created``), ``artifact_path``,
    ``model_size_bytes``, ``model_id`` and the signature; everything else, including
    each flavor's settings (``flavors.sklearn.sklearn_version``), lands in ``extra``."""
    doc, warnings = load_mapping(data, "yaml")
    manifest = ModelManifest(source="mlflow")
    if doc is None:
        return manifest, warnings
    flavors = doc.get("flavors")
    if isinstance(flavors, dict):
        manifest.flavors = [key_text(k) for k in flavors if charge(key_text(k))]
        manifest.named_paths = _flavor_paths(flavors)
    elif flavors is not None:
        warnings.append(f"flavors should be a mapping, found {kind_of(flavors)}")
    else:
        warnings.append("no flavors: is this an MLflow MLmodel file?")
    manifest.run_id = _text(doc.get("run_id"), "run_id", warnings)
    manifest.model_uuid = _text(doc.get("model_uuid"), "model_uuid", warnings)
    manifest.mlflow_version = _text(doc.get("mlflow_version"), "mlflow_version", warnings)
    manifest.created = _text(doc.get("utc_time_created"), "utc_time_created", warnings)
    manifest.artifact_path = _text(doc.get("artifact_path"), "artifact_path", warnings)
    manifest.model_id = _text(doc.get("model_id"), "model_id", warnings)
    size = doc.get("model_size_bytes")
    if isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**63:
        manifest.model_size_bytes = size
    elif size is not None:
        warnings.append(f"model_size_bytes {quote(key_text(size))} is not a size; ignored")
    signature = doc.get("signature")
    if isinstance(signature, dict):
        manifest.signature_inputs = _specs(signature.get("inputs"), "inputs", warnings)
        manifest.signature_outputs = _specs(signature.get("outputs"), "outputs", warnings)
        manifest.signature_params = _specs(signature.get("params"), "params", warnings)
    elif signature is not None:
        warnings.append(f"signature should be a mapping, found {kind_of(signature)}; ignored")
    manifest.extra = _extra(doc, MLMODEL_OWN, warnings)
    return manifest, cap_warnings(warnings)
