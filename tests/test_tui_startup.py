"""Opening the TUI as ``modeltrail`` does (``open_tui``): nothing before the first screen
that the first screen does not need. The collector waits until the first screen, and
the write path (``recover``) is imported only when an interrupted write left something."""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
from tui_support import build_tiny_repo, commit, index, tag, write

from modeltrail.store.repo import JOURNAL, write_left_behind

#: opens the TUI as ``modeltrail -C REPO`` does, headless, and prints what held when its
#: first screen came up (``start_index_once``) and after
_PROBE = """
import asyncio, gc, json, sys, time
from modeltrail.tui import gc_pause
gc_pause.pause()
from modeltrail.tui.cli import build_parser
from modeltrail.tui.commands.open_tui import make_app

argv = ["-C", sys.argv[1]]
app = make_app(build_parser(argv).parse_args(argv))
seen = {}
first_screen = app.start_index_once

def start_index_once():
    if not seen:
        seen["gc_before"] = gc.isenabled()
        seen["modules"] = sorted(sys.modules)
    first_screen()

app.start_index_once = start_index_once

async def main():
    async with app.run_test(size=(100, 30)) as pilot:
        end = time.monotonic() + 90  # a first screen that never comes fails, with what is
        # the first screen is up (painted: then start_index_once is called)
        while "modules" not in seen:
            await pilot.pause(0.01)
            if time.monotonic() > end:
                raise SystemExit(f"no first screen: {app.screen!r} {app.index_status!r}")
        seen["gc_after"] = gc.isenabled()
        while app.indexing:  # the start-up index run (nothing new): no thread left at exit
            await pilot.pause(0.01)
            if time.monotonic() > end:
                raise SystemExit("the start-up index run never ended")

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_first_screen_comes_before_the_collector_and_the_write_path(tmp_path: Path) -> None:
    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(repo)], capture_output=True, text=True, timeout=150
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["gc_before"] is False  # paused from the start until the first screen
    assert seen["gc_after"] is True  # and collecting again once it is up
    modules = set(seen["modules"])
    # no interrupted write: recover (and the write path) not imported
    assert not [m for m in modules if m.startswith("modeltrail.store.write")]
    # no command but the launcher's (the TUI is not a command: no command's module needed)
    commands = {m for m in modules if m.startswith("modeltrail.tui.commands.")}
    assert commands <= {"modeltrail.tui.commands._common", "modeltrail.tui.commands.open_tui"}
    # the remote's state, the readers (YAML) and the version schemes come after
    assert not modules & {"modeltrail.store.remote", "yaml", "semver", "plotext"}


def test_an_interrupted_write_is_still_recovered_on_opening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modeltrail.tui.commands.open_tui import make_app

    repo = build_tiny_repo(tmp_path / "tiny")
    git_dir = repo / ".git"
    assert not write_left_behind(git_dir)
    (git_dir / JOURNAL).write_text("{not json")  # what a write killed mid-way could leave
    assert write_left_behind(git_dir)
    make_app(Namespace(repo_path=str(repo), cache_only=True))
    assert "removed an unreadable rollback journal" in capsys.readouterr().out
    assert not (git_dir / JOURNAL).exists()
    (git_dir / "modeltrail-index-1-x").write_bytes(b"")  # a throw-away index of a dead pid
    assert write_left_behind(git_dir)


def test_the_models_are_read_while_the_app_starts(tmp_path: Path) -> None:
    from modeltrail.store.query import queries
    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    app = ModeltrailApp(repo, index=False)  # not run: its first load has not asked yet
    first = app.first_models()
    assert first is not None and [m["name"] for m in first] == ["churn"]
    with app.connection().cursor() as cursor:
        assert first == queries.list_models(cursor, app.main_line())
    assert app.first_models() is None  # taken once: later loads ask the catalog


def test_the_footer_is_built_again_only_when_its_keys_change(tmp_path: Path) -> None:
    from textual.widgets._footer import FooterKey
    from tui_support import frozen_now, run_async, settle

    from modeltrail.tui.app import ModeltrailApp
    from modeltrail.tui.widgets.key_footer import KeyFooter

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)

    async def go() -> None:
        app = ModeltrailApp(repo, index=False, now=frozen_now)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            footer = app.screen.query_one(KeyFooter)
            keys = list(footer.query(FooterKey))
            assert keys
            app.screen.refresh_bindings()  # the same bindings again
            await settle(pilot)
            assert list(footer.query(FooterKey)) == keys  # the very same widgets
            await pilot.press("2")  # the versions pane: its keys differ
            await settle(pilot)
            assert list(footer.query(FooterKey)) != keys

    run_async(go)()


def _first_screen(app, seconds: float = 30.0):
    """Run ``app`` headless until its home screen shows a version's details; the screen's
    status line if that never comes (a load lost on the way)."""
    import asyncio
    import time

    async def go() -> str | None:
        async with app.run_test(size=(100, 30)) as pilot:
            end = time.monotonic() + seconds
            while app.screen.__class__.__name__ != "HomeScreen" or app.screen.shown_commit is None:
                await pilot.pause(0.01)
                if time.monotonic() > end:
                    status = getattr(app.screen, "status", None)
                    return f"no first screen: {status.render() if status else app.screen!r}"
            return None

    return asyncio.run(go())


@pytest.mark.parametrize("when", ["before the app runs", "after the first load asked"])
def test_the_models_read_while_starting_are_shown_whenever_they_come(
    tmp_path: Path, when: str
) -> None:
    import threading

    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    asked = threading.Event()

    class Held(ModeltrailApp):
        def _read_first_models(self, *args, **kwargs):  # held until the first load asks
            if when != "before the app runs":
                asked.wait(30)
            return super()._read_first_models(*args, **kwargs)

        def first_models(self):
            asked.set()
            return super().first_models()

    app = Held(repo, index=False)
    if when == "before the app runs":
        assert app._first_models is not None
        app._first_models.result(30)
    assert _first_screen(app) is None


def test_a_failed_read_while_starting_never_loses_the_first_screen(tmp_path: Path) -> None:
    """The models read while the app starts failed (whatever the cause): the first load
    asks the catalog itself, and the first screen still comes."""
    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)

    class Failing(ModeltrailApp):
        def _read_first_models(self, *args, **kwargs):
            raise RuntimeError("the read while starting failed")

    assert _first_screen(Failing(repo, index=False)) is None


_WORKSPACE_PROBE = """
import sys
from modeltrail.store.workspace import load_workspace
from modeltrail.tui.commands.open_tui import workspace_members
rows = workspace_members(load_workspace(sys.argv[1]), offline=True)
assert all(error is None for _name, _path, error, _warning in rows), rows
print(sorted(m for m in sys.modules if m.startswith("modeltrail.store.write")))
"""


def _workspace_of_two(tmp_path: Path) -> tuple[Path, Path]:
    one, two = build_tiny_repo(tmp_path / "one"), build_tiny_repo(tmp_path / "two")
    file = tmp_path / "workspace.toml"
    file.write_text(f'[[repo]]\npath = "{one}"\n\n[[repo]]\npath = "{two}"\n')
    return file, two


def test_a_workspace_opens_without_the_write_path_when_nothing_was_left(tmp_path: Path) -> None:
    file, _two = _workspace_of_two(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _WORKSPACE_PROBE, str(file)],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_interrupted_write_in_a_workspace_member_is_still_recovered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modeltrail.store.workspace import load_workspace
    from modeltrail.tui.commands.open_tui import workspace_members

    file, two = _workspace_of_two(tmp_path)
    (two / ".git" / JOURNAL).write_text("{not json")  # a write killed mid-way
    workspace_members(load_workspace(file), offline=True)
    out = capsys.readouterr().out
    assert "repository two: removed an unreadable rollback journal" in out
    assert not (two / ".git" / JOURNAL).exists()


# --- the first screen kept beside the catalog (store.query.models_answer) -------------


def test_a_kept_first_screen_is_drawn_before_duckdb_and_pyarrow_are_imported(
    tmp_path: Path,
) -> None:
    """The second start on the same catalog draws its first screen (models, the first
    model's versions, its newest version's details) from what the first start kept:
    neither DuckDB nor pyarrow is imported before it is up."""
    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    heavy = {"duckdb", "pyarrow"}
    for start in ("first", "second"):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(repo)], capture_output=True, text=True, timeout=150
        )
        assert done.returncode == 0, done.stderr[-2000:]
        modules = set(json.loads(done.stdout.strip().splitlines()[-1])["modules"])
        if start == "first":  # nothing kept yet: the catalog drew it
            assert heavy <= modules
        else:
            assert not modules & heavy, sorted(modules & heavy)


def _cells(rows) -> list[list[str]]:
    """Every cell of a version list's rows but the R column (checked after the paint)."""
    keys = [c.key for c in rows.columns() if c.key != "repro"]
    return [[rows.cell(key, row).text for key in keys] for row in range(len(rows))]


