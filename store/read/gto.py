"""GTO's registry rules as pure functions over tag records (no git here).

Everything below was read from GTO 1.10.1 (``gto/constants.py``, ``tag.py``, ``base.py``,
``registry.py``, ``index.py``, ``api.py``, ``cli.py``) and checked against the real
``gto show`` in ``tests/test_gto_rules.py``. :func:`evaluate` mirrors GTO's object model
step by step, including its quirks, so that it agrees with ``gto show`` on every repository
where ``gto show`` itself does not crash.

Tag grammar (``constants.tag_re``, parsed by ``tag.parse_name``; copied verbatim here)::

    ^ARTIFACT( (#STAGE | @vSEMVER)(!)? | @deprecated | @created )(#N)?$
    ARTIFACT = (DIRNAME=)?NAME      DIRNAME = [a-zA-Z0-9-_./]+
    NAME, STAGE = [a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?
    SEMVER = the semver.org regex (prerelease and build allowed), N = [0-9]+

``@vX.Y.Z`` registers, ``@vX.Y.Z!`` deregisters, ``#stage`` assigns, ``#stage!`` unassigns,
``@deprecated`` deprecates; ``#N`` is an optional counter, ignored by the rules. The
artifact name is the tag's artifact part with ``=`` turned into ``:`` (``dir=nn`` names the
artifact ``dir:nn``); so ``-x=m@v1.0.0`` is a valid GTO tag of artifact ``-x:m`` (gto counts
it), while ``-m@v1.0.0`` is not. ``name@created`` matches the regex but carries no action:
``gto show`` crashes on it (``KeyError: 'action'`` in ``tag.find``); we ignore it.

Which tags count (``tag.find``): only annotated tags (lightweight ones are dropped). Each
tag's time is its tagger timestamp in whole seconds (``GitTag.tag_time``; the time zone
plays no part). GTO builds its state in three passes (``GitRegistry.get_state``):
deprecations, then registrations/deregistrations, then assignments/unassignments; inside a
pass tags go by tagger time, ties by tag name (``list_tags`` is sorted, the sort is stable).

Versions (``base.Artifact.find_version``, ``tag.index_tag``): a registration or
deregistration attaches to the version object with that name *at the tag's commit* (a
deregistration tag on another commit deregisters nothing). A version is active when its
newest registration/deregistration event is a registration; on equal times the
deregistration wins (``Version.is_active``). An assignment or unassignment tag attaches to
the one non-"discovered" version (one with a registration or deregistration) at its commit;
if there is none, GTO creates a fresh version named by the full 40-hex commit id *for every
such tag*, so at an unregistered commit an unassignment never undoes an assignment.

``gto show`` (``api._show_registry``; CLI defaults ``--sort timestamp``, ``--av -1``,
``--vs 1``, ``registered_only=False``):

* latest = ``Artifact.get_latest_version(registered_only=True)``: the highest semver
  (``semver`` ordering, build metadata ignored) among active registered versions; on
  equal precedence the version created last wins. ``None`` if there is none.
* a stage's holder (``Artifact.get_vstages``): over all active versions (registered or
  named by a commit id; a deregistered version takes its stages with it), each
  (version, stage) pair is active when its newest event is an assignment (on equal times
  the unassignment wins). The holder is the active pair with the newest assignment, so a
  re-assignment to an older version (rollback) wins, and unassigning the holder falls back
  to the previous still-active pair. Ties on time go to the pair listed last after GTO's
  stable sorts (versions newest-created first, then pairs by activation time).
* an artifact is deprecated (``Artifact.is_active`` is false) when its newest event is a
  deprecation; any version event at the same second wins. Version events include a
  "commit" event per version dated by the commit's committer date, and one for HEAD for
  every artifact that ``artifacts.yaml`` at HEAD declares (``index.EnrichmentManager``),
  so a newer commit at HEAD revives a deprecated artifact still listed there. Deprecated
  artifacts are left out of ``gto show`` (``--deprecated`` shows them).
* ``gto show --json`` prints ``{name: {"version": latest or null, "stage": {stage:
  holder or null for every stage used in the repo}, "registered": bool, "active": bool}}``;
  a holder at an unregistered commit is shown as the full commit id.
  ``gto show NAME --json`` prints the artifact's versions (``Version.dict_state``).

Where GTO raises instead (two registered versions on one commit and a stage tag on it:
``ManyVersions``), :func:`evaluate` picks the most recently created active version.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import semver


EventKind = Literal["registration", "deregistration", "assignment", "unassignment", "deprecation"]

# --- GTO's grammar, verbatim from gto/constants.py -------------------------------------
_DIRNAME = "[a-zA-Z0-9-_./]+"
_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
_SEMVER = r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
_FULLNAME_IN_TAG = f"(?P<dirname>{_DIRNAME}=)?(?P<name>{_NAME})"
_TAG_RE = re.compile(
    f"^(?P<artifact>{_FULLNAME_IN_TAG})(((#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?))|@((?P<deprecated>deprecated)|(?P<created>created)))(#(?P<counter>[0-9]+))?$"
)
_FULLNAME_RE = re.compile(f"^(?P<dirname>{_DIRNAME}:)?(?P<name>{_NAME})$")

# GTO processes tags in three passes (GitRegistry.get_state): artifact, version, stage.
_PASS = {
    "deprecation": 0,
    "registration": 1,
    "deregistration": 1,
    "assignment": 2,
    "unassignment": 2,
}
_ADDITION = {"registration", "assignment", "commit"}


@dataclass(frozen=True)
class TagRecord:
    """One git tag as the indexer read it (``git for-each-ref refs/tags``)."""

    name: str  # short tag name, e.g. "churn#prod#3"
    commit: str  # peeled commit id (40 hex)
    annotated: bool
    tagger_name: str
    tagger_email: str
    date: datetime | None  # tagger date, timezone-aware UTC (None for lightweight)
    message: str


@dataclass(frozen=True)
class ParsedGtoTag:
    """What a GTO tag name says: the action, on which artifact, version or stage."""

    artifact: str  # GTO artifact name ("dir=name" in a tag is "dir:name")
    kind: EventKind
    version: str | None  # "v1.2.0" for (de)registrations
    stage: str | None  # for (un)assignments
    counter: int | None  # the optional "#N" suffix


@dataclass(frozen=True)
class GtoEvent:
    """One GTO tag as an event of an artifact's history."""

    artifact: str
    kind: EventKind
    stage: str | None
    version: str | None  # for (un)assignments: the version GTO attaches it to
    commit: str
    tag: str
    counter: int | None
    date: datetime
    tagger_name: str
    tagger_email: str
    message: str  # stripped, as GTO shows it


