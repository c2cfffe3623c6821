"""Hostile repository text is shown literally: never markup, never terminal control.

The repository's commit messages, author names, branch names, model names and metric
keys carry Rich/Textual markup (``[bold]``, ``[/]``, ``[@click=app.quit]``), an OSC
title sequence, a clear-screen CSI and a bidi override. The app must show them as text,
write none of the control characters, and not act on the click markup.
"""

from __future__ import annotations

import pytest
from tui_support import (
    BIDI,
    build_hostile_repo,
    frozen_now,
    index,
    run_async,
    screen_segments,
    screen_text,
    settle,
)

from modeltrail.tui.app import ModeltrailApp
from modeltrail.tui.screens.help import HelpScreen
from modeltrail.tui.screens.home import HomeScreen

CONTROL = ("\x1b", "\x07", "\x9b", "\x9d", BIDI)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> str:
    root = build_hostile_repo(tmp_path_factory.mktemp("hostile") / "repo")
    index(root)
    return str(root)


def _no_control(app) -> None:
    for text in screen_segments(app):
        for ch in CONTROL:
            assert ch not in text, f"{ch!r} reached the terminal in {text!r}"


async def _select_evil(pilot) -> HomeScreen:
    home = pilot.app.screen
    assert isinstance(home, HomeScreen)
    names = [m["name"] for m in home.models]
    home.model_list.highlighted = names.index("evil")
    await settle(pilot)
    return home


@run_async
async def test_markup_and_escapes_are_shown_literally(hostile):
    app = ModeltrailApp(hostile, index=False, now=frozen_now)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "[@click=app.quit]odd[/]" in text  # a model name with markup, literally
        home = await _select_evil(pilot)
        await pilot.press("2", "j")  # the first commit, on main
        await settle(pilot)
        text = screen_text(app)
        assert "[bold]auc[/]" in text  # metric key: column header and details
        assert "[@click=app.quit]p" in text and "[red]v[/]" in text  # a param
        assert "first [bold]x[/] [@click=app.quit]click me[/]" in text  # the message
        assert "\\x1b]0;pwned\\x07" in text  # the OSC sequence, made visible
        assert "\\x1b[2J" in text
        assert "\\u202eevil" in text
        assert "[red]Mallory[/] \\x1b[31m\\u202eX" in text  # the author
        assert home.version_list.current_commit is not None
        _no_control(app)
        await pilot.press("k")
        await settle(pilot)
        text = screen_text(app)
        assert "exp/\\u202e@click=app.quit]x" in text  # the branch name
        assert "● prod" in text
        _no_control(app)


@run_async
async def test_clicking_click_markup_does_nothing(hostile):
    app = ModeltrailApp(hostile, index=False, now=frozen_now)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _select_evil(pilot)
        await pilot.press("2", "j")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        hits = [
            (y, line.index("[@click=app.quit]"))
            for y, line in enumerate(lines)
            if "[@click=app.quit]" in line
        ]
        assert hits
        for y, x in hits:
            await pilot.click(offset=(x + 3, y))
            await settle(pilot)
        assert app.is_running
        assert app.return_code is None
        assert isinstance(app.screen, HomeScreen)


@run_async
async def test_palette_help_and_filter_with_hostile_names(hostile):
    app = ModeltrailApp(hostile, index=False, now=frozen_now)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"odd")
        await settle(pilot)
        assert "[@click=app.quit]odd[/]" in screen_text(app)
        _no_control(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await _select_evil(pilot)
        await pilot.press("slash", *"[bold]auc[/]>0.85")
        await settle(pilot)
        # the metric key with markup is a real metric here: one version matches
        assert "→ 1 of 2" in screen_text(app)
        await pilot.press("escape", "slash", *"[@click=app.quit]:x")
        await settle(pilot)
        assert "✗" in screen_text(app)
        _no_control(app)
        assert app.is_running


@run_async
async def test_first_index_of_a_hostile_repo_in_the_background(tmp_path):
    root = build_hostile_repo(tmp_path / "repo")
    app = ModeltrailApp(str(root), now=frozen_now)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "indexed" in screen_text(app)
        assert "[@click=app.quit]odd[/]" in screen_text(app)
        _no_control(app)
