"""The remote in view (store.remote): ahead/behind from local refs, fetch with a timeout
and cancel, the remote's stage tags, pushing one ref atomically and never forced.

The remote is a local bare repository (a file path: no network)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, git, tag, write

from modeltrail.store.config import load_config
from modeltrail.store.remote import (
    branch_status,
    fetch,
    remote_stage_tags,
    stage_tag_differences,
)
from modeltrail.store.write.gitwrite import GitFailed
from modeltrail.store.write.push import push_ref


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(local clone, bare origin, a second clone standing for a colleague)."""
    src = build_tiny_repo(tmp_path / "src")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(src), str(origin))
    local = tmp_path / "local"
    git(tmp_path, "clone", "-q", str(origin), str(local))
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    return local, origin, other


def _colleague_commits(other: Path, date: str = "2026-03-12T10:00:00Z") -> str:
    write(other, "models/churn/notes.txt", "more\n")
    sha = commit(other, "colleague's change", date)
    git(other, "push", "-q", "origin", "main")
    return sha


def test_status_says_in_sync_then_behind_after_a_fetch_then_ahead(pair) -> None:
    local, _origin, other = pair
    status = branch_status(local)
    assert (status.branch, status.upstream, status.remote) == ("main", "origin/main", "origin")
    assert (status.ahead, status.behind) == (0, 0)
    assert status.line(lambda t: "1m").startswith("= origin/main · fetched 1m ago")
    _colleague_commits(other)
    assert branch_status(local).behind == 0  # no network: not known before a fetch
    assert not (local / ".git" / "FETCH_HEAD").exists()  # a clone: its reflog's time
    before = time.time()
    outcome = fetch(local, "origin")
    assert outcome.ok, outcome.message
    status = branch_status(local)
    assert (status.ahead, status.behind) == (0, 1)
    assert status.fetched_at is not None and status.fetched_at.timestamp() >= before - 2
    write(local, "models/churn/mine.txt", "x\n")
    commit(local, "mine", "2026-03-13T10:00:00Z")
    status = branch_status(local)
    assert (status.ahead, status.behind) == (1, 1)
    assert status.line(lambda t: "0m").startswith("↑1 ↓1 origin/main")


def test_status_without_remote_or_upstream_or_fetch(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "r")
    assert branch_status(repo).line() == "no remote"
    bare = tmp_path / "o.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    status = branch_status(repo)
    assert status.upstream is None and status.remote == "origin"
    assert status.line() == "main: no upstream · never fetched"


def test_fetch_brings_a_colleagues_stage_tag_and_never_clobbers_a_local_one(pair) -> None:
    local, _origin, other = pair
    v110 = git(other, "rev-parse", "churn@v1.0.0^{commit}").strip()
    tag(other, "churn#prod#2", "promote old", "2026-03-12T10:00:00Z", v110)
    git(other, "push", "-q", "origin", "refs/tags/churn#prod#2")
    seen: list[str] = []
    outcome = fetch(local, "origin", progress=seen.append)
    assert outcome.ok, outcome.message
    assert (
        git(local, "rev-parse", "churn#prod#2").strip()
        == git(other, "rev-parse", "churn#prod#2").strip()
    )
    # the colleague moves staging, the local repo holds another tag of that name
    tag(other, "churn#staging#2", "theirs", "2026-03-13T10:00:00Z", v110)
    git(other, "push", "-q", "origin", "refs/tags/churn#staging#2")
    tag(local, "churn#staging#2", "mine", "2026-03-13T11:00:00Z", "HEAD")
    mine = git(local, "rev-parse", "refs/tags/churn#staging#2").strip()
    outcome = fetch(local, "origin")
    assert not outcome.ok and "churn#staging#2" in outcome.message
    assert git(local, "rev-parse", "refs/tags/churn#staging#2").strip() == mine


def test_fetch_is_cancelled_or_timed_out_and_reports_it(pair) -> None:
    local, _origin, _other = pair
    stop = threading.Event()
    stop.set()
    outcome = fetch(local, "origin", cancel=stop)
    assert outcome.cancelled and not outcome.ok and "cancelled" in outcome.message
    outcome = fetch(local, "origin", timeout=0)
    assert outcome.timed_out and "timeout" in outcome.message


