"""The base history of the sample repository: who did what, on which branch, and when.

The steps are data, in ``story.toml`` next to this module: read top to bottom it is the
team's first quarter of 2026: the five models land on ``main``, then three integration
cycles (experiments → ``integration`` → ``main`` with release tags and GTO promotions) and
a fourth cycle still in progress. ``StoryPlayer`` plays them through a ``RepoBuilder``
(the kinds of step are described at the top of story.toml); the models' states render
their files through ``models.py``. The constants here name everything tests and other
modules may rely on; ``generator.py``'s docstring tells the story in prose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
    with_changes,
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


#: Who may appear as ``by`` in story.toml.
PEOPLE = {"ana": ANA, "bruno": BRUNO, "chen": CHEN, "dana": DANA, "eli": ELI}
#: The root files story.toml commits by name.
TEXTS = {
    "ARTIFACTS_YAML": ARTIFACTS_YAML,
    "DVC_CONFIG": DVC_CONFIG,
    "DVC_GITIGNORE": DVC_GITIGNORE,
    "DVCIGNORE": DVCIGNORE,
    "GITATTRIBUTES": GITATTRIBUTES,
    "GITIGNORE": GITIGNORE,
    "PRE_COMMIT": PRE_COMMIT,
    "README": README,
}
State = ChurnState | FraudState | RecsysState | SentimentState | RankerState
#: model → (its state class, its metrics maker, its base params or None)
KINDS: dict[str, tuple[type[State], Callable[..., dict[str, Any]], dict[str, Any] | None]] = {
    "churn": (ChurnState, churn_metrics, CHURN_PARAMS),
    "fraud": (FraudState, fraud_metrics, FRAUD_PARAMS),
    "recsys": (RecsysState, recsys_metrics, RECSYS_PARAMS),
    "sentiment": (SentimentState, sentiment_metrics, None),
    "ranker": (RankerState, ranker_metrics, RANKER_PARAMS),
}
_METRICS_OF = {cls: make for cls, make, _ in KINDS.values()}
S = TypeVar("S", bound=State)
_BRANCHES = (MAIN, INTEGRATION, *EXPERIMENT_BRANCHES)
STORY = Path(__file__).with_name("story.toml")


def story_steps() -> list[dict[str, Any]]:
    """The steps of story.toml, in order."""
    with STORY.open("rb") as fh:
        steps: list[dict[str, Any]] = tomllib.load(fh)["step"]
    return steps


class StoryPlayer:
    """Plays story.toml's steps through a ``RepoBuilder``: one method per kind of step
    (``do``), its keyword arguments the step's keys (an unknown key is a TypeError)."""

    def __init__(self, b: RepoBuilder) -> None:
        self.b = b
        self.states: dict[str, State] = {}
        self.registered: dict[str, int] = {}  # churn version → the commit it registers
        self.last_registered = ""
        self.stage_counter = 0

    def state(self, name: str, kind: type[S]) -> S:
        """The state named ``name``, which must be a ``kind``."""
        found = self.states[name]
        assert isinstance(found, kind), f"{name} is a {type(found).__name__}"
        return found

    def play(self, step: dict[str, Any]) -> None:
        fields = dict(step)
        getattr(self, f"do_{fields.pop('do')}")(**fields)

    def do_state(
        self,
        name: str,
        model: str | None = None,
        base: str | None = None,
        params: dict[str, Any] | None = None,
        metrics: list[float] | None = None,
        **fields: Any,
    ) -> None:
        changes: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()
        }
        if base is None:
            assert model is not None, f"state {name}: a model or a base state"
            cls, make_metrics, base_params = KINDS[model]
            if base_params is not None:
                changes["params"] = with_changes(base_params, params or {})
            changes["metrics"] = make_metrics(*metrics or ())
            self.states[name] = cls(**changes)
            return
        old = self.states[base]
        if params is not None:
            assert not isinstance(old, SentimentState), f"state {name}: sentiment has no params"
            changes["params"] = with_changes(old.params, params)
        if metrics is not None:
            changes["metrics"] = _METRICS_OF[type(old)](*metrics)
        self.states[name] = old.evolve(**changes)

    def do_commit(
        self,
        branch: str,
        by: str,
        message: str,
        models: Sequence[str] = (),
        files: dict[str, str] | None = None,
        append: dict[str, str] | None = None,
        at: str | None = None,
    ) -> None:
        content = {path: TEXTS[text] for path, text in (files or {}).items()}
        for path, text in (append or {}).items():
            content[path] = self.b.tree(branch)[path] + text.encode()
        for name in models:
            content |= self.states[name].files(self.b.store)
        self.b.commit(_known(branch), PEOPLE[by], message, content, at)

    def do_merge(
        self,
        into: str,
        source: str,
        by: str,
        message: str | None = None,
        resolve: dict[str, str] | None = None,
        at: str | None = None,
    ) -> None:
        settled = {
            path: self.states[state].files(self.b.store)[path]
            for path, state in (resolve or {}).items()
        }
        self.b.merge(_known(into), _known(source), PEOPLE[by], message, settled, at)

    def do_branch(self, name: str, base: str) -> None:
        self.b.start_branch(_known(name), base)

    def do_tag(
        self, name: str, by: str | None = None, message: str | None = None, at: str | None = None
    ) -> None:
        self.b.tag(name, MAIN, PEOPLE[by] if by else None, message, at)

    def do_register(self, version: str, by: str, at: str | None = None) -> None:
        self.registered[version] = self.b.heads[MAIN]
        self.last_registered = version
        self.b.tag(f"churn@{version}", MAIN, PEOPLE[by], register_message(version), at)

    def do_assign(self, stage: str, version: str, by: str, at: str | None = None) -> None:
        self.stage_counter += 1
        self.b.tag(
            f"churn#{stage}#{self.stage_counter}",
            self.registered[version],
            PEOPLE[by],
            assign_message(stage, version),
            at,
        )


def _known(branch: str) -> str:
    """``branch`` if the constants above name it (a misspelt branch in story.toml would
    otherwise start a history of its own)."""
    if branch not in _BRANCHES:
        raise ValueError(f"story.toml names an unknown branch: {branch!r}")
    return branch


def write_base_history(b: RepoBuilder) -> StoryEnd:
    """Write the whole base history (story.toml) through ``b`` and return where main
    ended up."""
    player = StoryPlayer(b)
    for step in story_steps():
        player.play(step)
    return StoryEnd(
        churn=player.state("churn", ChurnState),
        fraud=player.state("fraud", FraudState),
        recsys=player.state("recsys", RecsysState),
        sentiment=player.state("sentiment", SentimentState),
        ranker=player.state("ranker", RankerState),
        churn_version=player.last_registered,
        stage_counter=player.stage_counter,
        registered_mark=player.registered[player.last_registered],
    )