@dataclass(frozen=True)
class GtoVersion:
    """A registered version: its commit and its newest registration tag."""

    version: str
    commit: str
    tag: str
    date: datetime  # date of the newest registration tag
    deregistered: bool  # True when the newest (de)registration event is a deregistration


@dataclass(frozen=True)
class GtoStage:
    """Who holds a stage, as ``gto show`` says, and since when."""

    stage: str
    version: str  # a semver label, or the full commit id for an unregistered commit
    commit: str
    since: datetime  # date of the newest assignment of this stage to this version
    tag: str  # that assignment's tag


@dataclass(frozen=True)
class GtoArtifact:
    """One GTO artifact's state, exactly as ``gto show`` computes it.

    ``latest`` and ``stages`` are computed even when ``deprecated`` (as ``gto show
    --deprecated`` does); plain ``gto show`` hides deprecated artifacts.
    """

    name: str
    versions: dict[str, GtoVersion] = field(default_factory=dict)
    latest: str | None = None
    stages: dict[str, GtoStage] = field(default_factory=dict)
    deprecated: bool = False
    registered: bool = False  # has at least one GTO tag (else only found in artifacts.yaml)
    events: tuple[GtoEvent, ...] = ()  # chronological


@dataclass(frozen=True)
class GtoHead:
    """HEAD as GTO's ``EnrichmentManager`` sees it: commit, committer date, and the
    artifact names ``artifacts.yaml`` at HEAD declares."""

    commit: str
    date: datetime
    artifacts: frozenset[str] = frozenset()


def parse_tag(name: str) -> ParsedGtoTag | None:
    """Parse a tag name with GTO's grammar; None if GTO would not act on it."""
    if not isinstance(name, str):
        return None
    match = _TAG_RE.search(name)
    if match is None or match["created"]:
        return None
    artifact = match["artifact"].replace("=", ":")
    counter = int(match["counter"]) if match["counter"] else None
    cancel = match["cancel"] == "!"
    if match["deprecated"]:
        return ParsedGtoTag(artifact, "deprecation", None, None, counter)
    if match["version"]:
        kind: EventKind = "deregistration" if cancel else "registration"
        return ParsedGtoTag(artifact, kind, match["version"], None, counter)
    kind = "unassignment" if cancel else "assignment"
    return ParsedGtoTag(artifact, kind, None, match["stage"], counter)


