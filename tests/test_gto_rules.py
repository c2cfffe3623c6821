"""store.gto must agree with the real ``gto show`` on GTO repositories built here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from modeltrail.store.read.gto import GtoHead, TagRecord, evaluate, parse_tag

GTO = Path(sys.executable).parent / "gto"
needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")

BASE = datetime(2024, 1, 1, tzinfo=UTC)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Ana",
    "GIT_AUTHOR_EMAIL": "ana@example.com",
    "GIT_COMMITTER_NAME": "Ana",
    "GIT_COMMITTER_EMAIL": "ana@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _stamp(date: datetime) -> str:
    return f"{int(date.timestamp())} +0000"


class Repo:
    """A throw-away git repository with commits and tags at fixed dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.commits: list[str] = []
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: datetime = BASE, stdin: str | None = None) -> str:
        env = {**os.environ, **IDENTITY}
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = _stamp(date)
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, files: dict[str, str] | None = None, date: datetime | None = None) -> str:
        index = len(self.commits)
        for name, text in (files or {f"model{index}.txt": str(index)}).items():
            (self.path / name).write_text(text)
        self.git("add", "-A")
        self.git(
            "commit", "-q", "-m", f"commit {index}", date=date or BASE + timedelta(hours=index)
        )
        self.commits.append(self.git("rev-parse", "HEAD"))
        return self.commits[-1]

    def tag(self, name: str, commit: str, day: float, annotated: bool = True) -> None:
        date = BASE + timedelta(days=day)
        if annotated and not name.startswith("-"):
            self.git("tag", "-a", "-m", f"msg {name}", "--end-of-options", name, commit, date=date)
        elif annotated:  # `git tag` refuses such names; GTO still reads them
            body = f"object {commit}\ntype commit\ntag {name}\ntagger Ana <ana@example.com> {_stamp(date)}\n\nmsg\n"
            obj = self.git("hash-object", "-t", "tag", "-w", "--stdin", stdin=body)
            self.git("update-ref", f"refs/tags/{name}", obj)
        else:
            self.git("update-ref", f"refs/tags/{name}", commit)

    def read_tags(self) -> list[TagRecord]:
        """All tags with one for-each-ref, as the indexer reads them."""
        fields = [
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(taggername)",
            "%(taggeremail:trim)",
            "%(taggerdate:unix)",
            "%(contents)",
        ]
        out = self.git("for-each-ref", "--format=" + "%00".join(fields) + "%00%01", "refs/tags")
        records = []
        for chunk in out.split("\x01"):
            chunk = chunk.lstrip("\n")
            if not chunk:
                continue
            name, kind, obj, peeled, tagger, email, date, message, _ = chunk.split("\x00")
            annotated = kind == "tag"
            records.append(
                TagRecord(
                    name=name,
                    commit=peeled if annotated else obj,
                    annotated=annotated,
                    tagger_name=tagger,
                    tagger_email=email,
                    date=datetime.fromtimestamp(int(date), UTC) if date else None,
                    message=message,
                )
            )
        return records

    def commit_dates(self) -> dict[str, datetime]:
        out = self.git("log", "--all", "--format=%H %ct")
        return {
            line.split()[0]: datetime.fromtimestamp(int(line.split()[1]), UTC)
            for line in out.splitlines()
        }

    def gto_show(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **IDENTITY, "GTO_EMOJIS": "false"}
        return subprocess.run(
            [str(GTO), "show", "--json", "-r", str(self.path), *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
        )

    def gto_registry(self, *args: str) -> dict:
        done = self.gto_show(*args)
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def ours(repo: Repo, head: GtoHead | None = None) -> dict:
    """evaluate() in the shape of ``gto show --json --deprecated``."""
    result = evaluate(repo.read_tags(), commit_dates=repo.commit_dates(), head=head)
    used = sorted({stage for a in result.values() for stage in a.stages})
    return {
        name: {
            "version": a.latest,
            "stage": {s: (a.stages[s].version if s in a.stages else None) for s in used},
            "registered": a.registered,
            "active": not a.deprecated,
        }
        for name, a in result.items()
    }


def assert_agrees(repo: Repo, head: GtoHead | None = None) -> dict:
    """Compare latest, every stage holder and deprecation with the real gto."""
    theirs = repo.gto_registry("--deprecated")
    mine = ours(repo, head)
    assert mine == theirs
    return mine


# --- the grammar -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("churn@v1.2.0", ("churn", "registration", "v1.2.0", None, None)),
        ("churn@v1.2.0-rc.1+b7#4", ("churn", "registration", "v1.2.0-rc.1+b7", None, 4)),
        ("churn@v1.2.0!", ("churn", "deregistration", "v1.2.0", None, None)),
        ("churn@v1.2.0!#9", ("churn", "deregistration", "v1.2.0", None, 9)),
        ("churn#prod#3", ("churn", "assignment", None, "prod", 3)),
        ("churn#prod", ("churn", "assignment", None, "prod", None)),
        ("churn#prod!#4", ("churn", "unassignment", None, "prod", 4)),
        ("churn@deprecated", ("churn", "deprecation", None, None, None)),
        ("team/fraud-v2#staging#1", ("team/fraud-v2", "assignment", None, "staging", 1)),
        ("models/x=churn@v1.0.0", ("models/x:churn", "registration", "v1.0.0", None, None)),
        ("-x=m@v1.0.0", ("-x:m", "registration", "v1.0.0", None, None)),
        ("c@v0.0.1", ("c", "registration", "v0.0.1", None, None)),
    ],
)
def test_parse_tag_reads_gto_names(name: str, expected: tuple) -> None:
    parsed = parse_tag(name)
    assert parsed is not None
    assert (parsed.artifact, parsed.kind, parsed.version, parsed.stage, parsed.counter) == expected