def _first_and_settled(app) -> tuple[dict, dict]:
    """Run ``app`` headless: what its home screen showed when its first screen came up,
    and once everything has loaded."""
    import asyncio
    import time

    from tui_support import screen_text, settle

    def seen(home) -> dict:
        return {
            "models": [f"{m['name']} {m['latest']}" for m in home.model_list.models],
            "rows": type(home.rows).__name__,
            "cells": _cells(home.rows),
            "details": home.shown_commit,
            "screen": screen_text(app),
        }

    async def go() -> tuple[dict, dict]:
        async with app.run_test(size=(120, 40)) as pilot:
            end = time.monotonic() + 60
            while app.screen.__class__.__name__ != "HomeScreen" or app.screen.shown_commit is None:
                await pilot.pause(0.01)
                assert time.monotonic() < end, "no first screen"
            first = seen(app.screen)
            await settle(pilot)
            return first, seen(app.screen)

    return asyncio.run(go())


@pytest.mark.parametrize("build", ["tiny", "hostile"])
def test_the_kept_first_screen_is_the_catalogs_and_is_then_read_from_it(
    tmp_path: Path, build: str
) -> None:
    """Kept and read back, the first screen is the catalog's, repository text as
    literal as ever (the hostile corpus: markup, escapes, bidi controls)."""
    from tui_support import build_hostile_repo, frozen_now

    from modeltrail.tui.app import ModeltrailApp

    builder = build_tiny_repo if build == "tiny" else build_hostile_repo
    repo = builder(tmp_path / build)
    index(repo)
    cold_first, cold = _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))
    assert cold_first["rows"] == "VersionRows"  # nothing kept yet: read from the catalog
    warm_first, warm = _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))
    assert warm_first["rows"] == "KeptRows"  # drawn from what the first start kept
    # the same models, versions (with their deltas) and version's details as the catalog's
    assert warm_first["models"] == cold["models"]
    assert warm_first["cells"] == cold["cells"]
    assert warm_first["details"] == cold["details"]
    assert "reproducible" not in warm_first["screen"]  # the checks come from the catalog...
    assert warm["rows"] == "VersionRows"  # ... which then replaced the kept rows
    assert warm["screen"] == cold["screen"]  # and the screen ends as the catalog's
    assert "reproducible" in warm["screen"]


