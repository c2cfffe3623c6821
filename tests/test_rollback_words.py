"""Names carried losslessly by the rollback trailers, one rule for reasons, and words that
say what happened (real git repositories, the CLI through ``main``)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import test_rollback_support as support
from gitbuilder import GitRepo
from test_rollback_support import GTO, git, gto_show, snapshot

from modeltrail.store import pathtext, trailers
from modeltrail.store.catalog.files import open_catalog, update_catalog
from modeltrail.store.repo import open_repo
from modeltrail.store.trailers import one_line, read_trailers
from modeltrail.store.write.rollback import plan_rollback
from modeltrail.tui.cli import main
from modeltrail.tui.rollback_text import plan_text

needs_gto = pytest.mark.skipif(not GTO.exists(), reason="the gto tool is not installed")

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def run_cli(repo: Path, *args: str) -> int:
    return main(["-C", str(repo), *args])


class Terminal(io.StringIO):
    """Typed answers on a terminal: ``input()`` reads them one line at a time."""

    def isatty(self) -> bool:
        return True


# --- trailers carry names losslessly ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "churn",
        "m\x07x",
        "m\x1b]0;pwned\x07",
        "a\u202eb",
        "  padded ",
        '"quoted"',
        'back\\slash "and" quote\n',
        "\x85\u2028\u2029",
        "bad\udcffbyte",
        "",
    ],
)
def test_a_trailer_value_reads_back_exactly_and_holds_no_control(value):
    # bytes that were not UTF-8 come back in the catalog's form, which the catalog holds
    # and which turns back into exactly those bytes
    expected = pathtext.to_catalog(value)
    encoded = trailers.encode_value(value)
    assert trailers.decode_value(encoded) == expected
    assert pathtext.to_os(trailers.decode_value(encoded)) == value
    assert "\n" not in encoded and not any(c in encoded for c in BIDI + "\x07\x1b\x85")
    line = f"Rollback-Model: {encoded}\n"
    assert read_trailers("subject\n\n" + line)["Rollback-Model"] == expected


def test_trailers_written_before_the_escaping_read_as_they_are():
    old = 's\n\nRollback-Model: m  x\nRollback-From: v1.0.0\nRollback-Reason: a "b" c\n'
    assert read_trailers(old) == {
        "Rollback-Model": "m  x",
        "Rollback-From": "v1.0.0",
        "Rollback-Reason": 'a "b" c',
    }


def test_bidi_controls_are_stripped_from_message_text():
    assert one_line(f"ok{BIDI}evil\x07") == "ok evil"


def _control_named(tmp_path: Path) -> tuple[GitRepo, str, str]:
    r = GitRepo(tmp_path / "repo")
    name = "m\x07x\u202ey"
    r.commit("m v1", {"models/m/model.yaml": f"name: {json.dumps(name)}\n", "models/m/w": "1"})
    v1 = r.head()
    r.commit("m v2", {"models/m/w": "2"})
    return r, name, v1


def test_a_model_whose_name_has_control_characters_can_be_undone(tmp_path, capsys):
    r, name, v1 = _control_named(tmp_path)
    args = ("--branch", "main", "--reason", f"back{BIDI}\x1b[2J", "--yes", "--offline")
    assert run_cli(r.path, "rollback", name, "--to", v1, *args) == 0, capsys.readouterr().err
    assert (r.path / "models/m/w").read_text() == "1"
    message = r.git("log", "-1", "--format=%B")
    assert run_cli(r.path, "undo", "--yes", "--offline") == 0, capsys.readouterr().err
    assert (r.path / "models/m/w").read_text() == "2"
    assert not any(c in message for c in BIDI + "\x07\x1b")
    assert read_trailers(message)["Rollback-Model"] == name
    assert "Rollback-Reason: back [2J" in message
    assert read_trailers(r.git("log", "-1", "--format=%B"))["Rollback-Model"] == name


# --- reasons: required for a rollback, optional for an undo --------------------------------


def test_yes_without_a_reason_is_refused_with_one_line(sample, capsys):
    before = snapshot(sample)
    for reason in ((), ("--reason", ""), ("--reason", " \x07 ")):
        status = run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--yes", *reason)
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2, err
        assert len(err) == 1 and "needs a reason" in err[0] and "--reason" in err[0]
    assert snapshot(sample) == before
    # a dry run writes nothing: it needs no reason
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--dry-run") == 0


@needs_gto
def test_the_prompt_asks_again_for_an_empty_reason(sample, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("\n   \nAUC drop\nprod\n"))
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--offline") == 0
    out = capsys.readouterr().out
    assert out.count("a rollback needs a reason") == 2
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.2.0"
    assert "Rollback-Reason: AUC drop" in git(sample, "cat-file", "-p", "churn#prod#11")


def test_the_prompt_refuses_when_no_reason_comes(sample, capsys, monkeypatch):
    before = snapshot(sample)
    monkeypatch.setattr(sys, "stdin", Terminal("\n\n\n"))
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--offline") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs a reason" in err[0]
    monkeypatch.setattr(sys, "stdin", Terminal(""))  # end of input: no traceback
    assert run_cli(sample, "rollback", "churn", "--to", "v1.2.0", "--offline") == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert snapshot(sample) == before


@needs_gto
def test_an_undo_needs_no_reason_on_any_path_and_offers_a_redo(sample, capsys, monkeypatch):
    args = ("--to", "v1.2.0", "--reason", "AUC drop", "--yes", "--offline")
    assert run_cli(sample, "rollback", "churn", *args) == 0
    out = capsys.readouterr().out
    assert "undo with: modeltrail undo" in out
    monkeypatch.setattr(sys, "stdin", Terminal("\nprod\n"))  # an empty reason is fine
    assert run_cli(sample, "undo", "--offline") == 0
    out = capsys.readouterr().out
    assert "Reason (optional" in out
    assert "redo with: modeltrail undo" in out and "undo with" not in out
    assert gto_show(sample)["churn"]["stage"]["prod"] == "v1.3.0"
    assert run_cli(sample, "undo", "--yes", "--offline") == 0  # the redo
    out = capsys.readouterr().out
    assert "Redid the rollback" in out and "undo with: modeltrail undo" in out


# --- words --------------------------------------------------------------------------------


def _plan(repo: Path, model: str, to: str, **kw):
    r = open_repo(repo)
    con = open_catalog(r)
    try:
        return plan_rollback(r, con, model, to, reason="x", **kw)
    finally:
        con.close()


def test_a_stage_rollback_says_the_work_tree_is_untouched(sample):
    text = plan_text(_plan(sample, "churn", "v1.2.0")).plain
    assert "work tree: untouched (only a tag is written)" in text
    assert "Files that change" not in text
    branch = plan_text(_plan(sample, "ranker", "2.0.0")).plain
    assert "Files that change" in branch and "untouched" not in branch


def test_a_risky_target_is_not_called_forced_before_it_is(sample, capsys, monkeypatch):
    experiment = git(sample, "rev-parse", "exp/churn-focal-loss")
    plan = _plan(sample, "churn", experiment, force=True)
    assert plan.warnings[0].startswith("risky target: ")
    text = plan_text(plan).plain
    assert "forced" not in text.lower()
    before = snapshot(sample)
    monkeypatch.setattr(sys, "stdin", Terminal("try it\nprod\n"))
    args = ("--to", experiment, "--force", "--offline")
    assert run_cli(sample, "rollback", "churn", *args) == 1
    out = capsys.readouterr().out
    assert f"risky target: confirm by typing '{experiment[:7]}'" in out
    assert "forced" not in out.lower()
    assert snapshot(sample) == before
    monkeypatch.setattr(sys, "stdin", Terminal(f"try it\n{experiment[:7]}\n"))
    assert run_cli(sample, "rollback", "churn", *args) == 0
    out = capsys.readouterr().out
    assert "forced: " in out  # now it has been


def test_index_reads_an_escaped_branch_rollback(tmp_path, capsys):
    r, name, v1 = _control_named(tmp_path)
    args = ("--branch", "main", "--reason", "r", "--yes", "--offline")
    assert run_cli(r.path, "rollback", name, "--to", v1, *args) == 0
    capsys.readouterr()
    update_catalog(open_repo(r.path))
    assert run_cli(r.path, "history", name, "--json") == 0
    events = json.loads(capsys.readouterr().out)
    assert events[0]["event"] == "rollback" and events[0]["reason"] == "r"


def test_the_store_writes_no_rollback_without_a_reason(sample):
    from modeltrail.store.errors import UsageError
    from modeltrail.store.write.rollback_apply import apply_plan

    before = snapshot(sample)
    plan = _plan(sample, "churn", "v1.2.0").with_reason("  ")
    with pytest.raises(UsageError, match="needs a reason"):
        apply_plan(open_repo(sample), plan)
    assert snapshot(sample) == before
