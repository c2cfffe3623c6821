"""Version labels that come from plain (non-GTO) tags, their scheme, and the latest one.

Three schemes (docs/CONVENTIONS.md):

- **semver**: ``v1.2.0`` (the leading ``v`` is required in the built-in tag forms; your
  own patterns and manifest ``version:`` fields may omit it);
- **calendar**: ``YYYY.MM.DD``, ``YYYY.MM``, ``YYYY.MM.MICRO`` (month padded or not),
  ``YYYY-MM-DD`` and ``YY.MM.MICRO``, ordered by date, then micro;
- **sequential**: ``vN`` or ``N``, ordered as numbers (``v9`` < ``v10``).

Built-in tag forms: ``name-<version>`` and ``name/<version>`` for any of them, and, in a
repository with one model, a bare ``vX.Y.Z`` or ``vN``. The team's own forms come from
config (``[tags] patterns = ["release/{model}/{version}"]``). The label is the version
part. Model names may contain ``-`` and ``/``: a tag is matched against the known model
names, longest first; a tag that two models could claim is reported (:class:`Clash`).

Latest = highest semver label, else newest calendar label, else highest sequential
label, else the newest commit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import semver


LabelKind = Literal["semver", "calendar", "sequential"]
SCHEMES: tuple[LabelKind, ...] = ("semver", "calendar", "sequential")

_MONTH = r"(0[1-9]|1[0-2]|[1-9])"
_MICRO = r"(0|[1-9]\d*)"
# (regex, how its groups read); every regex is ASCII-only and anchored
_CALENDAR_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})\.(0[1-9]|1[0-2])\.(\d{2})$", re.ASCII), "ymd"),  # 2026.01.07
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})$", re.ASCII), "ymd"),  # 2026-01-07
    (re.compile(rf"^(\d{{4}})\.{_MONTH}\.{_MICRO}$", re.ASCII), "ym.micro"),  # 2026.1.12
    (re.compile(rf"^(\d{{4}})\.{_MONTH}$", re.ASCII), "ym"),  # 2026.01, 2026.1
)
_SHORT_YEAR = re.compile(rf"^([1-9]\d)\.{_MONTH}\.{_MICRO}$", re.ASCII)  # 26.1.3, 26.01.3
_SEQUENTIAL = re.compile(r"^v?(0|[1-9]\d{0,17})$", re.ASCII)


@dataclass(frozen=True)
class TagLabel:
    """A plain tag read as a version label of a model."""

    model: str
    label: str  # the version part: "v1.2.0", "2026.01.07", "v7"
    kind: LabelKind
    tag: str  # the full tag name


@dataclass(frozen=True)
class Clash:
    """A tag that reads as a label of more than one model (``models[0]`` gets it)."""

    tag: str
    models: tuple[str, ...]


@dataclass
class TagReading:
    """What plain tags say: the labels, and the tags that two models could claim."""

    labels: list[TagLabel] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)


@dataclass(frozen=True)
class LabelledVersion:
    """One version of a model, as :func:`pick_latest` weighs it.

    ``label`` is the version's label (a semver, calendar or sequential label, a manifest
    version, or the short commit id of an unlabelled version); ``date`` is its commit
    date; ``order`` breaks ties between equal dates (higher = newer, e.g. the position in
    history); ``kind`` is the label's scheme when known (None: read from the label;
    ``commit``: a commit id, never read as a version).
    """

    label: str
    date: datetime | None = None
    order: int = 0
    kind: str | None = None


#: How many distinct label texts the parsers remember: a repository repeats the same
#: few version texts across thousands of models and tags, so each is parsed once.
_CACHE = 65536


def semver_key(label: str) -> semver.Version | None:
    """The semver of ``v1.2.0`` or ``1.2.0`` (full semver.org syntax); None otherwise."""
    if not isinstance(label, str):
        return None
    return _semver_key(label)


@functools.lru_cache(maxsize=_CACHE)
def _semver_key(label: str) -> semver.Version | None:
    text = label[1:] if label[:1] in ("v", "V") else label
    if not text.isascii():
        return None
    import semver  # here: a repository without semver tags never needs it

    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError):
        return None


def _prerelease_part(identifier: str) -> tuple[int, int, str]:
    """One dot-separated prerelease identifier as ``semver`` orders it (``_nat_cmp``):
    numbers (by value) before words (by text)."""
    if not identifier.isdigit():
        return (1, 0, identifier)
    if not identifier.isascii():
        identifier = str(int(identifier))
    normalized = identifier.lstrip("0") or "0"
    return (0, len(normalized), normalized)


@functools.lru_cache(maxsize=_CACHE)
def semver_order(label: str) -> tuple[Any, ...] | None:
    """A plain tuple that orders semver labels exactly as ``semver.Version`` does
    (precedence: build metadata ignored, a release above its prereleases), compared
    without ``semver``'s slow rich comparisons; None when not a semver."""
    key = semver_key(label)
    if key is None:
        return None
    pre = key.prerelease
    rest = (0, tuple(_prerelease_part(x) for x in pre.split("."))) if pre else (1,)
    return (key.major, key.minor, key.patch, rest)


