"""Optional project configuration: ``.modeltrail.toml`` or ``[tool.modeltrail]``.

Read from the work tree. Keys: ``main`` (branch name), ``integration`` (list of branch
names or globs), ``[metrics] <key> = "lower"|"higher"``, ``[keys] <binding id> = "key"``,
``[tags] patterns = ["release/{model}/{version}", ...]`` (the team's own tag forms),
``push = "ask"|"always"|"never"`` (whether the TUI's rollback dialog pushes what it wrote).
A broken file is reported once as a warning and otherwise ignored.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

LOWER_IS_BETTER = re.compile(r"loss|error|rmse|mae|mse|latency|perplexity", re.IGNORECASE)


PUSH_CHOICES = ("ask", "always", "never")

_FILE = re.compile(r"\.(json|ya?ml|toml|py)$")


@dataclass
class Config:
    main: str | None = None
    integration: list[str] = field(default_factory=list)
    metric_directions: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    tag_patterns: list[str] = field(default_factory=list)  # the usable ones
    tag_warnings: list[str] = field(default_factory=list)  # patterns that can never match
    push: str = "ask"  # the rollback dialog: ask, always or never push the new tag/commit
    warnings: list[str] = field(default_factory=list)

    def direction(self, metric: str) -> str:
        """``lower`` or ``higher``: which way a metric improves. A file-qualified name
        (``results/metrics.json:loss``) is judged by its key, never by the file's path."""
        d = self.metric_directions.get(metric)
        file, sep, key = metric.partition(":")
        if not (sep and _FILE.search(file)):
            key = metric
        if d is None:
            d = self.metric_directions.get(key)
        if d is None:
            d = self.metric_directions.get(key.rsplit(".", 1)[-1])
        if d in ("lower", "higher"):
            return d
        return "lower" if LOWER_IS_BETTER.search(key) else "higher"

    def better(self, metric: str, old: float | None, new: float | None) -> bool | None:
        """Whether ``new`` is better than ``old`` for this metric (None if equal/unknown)."""
        return improved(self.direction(metric), old, new)


def improved(direction: str, old: float | None, new: float | None) -> bool | None:
    """Whether ``new`` is better than ``old`` for a metric that improves in ``direction``
    (``lower`` or ``higher``); None when either is missing or they are equal."""
    if old is None or new is None or old == new:
        return None
    return (new < old) if direction == "lower" else (new > old)


def load_config(root: Path) -> Config:
    cfg = Config()
    table: dict = {}
    own = root / ".modeltrail.toml"
    pyproject = root / "pyproject.toml"
    source = own.name if own.is_file() else pyproject.name
    try:
        if own.is_file():
            table = tomllib.loads(own.read_text(encoding="utf-8", errors="replace"))
        elif pyproject.is_file():
            doc = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
            table = doc.get("tool", {}).get("modeltrail", {}) if isinstance(doc, dict) else {}
    except (tomllib.TOMLDecodeError, OSError, RecursionError) as exc:
        cfg.warnings.append(f"{source}: configuration ignored: {exc}")
        return cfg
    if not isinstance(table, dict):
        return cfg
    if isinstance(table.get("main"), str):
        cfg.main = table["main"]
    integ = table.get("integration")
    if isinstance(integ, str):
        cfg.integration = [integ]
    elif isinstance(integ, list):
        cfg.integration = [x for x in integ if isinstance(x, str)]
    metrics = table.get("metrics")
    if isinstance(metrics, dict):
        cfg.metric_directions = {
            str(k): str(v) for k, v in metrics.items() if v in ("lower", "higher")
        }
    keys = table.get("keys")
    if isinstance(keys, dict):
        cfg.keys = {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}
    push = table.get("push")
    if push in PUSH_CHOICES:
        cfg.push = push
    elif push is not None:
        cfg.warnings.append(
            f'{source}: push = {str(push)[:40]!r} ignored: use "ask", "always" or "never"'
        )
    tags = table.get("tags")
    if isinstance(tags, dict) and "patterns" in tags:
        cfg.tag_patterns, cfg.tag_warnings = read_tag_patterns(tags["patterns"])
    return cfg


# What git refuses in a ref name (git check-ref-format): no tag can contain these.
_NOT_IN_REFS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def _never_matches(pattern: str) -> str | None:
    """Why no tag can ever match ``pattern``; None when one can."""
    for name in ("{model}", "{version}"):
        if pattern.count(name) != 1:
            return f"it needs {name} exactly once"
    literal = pattern.replace("{model}", "x").replace("{version}", "1")
    if "{" in literal or "}" in literal:
        return "only {model} and {version} may be in braces"
    bad = _NOT_IN_REFS.search(literal)
    if bad is not None:
        return f"git does not allow {bad.group()!r} in a tag name"
    parts = literal.split("/")
    if (
        literal.startswith("/")
        or literal.endswith(("/", "."))
        or any(p.startswith(".") or p.endswith(".lock") for p in parts)
    ):
        return "git does not allow such a tag name"
    return None


def read_tag_patterns(value: object) -> tuple[list[str], list[str]]:
    """The usable patterns of ``[tags] patterns``, and a warning for each one that can
    never match a tag."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return [], ["[tags] patterns must be a list of texts such as 'release/{model}/{version}'"]
    usable: list[str] = []
    warnings: list[str] = []
    for item in value:
        if not isinstance(item, str):
            warnings.append(f"tag pattern {item!r} ignored: it is not a text")
            continue
        why = _never_matches(item)
        if why is None:
            usable.append(item)
        else:
            warnings.append(f"tag pattern {item!r} can never match: {why}")
    return usable, warnings
