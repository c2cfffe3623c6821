"""What a file is by its name alone: metrics, params, environment, model metadata.

A leaf module: discovery (which files make a version of a root model) and the blob
adapter (which reader a file needs) both ask it.
"""

from __future__ import annotations

import posixpath

METRIC_FILES = ("metrics.json", "metrics.yaml", "metrics.yml", "metrics.toml")
PARAM_FILES = ("params.yaml", "params.json", "params.toml")
METADATA_FILES = ("MLmodel", "model.yaml", "dvc.yaml", "dvc.lock")


def is_environment_file(path: str) -> bool:
    base = posixpath.basename(path)
    return (base.startswith("requirements") and base.endswith(".txt")) or base in (
        "conda.yaml",
        "conda.yml",
        "pyproject.toml",
        "python_env.yaml",
    )


def describes_model(path: str) -> bool:
    """A file that is part of what a model is wherever it sits in the model's directory:
    its metadata, metrics, params, environment or a DVC pointer (a README, an image or a
    Dockerfile beside them is not)."""
    base = posixpath.basename(path)
    return (
        base in METRIC_FILES
        or base in PARAM_FILES
        or base in METADATA_FILES
        or base.endswith(".dvc")
        or is_environment_file(base)
    )
