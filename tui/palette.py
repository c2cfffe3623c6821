"""The command palette (``ctrl+p``): commands that fit the screen it was opened on.

A screen offers commands by defining ``palette_commands() -> list[PaletteCommand]``
(the home screen offers: jump to a model, to a stage's holder, to a labelled version;
compare, roll back, undo, flow, history, filter); ``search_commands(query)`` may add
more for a query (e.g. versions by commit prefix). The app adds a few of its own.

Repository text only reaches the palette as ``rich.text.Text`` (never markup): the
prompt is built here with the fuzzy match highlighted by hand, and help texts are the
app's own words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from modeltrail.tui.safe_text import clean

_MATCH_STYLE = Style(bold=True, underline=True)


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: ``title`` (may hold repository text), ``help`` (the app's own
    words), what it does, and whether it shows before anything is typed."""

    title: str
    help: str
    callback: Callable[[], object]
    discover: bool = True


def _prompt(title: str, offsets: tuple[int, ...] = ()) -> Text:
    text = Text(clean(title, single_line=True))
    for offset in offsets:
        if offset < len(text.plain) and not text.plain[offset].isspace():
            text.stylize(_MATCH_STYLE, offset, offset + 1)
    return text


def _help(text: str) -> str:
    """Help is shown as markup by the palette: keep it free of brackets."""
    return clean(text, single_line=True).replace("[", "(").replace("]", ")")


class ModeltrailCommands(Provider):
    """Commands from the calling screen's ``palette_commands`` plus the app's own."""

    async def startup(self) -> None:
        screen = self.screen
        app = self.app
        commands: list[PaletteCommand] = []
        getter = getattr(screen, "palette_commands", None)
        if getter is not None:
            if asyncio.iscoroutinefunction(getter):
                commands.extend(await getter())
            else:
                commands.extend(await asyncio.to_thread(getter))
        reindex = getattr(app, "reindex", None)
        if reindex is not None:
            commands.append(
                PaletteCommand("Re-index the repository", "bring the catalog up to date", reindex)
            )
        commands.append(
            PaletteCommand(
                "Keys of this screen",
                "show the key bindings (?)",
                lambda: app.run_action("help"),
            )
        )
        self._commands = commands

    async def discover(self) -> Hits:
        for command in self._commands:
            if command.discover:
                yield DiscoveryHit(
                    _prompt(command.title),
                    command.callback,
                    text=command.title,
                    help=_help(command.help),
                )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        extra: list[PaletteCommand] = []
        searcher = getattr(self.screen, "search_commands", None)
        if searcher is not None and query.strip():
            extra = await asyncio.to_thread(searcher, query.strip())
        for command in [*self._commands, *extra]:
            title = clean(command.title, single_line=True)
            score, offsets = matcher.fuzzy_search.match(query, title)
            if score > 0:
                yield Hit(
                    matcher.match(title),
                    _prompt(title, tuple(offsets)),
                    command.callback,
                    text=title,
                    help=_help(command.help),
                )
