"""The base history of the sample repository: who did what, on which branch, and when.

Read top to bottom it is the team's first quarter of 2026: the five models land on
``main``, then three integration cycles (experiments → ``integration`` → ``main`` with
release tags and GTO promotions) and a fourth cycle still in progress. The constants at the
top name everything tests and other modules may rely on; ``generator.py``'s docstring
tells the story in prose.
"""

from __future__ import annotations

from dataclasses import dataclass

from .builder import RepoBuilder
from .fastimport import Identity
from .models import (
    ARTIFACTS_YAML,
    CHURN_DIR,
    CHURN_PARAMS,
    DVC_CONFIG,
    DVC_GITIGNORE,
    DVCIGNORE,
    FRAUD_DIR,
    FRAUD_PARAMS,
    GITATTRIBUTES,
    GITIGNORE,
    PRE_COMMIT,
    RANKER_PARAMS,
    README,
    README_ONCALL,
    RECSYS_PARAMS,
    ChurnState,
    FraudState,
    RankerState,
    RecsysState,
    SentimentState,
    churn_metrics,
    fraud_metrics,
    ranker_metrics,
    recsys_metrics,
    sentiment_metrics,
    with_values,
)

# --------------------------------------------------------------------------- people

ANA = Identity("Ana Lima", "ana.lima@example.com", "+0000")
BRUNO = Identity("Bruno Keller", "bruno.keller@example.com", "+0100")
CHEN = Identity("Chen Wei", "chen.wei@example.com", "+0100")
DANA = Identity("Dana Okafor", "dana.okafor@example.com", "+0200")
ELI = Identity("Eli Novak", "eli.novak@example.com", "+0100")
AUTHORS = (ANA, BRUNO, CHEN, DANA, ELI)
#: The identity configured in the generated repository (the on-call engineer).
ONCALL = Identity("Sam Rivera", "sam.rivera@example.com", "+0000")

START = "2026-01-05"

# --------------------------------------------------------------------------- names

MAIN = "main"
INTEGRATION = "integration"
MODELS = ("churn", "fraud", "recsys", "sentiment", "ranker")
MODEL_DIRS = {
    "churn": CHURN_DIR,
    "fraud": FRAUD_DIR,
    "recsys": "deployments/recsys",
    "sentiment": "models/sentiment",
    "ranker": "models/ranker",
}

CHURN_LR = "exp/churn-lr-0.05"
CHURN_DEPTH = "exp/churn-max-depth-8"
FRAUD_VELOCITY = "exp/fraud-velocity-feature"
RECSYS_EMB64 = "exp/recsys-embedding-64"
CHURN_MCW = "exp/churn-min-child-weight-5"
CHURN_SUBSAMPLE = "exp/churn-subsample-0.7"
FRAUD_CLASS_WEIGHTS = "exp/fraud-class-weights"
RANKER_BM25 = "exp/ranker-bm25-weight"
SENTIMENT_BIGRAMS = "exp/sentiment-bigrams"
CHURN_TENURE = "exp/churn-tenure-buckets"
CHURN_FOCAL = "exp/churn-focal-loss"
FRAUD_SMOTE = "exp/fraud-smote"
RANKER_LEAVES = "exp/ranker-lambdamart-leaves"
RECSYS_DEDUPE = "exp/recsys-dedupe-items"

#: Experiment branches per integration cycle, in the order they were merged into integration.
CYCLES: tuple[tuple[str, ...], ...] = (
    (CHURN_LR, FRAUD_VELOCITY, CHURN_DEPTH, RECSYS_EMB64),
    (CHURN_MCW, FRAUD_CLASS_WEIGHTS, RANKER_BM25, SENTIMENT_BIGRAMS),
    (CHURN_TENURE, FRAUD_SMOTE, RANKER_LEAVES),
)
#: Merged into integration after the last release; not yet in main.
IN_PROGRESS = (RECSYS_DEDUPE,)
#: Never merged anywhere.
UNMERGED_BRANCHES = (CHURN_SUBSAMPLE, CHURN_FOCAL)
#: The unmerged experiment whose churn test.auc beats main's (0.889 vs 0.851).
BEATS_MAIN_BRANCH = CHURN_FOCAL
EXPERIMENT_BRANCHES = (
    *(b for cycle in CYCLES for b in cycle),
    *IN_PROGRESS,
    *UNMERGED_BRANCHES,
)
#: Branches with commits main does not have.
AHEAD_OF_MAIN = (INTEGRATION, RECSYS_DEDUPE, *UNMERGED_BRANCHES)

