"""Optional configuration: the repository's and the user's own.

The repository's, ``.modeltrail.toml`` or ``[tool.modeltrail]``, is read from the work
tree and holds the team's facts only. Keys: ``main`` (branch name), ``integration``
(list of branch names or globs), ``[metrics] <key> = "lower"|"higher"``, ``[tags]
patterns = ["release/{model}/{version}", ...]`` (the team's own tag forms), ``push =
"ask"|"always"|"never"`` (whether the TUI's rollback dialog pushes what it wrote).
Personal settings found there (``[keys]``, ``theme``: a clone must not rebind its
user's keys) are ignored, with a warning saying where they belong.

The user's own, ``$XDG_CONFIG_HOME/modeltrail/config.toml`` (``~/.config/...``), holds
the personal settings: ``[keys] <binding id> = "key"`` (the TUI's key map), ``theme =
"<Textual theme>"``, and ``push``: a repository comes from someone else, so its ``push
= "always"`` is shown but pushes nothing unasked; only the user's own file can make the
dialog push without asking (:func:`push_policy`). A repository may ask for less
(``"never"``).

A broken file is reported once as a warning and otherwise ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOWER_IS_BETTER = re.compile(r"loss|error|rmse|mae|mse|latency|perplexity", re.IGNORECASE)


PUSH_CHOICES = ("ask", "always", "never")

#: ``[tags] patterns``: a team has a handful; past this many, a warning (all are used:
#: tags are matched against them in one pass, however many there are)
MANY_TAG_PATTERNS = 200

_FILE = re.compile(r"\.(json|ya?ml|toml|py)$")

#: what belongs to a person, not a repository: read from the user's own file only
PERSONAL = ("keys", "bindings", "keymap", "theme", "colors", "colours")


@dataclass
class Config:
    main: str | None = None
    integration: list[str] = field(default_factory=list)
    metric_directions: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # the user's own only
    theme: str | None = None  # the user's own only: a Textual theme's name
    tag_patterns: list[str] = field(default_factory=list)  # the usable ones
    tag_warnings: list[str] = field(default_factory=list)  # patterns that can never match
    push: str = "ask"  # the rollback dialog: ask, always or never push the new tag/commit
    warnings: list[str] = field(default_factory=list)
    push_from: str | None = None  # the file that set ``push`` (None: the default)

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
    table: dict[str, Any] = {}
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
    for name in PERSONAL:
        if name in table:
            label = f"[{name}]" if isinstance(table[name], dict) else name
            cfg.warnings.append(
                f"{source}: {label} ignored: personal settings (key bindings, theme) "
                f"belong in your own {user_config_path()}, not in the repository"
            )
    _read_push(cfg, table, source)
    tags = table.get("tags")
    if isinstance(tags, dict) and "patterns" in tags:
        cfg.tag_patterns, cfg.tag_warnings = read_tag_patterns(tags["patterns"])
    return cfg


def _read_push(cfg: Config, table: dict[str, Any], source: str) -> None:
    push = table.get("push")
    if push in PUSH_CHOICES:
        cfg.push = push
        cfg.push_from = source
    elif push is not None:
        cfg.warnings.append(
            f'{source}: push = {str(push)[:40]!r} ignored: use "ask", "always" or "never"'
        )


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/modeltrail/config.toml`` (``~/.config/modeltrail/config.toml``)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "modeltrail" / "config.toml"


def load_user_config(path: Path | None = None) -> Config:
    """The user's own configuration (:func:`user_config_path`): ``[keys]``, ``theme`` and
    ``push``. A missing file is the defaults; a broken one, or a value that is not a
    text, a warning."""
    path = user_config_path() if path is None else path
    cfg = Config()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return cfg
    except (tomllib.TOMLDecodeError, OSError, RecursionError) as exc:
        cfg.warnings.append(f"{path}: configuration ignored: {exc}")
        return cfg
    if isinstance(table, dict):
        _read_push(cfg, table, str(path))
        _read_personal(cfg, table, str(path))
    return cfg


def _read_personal(cfg: Config, table: dict[str, Any], source: str) -> None:
    """``[keys]`` and ``theme`` of the user's own file."""
    keys = table.get("keys")
    if isinstance(keys, dict):
        for ident, key in keys.items():
            if isinstance(key, str) and key.strip():
                cfg.keys[str(ident)] = key
            else:
                cfg.warnings.append(
                    f"{source}: [keys] {str(ident)[:40]} = {str(key)[:40]!r} ignored: "
                    'a key is a text such as "C" or "ctrl+f"'
                )
    elif keys is not None:
        cfg.warnings.append(f'{source}: keys ignored: use a [keys] table (compare = "C")')
    for name in ("bindings", "keymap"):
        if name in table:
            cfg.warnings.append(f"{source}: [{name}] ignored: key bindings go under [keys]")
    theme = table.get("theme")
    if isinstance(theme, str) and theme.strip():
        cfg.theme = theme.strip()
    elif theme is not None:
        cfg.warnings.append(f"{source}: theme = {str(theme)[:40]!r} ignored: a theme's name")


@dataclass(frozen=True)
class PushPolicy:
    """What the rollback dialog does with what it wrote, and why."""

    mode: str  # ask | always | never
    why: str  # push = "always" in <the user's file>, ...
    note: str | None = None  # the repository asked for a push it does not get


def push_policy(repo: Config, user: Config) -> PushPolicy:
    """The dialog's push policy: the user's own ``push`` when set; else the repository's
    only when it asks for less (``"never"``); a repository's ``"always"`` is noted, and
    ``p`` still has to be pressed."""
    asked = repo.push if repo.push_from is not None else None
    note = None
    if asked == "always" and user.push != "always":
        note = (
            f'{repo.push_from} says push = "always"; a repository cannot push for you: '
            f'that takes push = "always" in your own {user_config_path()}'
        )
    if user.push_from is not None:
        return PushPolicy(user.push, f'push = "{user.push}" in {user.push_from}', note)
    if asked == "never":
        return PushPolicy("never", f'push = "never" in {repo.push_from}')
    return PushPolicy("ask", 'push = "ask", the default', note)


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
        elif len(warnings) < MANY_TAG_PATTERNS:  # one per pattern, but not 20,000 of them
            warnings.append(f"tag pattern {item[:100]!r} can never match: {why}")
    usable = list(dict.fromkeys(usable))  # a pattern listed twice reads tags once
    if len(usable) > MANY_TAG_PATTERNS:
        warnings.append(
            f"[tags] patterns lists {len(usable):,} tag forms: more than {MANY_TAG_PATTERNS}"
            " is unusual (a generated list?); all are used, but check it is what you meant"
        )
    return usable, warnings