@pytest.mark.parametrize(
    "name",
    [
        "v1.0.0",
        "churn-v1.0.0",
        "churn@1.0.0",
        "churn@v1.0",
        "churn@v01.0.0",
        "churn@created",
        "-churn@v1.0.0",
        "churn-@v1.0.0",
        "churn#prod#x",
        "churn#-prod",
        "churn@deprecated!",
        "ch.urn@v1.0.0",
        "churn@v1.0.0\x00",
        "",
    ],
)
def test_parse_tag_rejects_what_gto_ignores(name: str) -> None:
    assert parse_tag(name) is None


def test_evaluate_never_raises_on_junk() -> None:
    junk = [
        TagRecord("m@v1.0.0", "a" * 40, True, "x", "y", None, ""),
        TagRecord("m#prod", "b" * 40, False, "", "", None, ""),
        TagRecord("m@v2.0.0", "c" * 40, True, "x", "y", datetime(2024, 1, 1), "naive date"),
        TagRecord("m@v1.0.0!", "d" * 40, True, "x", "y", BASE, ""),
        TagRecord("m#prod!", "e" * 40, True, "x", "y", BASE, ""),
        TagRecord("\x1b[31m@v1.0.0", "e" * 40, True, "x", "y", BASE, ""),
    ]
    result = evaluate(junk)
    assert result["m"].latest == "v2.0.0"
    assert result["m"].stages == {}
    # an unassignment with nothing to undo is still an event; equal times go in GTO's
    # pass order (versions before stages), then by tag name
    assert [e.kind for e in result["m"].events] == [
        "deregistration",
        "registration",
        "unassignment",
    ]


# --- agreement with the real gto ------------------------------------------------------


@needs_gto
def test_latest_is_highest_semver_not_newest_and_stage_rollback(repo: Repo) -> None:
    c = [repo.commit() for _ in range(4)]
    repo.tag("churn@v1.10.0", c[2], 1)
    repo.tag("churn@v1.2.0", c[3], 2)  # registered later, lower semver
    repo.tag("churn@v1.0.0", c[0], 3)
    repo.tag("churn@v2.0.0-rc.1", c[1], 4)  # a prerelease sorts below 2.0.0 but above 1.x
    repo.tag("churn#prod#1", c[0], 5)
    repo.tag("churn#prod#2", c[2], 6)
    repo.tag("churn#prod#3", c[0], 7)  # rollback to the older version
    mine = assert_agrees(repo)
    assert mine["churn"]["version"] == "v2.0.0-rc.1"
    assert mine["churn"]["stage"]["prod"] == "v1.0.0"
    state = evaluate(repo.read_tags())["churn"]
    assert state.stages["prod"].tag == "churn#prod#3"
    assert state.stages["prod"].since == BASE + timedelta(days=7)
    assert state.stages["prod"].commit == c[0]


@needs_gto
def test_deregistering_the_latest_falls_back_and_drops_its_stage(repo: Repo) -> None:
    c = [repo.commit() for _ in range(3)]
    repo.tag("churn@v1.0.0", c[0], 1)
    repo.tag("churn@v1.1.0", c[1], 2)
    repo.tag("churn#prod#1", c[0], 3)
    repo.tag("churn#prod#2", c[1], 4)
    repo.tag("churn@v1.1.0!", c[1], 5)
    repo.tag("churn@v1.2.0!", c[2], 6)  # deregisters nothing: never registered
    repo.tag("churn@v1.0.0!#7", c[2], 7)  # on another commit: deregisters nothing either
    mine = assert_agrees(repo)
    assert mine["churn"]["version"] == "v1.0.0"
    assert mine["churn"]["stage"]["prod"] == "v1.0.0"
    state = evaluate(repo.read_tags())["churn"]
    assert state.versions["v1.1.0"].deregistered
    assert not state.versions["v1.0.0"].deregistered