# --------------------------------------------------------------------------- labels

CHURN_VERSIONS = ("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0")
#: GTO stage → churn version at the end of the base history (v1.3.0 went dev → prod,
#: skipping staging; it is a regression, v1.2.0 was the previous good prod version).
CHURN_STAGES = {"dev": "v1.3.0", "staging": "v1.2.0", "prod": "v1.3.0"}
CHURN_PREVIOUS_PROD = "v1.2.0"
CHURN_STAGE_TAGS = (
    "churn#dev#1",
    "churn#staging#2",
    "churn#prod#3",
    "churn#dev#4",
    "churn#staging#5",
    "churn#dev#6",
    "churn#staging#7",
    "churn#prod#8",
    "churn#dev#9",
    "churn#prod#10",
)
FRAUD_TAGS = {
    "fraud-2026.01.20": "annotated",
    "fraud-2026.02.14": "lightweight",
    "fraud-2026.03.09": "annotated",
}
RECSYS_TAGS = {"recsys-v0.1.0": "lightweight", "recsys/v0.2.0": "annotated"}
#: model.yaml ``version:`` values on main, oldest first.
RANKER_VERSIONS = ("2.0.0", "2.1.0", "2.2.0")


def register_message(version: str) -> str:
    """The message ``gto register`` writes into a registration tag."""
    return f"Registering artifact churn version {version}"


def assign_message(stage: str, version: str) -> str:
    """The message ``gto assign`` writes into a stage tag."""
    return f"Assigning stage {stage} to artifact churn version {version}"


@dataclass
class StoryEnd:
    """What the bulk commits continue from: main's model states and GTO counters."""

    churn: ChurnState
    fraud: FraudState
    recsys: RecsysState
    sentiment: SentimentState
    ranker: RankerState
    churn_version: str
    stage_counter: int
    registered_mark: int


