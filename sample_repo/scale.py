"""Bulk commits appended to ``main`` for benchmark-sized repositories (``--scale N``).

Commit ``i`` retrains model ``MODELS[i % 5]``: it rewrites that model's metrics and params
(the ranker's manifest, the sentiment model's MLmodel) with values from a seeded
``random.Random``. Every 20th commit (a churn commit) gets a GTO registration tag
(``churn@v1.4.0``, ``churn@v1.5.0``, …) and every 50th a GTO stage tag (dev, staging, prod
in turn) on the latest registered version. Binaries and dvc.lock are not re-rendered: their
pointers stay as the base history left them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .builder import RepoBuilder
from .models import (
    CHURN_DIR,
    FRAUD_DIR,
    FRAUD_PARAMS_HEADER,
    RANKER_DIR,
    RECSYS_DIR,
    SENTIMENT_DIR,
    YamlCache,
    churn_metrics,
    churn_params_text,
    fraud_metrics,
    ranker_manifest,
    recsys_metrics,
    sentiment_metrics,
)
from .render import to_json, to_yaml
from .story import (
    ANA,
    BRUNO,
    CHEN,
    DANA,
    ELI,
    MAIN,
    MODELS,
    StoryEnd,
    assign_message,
    register_message,
)

REGISTER_EVERY = 20
ASSIGN_EVERY = 50
STAGE_CYCLE = ("dev", "staging", "prod")
AUTHORS = {
    "churn": (ANA, DANA),
    "fraud": (BRUNO,),
    "recsys": (CHEN,),
    "sentiment": (DANA,),
    "ranker": (CHEN,),
}

# Tagged bulk commits must be churn commits (churn is MODELS[0]).
assert REGISTER_EVERY % len(MODELS) == 0 and ASSIGN_EVERY % len(MODELS) == 0
assert MODELS[0] == "churn"

Change = tuple[str, dict[str, bytes]]


#: How a bulk retrain draws a model's metrics: the metrics maker and a (low, high,
#: digits) range per argument of it (churn and ranker draw theirs themselves); and the
#: file they are written to (as JSON, or YAML for a ``.yaml`` file).
_METRICS_FILE = {"fraud": "metrics.json", "recsys": "metrics.yaml", "sentiment": "metrics.json"}
_METRICS: dict[str, tuple[Callable[..., dict[str, Any]], tuple[tuple[float, float, int], ...]]] = {
    "fraud": (fraud_metrics, ((0.72, 0.82, 4), (0.76, 0.9, 4), (0.35, 0.46, 4), (0.07, 0.095, 4))),
    "recsys": (recsys_metrics, ((0.2, 0.25, 4), (0.14, 0.17, 4), (0.35, 0.5, 3), (40, 48, 1))),
    "sentiment": (
        sentiment_metrics,
        ((0.87, 0.9, 4), (0.86, 0.89, 4), (0.28, 0.34, 4), (14, 18, 1)),
    ),
}


def _with(section: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {**section, **values}


def _change(message: str, folder: str, texts: dict[str, str]) -> Change:
    """A bulk commit's change: its message and the files (name -> text) it rewrites in
    the model's ``folder``."""
    return message, {f"{folder}/{name}": text.encode() for name, text in texts.items()}