@functools.lru_cache(maxsize=_CACHE)
def _long_calendar(label: str) -> tuple[int, int, int] | None:
    for regex, form in _CALENDAR_FORMS:
        match = regex.match(label)
        if match is None:
            continue
        year, month = int(match[1]), int(match[2])
        if form == "ym":
            return year, month, -1
        third = int(match[3])
        if form == "ymd":
            try:
                date(year, month, third)
            except ValueError:
                if match[2][0] == "0" or "-" in label:
                    return None  # 2026.02.30: a padded month and day, yet no such date
                continue  # 2026.11.31 may still be YYYY.MM.MICRO
        return year, month, third
    return None


def calendar_key(label: str) -> tuple[int, int, int] | None:
    """The order of a calendar label: (year, month, day or micro); None otherwise.

    ``YYYY.0M.DD`` and ``YYYY-MM-DD`` must be real dates; ``YYYY.M.MICRO`` (month not
    padded) and ``YY.MM.MICRO`` take any micro; ``YYYY.MM`` sorts before its micros.
    """
    if not isinstance(label, str):
        return None
    return _calendar_key(label)


@functools.lru_cache(maxsize=_CACHE)
def _calendar_key(label: str) -> tuple[int, int, int] | None:
    found = _long_calendar(label)
    if found is not None:
        return found
    match = _SHORT_YEAR.match(label)
    if match is None:
        return None
    return 2000 + int(match[1]), int(match[2]), int(match[3])


def sequential_key(label: str) -> int | None:
    """The number of a sequential label ``vN`` or ``N``; None otherwise."""
    if not isinstance(label, str):
        return None
    match = _SEQUENTIAL.match(label)
    return int(match[1]) if match else None


def classify(text: str, bare_semver: bool = True) -> LabelKind | None:
    """The scheme of a version text, or None.

    ``vX.Y.Z`` is semver; a calendar form with a four-digit year is calendar; then, with
    ``bare_semver`` (manifests, the team's patterns), ``X.Y.Z`` is semver; ``YY.MM.MICRO``
    is calendar; ``vN`` / ``N`` sequential. The built-in tag forms pass
    ``bare_semver=False``: there ``fraud-24.5.1`` is the calendar label ``24.5.1``.
    """
    if not isinstance(text, str) or not text:
        return None
    return _classify(text, bool(bare_semver))


@functools.lru_cache(maxsize=_CACHE)
def _classify(text: str, bare_semver: bool) -> LabelKind | None:
    if text[:1] == "v" and semver_key(text) is not None:
        return "semver"
    if _long_calendar(text) is not None:
        return "calendar"
    if bare_semver and text[:1] != "V" and semver_key(text) is not None:
        return "semver"
    if calendar_key(text) is not None:
        return "calendar"
    if sequential_key(text) is not None:
        return "sequential"
    return None


def scheme_of(label: str, kind: str | None) -> LabelKind | None:
    """The scheme of a stored label: GTO registrations are semver; a tag's kind is its
    scheme; a manifest version (or an unknown kind) is read from the text."""
    if kind in SCHEMES:
        return kind
    if kind == "gto":
        return "semver"
    if kind == "commit":
        return None
    return classify(label)


def order_key(label: str, scheme: str | None) -> Any:
    """A key ordering labels of one scheme (higher = newer); None when it has none.
    Keys of one scheme compare with each other (semver: :func:`semver_order`), not
    across schemes: hence ``Any``, which lets callers sort one scheme's keys."""
    if not isinstance(label, str):
        return None
    if scheme == "semver":
        return semver_order(label)
    if scheme == "calendar":
        return calendar_key(label)
    if scheme == "sequential":
        return sequential_key(label)
    return None