def write_base_history(b: RepoBuilder) -> StoryEnd:
    """Write the whole base history through ``b`` and return where main ended up."""
    s = b.store

    stage_counter = 0
    registered: dict[str, int] = {}

    def register_head(version: str, who: Identity, at: str | None = None) -> None:
        registered[version] = b.heads[MAIN]
        b.tag(f"churn@{version}", MAIN, who, register_message(version), at)

    def assign_version(stage: str, version: str, who: Identity, at: str | None = None) -> None:
        nonlocal stage_counter
        stage_counter += 1
        b.tag(
            f"churn#{stage}#{stage_counter}",
            registered[version],
            who,
            assign_message(stage, version),
            at,
        )

    # ------------------------------------------------------------------ week 1: models land
    b.commit(
        MAIN,
        ELI,
        "Initial commit: repository layout\n\nLFS for model binaries, shared .gitignore.",
        {"README.md": README, ".gitignore": GITIGNORE, ".gitattributes": GITATTRIBUTES},
        at="2026-01-05",
    )
    churn = ChurnState(CHURN_PARAMS, churn_metrics(0.842, 0.611, 0.412, 8.4), "baseline")
    b.commit(
        MAIN,
        ANA,
        "churn: baseline XGBoost churn model\n\n"
        "Trained on customers_2025q4, test AUC 0.842. Binary tracked with Git LFS and\n"
        "declared in artifacts.yaml for GTO.",
        {"artifacts.yaml": ARTIFACTS_YAML, **churn.files(s)},
    )
    register_head("v1.0.0", ANA, at="2026-01-06")
    fraud = FraudState(
        FRAUD_PARAMS, fraud_metrics(0.712, 0.78, 0.41, 0.093), snapshot="2026-01-02", run="baseline"
    )
    b.commit(
        MAIN,
        BRUNO,
        "fraud: DVC pipeline prepare -> train -> evaluate\n\n"
        "Raw transactions and model outputs live in the DVC remote (s3://acme-ml-artifacts/dvc).",
        {".dvc/config": DVC_CONFIG, ".dvc/.gitignore": DVC_GITIGNORE, ".dvcignore": DVCIGNORE}
        | fraud.files(s),
    )
    assign_version("dev", "v1.0.0", ANA)
    recsys = RecsysState(
        RECSYS_PARAMS,
        recsys_metrics(0.212, 0.143, 0.38, 41.0),
        run="emb32",
        index="idx-2026-01-07",
        index_created="2026-01-07 10:41:12",
    )
    b.commit(
        MAIN,
        CHEN,
        "recsys: deploy two-tower recommender via Modelbit",
        recsys.files(s),
        at="2026-01-07",
    )
    b.tag("recsys-v0.1.0", MAIN)
    sentiment = SentimentState(
        "2026-01-07", "2026-01-07 15:22:07.318204", sentiment_metrics(0.874, 0.861, 0.332, 14.1)
    )
    b.commit(
        MAIN,
        DANA,
        "sentiment: add TF-IDF + logistic regression model exported from MLflow\n\n"
        "MLflow run 'tfidf-logreg-baseline', experiment reviews-sentiment.",
        sentiment.files(s),
    )
    ranker = RankerState("2.0.0", RANKER_PARAMS, ranker_metrics(0.412, 0.388, 11.2))
    b.commit(
        MAIN,
        CHEN,
        "ranker: LambdaRank re-ranker with model.yaml manifest",
        ranker.files(s),
        at="2026-01-08",
    )
    assign_version("staging", "v1.0.0", ELI)
    b.commit(
        MAIN,
        ELI,
        "docs: describe the experiment -> integration -> main flow",
        {"README.md": README + b"\nRelease tags are placed on the merge commit into main.\n"},
        at="2026-01-09",
    )
    assign_version("prod", "v1.0.0", ELI)

    # ------------------------------------------------------------------ cycle 1
    b.start_branch(CHURN_LR, MAIN)
    churn_lr = churn.evolve(
        params=with_values(churn.params, model__learning_rate=0.05, model__n_estimators=500)
    )
    b.commit(
        CHURN_LR,
        ANA,
        "churn: learning_rate 0.1 -> 0.05, n_estimators 300 -> 500",
        churn_lr.files(s),
        at="2026-01-12",
    )
    b.start_branch(CHURN_DEPTH, MAIN)
    churn_depth = churn.evolve(
        params=with_values(churn.params, model__max_depth=8),
        metrics=churn_metrics(0.849, 0.622, 0.401, 9.6),
        run="exp-max-depth-8",
    )
    b.commit(
        CHURN_DEPTH,
        DANA,
        "churn: try max_depth=8 (test AUC 0.849, latency +1.2 ms)",
        churn_depth.files(s),
    )
    churn_lr = churn_lr.evolve(metrics=churn_metrics(0.853, 0.627, 0.398, 8.9), run="exp-lr-0.05")
    b.commit(
        CHURN_LR,
        ANA,
        "churn: retrain with lr=0.05 (test AUC 0.842 -> 0.853)",
        churn_lr.files(s),
        at="2026-01-13",
    )
    b.start_branch(FRAUD_VELOCITY, MAIN)
    fraud_vel = fraud.evolve(
        velocity=True,
        params=with_values(
            fraud.params,
            prepare__features=[
                *fraud.params["prepare"]["features"],
                "txn_velocity_1h",
                "txn_velocity_24h",
            ],
        ),
        metrics=fraud_metrics(0.761, 0.81, 0.44, 0.085),
        run="exp-velocity",
    )
    b.commit(
        FRAUD_VELOCITY,
        BRUNO,
        "fraud: add 1h/24h card velocity features to prepare stage\n\ndvc repro: PR-AUC 0.712 -> 0.761.",
        fraud_vel.files(s),
    )
    fraud_vel = fraud_vel.evolve(
        params=with_values(fraud_vel.params, evaluate__threshold=0.58),
        metrics=fraud_metrics(0.761, 0.84, 0.412, 0.085),
    )
    b.commit(
        FRAUD_VELOCITY,
        BRUNO,
        "fraud: lower alert threshold to 0.58 to hit the 0.8 recall SLO",
        fraud_vel.files(s),
        at="2026-01-14",
    )
    b.start_branch(RECSYS_EMB64, MAIN)
    recsys_emb = recsys.evolve(
        params=with_values(recsys.params, model__embedding_dim=64),
        metrics=recsys_metrics(0.231, 0.156, 0.41, 44.5),
        run="emb64",
    )
    b.commit(RECSYS_EMB64, CHEN, "recsys: widen item/user embeddings 32 -> 64", recsys_emb.files(s))
    churn = churn.evolve(
        requirements=tuple(r.replace("1.4.0", "1.4.2") for r in churn.requirements)
    )
    b.commit(
        MAIN,
        ANA,
        "churn: bump scikit-learn to 1.4.2 (fixes predict_proba regression)",
        churn.files(s),
        at="2026-01-15",
    )
    b.commit(
        MAIN,
        ELI,
        "ci: add pre-commit hooks (ruff, check-yaml)",
        {".pre-commit-config.yaml": PRE_COMMIT},
    )

    b.start_branch(INTEGRATION, MAIN)
    b.merge(INTEGRATION, CHURN_LR, ELI, at="2026-01-16")
    b.merge(INTEGRATION, FRAUD_VELOCITY, ELI)
    churn_both = churn_lr.evolve(
        params=with_values(churn_lr.params, model__max_depth=8), requirements=churn.requirements
    )
    b.merge(
        INTEGRATION,
        CHURN_DEPTH,
        ELI,
        "Merge branch 'exp/churn-max-depth-8' into integration\n\n"
        "Conflicts in models/churn: keep lr=0.05 and max_depth=8; metrics and model\n"
        "are re-evaluated on integration.",
        resolve={
            f"{CHURN_DIR}/params.yaml": churn_both.files(s)[f"{CHURN_DIR}/params.yaml"],
            f"{CHURN_DIR}/metrics.json": churn_lr.files(s)[f"{CHURN_DIR}/metrics.json"],
            f"{CHURN_DIR}/model.pkl": churn_lr.files(s)[f"{CHURN_DIR}/model.pkl"],
        },
    )
    b.merge(INTEGRATION, RECSYS_EMB64, ELI, at="2026-01-19")
    churn = churn_both.evolve(
        metrics=churn_metrics(0.861, 0.634, 0.389, 9.9), run="integration-2026-01-19"
    )
    fraud = fraud_vel.evolve(
        metrics=fraud_metrics(0.768, 0.842, 0.415, 0.084), run="integration-2026-01-19"
    )
    recsys = recsys_emb
    b.commit(
        INTEGRATION,
        ELI,
        "integration: evaluate merged candidates\n\n"
        "churn: lr=0.05 + max_depth=8 together, test AUC 0.861\n"
        "fraud: velocity features, PR-AUC 0.768, recall 0.842",
        churn.files(s) | fraud.files(s),
    )
    b.merge(MAIN, INTEGRATION, ELI, at="2026-01-20")
    register_head("v1.1.0", ANA)
    b.tag("fraud-2026.01.20", MAIN, BRUNO, "fraud 2026.01.20: velocity features, recall 0.84")
    b.tag("recsys/v0.2.0", MAIN, CHEN, "recsys 0.2.0: 64-dim embeddings")
    assign_version("dev", "v1.1.0", ANA, at="2026-01-21")
    assign_version("staging", "v1.1.0", ELI, at="2026-01-22")

    sentiment = sentiment.evolve(
        run="2026-01-26",
        created="2026-01-26 11:04:51.902117",
        metrics=sentiment_metrics(0.881, 0.869, 0.318, 14.3),
    )
    b.commit(
        MAIN,
        DANA,
        "sentiment: retrain on January reviews (+18k labelled)",
        sentiment.files(s),
        at="2026-01-26",
    )
    fraud = fraud.evolve(
        snapshot="2026-01-27",
        run="snapshot-2026-01-27",
        metrics=fraud_metrics(0.775, 0.845, 0.42, 0.083),
    )
    b.commit(
        MAIN,
        BRUNO,
        "fraud: track transactions snapshot 2026-01-27 and repro",
        fraud.files(s),
        at="2026-01-28",
    )

    # ------------------------------------------------------------------ cycle 2
    b.start_branch(INTEGRATION, MAIN)  # fast-forward to main
    b.start_branch(CHURN_MCW, MAIN)
    churn_mcw = churn.evolve(
        params=with_values(churn.params, model__min_child_weight=5),
        metrics=churn_metrics(0.868, 0.645, 0.379, 9.8),
        run="exp-mcw-5",
    )
    b.commit(
        CHURN_MCW,
        ANA,
        "churn: min_child_weight 1 -> 5 to curb overfitting",
        churn_mcw.files(s),
        at="2026-02-02",
    )
    churn_mcw = churn_mcw.evolve(
        params=with_values(churn_mcw.params, train__calibrate=True),
        metrics=churn_metrics(0.869, 0.648, 0.374, 10.1),
        run="exp-mcw-5-calibrated",
    )
    b.commit(
        CHURN_MCW,
        ANA,
        "churn: isotonic calibration on top (loss 0.379 -> 0.374)",
        churn_mcw.files(s),
        at="2026-02-03",
    )
    b.start_branch(CHURN_SUBSAMPLE, MAIN)
    churn_sub = churn.evolve(
        params=with_values(churn.params, model__subsample=0.7),
        metrics=churn_metrics(0.857, 0.629, 0.393, 9.9),
        run="exp-subsample-0.7",
    )
    b.commit(CHURN_SUBSAMPLE, DANA, "churn: subsample 0.8 -> 0.7", churn_sub.files(s))
    b.start_branch(FRAUD_CLASS_WEIGHTS, MAIN)
    fraud_cw = fraud.evolve(
        params=with_values(fraud.params, train__scale_pos_weight=40),
        metrics=fraud_metrics(0.781, 0.87, 0.39, 0.088),
        run="exp-spw-40",
    )
    b.commit(
        FRAUD_CLASS_WEIGHTS,
        BRUNO,
        "fraud: scale_pos_weight 25 -> 40",
        fraud_cw.files(s),
        at="2026-02-04",
    )
    churn_sub = churn_sub.evolve(
        params=with_values(churn_sub.params, model__n_estimators=800),
        metrics=churn_metrics(0.858, 0.63, 0.392, 11.8),
        run="exp-subsample-0.7-800",
    )
    b.commit(
        CHURN_SUBSAMPLE,
        DANA,
        "churn: subsample 0.7 with 800 trees -- still below integration, parking this",
        churn_sub.files(s),
    )
    b.start_branch(RANKER_BM25, MAIN)
    ranker_bm25 = ranker.evolve(
        params=with_values(ranker.params, bm25_weight=0.45),
        metrics=ranker_metrics(0.428, 0.401, 11.3),
    )
    b.commit(
        RANKER_BM25, CHEN, "ranker: bm25_weight 0.3 -> 0.45", ranker_bm25.files(s), at="2026-02-05"
    )
    b.start_branch(SENTIMENT_BIGRAMS, MAIN)
    sentiment_bi = sentiment.evolve(
        run="bigrams",
        created="2026-02-06 16:40:13.551870",
        ngram_max=2,
        metrics=sentiment_metrics(0.893, 0.882, 0.297, 16.8),
    )
    b.commit(
        SENTIMENT_BIGRAMS,
        DANA,
        "sentiment: word bigrams (ngram_range=(1, 2)), +1.2 pt accuracy",
        sentiment_bi.files(s),
        at="2026-02-06",
    )
    recsys = recsys.evolve(
        requirements=tuple(r.replace("pandas==2.1.4", "pandas==2.2.0") for r in recsys.requirements)
    )
    b.commit(MAIN, CHEN, "recsys: bump pandas 2.1.4 -> 2.2.0", recsys.files(s), at="2026-02-09")

    b.merge(INTEGRATION, CHURN_MCW, ELI, at="2026-02-10")
    b.merge(INTEGRATION, FRAUD_CLASS_WEIGHTS, ELI)
    b.merge(INTEGRATION, RANKER_BM25, ELI, at="2026-02-11")
    b.merge(INTEGRATION, SENTIMENT_BIGRAMS, ELI)
    churn = churn_mcw.evolve(
        metrics=churn_metrics(0.874, 0.652, 0.372, 9.7), run="integration-2026-02-12", local=True
    )
    fraud = fraud_cw.evolve(
        metrics=fraud_metrics(0.785, 0.872, 0.40, 0.081), run="integration-2026-02-12"
    )
    ranker = ranker_bm25.evolve(version="2.1.0", metrics=ranker_metrics(0.431, 0.404, 11.4))
    sentiment = sentiment_bi
    b.commit(
        INTEGRATION,
        ELI,
        "integration: evaluate cycle 2 candidates\n\n"
        "churn: min_child_weight=5 + calibration, test AUC 0.874\n"
        "fraud: scale_pos_weight=40, PR-AUC 0.785\n"
        "ranker: release 2.1.0 (bm25_weight=0.45, NDCG@10 0.431)",
        churn.files(s) | fraud.files(s) | ranker.files(s),
        at="2026-02-12",
    )
    b.merge(MAIN, INTEGRATION, ELI, at="2026-02-14")
    register_head("v1.2.0", ANA)
    b.tag("fraud-2026.02.14", MAIN)
    assign_version("dev", "v1.2.0", ANA, at="2026-02-16")
    assign_version("staging", "v1.2.0", ELI, at="2026-02-17")
    assign_version("prod", "v1.2.0", ELI, at="2026-02-19")

    # ------------------------------------------------------------------ cycle 3
    b.start_branch(INTEGRATION, MAIN)
    b.start_branch(CHURN_TENURE, MAIN)
    churn_tenure = churn.evolve(
        tenure_buckets=True,
        params=with_values(churn.params, features=[*churn.params["features"], "tenure_bucket"]),
        metrics=churn_metrics(0.879, 0.66, 0.366, 10.4),
        run="exp-tenure-buckets",
        local=False,
    )
    b.commit(
        CHURN_TENURE,
        ANA,
        "churn: tenure bucket feature (test AUC 0.879 on Feb holdout)",
        churn_tenure.files(s),
        at="2026-02-23",
    )
    b.start_branch(CHURN_FOCAL, MAIN)
    churn_focal = churn.evolve(
        focal_loss=True,
        metrics=churn_metrics(0.883, 0.671, 0.358, 9.8),
        run="exp-focal-loss",
        local=False,
    )
    b.commit(
        CHURN_FOCAL,
        DANA,
        "churn: focal loss objective (gamma=2)",
        churn_focal.files(s),
        at="2026-02-24",
    )
    b.start_branch(FRAUD_SMOTE, MAIN)
    fraud_smote = fraud.evolve(
        smote=True,
        params=with_values(fraud.params, train__use_smote=True),
        requirements=(*fraud.requirements, "imbalanced-learn==0.12.0"),
        metrics=fraud_metrics(0.792, 0.881, 0.43, 0.079),
        run="exp-smote",
    )
    b.commit(
        FRAUD_SMOTE,
        BRUNO,
        "fraud: oversample positives with SMOTE",
        fraud_smote.files(s),
        at="2026-02-25",
    )
    b.start_branch(RANKER_LEAVES, MAIN)
    ranker_leaves = ranker.evolve(
        params=with_values(ranker.params, num_leaves=127, min_data_in_leaf=30),
        metrics=ranker_metrics(0.437, 0.409, 12.9),
    )
    b.commit(
        RANKER_LEAVES,
        CHEN,
        "ranker: num_leaves 63 -> 127, min_data_in_leaf 50 -> 30",
        ranker_leaves.files(s),
        at="2026-02-26",
    )
    recsys = recsys.evolve(
        index="idx-2026-03-02",
        index_created="2026-03-02 07:55:40",
        metrics=recsys_metrics(0.229, 0.155, 0.44, 44.1),
    )
    b.commit(
        MAIN,
        CHEN,
        "recsys: refresh item index for the March catalogue",
        recsys.files(s),
        at="2026-03-02",
    )

    b.merge(INTEGRATION, CHURN_TENURE, ELI, at="2026-03-04")
    b.merge(INTEGRATION, FRAUD_SMOTE, ELI)
    b.merge(INTEGRATION, RANKER_LEAVES, ELI)
    churn = churn_tenure.evolve(
        metrics=churn_metrics(0.851, 0.618, 0.405, 12.3), run="integration-2026-03-05", local=True
    )
    fraud = fraud_smote.evolve(
        metrics=fraud_metrics(0.801, 0.889, 0.44, 0.076), run="integration-2026-03-05", local=True
    )
    ranker = ranker_leaves.evolve(version="2.2.0", metrics=ranker_metrics(0.441, 0.412, 13.1))
    b.commit(
        INTEGRATION,
        ELI,
        "integration: evaluate cycle 3 candidates\n\n"
        "churn: tenure buckets, test AUC 0.851 on the March holdout -- lower than the\n"
        "branch run but within the noise we saw in January; shipping.\n"
        "fraud: SMOTE, PR-AUC 0.801\n"
        "ranker: release 2.2.0 (num_leaves=127, NDCG@10 0.441)",
        churn.files(s) | fraud.files(s) | ranker.files(s),
        at="2026-03-05",
    )
    b.merge(MAIN, INTEGRATION, ELI, at="2026-03-09")
    register_head("v1.3.0", ANA)
    b.tag("fraud-2026.03.09", MAIN, BRUNO, "fraud 2026.03.09: SMOTE oversampling")
    assign_version("dev", "v1.3.0", ANA, at="2026-03-10")
    assign_version("prod", "v1.3.0", ELI, at="2026-03-11")

    sentiment = sentiment.evolve(
        run="2026-03-12",
        created="2026-03-12 13:17:29.004433",
        metrics=sentiment_metrics(0.897, 0.886, 0.291, 16.5),
        local=True,
    )
    b.commit(
        MAIN,
        DANA,
        "sentiment: retrain with relabelled sarcasm examples",
        sentiment.files(s),
        at="2026-03-12",
    )
    b.commit(
        MAIN,
        ELI,
        "docs: on-call notes for GTO stages",
        {"README.md": b.tree(MAIN)["README.md"] + README_ONCALL},
    )

    # ------------------------------------------------------------------ cycle 4 (in progress)
    b.start_branch(INTEGRATION, MAIN)
    b.start_branch(RECSYS_DEDUPE, MAIN)
    recsys_dd = recsys.evolve(
        params=with_values(recsys.params, serve__dedupe_items=True),
        metrics=recsys_metrics(0.226, 0.161, 0.47, 45.2),
    )
    b.commit(
        RECSYS_DEDUPE,
        CHEN,
        "recsys: dedupe near-duplicate items before top-k",
        recsys_dd.files(s),
        at="2026-03-13",
    )
    recsys_dd = recsys_dd.evolve(
        run="emb64-dedupe", metrics=recsys_metrics(0.238, 0.166, 0.48, 45.0), local=True
    )
    b.commit(
        RECSYS_DEDUPE,
        CHEN,
        "recsys: retrain with dedupe-aware negatives",
        recsys_dd.files(s),
        at="2026-03-16",
    )
    b.merge(INTEGRATION, RECSYS_DEDUPE, ELI)
    b.commit(
        INTEGRATION,
        ELI,
        "integration: evaluate recsys dedupe (recall@20 0.241)",
        recsys_dd.evolve(metrics=recsys_metrics(0.241, 0.168, 0.48, 45.3)).files(s),
        at="2026-03-17",
    )
    churn_focal = churn_focal.evolve(
        params=with_values(churn_focal.params, model__n_estimators=600),
        metrics=churn_metrics(0.889, 0.679, 0.351, 10.2),
        run="exp-focal-loss-600",
        local=True,
    )
    b.commit(
        CHURN_FOCAL,
        DANA,
        "churn: focal loss with 600 trees, retrained on the March holdout (test AUC 0.889)",
        churn_focal.files(s),
    )
    return StoryEnd(
        churn=churn,
        fraud=fraud,
        recsys=recsys,
        sentiment=sentiment,
        ranker=ranker,
        churn_version="v1.3.0",
        stage_counter=stage_counter,
        registered_mark=registered["v1.3.0"],
    )