class BulkChanges:
    """Renders the change of bulk commit ``i`` for each model, continuing from main's
    states at the end of the base history. Unchanged YAML sections are rendered once."""

    def __init__(self, end: StoryEnd, seed: str = "modeltrail-sample-bulk") -> None:
        self.end = end
        self.rng = random.Random(seed)
        self._caches: dict[str, YamlCache] = {}
        self._mlmodel = end.sentiment.mlmodel(end.sentiment.binary_size())

    def cache(self, name: str) -> YamlCache:
        return self._caches.setdefault(name, {})

    def draw(self, *ranges: tuple[float, float, int]) -> list[float]:
        """One value per ``(low, high, digits)``: uniform in the range, rounded."""
        return [round(self.rng.uniform(low, high), digits) for low, high, digits in ranges]

    def retrain(self, model: str, message: str, folder: str, params: tuple[str, str]) -> Change:
        """A retrain of ``model`` (one of :data:`_METRICS`): its ``params`` file (name,
        text) and fresh metrics drawn in their ranges, in ``folder``."""
        make, ranges = _METRICS[model]
        name = _METRICS_FILE[model]
        render = to_yaml if name.endswith(".yaml") else to_json
        return _change(
            message, folder, {params[0]: params[1], name: render(make(*self.draw(*ranges)))}
        )

    def change(self, i: int, when: int) -> Change:
        return getattr(self, f"_{MODELS[i % len(MODELS)]}")(i, when)

    def _churn(self, i: int, when: int) -> Change:
        rng, base = self.rng, self.end.churn.params
        lr = round(rng.uniform(0.02, 0.15), 4)
        depth = rng.randint(4, 10)
        trees = rng.randrange(200, 900, 50)
        params = _with(
            base, model=_with(base["model"], learning_rate=lr, max_depth=depth, n_estimators=trees)
        )
        auc = round(rng.uniform(0.82, 0.9), 4)
        loss = round(rng.uniform(0.34, 0.43), 4)
        metrics = churn_metrics(auc, round(auc - 0.22, 4), loss, round(rng.uniform(8, 13), 1))
        text = churn_params_text(params, self.cache("churn"))
        message = f"churn: retrain with learning_rate={lr}, max_depth={depth}, n_estimators={trees}"
        return _change(message, CHURN_DIR, {"params.yaml": text, "metrics.json": to_json(metrics)})

    def _fraud(self, i: int, when: int) -> Change:
        rng, base = self.rng, self.end.fraud.params
        leaves = rng.choice((15, 31, 63, 127))
        spw = rng.randrange(10, 60, 5)
        params = _with(base, train=_with(base["train"], num_leaves=leaves, scale_pos_weight=spw))
        text = to_yaml(params, FRAUD_PARAMS_HEADER, self.cache("fraud"))
        message = f"fraud: weekly retrain (num_leaves={leaves}, scale_pos_weight={spw})"
        return self.retrain("fraud", message, FRAUD_DIR, ("params.yaml", text))

    def _recsys(self, i: int, when: int) -> Change:
        rng, base = self.rng, self.end.recsys.params
        dim = rng.choice((32, 48, 64, 96, 128))
        lr = rng.choice((0.0005, 0.001, 0.002))
        params = _with(
            base,
            model=_with(base["model"], embedding_dim=dim),
            train=_with(base["train"], learning_rate=lr),
        )
        text = to_yaml(params, cache=self.cache("recsys"))
        message = f"recsys: nightly retrain (embedding_dim={dim}, learning_rate={lr})"
        return self.retrain("recsys", message, RECSYS_DIR, ("params.yaml", text))

    def _sentiment(self, i: int, when: int) -> Change:
        rng = self.rng
        run = self.end.sentiment.evolve(run=f"bulk-{i}", ngram_max=rng.choice((1, 2, 3)))
        fresh = run.mlmodel(0)
        # model.pkl keeps its pointer, so flavors and model_size_bytes stay as they were
        mlmodel = _with(
            self._mlmodel,
            model_uuid=fresh["model_uuid"],
            run_id=fresh["run_id"],
            signature=fresh["signature"],
            utc_time_created=datetime.fromtimestamp(when - 300, UTC).strftime(
                "%Y-%m-%d %H:%M:%S.%f"
            ),
        )
        text = to_yaml(mlmodel, cache=self.cache("mlmodel"))
        message = f"sentiment: scheduled retrain (ngram_max={run.ngram_max})"
        return self.retrain("sentiment", message, SENTIMENT_DIR, ("MLmodel", text))

    def _ranker(self, i: int, when: int) -> Change:
        rng = self.rng
        major, minor, _ = self.end.ranker.version.split(".")
        version = f"{major}.{minor}.{i // len(MODELS) + 1}"
        params = _with(
            self.end.ranker.params,
            num_leaves=rng.choice((63, 127, 255)),
            bm25_weight=round(rng.uniform(0.3, 0.6), 2),
        )
        ndcg, mrr, latency = self.draw((0.42, 0.46, 4), (0.39, 0.42, 4), (11, 14, 1))
        metrics = {"ndcg@10": ndcg, "mrr": mrr, "latency_ms": latency}
        manifest = ranker_manifest(version, params, metrics, self.cache("ranker"))
        return f"ranker: release {version}", {f"{RANKER_DIR}/model.yaml": manifest}


def write_bulk_commits(b: RepoBuilder, end: StoryEnd, count: int) -> None:
    """Append ``count`` commits (and their GTO tags) to main, after the base history."""
    changes = BulkChanges(end)
    head = b.heads[MAIN]
    registered_mark, registered = end.registered_mark, end.churn_version
    major, minor, _ = registered.lstrip("v").split(".")
    next_minor = int(minor)
    counter = end.stage_counter
    for i in range(count):
        model = MODELS[i % len(MODELS)]
        when = b.clock.advance(540 + changes.rng.randrange(120))
        message, files = changes.change(i, when)
        authors = AUTHORS[model]
        author = authors[(i // len(MODELS)) % len(authors)]
        mark = b.new_mark()
        b.stream.commit(MAIN, mark, author, when, message + "\n", [head], files)
        head = mark
        if i % REGISTER_EVERY == 0:
            next_minor += 1
            registered, registered_mark = f"v{major}.{next_minor}.0", mark
            message = register_message(registered) + "\n"
            b.stream.tag(f"churn@{registered}", mark, ANA, b.clock.advance(60), message)
        if i % ASSIGN_EVERY == 0:
            counter += 1
            stage = STAGE_CYCLE[(i // ASSIGN_EVERY) % len(STAGE_CYCLE)]
            message = assign_message(stage, registered) + "\n"
            tag = f"churn#{stage}#{counter}"
            b.stream.tag(tag, registered_mark, ELI, b.clock.advance(60), message)
    b.heads[MAIN] = head