def test_a_new_tag_changes_the_kept_first_screen(tmp_path: Path) -> None:
    from tui_support import frozen_now

    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))  # keeps it
    before, _ = _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))
    assert before["rows"] == "KeptRows" and before["cells"][0][0] == "v1.2.0 ★"
    write(repo, "models/churn/metrics.json", {"auc": 0.91, "loss": 0.27})
    new = commit(repo, "churn: more data", "2026-03-12T10:00:00Z")
    tag(repo, "churn@v1.3.0", "register v1.3.0", "2026-03-12T10:00:00Z")
    index(repo)  # a new generation: what was kept is not its answer
    after, _ = _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))
    assert after["rows"] == "VersionRows"  # asked the catalog
    assert after["models"] == ["churn v1.3.0"]
    assert after["cells"][0][0] == "v1.3.0 ★" and after["details"] == new
    again, _ = _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))
    assert again["rows"] == "KeptRows" and again["cells"] == after["cells"]  # kept anew


def test_a_kept_first_screen_of_an_older_catalog_is_read_again(tmp_path: Path) -> None:
    """A new generation lands between reading the kept first screen and opening the
    catalog: the screen is read again from the catalog opened."""
    from tui_support import frozen_now

    from modeltrail.tui.app import ModeltrailApp

    repo = build_tiny_repo(tmp_path / "tiny")
    index(repo)
    _first_and_settled(ModeltrailApp(repo, index=False, now=frozen_now))  # keeps it

    class Racing(ModeltrailApp):
        def _open_catalog(self, state, shown):
            if shown is not None:  # the kept screen is drawn: a new version lands meanwhile
                write(repo, "models/churn/metrics.json", {"auc": 0.91, "loss": 0.27})
                commit(repo, "churn: more data", "2026-03-12T10:00:00Z")
                tag(repo, "churn@v1.3.0", "register v1.3.0", "2026-03-12T10:00:00Z")
                index(repo)
            super()._open_catalog(state, shown)

    first, settled = _first_and_settled(Racing(repo, index=False, now=frozen_now))
    assert first["models"] == ["churn v1.2.0"]  # the kept one, of the older catalog
    assert settled["models"] == ["churn v1.3.0"]  # then the catalog's
    assert settled["cells"][0][0] == "v1.3.0 ★"