@needs_gto
def test_unassignment_falls_back_to_previous_holder(repo: Repo) -> None:
    c = [repo.commit() for _ in range(3)]
    repo.tag("fraud@v0.1.0", c[0], 1)
    repo.tag("fraud@v0.2.0", c[1], 2)
    repo.tag("fraud#staging#1", c[0], 3)
    repo.tag("fraud#staging#2", c[1], 4)
    repo.tag("fraud#staging!#3", c[1], 5)
    repo.tag("fraud#dev#4", c[1], 6)
    repo.tag("fraud#dev!#5", c[1], 7)
    mine = assert_agrees(repo)
    assert mine["fraud"]["stage"] == {"staging": "v0.1.0"}


@needs_gto
def test_stage_on_unregistered_commit_is_named_by_commit_and_cannot_be_unassigned(
    repo: Repo,
) -> None:
    c = [repo.commit() for _ in range(3)]
    repo.tag("m@v1.0.0", c[0], 1)
    repo.tag("m#dev#1", c[2], 2)
    repo.tag("m#dev!#2", c[2], 3)  # GTO files it under a fresh version: no effect
    mine = assert_agrees(repo)
    assert mine["m"]["stage"]["dev"] == c[2]
    versions = json.loads(repo.gto_show("m").stdout)
    # gto lists one entry per internal version object it made for that commit
    holders = {(v["version"], v["commit_hexsha"]) for v in versions if v["stages"]}
    assert holders == {(c[2], c[2])}
    assert evaluate(repo.read_tags())["m"].stages["dev"].commit == c[2]


@needs_gto
def test_stage_tag_before_registration_still_names_the_version(repo: Repo) -> None:
    c = [repo.commit() for _ in range(2)]
    repo.tag("m#prod#1", c[1], 1)  # assigned first, registered afterwards
    repo.tag("m@v3.0.0", c[1], 2)
    mine = assert_agrees(repo)
    assert mine["m"]["stage"]["prod"] == "v3.0.0"


@needs_gto
def test_lightweight_tags_are_ignored(repo: Repo) -> None:
    c = [repo.commit() for _ in range(2)]
    repo.tag("m@v1.0.0", c[0], 1)
    repo.tag("m@v9.0.0", c[1], 2, annotated=False)
    repo.tag("m#prod", c[1], 3, annotated=False)
    repo.tag("m@deprecated", c[1], 4, annotated=False)
    mine = assert_agrees(repo)
    assert mine["m"] == {"version": "v1.0.0", "stage": {}, "registered": True, "active": True}


@needs_gto
def test_equal_dates_break_ties_like_gto(repo: Repo) -> None:
    c = [repo.commit() for _ in range(3)]
    repo.tag("m@v1.0.0", c[0], 1)
    repo.tag("m@v2.0.0", c[1], 1)
    repo.tag("m#prod#1", c[1], 3)
    repo.tag("m#prod#2", c[0], 3)  # same second: GTO picks v1.0.0
    repo.tag("m#dev#3", c[0], 4)
    repo.tag("m#dev!#4", c[0], 4)  # same second: the unassignment wins
    repo.tag("m@v1.0.0!", c[0], 5)
    repo.tag("m@v1.0.0#9", c[0], 5)  # same second: the deregistration wins
    repo.tag("k@v1.0.0", c[2], 2)
    repo.tag("k@deprecated", c[2], 2)  # same second as a registration: not deprecated
    mine = assert_agrees(repo)
    assert mine["m"]["version"] == "v2.0.0"
    assert mine["k"]["active"] is True


@needs_gto
def test_deprecation_and_hidden_artifacts(repo: Repo) -> None:
    c = [repo.commit() for _ in range(2)]
    repo.tag("old@v1.0.0", c[0], 1)
    repo.tag("old#prod", c[0], 2)
    repo.tag("old@deprecated", c[0], 3)
    repo.tag("back@v1.0.0", c[1], 1)
    repo.tag("back@deprecated", c[1], 2)
    repo.tag("back@v1.1.0", c[1], 3)  # a newer event makes it active again
    mine = assert_agrees(repo)
    assert mine["old"]["active"] is False
    assert mine["back"]["active"] is True
    plain = repo.gto_registry()
    assert set(plain) == {"back"}


@needs_gto
def test_newer_commit_at_head_revives_deprecated_artifact(repo: Repo) -> None:
    c0 = repo.commit({"artifacts.yaml": "m:\n  type: model\n  path: m\nnew:\n  type: model\n"})
    repo.tag("m@v1.0.0", c0, 1)
    repo.tag("m@deprecated", c0, 2)
    head_commit = repo.commit(date=BASE + timedelta(days=5))
    head = GtoHead(head_commit, BASE + timedelta(days=5), frozenset({"m", "new"}))
    mine = assert_agrees(repo, head)
    assert mine["m"]["active"] is True
    assert mine["new"] == {"version": None, "stage": {}, "registered": False, "active": True}
    # without HEAD's artifacts.yaml the deprecation stands
    assert evaluate(repo.read_tags())["m"].deprecated