def artifact_part(name: str) -> str | None:
    """The artifact a GTO tag would name, found without the grammar (the text before the
    first ``#`` or ``@``, neither of which an artifact name may hold, ``=`` read as
    ``:``): equal to :func:`parse_tag`'s artifact whenever that parses, so a cheap way to
    pick one artifact's tags out of many. None when no GTO tag could start so."""
    cut = min((i for i in (name.find("#"), name.find("@")) if i >= 0), default=-1)
    return name[:cut].replace("=", ":") if cut > 0 else None


def is_valid_artifact_name(name: str) -> bool:
    """True for names GTO accepts in ``artifacts.yaml`` (``[dir:]name``)."""
    return isinstance(name, str) and _FULLNAME_RE.search(name) is not None


# --- a faithful model of gto.base's objects ----------------------------------------------


def _seconds(date: datetime) -> int:
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return int(date.timestamp())


class _Ev:
    """An event inside the model: a tag event, or a "commit" (enrichment) event."""

    __slots__ = ("kind", "time", "date", "record", "parsed", "version")

    def __init__(
        self,
        kind: str,
        date: datetime,
        record: TagRecord | None = None,
        parsed: ParsedGtoTag | None = None,
    ) -> None:
        self.kind = kind
        self.date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
        self.time = _seconds(date)
        self.record = record
        self.parsed = parsed
        self.version: str | None = None


def _desc(events: list[_Ev]) -> list[_Ev]:
    """GTO's ``sorted(..., key=created_at)[::-1]``: newest first, ties reversed."""
    if len(events) < 2:
        return list(events)
    return sorted(events, key=_time)[::-1]


_time = operator.attrgetter("time")


class _VStage:
    """gto.base.VStage: one stage's assignments and unassignments for one version."""

    __slots__ = ("stage", "version", "commit", "assignments", "unassignments")

    def __init__(self, stage: str, version: _Version) -> None:
        self.stage = stage
        # the version's name and commit, not the version itself: a reference back would
        # make a cycle per version that only the cyclic collector frees
        self.version = version.name
        self.commit = version.commit
        self.assignments: list[_Ev] = []
        self.unassignments: list[_Ev] = []

    def events(self) -> list[_Ev]:
        return _desc(self.assignments + self.unassignments)

    def is_active(self) -> bool:
        return self.events()[0].kind == "assignment"

    def activated_at(self) -> int:
        return self.events()[0].time

    def authoring(self) -> _Ev:
        return next(e for e in self.events() if e.kind in _ADDITION)


class _Version:
    """gto.base.Version: a named version at one commit."""

    __slots__ = ("name", "commit", "registrations", "deregistrations", "enrichments", "stages")

    def __init__(self, name: str, commit: str) -> None:
        self.name = name
        self.commit = commit
        self.registrations: list[_Ev] = []
        self.deregistrations: list[_Ev] = []
        self.enrichments: list[_Ev] = []
        self.stages: dict[str, _VStage] = {}

    def direct(self) -> list[_Ev]:
        return _desc(self.registrations + self.deregistrations)

    def indirect(self) -> list[_Ev]:
        stage_events = [e for s in self.stages.values() for e in s.events()]
        return _desc(self.enrichments + stage_events)

    def all_events(self) -> list[_Ev]:
        stage_events = [e for s in self.stages.values() for e in s.events()]
        return _desc(self.registrations + self.deregistrations + self.enrichments + stage_events)

    @property
    def discovered(self) -> bool:
        return not (self.registrations or self.deregistrations)

    def is_active(self) -> bool:
        direct = self.direct()
        if direct:
            return direct[0].kind == "registration"
        return bool(self.enrichments or self.stages)

    def authoring(self) -> _Ev:
        additions = [e for e in self.direct() if e.kind in _ADDITION]
        return additions[0] if additions else self.indirect()[0]

    def active_vstages(self) -> list[_VStage]:
        return sorted(
            (s for s in self.stages.values() if s.is_active()), key=lambda s: s.activated_at()
        )

    def add_stage_event(self, event: _Ev, stage: str) -> None:
        vstage = self.stages.get(stage)
        if vstage is None:
            vstage = self.stages[stage] = _VStage(stage, self)
        (vstage.assignments if event.kind == "assignment" else vstage.unassignments).append(event)


@functools.lru_cache(maxsize=65536)  # the same few version texts recur in every artifact
def _semver_key(version: str) -> semver.Version | None:
    if not version.startswith("v"):
        return None
    import semver  # here: a repository without semver tags never needs it

    try:
        return semver.Version.parse(version[1:])
    except (ValueError, TypeError, IndexError):
        return None