@dataclass(frozen=True)
class _Pattern:
    prefix: str  # literal text before {model}
    middle: str  # literal text between {model} and {version} (or {version} and {model})
    suffix: str  # literal text after the second placeholder
    model_first: bool
    bare_semver: bool


def _compile(pattern: str) -> _Pattern | None:
    """``release/{model}/{version}`` as its literal pieces (None: not a usable pattern)."""
    if pattern.count("{model}") != 1 or pattern.count("{version}") != 1:
        return None
    m, v = pattern.index("{model}"), pattern.index("{version}")
    if m < v:
        pre, rest = pattern.split("{model}")
        mid, suf = rest.split("{version}")
    else:
        pre, rest = pattern.split("{version}")
        mid, suf = rest.split("{model}")
    if "{" in pattern.replace("{model}", "").replace("{version}", ""):
        return None
    return _Pattern(pre, mid, suf, m < v, True)


BUILTIN_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("", "-", "", True, False),
    _Pattern("", "/", "", True, False),
)


def _readings(tag: str, pat: _Pattern, names: set[str]) -> list[tuple[str, str, LabelKind]]:
    """Every (model, version, kind) that ``pat`` reads ``tag`` as, longest name first.

    Each place where the literal between the placeholders occurs splits the tag into a
    candidate name and version: a few set lookups per tag, however many models there are.
    """
    if len(tag) < len(pat.prefix) + len(pat.suffix) or not (
        tag.startswith(pat.prefix) and tag.endswith(pat.suffix)
    ):
        return []
    body = tag[len(pat.prefix) : len(tag) - len(pat.suffix)]
    mid = len(pat.middle)
    if mid:
        splits, k = [], body.find(pat.middle)
        while k >= 0:
            splits.append(k)
            k = body.find(pat.middle, k + 1)
    else:
        splits = list(range(1, len(body)))
    out = []
    for k in splits:
        if pat.model_first:
            name, version = body[:k], body[k + mid :]
        else:
            version, name = body[:k], body[k + mid :]
        if not name or not version or name not in names:
            continue
        kind = classify(version, bare_semver=pat.bare_semver)
        if kind is not None:
            out.append((name, version, kind))
    if len(out) > 1:
        out.sort(key=lambda f: len(f[0]), reverse=True)
    return out


class _Rules:
    """Tag forms (the team's patterns in order, then the built-in ones), indexed so that
    a tag meets only the forms whose literal prefix, suffix and middle it holds: a few
    dictionary lookups per tag, however many patterns there are (tried one by one,
    2,000 patterns made an index of 100,000 tags take 40 s).

    Forms are grouped by prefix, then suffix, then middle; a tag looks up each prefix
    and suffix length that some form has, and, in a group of many middles, each piece of
    its body as long as one of them (a group of a few: one ``in`` test each)."""

    _FEW = 8  # middles tested one by one in a group of at most this many

    def __init__(self, rules: Sequence[_Pattern]) -> None:
        self.rules = list(rules)
        # prefix -> suffix -> middle -> indexes of the forms with them
        self._index: dict[str, dict[str, dict[str, list[int]]]] = {}
        for i, r in enumerate(self.rules):
            by_suffix = self._index.setdefault(r.prefix, {})
            by_suffix.setdefault(r.suffix, {}).setdefault(r.middle, []).append(i)
        self._prefixes = sorted({len(p) for p in self._index})
        self._suffixes = {
            p: sorted({len(x) for x in by_suffix}) for p, by_suffix in self._index.items()
        }
        self._middles = {
            (p, x): sorted({len(m) for m in by_middle})
            for p, by_suffix in self._index.items()
            for x, by_middle in by_suffix.items()
        }

    def matching(self, tag: str) -> list[_Pattern]:
        """The forms whose prefix, suffix and middle ``tag`` holds, in their order."""
        found: list[int] = []
        n = len(tag)
        for pl in self._prefixes:
            if pl > n:
                break
            prefix = tag[:pl]
            by_suffix = self._index.get(prefix)
            if by_suffix is None:
                continue
            for sl in self._suffixes[prefix]:
                if pl + sl > n:
                    break
                suffix = tag[n - sl :] if sl else ""
                by_middle = by_suffix.get(suffix)
                if by_middle is None:
                    continue
                body = tag[pl : n - sl]
                if len(by_middle) <= self._FEW:
                    for middle, idx in by_middle.items():
                        if middle in body:
                            found += idx
                    continue
                for ml in self._middles[(prefix, suffix)]:
                    if ml == 0:
                        found += by_middle.get("", ())
                        continue
                    pieces = {body[k : k + ml] for k in range(len(body) - ml + 1)}
                    for piece in pieces:
                        found += by_middle.get(piece, ())
        if len(found) > 1:
            found.sort()
        return [self.rules[i] for i in found]