@needs_gto
def test_multiple_artifacts_with_dashes_slashes_and_dirnames(repo: Repo) -> None:
    c = [repo.commit() for _ in range(3)]
    repo.tag("team/churn-v2@v1.0.0", c[0], 1)
    repo.tag("team/churn-v2@v1.1.0", c[1], 2)
    repo.tag("team/churn-v2#prod#1", c[0], 3)
    repo.tag("team/churn@v5.0.0", c[2], 1)
    repo.tag("team/churn#prod#1", c[2], 2)
    repo.tag("models/a=rank_er@v0.0.1", c[1], 1)
    repo.tag("-x=m@v1.0.0", c[1], 1)
    repo.tag("m-@v1.0.0", c[1], 1)  # not a GTO name
    repo.tag("uni@v1\u0661.0.0", c[2], 1)  # GTO's \d takes it; semver does not
    mine = assert_agrees(repo)
    assert set(mine) == {"team/churn-v2", "team/churn", "models/a:rank_er", "-x:m", "uni"}
    assert mine["uni"]["version"] == "v1\u0661.0.0"
    assert mine["team/churn-v2"]["version"] == "v1.1.0"
    assert mine["team/churn-v2"]["stage"]["prod"] == "v1.0.0"
    assert mine["team/churn"]["stage"]["prod"] == "v5.0.0"


def test_events_are_chronological_with_tagger_and_message(repo: Repo) -> None:
    c = [repo.commit() for _ in range(2)]
    repo.tag("m#prod#2", c[1], 2)
    repo.tag("m@v1.0.0", c[1], 1)
    repo.tag("m#prod!#3", c[1], 3)
    repo.tag("m@deprecated#4", c[0], 4)
    events = evaluate(repo.read_tags())["m"].events
    assert [(e.kind, e.version, e.stage, e.counter) for e in events] == [
        ("registration", "v1.0.0", None, None),
        ("assignment", "v1.0.0", "prod", 2),
        ("unassignment", "v1.0.0", "prod", 3),
        ("deprecation", None, None, 4),
    ]
    first = events[0]
    assert (first.tag, first.commit, first.tagger_name, first.tagger_email) == (
        "m@v1.0.0",
        c[1],
        "Ana",
        "ana@example.com",
    )
    assert first.message == "msg m@v1.0.0"
    assert first.date == BASE + timedelta(days=1)


# --- a property: random tag sequences ----------------------------------------------------

ARTIFACTS = ["m", "a-b", "d/e"]
VERSIONS = ["v0.1.0", "v1.0.0", "v1.0.0-rc.1", "v2.0.0"]  # version i lives on commit i
STAGES = ["prod", "dev"]


@dataclass(frozen=True)
class Step:
    artifact: str
    action: str
    arg: int  # version index, or stage index
    commit: int  # for stage tags: 0..4 (4 is never registered)
    day: int
    annotated: bool
    counter: bool


steps = st.builds(
    Step,
    artifact=st.sampled_from(ARTIFACTS),
    action=st.sampled_from(["reg", "reg", "dereg", "assign", "assign", "unassign", "deprecate"]),
    arg=st.integers(0, 3),
    commit=st.integers(0, 4),
    day=st.integers(0, 4),
    annotated=st.sampled_from([True, True, True, False]),
    counter=st.booleans(),
)


@needs_gto
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=8))
def test_random_tag_sequences_agree_with_gto(tmp_path_factory, sequence: list[Step]) -> None:
    repo = Repo(tmp_path_factory.mktemp("prop") / "repo")
    commits = [repo.commit() for _ in range(5)]
    names: set[str] = set()
    for i, step in enumerate(sequence):
        if step.action in ("reg", "dereg"):
            version = VERSIONS[step.arg]
            name = f"{step.artifact}@{version}" + ("!" if step.action == "dereg" else "")
            commit = commits[step.arg]
        elif step.action == "deprecate":
            name, commit = f"{step.artifact}@deprecated", commits[step.commit]
        else:
            stage = STAGES[step.arg % 2]
            name = f"{step.artifact}#{stage}" + ("!" if step.action == "unassign" else "")
            commit = commits[step.commit]
        if step.counter or name in names:
            name += f"#{i + 1}"
        names.add(name)
        repo.tag(name, commit, step.day, annotated=step.annotated)
    done = repo.gto_show("--deprecated")
    assume(done.returncode == 0)
    assert ours(repo) == json.loads(done.stdout)