class _Artifact:
    """gto.base.Artifact."""

    __slots__ = ("name", "versions", "by_commit", "deprecations")

    def __init__(self, name: str) -> None:
        self.name = name
        self.versions: list[_Version] = []  # in creation order, as GTO keeps them
        self.by_commit: dict[str, list[_Version]] = {}
        self.deprecations: list[_Ev] = []

    def find_version(self, commit: str, name: str | None = None) -> _Version:
        """``find_version(name, commit_hexsha, create_new=True)`` without ManyVersions."""
        found = [
            v
            for v in self.by_commit.get(commit, ())
            if (name is None or v.name == name) and not v.discovered
        ]
        if not found:
            version = _Version(name or commit, commit)
            self.versions.append(version)
            self.by_commit.setdefault(commit, []).append(version)
            return version
        if len(found) > 1:  # gto raises ManyVersions here; take the newest active one
            active = [v for v in found if v.is_active()]
            return (active or found)[-1]
        return found[0]

    def is_active(self) -> bool:
        events = _desc(self.deprecations + [e for v in self.versions for e in v.all_events()])
        return bool(events) and events[0].kind != "deprecation"

    def latest(self) -> _Version | None:
        """``get_latest_version(registered_only=True)``: GTO sorts ascending (stable) and
        reverses, so among equal semvers the one created last wins; a linear pass does it."""
        best: tuple[semver.Version, _Version] | None = None
        invalid: _Version | None = None  # e.g. "v1\u0661.0.0": GTO's \d takes any digit
        for version in self.versions:
            if not version.registrations or not version.is_active():
                continue
            key = _semver_key(version.name)
            if key is not None and (best is None or key >= best[0]):
                best = (key, version)
            elif key is None and (invalid is None or version.name >= invalid.name):
                invalid = version
        return best[1] if best else invalid

    def stage_holders(self) -> dict[str, _VStage]:
        versions = [v for v in self.versions if v.is_active()]
        versions = sorted(versions, key=lambda v: v.authoring().time)[::-1]
        pairs = [s for v in versions for s in v.active_vstages()]
        pairs = sorted(pairs, key=lambda s: s.authoring().time)[::-1]
        holders: dict[str, _VStage] = {}
        for pair in pairs:
            holders.setdefault(pair.stage, pair)
        return holders


def _records(tags: Iterable[TagRecord]) -> list[tuple[TagRecord, ParsedGtoTag]]:
    """Annotated, dated GTO tags in GTO's processing order."""
    found = []
    for record in tags:
        try:
            if not record.annotated or not isinstance(record.date, datetime):
                continue
            parsed = parse_tag(record.name)
        except (AttributeError, TypeError, ValueError, OverflowError):
            continue
        if parsed is not None:
            found.append((record, parsed))
    found.sort(key=lambda p: (_PASS[p[1].kind], _seconds(p[0].date), p[0].name))  # type: ignore[arg-type]
    return found


def _apply(artifact: _Artifact, event: _Ev) -> None:
    record, parsed = event.record, event.parsed
    assert record is not None and parsed is not None
    if parsed.kind == "deprecation":
        artifact.deprecations.append(event)
    elif parsed.kind in ("registration", "deregistration"):
        assert parsed.version is not None
        event.version = parsed.version
        version = artifact.find_version(record.commit, parsed.version)
        target = version.registrations if parsed.kind == "registration" else version.deregistrations
        target.append(event)
    else:
        assert parsed.stage is not None
        name = artifact.find_version(record.commit).name  # tag.index_tag
        event.version = name
        artifact.find_version(record.commit, name).add_stage_event(event, parsed.stage)


def _enrich(
    artifacts: dict[str, _Artifact],
    commit_dates: Mapping[str, datetime] | None,
    head: GtoHead | None,
) -> None:
    """gto.index.EnrichmentManager: a "commit" event per version, and per HEAD artifact."""
    if commit_dates:
        for artifact in artifacts.values():
            for version in artifact.versions:
                date = commit_dates.get(version.commit)
                if isinstance(date, datetime) and not version.enrichments:
                    version.enrichments.append(_Ev("commit", date))
    if head is None or not isinstance(head.date, datetime):
        return
    for name in sorted(head.artifacts):
        if not is_valid_artifact_name(name):
            continue
        artifact = artifacts.setdefault(name, _Artifact(name))
        version = artifact.find_version(head.commit)
        if not version.enrichments:
            version.enrichments.append(_Ev("commit", head.date))


