"""A worker that fails is reported by the one worker-failure handler: one literal line
where the screen shows it (or a notification), never a traceback, and the app goes on."""

from __future__ import annotations

import shutil
from pathlib import Path

import test_rollback_support as support
from tui_support import frozen_now, run_async, screen_text, settle

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.audit import AuditScreen
from modeltrail.tui.screens.compare import CompareScreen
from modeltrail.tui.screens.flow import FlowScreen
from modeltrail.tui.screens.history import HistoryScreen
from modeltrail.tui.screens.home import HomeScreen

fixed_env = support.fixed_env
sample = support.sample
sample_template = support.sample_template

HOSTILE = "v9\x1b]0;pwned\x07\x1b[2J"


def _app(repo: Path) -> ModeltrailApp:
    return ModeltrailApp(str(repo), index=False, now=frozen_now)


@run_async
async def test_a_compare_of_unknown_versions_is_a_literal_notification(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = CompareScreen("churn", [HOSTILE, "0" * 40])
        await pilot.app.push_screen(screen)
        await settle(pilot)
        assert pilot.app.is_running and pilot.app.screen is screen
        notes = [n for n in pilot.app._notifications if n.title == "Compare"]
        assert notes, "the failure was not reported"
        assert "\x1b" not in notes[-1].message and "\x07" not in notes[-1].message
        assert "pwned" in notes[-1].message  # shown, as text


@run_async
async def test_an_audit_that_cannot_read_the_repository_says_so_in_its_title(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        shutil.rmtree(Path(sample) / ".git" / "refs")  # the repository is gone from under us
        shutil.rmtree(Path(sample) / ".git" / "objects")
        (Path(sample) / ".git" / "HEAD").unlink()
        await pilot.app.push_screen(AuditScreen("churn"))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert pilot.app.is_running
        assert text.splitlines()[0].strip().startswith("Audit: "), text
        assert "Traceback" not in text


@run_async
async def test_history_of_a_catalog_gone_bad_says_so_in_its_title(sample):
    async with _app(sample).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.connection().close()  # as a catalog that went away would leave it
        await pilot.app.push_screen(HistoryScreen("churn"))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert pilot.app.is_running
        assert text.splitlines()[0].strip().startswith("History: "), text


# --- the home screen: each worker's failure where the screen shows it -------------------


def _home(app) -> HomeScreen:
    assert isinstance(app.screen, HomeScreen)
    return app.screen


def _status_line(app) -> str:
    return screen_text(app).splitlines()[-2]  # above the footer


@run_async
async def test_home_models_that_cannot_be_read_say_so_in_the_status_line(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        pilot.app.connection().close()  # the catalog went away under the app
        _home(pilot.app).load_models()
        await settle(pilot)
        assert pilot.app.is_running
        assert _status_line(pilot.app).lstrip().startswith("⚠ ConnectionException"), screen_text(
            pilot.app
        )
        assert not pilot.app._notifications  # not a notification: in its place


@run_async
async def test_home_versions_that_cannot_be_read_say_so_in_the_status_line(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        before = home.model
        pilot.app.connection().close()
        await pilot.press("down")  # the next model: its versions cannot be read
        await settle(pilot)
        assert pilot.app.is_running and home.model != before
        assert _status_line(pilot.app).lstrip().startswith("⚠ ConnectionException")
        assert not pilot.app._notifications


@run_async
async def test_home_details_that_cannot_be_read_say_so_in_the_pane(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        pilot.app.connection().close()
        await pilot.press("2", "j")  # the next version: its details cannot be read
        await settle(pilot)
        assert pilot.app.is_running and not home.busy  # the next move loads again
        pane = home.details.render_line(0).text + home.details.render_line(1).text
        assert "⚠ ConnectionException" in pane, screen_text(pilot.app)
        assert not pilot.app._notifications


@run_async
async def test_home_filter_whose_catalog_raises_says_so_as_the_filter_error(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        shown = home.version_list.row_count
        pilot.app.connection().close()
        await pilot.press("2", "slash", *"auc>0.8")
        await settle(pilot)
        assert pilot.app.is_running and not home.busy  # a later key filters again
        assert _status_line(pilot.app).lstrip().startswith("✗ ConnectionException")
        assert home.filter_input.has_class("-invalid")
        assert not pilot.app._notifications
        assert home.version_list.row_count == shown  # the list stays as it was


# --- the flow screen --------------------------------------------------------------------


@run_async
async def test_flow_that_cannot_be_read_says_so_in_the_graph(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        pilot.app.connection().close()
        await pilot.press("f")
        await settle(pilot)
        assert pilot.app.is_running and isinstance(pilot.app.screen, FlowScreen)
        assert "⚠ flow unavailable: ConnectionException" in screen_text(pilot.app)
        assert not pilot.app._notifications


@run_async
async def test_flow_metric_that_cannot_be_read_keeps_the_one_shown(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, FlowScreen) and screen.metric is not None
        header = screen_text(pilot.app).splitlines()[0]
        pilot.app.connection().close()
        await pilot.press("m")
        await settle(pilot)
        assert pilot.app.is_running
        notes = [n for n in pilot.app._notifications if n.title == "Flow"]
        assert len(notes) == 1 and notes[0].message.startswith("ConnectionException")
        assert screen_text(pilot.app).splitlines()[0] == header  # the metric shown, as before


# --- the app: the remote check and the index run ----------------------------------------


@run_async
async def test_a_remote_check_that_fails_says_so_in_the_status_bar(sample):
    async with _app(sample).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        (Path(sample) / ".git" / "HEAD").unlink()  # git no longer sees a repository
        pilot.app.check_remote()
        await settle(pilot)
        assert pilot.app.is_running
        assert pilot.app.remote_status.startswith("⚠ remote: "), pilot.app.remote_status
        assert not pilot.app._notifications


@run_async
async def test_an_index_run_that_fails_says_so_once(sample):
    catalog = Path(sample) / ".git" / "modeltrail"
    shutil.rmtree(catalog)
    catalog.write_text("not a directory")  # the catalog cannot be written
    app = ModeltrailApp(str(sample), now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.is_running
        assert app.index_status.startswith("⚠ index failed: "), app.index_status
        notes = [n for n in app._notifications if n.title == "Index failed"]
        assert len(notes) == 1


@run_async
async def test_a_long_list_whose_rest_fails_to_load_does_not_say_loading_forever(
    sample, monkeypatch
):
    """The newest page shows first; when the rest then fails, the title said
    "(loading…)" for ever. It says the list stops at that page, and the status line why."""
    from modeltrail.store.query import browse
    from modeltrail.tui.screens import home as home_module

    monkeypatch.setattr(home_module, "FIRST_PAGE", 2)
    whole = browse.versions_table

    def first_page_only(cursor, model, keys, limit=None, **scope):
        if limit is None:
            raise RuntimeError(f"catalog gone {HOSTILE}")
        return whole(cursor, model, keys, limit=limit, **scope)

    monkeypatch.setattr(browse, "versions_table", first_page_only)
    async with _app(sample).run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        home = _home(pilot.app)
        text = screen_text(pilot.app)
        assert len(home.rows) == 2 and home.partial
        assert "loading…" not in text
        assert "only the newest 2: the rest failed to load" in text
        assert _status_line(pilot.app).lstrip().startswith("⚠ RuntimeError: catalog gone")
        assert "\x1b" not in text