def test_fetch_from_an_unreachable_remote_says_why(pair, tmp_path: Path) -> None:
    local, _origin, _other = pair
    git(local, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    started = time.monotonic()
    outcome = fetch(local, "gone")
    assert not outcome.ok and "nowhere.git" in outcome.message
    assert time.monotonic() - started < 30


def test_remote_stage_tags_and_their_differences(pair) -> None:
    local, _origin, other = pair
    v100 = git(other, "rev-parse", "churn@v1.0.0^{commit}").strip()
    tag(other, "churn#prod#2", "promote old", "2026-03-12T10:00:00Z", v100)
    git(other, "push", "-q", "origin", "refs/tags/churn#prod#2")
    remote = remote_stage_tags(local, "origin", "churn")
    assert "churn#prod#2" in remote and "churn#prod#1" in remote
    assert all(name.startswith("churn") for name in remote)
    local_tags = {n: o for n, o in _tags(local).items() if n.startswith("churn")}
    diff = stage_tag_differences(local_tags, remote)
    assert diff == ["the remote has tags that are not here: churn#prod#2"]
    assert stage_tag_differences(remote, remote) == []
    changed = dict(remote, **{"churn#prod#1": "0" * 40})
    assert "churn#prod#1 differ" in " ".join(stage_tag_differences(remote, changed))


def test_remote_stage_tags_of_an_unreachable_remote_raise(pair, tmp_path: Path) -> None:
    local, _origin, _other = pair
    with pytest.raises(GitFailed):
        remote_stage_tags(local, str(tmp_path / "nowhere.git"), "churn")


def _tags(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
    return dict(line.split(" ", 1) for line in out.splitlines())


def test_push_sends_exactly_one_ref_and_a_non_fast_forward_is_rejected(pair) -> None:
    local, origin, other = pair
    tag(local, "churn#prod#2", "mine", "2026-03-13T11:00:00Z", "HEAD")
    tag(local, "churn#prod#3", "not pushed", "2026-03-13T12:00:00Z", "HEAD")
    push_ref(local, "origin", "refs/tags/churn#prod#2")
    remote_tags = git(origin, "tag", "-l", "churn#prod#*").split()
    assert remote_tags == ["churn#prod#1", "churn#prod#2"]
    _colleague_commits(other)
    write(local, "models/churn/mine.txt", "x\n")
    commit(local, "mine", "2026-03-13T10:00:00Z")
    theirs = git(origin, "rev-parse", "refs/heads/main").strip()
    with pytest.raises(GitFailed, match="rejected"):
        push_ref(local, "origin", "refs/heads/main")
    assert git(origin, "rev-parse", "refs/heads/main").strip() == theirs  # never forced
    with pytest.raises(ValueError):
        push_ref(local, "origin", "+refs/heads/main")


def test_push_setting_in_the_configuration(tmp_path: Path) -> None:
    assert load_config(tmp_path).push == "ask"
    (tmp_path / ".modeltrail.toml").write_text('push = "always"\n')
    assert load_config(tmp_path).push == "always"
    (tmp_path / ".modeltrail.toml").write_text('push = "sometimes"\n')
    cfg = load_config(tmp_path)
    assert cfg.push == "ask" and "push = 'sometimes' ignored" in cfg.warnings[0]


def test_push_policy_only_the_users_own_config_pushes_unasked(tmp_path: Path) -> None:
    """A repository's push = "always" is noted but only offers p; the user's own file
    ($XDG_CONFIG_HOME/modeltrail/config.toml) decides; a repository may ask for less."""
    from modeltrail.store.config import load_user_config, push_policy, user_config_path

    repo = tmp_path / "repo"
    repo.mkdir()
    own = user_config_path()
    assert own.parent.parent == Path(os.environ["XDG_CONFIG_HOME"])
    assert load_user_config().push_from is None  # no file: the defaults
    assert push_policy(load_config(repo), load_user_config()).mode == "ask"
    (repo / ".modeltrail.toml").write_text('push = "always"\n')
    policy = push_policy(load_config(repo), load_user_config())
    assert policy.mode == "ask" and "a repository cannot push for you" in (policy.note or "")
    own.parent.mkdir(parents=True)
    own.write_text('push = "always"\n')
    policy = push_policy(load_config(repo), load_user_config())
    assert (policy.mode, policy.note) == ("always", None) and str(own) in policy.why
    (repo / ".modeltrail.toml").write_text('push = "never"\n')
    assert push_policy(load_config(repo), load_user_config()).mode == "always"  # yours
    own.write_text("")
    policy = push_policy(load_config(repo), load_user_config())
    assert policy.mode == "never" and ".modeltrail.toml" in policy.why  # less: honoured
    own.write_text("push = [")
    assert "configuration ignored" in load_user_config().warnings[0]


def test_remote_warnings_for_a_branch_rollback(pair) -> None:
    from modeltrail.store.remote import remote_warnings

    local, _origin, other = pair
    assert remote_warnings(local, "churn", "refs/heads/main") == []
    _colleague_commits(other)
    moved = remote_warnings(local, "churn", "refs/heads/main")  # not fetched: ls-remote
    assert len(moved) == 1 and "origin's main moved since the last fetch" in moved[0]
    assert fetch(local, "origin").ok
    behind = remote_warnings(local, "churn", "refs/heads/main")
    assert behind == [
        "origin/main has 1 commit(s) that are not on this branch: pull them first, or the "
        "push will be rejected"
    ]


def test_remote_warnings_for_a_stage_tag(pair) -> None:
    from modeltrail.store.remote import remote_warnings

    local, _origin, other = pair
    assert remote_warnings(local, "churn", "refs/tags/churn#prod#2") == []
    v100 = git(other, "rev-parse", "churn@v1.0.0^{commit}").strip()
    tag(other, "churn#prod#2", "theirs", "2026-03-12T10:00:00Z", v100)
    git(other, "push", "-q", "origin", "refs/tags/churn#prod#2")
    (said,) = remote_warnings(local, "churn", "refs/tags/churn#prod#2")
    assert said.startswith("origin: the remote has tags that are not here: churn#prod#2")
    git(local, "remote", "set-url", "origin", str(local.parent / "gone.git"))
    (said,) = remote_warnings(local, "churn", "refs/tags/churn#prod#2")
    assert said.startswith("could not compare the stage tags with origin")


def test_cli_rollback_says_when_someone_acted_on_the_remote_already(pair, capsys) -> None:
    """The command line compares with the remote before it writes, as the TUI's dialog
    does: a colleague's stage tag already pushed is in the preview, in --json and in the
    warnings of a --yes run (which writes nonetheless: it is advice); --offline skips it."""
    import json

    from modeltrail.tui.cli import main

    local, _origin, other = pair
    v100 = git(other, "rev-parse", "churn@v1.0.0^{commit}").strip()
    tag(other, "churn#prod#2", "theirs", "2026-03-12T10:00:00Z", v100)
    git(other, "push", "-q", "origin", "refs/tags/churn#prod#2")
    args = ["-C", str(local), "rollback", "churn", "--to", "v1.0.0", "--reason", "bad"]

    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "the remote has tags that are not here: churn#prod#2" in out
    assert "someone may have acted already; git fetch and look again" in out
    assert main([*args, "--dry-run", "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("churn#prod#2" in w for w in warnings)
    assert main([*args, "--dry-run", "--offline"]) == 0
    assert "the remote has tags" not in capsys.readouterr().out  # (it plans churn#prod#2 too)

    assert main([*args, "--yes"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: origin: the remote has tags that are not here: churn#prod#2" in err


def test_cli_rollback_with_an_unreachable_remote_still_plans(pair, capsys) -> None:
    from modeltrail.tui.cli import main

    local, _origin, _other = pair
    git(local, "remote", "set-url", "origin", str(local.parent / "gone.git"))
    assert main(["-C", str(local), "rollback", "churn", "--to", "v1.0.0", "--dry-run"]) == 0
    assert "could not compare the stage tags with origin" in capsys.readouterr().out
