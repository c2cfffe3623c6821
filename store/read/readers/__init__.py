"""Format readers: bytes from a git blob in, plain Python data and warnings out.

Contract for every reader here: it takes the blob's ``bytes`` (hostile: broken, huge,
binary, deeply nested, alias bombs, odd encodings), never raises, finishes quickly with
bounded memory, and returns its result together with a list of one-line warning
strings (empty when all went well). Warnings do not repeat the file's path: the caller
records it (the catalog's ``warnings`` table has a ``path`` column). Text from the
repository (keys, values, names) is returned as data, control characters included;
escaping it for display is the renderer's job.

Documents (:mod:`store.read.readers.structured`, flattening in
:mod:`store.read.readers.flattening`, plain values in :mod:`store.read.readers.plain`)
    ``format_for(path) -> "json" | "yaml" | "toml" | None``
    ``load_document(data, fmt) -> (doc | None, warnings)``
    ``load_mapping(data, fmt) -> (dict | None, warnings)`` -- top level must be a mapping
    ``read_flat(data, fmt, prefix="") -> (flat, warnings)`` -- metrics/params files
    ``flatten(doc, prefix="") -> ({"test.auc": 0.9, ...}, warnings)``
    ``metric_value(v) -> float | None``; ``metric_problem(key, v) -> str | None``;
    ``metrics_of(flat) -> ({key: float | None}, warnings)``
    ``to_json_text(v) -> str`` (sorted keys; NaN written ``NaN``); ``to_plain(v)``; ``key_text(k)``
Git LFS (:mod:`store.read.readers.lfs`)
    ``parse_lfs_pointer(data) -> LfsPointer(oid, size) | None``;
    ``inspect_lfs_pointer(data) -> (LfsPointer | None, warnings)``;
    ``lfs_object_path(git_common_dir, oid) -> Path | None``; ``lfs_object_present(...)``
DVC (:mod:`store.read.readers.dvc`)
    ``parse_dvc_yaml(data, var_files=None) -> (DvcYaml, warnings)`` (stages, top-level
    files, artifacts; templating expanded with ``var_files``, see ``dvc_templates``;
    ``DvcYaml.metrics_files(base)`` / ``.params_files(base)`` give repository paths);
    ``parse_dvc_lock(data) -> (DvcLock, warnings)``;
    ``parse_dvc_pointer(data) -> ([DvcOut], warnings)``;
    ``dvc_cache_path(repo_root, md5, legacy=None) -> [Path]``; ``dvc_out_present(...)``;
    ``dvc_cache_roots(repo_root, tracked)`` and ``dvc_cache_object(...)`` (nothing is
    read through a symlink leading outside the work tree or the user's cache directory);
    ``parse_dvc_dir_manifest(data)``; ``join_dvc_path(base, wdir, path) -> str | None``
Manifests (:mod:`store.read.readers.manifests`)
    ``parse_artifacts_yaml(data) -> ({name: GtoArtifactDecl}, warnings)``;
    ``parse_model_yaml`` / ``parse_modelbit_metadata`` / ``parse_mlmodel``
    ``(data) -> (ModelManifest, warnings)``
Environment (:mod:`store.read.readers.environment`)
    ``parse_requirements`` / ``parse_conda_yaml`` / ``parse_pyproject`` /
    ``parse_python_env`` (MLflow's ``python_env.yaml``)
    ``(data) -> ([(package, spec)], warnings)``

Limits (each announced by a warning when it bites): documents 5 MiB (JSON) / 2 MiB
(YAML, TOML); YAML nesting 500 levels (checked before parsing: deeper input would crash
libyaml); YAML merge keys 200,000 copied entries; numbers over 1,000 characters kept as
text; flattening 10,000 keys and 64 levels; requirements files 1 MiB, 50,000 lines,
2,000 packages. Each public reader call also has one output budget -- 100,000 values and
16 MiB of text, shared by everything it calls -- because YAML aliases can repeat a long
string or list any number of times at no cost in bytes (alias bombs).

One-pass readers (:mod:`store.read.readers.fastpath`, :mod:`store.read.readers.fast_manifests`)
    ``document_rows(data, fmt, section)``, ``mlmodel_row(data)``, ``model_yaml(data)``:
    the catalog's rows of a plain metrics/params document, ``MLmodel`` or ``model.yaml``
    in one pass, exactly as the careful readers give them, or None for anything those
    would warn about or might read otherwise (then the caller reads it carefully).

Warnings come as a ``Warnings`` list (a ``list[str]``): at most 50, then one line
counting the rest. Each is one line: repository text quoted in a warning is cut to 80
characters with control characters escaped (the data itself keeps them).
"""

from modeltrail.store.read.readers.dvc import (
    DvcLock,
    DvcLockStage,
    DvcOut,
    DvcStage,
    DvcYaml,
    dvc_cache_object,
    dvc_cache_path,
    dvc_cache_roots,
    dvc_out_present,
    join_dvc_path,
    parse_dvc_dir_manifest,
    parse_dvc_lock,
    parse_dvc_pointer,
    parse_dvc_yaml,
)
from modeltrail.store.read.readers.environment import (
    parse_conda_yaml,
    parse_pyproject,
    parse_python_env,
    parse_requirements,
)
from modeltrail.store.read.readers.flattening import flatten
from modeltrail.store.read.readers.lfs import (
    LfsPointer,
    inspect_lfs_pointer,
    lfs_object_path,
    lfs_object_present,
    parse_lfs_pointer,
)
from modeltrail.store.read.readers.manifests import (
    GtoArtifactDecl,
    ModelManifest,
    parse_artifacts_yaml,
    parse_mlmodel,
    parse_model_yaml,
    parse_modelbit_metadata,
)
from modeltrail.store.read.readers.plain import key_text, to_json_text, to_plain
from modeltrail.store.read.readers.structured import (
    format_for,
    load_document,
    load_mapping,
    metric_problem,
    metric_value,
    metrics_of,
    read_flat,
)

__all__ = [
    "DvcLock",
    "DvcLockStage",
    "DvcOut",
    "DvcStage",
    "DvcYaml",
    "GtoArtifactDecl",
    "LfsPointer",
    "ModelManifest",
    "dvc_cache_object",
    "dvc_cache_path",
    "dvc_cache_roots",
    "dvc_out_present",
    "flatten",
    "format_for",
    "inspect_lfs_pointer",
    "join_dvc_path",
    "key_text",
    "lfs_object_path",
    "lfs_object_present",
    "load_document",
    "load_mapping",
    "metric_problem",
    "metric_value",
    "metrics_of",
    "parse_artifacts_yaml",
    "parse_conda_yaml",
    "parse_dvc_dir_manifest",
    "parse_dvc_lock",
    "parse_dvc_pointer",
    "parse_dvc_yaml",
    "parse_lfs_pointer",
    "parse_mlmodel",
    "parse_python_env",
    "parse_model_yaml",
    "parse_modelbit_metadata",
    "parse_pyproject",
    "parse_requirements",
    "read_flat",
    "to_json_text",
    "to_plain",
]