@functools.lru_cache(maxsize=8)
def _rules(patterns: tuple[str, ...]) -> _Rules:
    compiled = [p for p in map(_compile, patterns) if p]
    return _Rules([*compiled, *BUILTIN_PATTERNS])


def read_tags(
    tag_names: Iterable[str],
    model_names: set[str],
    single_model: str | None,
    patterns: Sequence[str] = (),
) -> TagReading:
    """Labels that plain tags give to known models, in the order of ``tag_names``.

    The team's ``patterns`` are tried first, then ``<model>-<version>`` and
    ``<model>/<version>``; the longest model name that fits wins, and a tag that would
    label two different models is listed in ``clashes`` (it still labels the first).
    With ``single_model`` set, a bare ``vX.Y.Z`` or ``vN`` tag labels that model.
    """
    names = {n for n in model_names if isinstance(n, str) and n}
    rules = _rules(tuple(x for x in patterns if isinstance(x, str)))
    out = TagReading()
    for tag in tag_names:
        if not isinstance(tag, str) or not tag:
            continue
        found: list[tuple[str, str, LabelKind]] = []
        for rule in rules.matching(tag):
            found += _readings(tag, rule, names)
        if not found and single_model:
            kind = classify(tag, bare_semver=False)
            if tag[:1] == "v" and kind in ("semver", "sequential"):
                found.append((single_model, tag, kind))
        if not found:
            continue
        model, version, kind = found[0]
        out.labels.append(TagLabel(model, version, kind, tag))
        if len(found) > 1:
            models = tuple(dict.fromkeys(f[0] for f in found))
            if len(models) > 1:
                out.clashes.append(Clash(tag, models))
    return out


def plain_tag_labels(
    tag_names: Iterable[str],
    model_names: set[str],
    single_model: str | None,
    patterns: Sequence[str] = (),
) -> list[TagLabel]:
    """The labels of :func:`read_tags` (without the clashes)."""
    return read_tags(tag_names, model_names, single_model, patterns).labels


def _when(version: LabelledVersion) -> tuple[datetime, int]:
    return when_of(version.date), version.order


_NEVER = datetime.min.replace(tzinfo=UTC)


def when_of(date: object) -> datetime:
    """A version's date as :func:`pick_latest` compares it (none: before any date)."""
    if not isinstance(date, datetime):
        return _NEVER
    return date if date.tzinfo is not None else date.replace(tzinfo=UTC)


def pick_latest(versions: Iterable[LabelledVersion]) -> str | None:
    """The latest label (docs/CONVENTIONS.md): the highest semver label; else the newest calendar
    label; else the highest sequential label; else the label of the newest commit. A
    label that is a calendar date counts as calendar, never semver. Ties go to the newer
    commit (date, then ``order``). None when there is no version."""
    items = list(versions)
    if not items:
        return None
    keyed = []
    for v in items:
        scheme = scheme_of(v.label, v.kind)
        key = order_key(v.label, scheme)
        if key is not None:
            keyed.append((scheme, key, v))
    for scheme in SCHEMES:
        mine = [(k, v) for s, k, v in keyed if s == scheme]
        if mine:
            return max(mine, key=lambda p: (p[0], _when(p[1])))[1].label
    return max(items, key=_when).label


def mixed_schemes(labels: Iterable[tuple[str, str | None]]) -> dict[LabelKind, list[str]]:
    """Scheme -> its labels (sorted, distinct) when ``(label, kind)`` pairs use more than
    one scheme; empty when they use one or none."""
    by: dict[LabelKind, set[str]] = {}
    for label, kind in labels:
        scheme = scheme_of(label, kind)
        if scheme is not None:
            by.setdefault(scheme, set()).add(label)
    if len(by) < 2:
        return {}
    return {s: sorted(by[s]) for s in SCHEMES if s in by}
