"""The deterministic sample ML-models repository (see ``sample_repo.generator``)."""

from .generator import (
    AHEAD_OF_MAIN,
    BEATS_MAIN_BRANCH,
    CHURN_PREVIOUS_PROD,
    CHURN_STAGES,
    CHURN_VERSIONS,
    EXPERIMENT_BRANCHES,
    INTEGRATION,
    MAIN,
    MODEL_DIRS,
    MODELS,
    UNMERGED_BRANCHES,
    build_sample_repo,
)

__all__ = [
    "AHEAD_OF_MAIN",
    "BEATS_MAIN_BRANCH",
    "CHURN_PREVIOUS_PROD",
    "CHURN_STAGES",
    "CHURN_VERSIONS",
    "EXPERIMENT_BRANCHES",
    "INTEGRATION",
    "MAIN",
    "MODELS",
    "MODEL_DIRS",
    "UNMERGED_BRANCHES",
    "build_sample_repo",
]