def _public_event(artifact: str, event: _Ev) -> GtoEvent:
    record, parsed = event.record, event.parsed
    assert record is not None and parsed is not None
    return GtoEvent(
        artifact=artifact,
        kind=parsed.kind,
        stage=parsed.stage,
        version=event.version,
        commit=record.commit,
        tag=record.name,
        counter=parsed.counter,
        date=event.date,
        tagger_name=record.tagger_name,
        tagger_email=record.tagger_email,
        message=(record.message or "").strip(),
    )


def _versions(artifact: _Artifact) -> dict[str, GtoVersion]:
    result: dict[str, GtoVersion] = {}
    for version in artifact.versions:
        if not version.registrations:
            continue
        newest = next(e for e in version.direct() if e.kind == "registration")
        assert newest.record is not None
        entry = GtoVersion(
            version=version.name,
            commit=version.commit,
            tag=newest.record.name,
            date=newest.date,
            deregistered=not version.is_active(),
        )
        previous = result.get(version.name)
        if previous is None or previous.deregistered or not entry.deregistered:
            result[version.name] = entry
    return result


def evaluate(
    tags: Iterable[TagRecord],
    *,
    commit_dates: Mapping[str, datetime] | None = None,
    head: GtoHead | None = None,
) -> dict[str, GtoArtifact]:
    """Every GTO artifact's state as ``gto show`` computes it, keyed by artifact name.

    ``commit_dates`` (commit id → committer date) and ``head`` are optional; they only
    matter for deprecation (a version's commit newer than the deprecation tag revives the
    artifact, as in GTO) and to list artifacts declared in ``artifacts.yaml`` but never
    tagged. Never raises on odd tags: those GTO ignores are ignored.
    """
    artifacts: dict[str, _Artifact] = {}
    tag_events: dict[str, list[_Ev]] = {}
    for record, parsed in _records(tags):
        event = _Ev(parsed.kind, record.date, record, parsed)  # type: ignore[arg-type]
        artifact = artifacts.get(parsed.artifact)
        if artifact is None:
            artifact = artifacts[parsed.artifact] = _Artifact(parsed.artifact)
        _apply(artifact, event)
        tag_events.setdefault(parsed.artifact, []).append(event)
    _enrich(artifacts, commit_dates, head)

    result: dict[str, GtoArtifact] = {}
    for name, artifact in artifacts.items():
        latest = artifact.latest()
        stages = {
            stage: GtoStage(
                stage=stage,
                version=pair.version,
                commit=pair.commit,
                since=pair.authoring().date,
                tag=pair.authoring().record.name,  # type: ignore[union-attr]
            )
            for stage, pair in sorted(artifact.stage_holders().items())
        }
        events = tag_events.get(name, [])
        ordered = sorted(
            events,
            key=lambda e: (e.time, _PASS[e.kind], e.record.name),  # type: ignore[union-attr]
        )
        result[name] = GtoArtifact(
            name=name,
            versions=_versions(artifact),
            latest=latest.name if latest else None,
            stages=stages,
            deprecated=not artifact.is_active(),
            registered=bool(events),
            events=tuple(_public_event(name, e) for e in ordered),
        )
    return result


# --- .gto, GTO's configuration -----------------------------------------------------------


@dataclass(frozen=True)
class GtoConfig:
    """What ``.gto`` says (``gto.config.RegistryConfig``). ``stages``: the allowed stages;
    ``gto show`` lists exactly these (a tag for another stage counts for nothing shown).
    ``types``: the artifact types ``gto annotate`` accepts; ``gto show`` ignores it. None:
    not set (every stage in use is shown)."""

    stages: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    problems: tuple[str, ...] = ()  # what is wrong with the file (a new problem re-reads it)

    def as_json(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages) if self.stages is not None else None,
            "types": list(self.types) if self.types is not None else None,
            **({"problems": list(self.problems)} if self.problems else {}),
        }


def parse_config(data: bytes | None) -> tuple[GtoConfig, list[str]]:
    """``.gto`` as GTO reads it (YAML; ``stages`` and ``types`` lists of names)."""
    if not data:  # no .gto (the usual case): the YAML reader is not even imported
        return GtoConfig(), []
    from modeltrail.store.read.readers.structured import load_mapping

    doc, warnings = load_mapping(data, "yaml")
    if doc is None:
        return GtoConfig(problems=tuple(warnings)), warnings
    found: dict[str, tuple[str, ...] | None] = {"stages": None, "types": None}
    for key in found:
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            warnings.append(f"{key}: expected a list of names; ignored (gto refuses this file)")
            continue
        found[key] = tuple(value)
    config = GtoConfig(stages=found["stages"], types=found["types"], problems=tuple(warnings))
    return config, warnings
