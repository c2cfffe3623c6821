"""The five sample models: their state at one version and the files that state renders to.

Each ``*State`` is an immutable description of one version of a model (params, metrics,
which trained binary, code variant). ``files(store)`` returns repository path → content for
everything under the model's directory; binaries become Git LFS pointers or DVC outputs
through the ``ObjectStore``.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

from .objects import DvcOut, ObjectStore
from .render import md5_hex, pseudo_binary, to_json, to_yaml

CHURN_DIR = "models/churn"
FRAUD_DIR = "models/fraud"
RECSYS_DIR = "deployments/recsys"
SENTIMENT_DIR = "models/sentiment"
RANKER_DIR = "models/ranker"


def with_changes(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with ``changes`` set in it: ``changes`` has ``data``'s shape
    (``{"model": {"max_depth": 8}}`` sets ``data["model"]["max_depth"]``); a mapping merges
    into the mapping at its key, any other value (a list too) replaces what is there."""
    out = copy.deepcopy(data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = with_changes(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: The text of the sample models' source files (train.py, rank.py, ...) and of the pieces
#: their variants add, as files: ``{name}`` fields are filled with ``str.format``
#: (``{{``/``}}`` are literal braces); fraud_evaluate.py.tmpl is used as it is.
TEMPLATES = Path(__file__).with_name("templates")


def _template(name: str) -> str:
    return (TEMPLATES / name).read_bytes().decode("utf-8")


@dataclass(frozen=True)
class ModelState:
    """What the five models' states share: each evolves into its next version."""

    def evolve(self, **changes: Any) -> Self:
        """This state with ``changes`` (field=value) made."""
        return replace(self, **changes)


def requirements_txt(packages: Sequence[str]) -> bytes:
    """A requirements.txt listing ``packages``, one a line."""
    return ("\n".join(packages) + "\n").encode()


def _hexid(seed: str, length: int = 32) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


# --------------------------------------------------------------------------- root files

ARTIFACTS_YAML = to_yaml(
    {
        "churn": {
            "type": "model",
            "path": f"{CHURN_DIR}/model.pkl",
            "description": "Gradient-boosted classifier predicting 30-day subscription churn",
            "labels": ["tabular", "xgboost", "retention"],
        }
    }
).encode()

GITATTRIBUTES = (
    b"# Model binaries live in Git LFS\n"
    b"models/*/model.pkl filter=lfs diff=lfs merge=lfs -text\n"
    b"deployments/*/model.pkl filter=lfs diff=lfs merge=lfs -text\n"
)

GITIGNORE = b"__pycache__/\n*.pyc\n.venv/\n.ipynb_checkpoints/\nmlruns/\n.DS_Store\n"

README = b"""# acme-models

Models owned by the Applied ML team. One directory per model; binaries are in Git LFS
(`model.pkl`) or DVC (`models/fraud`).

| model | convention | owner |
|---|---|---|
| churn | GTO (`artifacts.yaml`, `churn@vX.Y.Z`, `churn#stage#N` tags) | Ana Lima |
| fraud | DVC pipeline (`models/fraud/dvc.yaml`), calendar tags `fraud-YYYY.MM.DD` | Bruno Keller |
| recsys | Modelbit deployment (`deployments/recsys`), tags `recsys-vX.Y.Z` | Chen Wei |
| sentiment | MLflow model export (`models/sentiment/MLmodel`) | Dana Okafor |
| ranker | `model.yaml` manifest | Chen Wei |

## Flow

One `exp/<model>-<idea>` branch per hyperparameter or feature, branched from `main`.
Candidates are merged (`--no-ff`) into `integration`, evaluated together, and `integration`
is merged into `main`, where releases are tagged and promoted with `gto`.
"""

DVC_CONFIG = b"[core]\n    remote = storage\n    autostage = true\n['remote \"storage\"']\n    url = s3://acme-ml-artifacts/dvc\n"
DVC_GITIGNORE = b"/config.local\n/tmp\n/cache\n"
DVCIGNORE = b"# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n"

PRE_COMMIT = to_yaml(
    {
        "repos": [
            {
                "repo": "https://github.com/astral-sh/ruff-pre-commit",
                "rev": "v0.1.14",
                "hooks": [{"id": "ruff"}, {"id": "ruff-format"}],
            },
            {
                "repo": "https://github.com/pre-commit/pre-commit-hooks",
                "rev": "v4.5.0",
                "hooks": [{"id": "check-yaml"}, {"id": "check-added-large-files"}],
            },
        ]
    }
).encode()


# --------------------------------------------------------------------------- churn (GTO)

CHURN_PARAMS: dict[str, Any] = {
    "data": {
        "train_path": "s3://acme-ml-data/churn/customers_2025q4.parquet",
        "test_size": 0.2,
        "seed": 42,
    },
    "features": [
        "tenure_months",
        "monthly_charges",
        "total_charges",
        "support_tickets_90d",
        "contract_type",
        "payment_method",
    ],
    "model": {
        "learning_rate": 0.1,
        "n_estimators": 300,
        "max_depth": 6,
        "min_child_weight": 1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
    },
    "train": {"early_stopping_rounds": 30, "eval_metric": "logloss", "calibrate": False},
}


def churn_metrics(auc: float, f1: float, loss: float, latency: float) -> dict[str, Any]:
    """Churn's metrics.json: test scores, train scores and serving latency."""
    return {
        "test": {
            "auc": auc,
            "f1": f1,
            "precision": round(f1 + 0.043, 4),
            "recall": round(f1 - 0.037, 4),
            "loss": loss,
        },
        "train": {"auc": round(auc + 0.031, 4), "loss": round(loss - 0.046, 4)},
        "latency_ms": latency,
    }


_CHURN_TRAIN = _template("churn_train.py.tmpl")

_FOCAL = _template("churn_focal_loss.tmpl")

_TENURE_BUCKETS = _template("churn_tenure_buckets.tmpl")


@dataclass(frozen=True)
class ChurnState(ModelState):
    """One churn version. ``run`` names the trained binary; ``local`` keeps its LFS object."""

    params: dict[str, Any]
    metrics: dict[str, Any]
    run: str
    requirements: tuple[str, ...]
    local: bool = False
    tenure_buckets: bool = False
    focal_loss: bool = False

    def train_py(self) -> str:
        return _CHURN_TRAIN.format(
            extra=_TENURE_BUCKETS if self.tenure_buckets else "",
            objective_def=_FOCAL if self.focal_loss else "",
            objective="focal_loss(gamma=2.0)" if self.focal_loss else '"binary:logistic"',
        )

    def files(self, store: ObjectStore) -> dict[str, bytes]:
        size = 180_000 + int(_hexid(self.run, 4), 16) % 60_000
        return {
            f"{CHURN_DIR}/params.yaml": churn_params_text(self.params).encode(),
            f"{CHURN_DIR}/metrics.json": to_json(self.metrics).encode(),
            f"{CHURN_DIR}/requirements.txt": requirements_txt(self.requirements),
            f"{CHURN_DIR}/train.py": self.train_py().encode(),
            f"{CHURN_DIR}/model.pkl": store.lfs_file(f"churn:{self.run}", size, self.local),
        }


YamlCache = dict[str, tuple[Any, list[str]]]


def churn_params_text(params: dict[str, Any], cache: YamlCache | None = None) -> str:
    """churn's params.yaml text (``cache`` as in ``render.to_yaml``)."""
    return to_yaml(params, "Churn model training configuration (read by train.py)", cache)


FRAUD_PARAMS_HEADER = "Fraud pipeline parameters (dvc.yaml)"


# --------------------------------------------------------------------------- fraud (DVC)

FRAUD_PARAMS: dict[str, Any] = {
    "prepare": {
        "test_size": 0.2,
        "seed": 7,
        "drop_duplicates": True,
        "features": ["amount", "merchant_category", "hour_of_day", "country_mismatch"],
    },
    "train": {
        "learning_rate": 0.05,
        "num_leaves": 31,
        "n_estimators": 400,
        "scale_pos_weight": 25,
        "use_smote": False,
    },
    "evaluate": {"threshold": 0.62},
}

_FRAUD_STAGE_PARAMS = {
    "prepare": ["prepare.test_size", "prepare.seed", "prepare.drop_duplicates", "prepare.features"],
    "train": [
        "train.learning_rate",
        "train.num_leaves",
        "train.n_estimators",
        "train.scale_pos_weight",
        "train.use_smote",
    ],
    "evaluate": ["evaluate.threshold"],
}


def fraud_metrics(pr_auc: float, recall: float, precision: float, loss: float) -> dict[str, Any]:
    """Fraud's metrics.json (written by the evaluate stage)."""
    return {
        "test": {
            "pr_auc": pr_auc,
            "roc_auc": round(0.5 + pr_auc / 2 + 0.07, 4),
            "precision": precision,
            "recall": recall,
            "loss": loss,
        },
        "alerts_per_1k": round(1000 * recall * 0.0021 / max(precision, 0.01), 3),
        "meets_recall_slo": recall >= 0.8,
    }


FRAUD_DVC_YAML = to_yaml(
    {
        "stages": {
            "prepare": {
                "cmd": "python prepare.py",
                "deps": ["prepare.py", "data/transactions.csv"],
                "params": _FRAUD_STAGE_PARAMS["prepare"],
                "outs": ["data/prepared"],
            },
            "train": {
                "cmd": "python train.py",
                "deps": ["train.py", "data/prepared"],
                "params": _FRAUD_STAGE_PARAMS["train"],
                "outs": ["model.pkl"],
            },
            "evaluate": {
                "cmd": "python evaluate.py",
                "deps": ["evaluate.py", "model.pkl", "data/prepared"],
                "params": _FRAUD_STAGE_PARAMS["evaluate"],
                "metrics": [{"metrics.json": {"cache": False}}],
            },
        },
        "artifacts": {
            "fraud": {
                "path": "model.pkl",
                "type": "model",
                "desc": "LightGBM card-transaction fraud scorer",
                "labels": ["tabular", "lightgbm", "payments"],
            }
        },
    }
).encode()

_FRAUD_PREPARE = _template("fraud_prepare.py.tmpl")

_VELOCITY = _template("fraud_velocity.tmpl")

_FRAUD_TRAIN = _template("fraud_train.py.tmpl")

_SMOTE = _template("fraud_smote.tmpl")

_FRAUD_EVALUATE = _template("fraud_evaluate.py.tmpl")


def _transactions_csv(snapshot: str, rows: int = 1200) -> bytes:
    rng = random.Random(f"transactions:{snapshot}")
    countries = ["PT", "DE", "CH", "US", "FR", "ES", "NL", "BR"]
    lines = ["transaction_id,ts,card_id,amount,merchant_category,card_country,ip_country,is_fraud"]
    for i in range(rows):
        day = 1 + rng.randrange(28)
        lines.append(
            f"t{snapshot.replace('-', '')}{i:05d},2026-01-{day:02d}T{rng.randrange(24):02d}:"
            f"{rng.randrange(60):02d}:00Z,c{rng.randrange(400):04d},{rng.uniform(1, 900):.2f},"
            f"{rng.choice(['5411', '5812', '5999', '4814', '7995'])},{rng.choice(countries)},"
            f"{rng.choice(countries)},{int(rng.random() < 0.02)}"
        )
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class FraudState(ModelState):
    """One fraud version: params, metrics, the data snapshot and trained run it came from,
    code variants, and whether its DVC outputs are in the local cache."""

    params: dict[str, Any]
    metrics: dict[str, Any]
    snapshot: str
    run: str
    requirements: tuple[str, ...]
    local: bool = False
    velocity: bool = False
    smote: bool = False

    def files(self, store: ObjectStore) -> dict[str, bytes]:
        prepare_py = _FRAUD_PREPARE.format(velocity=_VELOCITY if self.velocity else "").encode()
        train_py = _FRAUD_TRAIN.format(smote=_SMOTE if self.smote else "").encode()
        evaluate_py = _FRAUD_EVALUATE.encode()
        metrics_json = to_json(self.metrics).encode()
        params_yaml = to_yaml(self.params, FRAUD_PARAMS_HEADER).encode()

        csv = store.dvc_file(_transactions_csv(self.snapshot), self.local)
        prep_seed = f"{self.snapshot}:{self.params['prepare']}"
        prepared = store.dvc_dir(
            {
                "test.parquet": _parquet_like(f"fraud-test:{prep_seed}", 21_000),
                "train.parquet": _parquet_like(f"fraud-train:{prep_seed}", 83_000),
            },
            self.local,
        )
        model = store.dvc_file(pseudo_binary(f"fraud:{self.run}", 96_000), self.local)
        lock = self._lock(prepare_py, train_py, evaluate_py, metrics_json, csv, prepared, model)
        data_dvc = {
            "outs": [{"md5": csv.md5, "size": csv.size, "hash": "md5", "path": "transactions.csv"}]
        }
        return {
            f"{FRAUD_DIR}/dvc.yaml": FRAUD_DVC_YAML,
            f"{FRAUD_DIR}/dvc.lock": lock,
            f"{FRAUD_DIR}/params.yaml": params_yaml,
            f"{FRAUD_DIR}/metrics.json": metrics_json,
            f"{FRAUD_DIR}/prepare.py": prepare_py,
            f"{FRAUD_DIR}/train.py": train_py,
            f"{FRAUD_DIR}/evaluate.py": evaluate_py,
            f"{FRAUD_DIR}/requirements.txt": requirements_txt(self.requirements),
            f"{FRAUD_DIR}/.gitignore": b"/model.pkl\n",
            f"{FRAUD_DIR}/data/.gitignore": b"/transactions.csv\n/prepared\n",
            f"{FRAUD_DIR}/data/transactions.csv.dvc": to_yaml(data_dvc).encode(),
        }

    def _param_values(self, stage: str) -> dict[str, Any]:
        values = {}
        for dotted in _FRAUD_STAGE_PARAMS[stage]:
            group, key = dotted.split(".")
            values[dotted] = self.params[group][key]
        return {"params.yaml": values}

    def _lock(
        self,
        prepare_py: bytes,
        train_py: bytes,
        evaluate_py: bytes,
        metrics_json: bytes,
        csv: DvcOut,
        prepared: DvcOut,
        model: DvcOut,
    ) -> bytes:
        def dep(path: str, out: DvcOut) -> dict[str, Any]:
            entry: dict[str, Any] = {"path": path, "hash": "md5", "md5": out.md5, "size": out.size}
            if out.nfiles is not None:
                entry["nfiles"] = out.nfiles
            return entry

        def src(path: str, content: bytes) -> dict[str, Any]:
            return dep(path, DvcOut(md5_hex(content), len(content)))

        lock = {
            "schema": "2.0",
            "stages": {
                "prepare": {
                    "cmd": "python prepare.py",
                    "deps": [
                        dep("data/transactions.csv", csv),
                        src("prepare.py", prepare_py),
                    ],
                    "params": self._param_values("prepare"),
                    "outs": [dep("data/prepared", prepared)],
                },
                "train": {
                    "cmd": "python train.py",
                    "deps": [dep("data/prepared", prepared), src("train.py", train_py)],
                    "params": self._param_values("train"),
                    "outs": [dep("model.pkl", model)],
                },
                "evaluate": {
                    "cmd": "python evaluate.py",
                    "deps": [
                        dep("data/prepared", prepared),
                        src("evaluate.py", evaluate_py),
                        dep("model.pkl", model),
                    ],
                    "params": self._param_values("evaluate"),
                    "outs": [src("metrics.json", metrics_json)],
                },
            },
        }
        return to_yaml(lock).encode()


def _parquet_like(seed: str, size: int) -> bytes:
    body = pseudo_binary(seed, size - 8)
    return b"PAR1" + body + b"PAR1"


# --------------------------------------------------------------------------- recsys (Modelbit)

RECSYS_PARAMS: dict[str, Any] = {
    "model": {
        "architecture": "two_tower",
        "embedding_dim": 32,
        "user_tower": [256, 128],
        "item_tower": [256, 128],
        "dropout": 0.1,
    },
    "train": {
        "epochs": 12,
        "batch_size": 2048,
        "learning_rate": 0.001,
        "negatives_per_positive": 4,
    },
    "serve": {"top_k": 20, "dedupe_items": False},
}


def recsys_metrics(recall20: float, ndcg20: float, coverage: float, p95: float) -> dict[str, Any]:
    """Recsys offline evaluation (metrics.yaml)."""
    return {
        "offline": {"recall@20": recall20, "ndcg@20": ndcg20, "catalog_coverage": coverage},
        "p95_latency_ms": p95,
    }


_RECSYS_SOURCE = _template("recsys_source.py.tmpl")

_DEDUPE = _template("recsys_dedupe.tmpl")


@dataclass(frozen=True)
class RecsysState(ModelState):
    """One recsys deployment version; ``index`` names the item-index snapshot (a Modelbit
    file stub) and ``run`` the trained two-tower model (a Git LFS file)."""

    params: dict[str, Any]
    metrics: dict[str, Any]
    run: str
    index: str
    index_created: str
    requirements: tuple[str, ...]
    local: bool = False
    python: str = "3.10"

    def files(self, store: ObjectStore) -> dict[str, bytes]:
        metadata = {
            "owner": "chen.wei@example.com",
            "runtimeInfo": {
                "mainFunction": "recommend_items",
                "mainFunctionArgs": ["user_id:int", "k:int", "return:list"],
                "pythonVersion": self.python,
                "systemPackages": ["libgomp1"],
            },
            "tags": ["recsys", "two-tower"],
            "schemaVersion": 2,
        }
        index_size = 2_400_000 + int(_hexid(self.index, 4), 16)
        stub = {
            "_": "MBFileStub",
            "contentHash": f"sha1:{hashlib.sha1(self.index.encode()).hexdigest()}",
            "createdAt": self.index_created,
            "metadata": {
                "fileSize": index_size,
                "object": {
                    "class": "ItemIndex",
                    "module": "acme_recsys.index",
                    "package": "acme-recsys==0.4.1",
                },
            },
            "schemaVersion": 1,
        }
        dedupe = _DEDUPE if self.params["serve"]["dedupe_items"] else ""
        return {
            f"{RECSYS_DIR}/metadata.yaml": to_yaml(metadata).encode(),
            f"{RECSYS_DIR}/source.py": _RECSYS_SOURCE.format(dedupe=dedupe).encode(),
            f"{RECSYS_DIR}/requirements.txt": requirements_txt(self.requirements),
            f"{RECSYS_DIR}/params.yaml": to_yaml(self.params).encode(),
            f"{RECSYS_DIR}/metrics.yaml": to_yaml(self.metrics).encode(),
            f"{RECSYS_DIR}/data/item_index.pkl": to_yaml(stub).encode(),
            f"{RECSYS_DIR}/model.pkl": store.lfs_file(f"recsys:{self.run}", 140_000, self.local),
        }


# --------------------------------------------------------------------------- sentiment (MLflow)


def sentiment_metrics(accuracy: float, f1: float, loss: float, latency: float) -> dict[str, Any]:
    return {"eval": {"accuracy": accuracy, "f1_macro": f1, "loss": loss}, "latency_ms": latency}


_SIGNATURE_INPUTS = '[{"type": "string", "name": "text", "required": true}]'
_SIGNATURE_OUTPUTS = '[{"type": "long", "required": true}]'


@dataclass(frozen=True)
class SentimentState(ModelState):
    """One MLflow-logged sentiment model: the run it came from and when it was logged."""

    run: str
    created: str
    metrics: dict[str, Any]
    local: bool = False
    ngram_max: int = 1
    sklearn: str = "1.4.0"
    mlflow: str = "2.10.2"
    extra_requirements: tuple[str, ...] = field(default=())

    def mlmodel(self, size: int) -> dict[str, Any]:
        return {
            "artifact_path": "model",
            "flavors": {
                "python_function": {
                    "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                    "loader_module": "mlflow.sklearn",
                    "model_path": "model.pkl",
                    "predict_fn": "predict",
                    "python_version": "3.11.7",
                },
                "sklearn": {
                    "code": None,
                    "pickled_model": "model.pkl",
                    "serialization_format": "cloudpickle",
                    "sklearn_version": self.sklearn,
                },
            },
            "mlflow_version": self.mlflow,
            "model_size_bytes": size,
            "model_uuid": _hexid(f"uuid:{self.run}"),
            "run_id": _hexid(f"run:{self.run}"),
            "signature": {
                "inputs": _SIGNATURE_INPUTS,
                "outputs": _SIGNATURE_OUTPUTS,
                "params": f'[{{"name": "ngram_max", "type": "long", "default": {self.ngram_max}, "shape": null}}]',
            },
            "utc_time_created": self.created,
        }

    def requirements(self) -> list[str]:
        return [
            f"mlflow=={self.mlflow}",
            "cloudpickle==3.0.0",
            "numpy==1.26.3",
            f"scikit-learn=={self.sklearn}",
            "scipy==1.12.0",
            *self.extra_requirements,
        ]

    def binary_size(self) -> int:
        """Size in bytes of this run's pickled model."""
        return 310_000 + int(_hexid(self.run, 4), 16) % 40_000

    def files(self, store: ObjectStore) -> dict[str, bytes]:
        size = self.binary_size()
        conda = {
            "channels": ["conda-forge"],
            "dependencies": ["python=3.11.7", "pip<=24.0", {"pip": self.requirements()}],
            "name": "mlflow-env",
        }
        python_env = {
            "python": "3.11.7",
            "build_dependencies": ["pip==24.0", "setuptools==69.0.3", "wheel==0.42.0"],
            "dependencies": ["-r requirements.txt"],
        }
        return {
            f"{SENTIMENT_DIR}/MLmodel": to_yaml(self.mlmodel(size)).encode(),
            f"{SENTIMENT_DIR}/model.pkl": store.lfs_file(f"sentiment:{self.run}", size, self.local),
            f"{SENTIMENT_DIR}/conda.yaml": to_yaml(conda).encode(),
            f"{SENTIMENT_DIR}/python_env.yaml": to_yaml(python_env).encode(),
            f"{SENTIMENT_DIR}/requirements.txt": requirements_txt(self.requirements()),
            f"{SENTIMENT_DIR}/metrics.json": to_json(self.metrics).encode(),
        }


# --------------------------------------------------------------------------- ranker (model.yaml)

RANKER_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_data_in_leaf": 50,
    "bm25_weight": 0.3,
    "features": ["bm25", "click_rate_7d", "price_rank", "freshness_days"],
}


def ranker_metrics(ndcg10: float, mrr: float, latency: float) -> dict[str, Any]:
    return {"ndcg@10": ndcg10, "mrr": mrr, "latency_ms": latency}


_RANKER_RANK = _template("ranker_rank.py.tmpl")


@dataclass(frozen=True)
class RankerState(ModelState):
    """One ranker version as modeltrail's own ``model.yaml`` manifest describes it."""

    version: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    dependencies: tuple[str, ...] = ("lightgbm>=4.3", "numpy>=1.26", "pandas>=2.1")

    def files(self, store: ObjectStore) -> dict[str, bytes]:
        return {
            f"{RANKER_DIR}/model.yaml": ranker_manifest(self.version, self.params, self.metrics),
            f"{RANKER_DIR}/pyproject.toml": self.pyproject().encode(),
            f"{RANKER_DIR}/rank.py": _RANKER_RANK.format(
                features=list(self.params["features"])
            ).encode(),
        }

    def pyproject(self) -> str:
        deps = "".join(f'    "{d}",\n' for d in self.dependencies)
        return (
            "[project]\n"
            'name = "acme-ranker"\n'
            f'version = "{self.version}"\n'
            'requires-python = ">=3.11"\n'
            f"dependencies = [\n{deps}]\n"
        )


_RANKER_LABELS = ("search", "lightgbm", "learning-to-rank")


def ranker_manifest(
    version: str, params: dict[str, Any], metrics: dict[str, Any], cache: YamlCache | None = None
) -> bytes:
    """The ranker's model.yaml (``cache`` as in ``render.to_yaml``)."""
    manifest = {
        "name": "ranker",
        "version": version,
        "description": "LightGBM LambdaRank model ordering storefront search results",
        "labels": _RANKER_LABELS,
        "metrics": metrics,
        "params": params,
    }
    return to_yaml(manifest, cache=cache).encode()
