"""A stage tag name the remote already holds: a new tag is numbered above every counter
known here and on the remote, so a rollback never writes a name the remote holds (which
would make its push fail and every later ``git fetch --tags`` too); a repository already
stuck that way is diagnosed by ``index`` and by a fetch, with the one command that frees
it.

The remote is a local bare repository (a file path: no network)."""

from __future__ import annotations

import json
from pathlib import Path

import test_remote as rs
from tui_support import frozen_now, git, run_async, settle, tag

from modeltrail.store.remote import clobbered_tags, fetch
from modeltrail.tui.cli import main

pair = rs.pair


def _colleague_promotes(other: Path, name: str = "churn#prod#2") -> str:
    """A colleague assigns prod to v1.0.0 and pushes it; returns the tag's object id."""
    v100 = git(other, "rev-parse", "churn@v1.0.0^{commit}").strip()
    tag(other, name, "theirs", "2026-03-12T10:00:00Z", v100)
    git(other, "push", "-q", "origin", f"refs/tags/{name}")
    return git(other, "rev-parse", f"refs/tags/{name}").strip()


def _rollback(local: Path, *extra: str) -> list[str]:
    return ["-C", str(local), "rollback", "churn", "--to", "v1.0.0", *extra]


def test_the_new_tag_is_numbered_above_the_remotes_and_the_push_goes_through(pair, capsys) -> None:
    local, origin, other = pair
    theirs = _colleague_promotes(other)
    assert main([*_rollback(local), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["tag"] == "churn#prod#3"
    assert any(
        "origin already holds churn#prod#2: the new tag is churn#prod#3" in w
        for w in plan["warnings"]
    )
    assert main([*_rollback(local), "--reason", "bad", "--yes", "--push"]) == 0, capsys.readouterr()
    assert git(origin, "rev-parse", "refs/tags/churn#prod#2").strip() == theirs  # untouched
    assert (
        git(origin, "rev-parse", "refs/tags/churn#prod#3").strip()
        == git(local, "rev-parse", "refs/tags/churn#prod#3").strip()
    )
    assert fetch(local, "origin").ok  # not stuck
    assert clobbered_tags(local) == []


def test_higher_counters_of_another_stage_on_the_remote_count_too(pair, capsys) -> None:
    local, _origin, other = pair
    _colleague_promotes(other, "churn#staging#5")
    assert main([*_rollback(local), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tag"] == "churn#prod#6"


def test_offline_the_plan_says_the_remote_was_not_checked(pair, capsys) -> None:
    local, _origin, other = pair
    _colleague_promotes(other)
    assert main([*_rollback(local), "--dry-run", "--offline"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "churn#prod#2" in out  # it cannot know better
    assert "origin was not checked (--offline): if it already holds churn#prod#2" in out


def _stuck(local: Path, other: Path) -> tuple[str, str]:
    """The repository as today's code left it: a local churn#prod#2 never pushed (the
    push was refused), the remote's churn#prod#2 another tag; a fetch has failed."""
    theirs = _colleague_promotes(other)
    tag(local, "churn#prod#2", "mine", "2026-03-13T11:00:00Z", "HEAD")
    mine = git(local, "rev-parse", "refs/tags/churn#prod#2").strip()
    assert not fetch(local, "origin").ok
    return mine, theirs


def test_a_fetch_in_a_stuck_repository_names_the_command_that_frees_it(pair) -> None:
    local, _origin, other = pair
    theirs = _colleague_promotes(other)
    tag(local, "churn#prod#2", "mine", "2026-03-13T11:00:00Z", "HEAD")
    mine = git(local, "rev-parse", "refs/tags/churn#prod#2").strip()
    outcome = fetch(local, "origin")
    assert not outcome.ok
    assert "holds another tag named churn#prod#2" in outcome.message
    assert "git tag -d 'churn#prod#2'" in outcome.message
    assert f"churn#prod#2 was {mine[:12]}" in outcome.message  # what it held, to restore it
    assert git(local, "rev-parse", "refs/tags/churn#prod#2").strip() == mine  # untouched
    git(local, "tag", "-d", "churn#prod#2")  # the command it names
    assert fetch(local, "origin").ok
    assert git(local, "rev-parse", "refs/tags/churn#prod#2").strip() == theirs
    assert git(local, "cat-file", "-t", mine).strip() == "tag"  # the object stays


def test_index_diagnoses_a_stuck_repository(pair, capsys) -> None:
    local, _origin, other = pair
    mine, _theirs = _stuck(local, other)
    assert main(["-C", str(local), "index"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "WARNING:" in err and "holds another tag named churn#prod#2" in err
    assert "git tag -d 'churn#prod#2'" in err
    assert main(["-C", str(local), "index", "--json"]) == 0
    (stuck,) = json.loads(capsys.readouterr().out)["stuck_tags"]
    assert stuck["name"] == "churn#prod#2" and stuck["local"] == mine


@run_async
async def test_F_in_a_stuck_repository_names_the_command(pair) -> None:
    from modeltrail.tui.app import ModeltrailApp

    local, _origin, other = pair
    _colleague_promotes(other)
    tag(local, "churn#prod#2", "mine", "2026-03-13T11:00:00Z", "HEAD")
    async with ModeltrailApp(str(local), index=False, now=frozen_now).run_test(
        size=(100, 30)
    ) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        notes = [str(n.message) for n in pilot.app._notifications]
        assert any("git tag -d 'churn#prod#2'" in n for n in notes), notes
