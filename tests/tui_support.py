"""Helpers for the TUI tests: small real git repositories, waiting, reading the screen.

Repositories are written with ``git`` and fixed identities and dates (no mocks). The app
under test gets a frozen clock so ages such as ``3d`` are deterministic.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from rich.cells import cell_len
from textual.keys import Keys
from textual.worker import WorkerCancelled, WorkerFailed

FROZEN_NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def frozen_now() -> datetime:
    return FROZEN_NOW


def git(
    repo: Path,
    *args: str,
    date: str = "2026-01-01T10:00:00Z",
    author: tuple[str, str] = ("Ana Lima", "ana@example.com"),
    input: bytes | None = None,
) -> str:
    """Run git in ``repo`` with a fixed identity and date; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
    }
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, input=input
    )
    return out.stdout.decode("utf-8", "replace")


def write(repo: Path, path: str, content: str | dict) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content) if isinstance(content, dict) else content
    target.write_text(text, encoding="utf-8")


def commit(
    repo: Path, message: str, date: str, author: tuple[str, str] = ("Ana Lima", "ana@example.com")
) -> str:
    git(repo, "add", "-A", date=date, author=author)
    git(repo, "commit", "-q", "--no-verify", "-m", message, date=date, author=author)
    return git(repo, "rev-parse", "HEAD").strip()


def tag(repo: Path, name: str, message: str, date: str, target: str = "HEAD") -> None:
    git(repo, "tag", "-a", "-m", message, "--end-of-options", name, target, date=date)


def build_tiny_repo(root: Path) -> Path:
    """One model ``churn`` with five versions on main and one on ``exp/deeper``.

    Versions (oldest first): v1.0.0 (auc 0.80, loss 0.40, ana), c2 (auc 0.82, loss 0.38,
    bruno), v1.1.0 (auc 0.85, loss 0.35, ana; in prod), c4 (auc 0.83, loss 0.37, bruno),
    v1.2.0 (auc 0.88, loss 0.30, chen; in staging), and on exp/deeper: auc 0.90.
    """
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, "artifacts.yaml", "churn:\n  type: model\n  path: models/churn/model.pkl\n")
    steps = [
        ("v1.0.0", 0.80, 0.40, ("Ana Lima", "ana@example.com"), "2026-01-05T10:00:00Z"),
        (None, 0.82, 0.38, ("Bruno Keller", "bruno@example.com"), "2026-01-10T10:00:00Z"),
        ("v1.1.0", 0.85, 0.35, ("Ana Lima", "ana@example.com"), "2026-02-01T10:00:00Z"),
        (None, 0.83, 0.37, ("Bruno Keller", "bruno@example.com"), "2026-02-10T10:00:00Z"),
        ("v1.2.0", 0.88, 0.30, ("Chen Wei", "chen@example.com"), "2026-03-01T10:00:00Z"),
    ]
    commits = {}
    for label, auc, loss, author, date in steps:
        write(root, "models/churn/metrics.json", {"auc": auc, "loss": loss})
        write(root, "models/churn/params.yaml", f"depth: {int(auc * 10)}\n")
        write(root, "models/churn/model.pkl", f"weights {auc}\n")
        sha = commit(root, f"churn: auc {auc}", date, author)
        if label:
            tag(root, f"churn@{label}", f"register {label}", date)
            commits[label] = sha
    tag(root, "churn#prod#1", "promote", "2026-03-05T10:00:00Z", commits["v1.1.0"])
    tag(root, "churn#staging#1", "promote", "2026-03-06T10:00:00Z", commits["v1.2.0"])
    git(root, "checkout", "-q", "-b", "exp/deeper")
    write(root, "models/churn/metrics.json", {"auc": 0.90, "loss": 0.28})
    commit(root, "churn: deeper trees", "2026-03-10T10:00:00Z", ("Dana Okafor", "dana@example.com"))
    git(root, "checkout", "-q", "main")
    return root


def index(repo: Path) -> None:
    """Build the catalog the way ``modeltrail index`` does."""
    from modeltrail.store.catalog.files import update_catalog
    from modeltrail.store.repo import open_repo

    r = open_repo(repo)
    try:
        update_catalog(r)
    finally:
        r.close()


# --- a repository whose every text is hostile --------------------------------------

OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
BIDI = "\u202e"
EVIL_AUTHOR = ("[red]Mallory[/] \x1b[31m" + BIDI + "X", "m@example.com")
FIRST_MESSAGE = f"first [bold]x[/] [@click=app.quit]click me[/] {OSC_TITLE} {CLEAR} {BIDI}evil"
BRANCH = f"exp/{BIDI}@click=app.quit]x"


def build_hostile_repo(root: Path) -> Path:
    """Models ``evil`` (2 versions, prod) and ``[@click=app.quit]odd[/]``; see the constants."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(root, "models/evil/model.yaml", "name: evil\n")
    write(root, "models/evil/metrics.json", {"[bold]auc[/]": 0.8, "loss": 0.3})
    write(root, "models/evil/params.yaml", '"[@click=app.quit]p": "[red]v[/]"\n')
    write(root, "models/odd/model.yaml", 'name: "[@click=app.quit]odd[/]"\n')
    commit(root, FIRST_MESSAGE, "2026-01-01T10:00:00Z", EVIL_AUTHOR)
    git(root, "checkout", "-q", "-b", BRANCH)
    write(root, "models/evil/metrics.json", {"[bold]auc[/]": 0.9, "loss": 0.2})
    commit(root, "second\n\n[bold]body[/] " + OSC_TITLE, "2026-01-02T10:00:00Z", EVIL_AUTHOR)
    tag(root, "evil@v1.0.0", "register " + OSC_TITLE, "2026-01-03T10:00:00Z")
    tag(root, "evil#prod#1", "promote [bold]now[/]", "2026-01-04T10:00:00Z")
    return root


async def settle(pilot, limit_s: float = 60.0) -> None:
    """Wait until the app's workers, index thread and message queues are idle (on a
    loaded machine that can take many rounds: bounded by time, not by a round count)."""
    import time

    app = pilot.app
    idle = 0
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        await pilot.pause()
        thread = getattr(app, "_index_thread", None)
        indexing = thread is not None and thread.is_alive()
        # the thread that read the first screen keeps it (or opens the catalog) once it is up
        first = getattr(app, "_prefetch", None)
        up = getattr(app, "_first_screen_up", None)
        indexing |= first is not None and first.is_alive() and up is not None and up.is_set()
        if indexing or getattr(app.screen, "busy", False):  # e.g. details about to load
            idle = 0
            await pilot.pause(0.02)
        elif any(w.is_running for w in app.workers):
            idle = 0
            # superseded by a newer one, or failed (the failure handler shows it)
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await app.workers.wait_for_complete()
        else:
            idle += 1
            if idle >= 2:
                return


#: the names Textual gives keys ("enter", "escape", "ctrl+p", "space", "up", ...)
KEY_NAMES = frozenset(k.value for k in Keys)


async def press(pilot, *keys: str) -> None:
    """Press each of ``keys`` and let the app settle after each. A key is one character
    or a Textual key name (``enter``, ``ctrl+p``, ``space``); anything else is text,
    typed a character at a time (``"churn v1.1.0"``, a reason)."""
    for key in keys:
        if len(key) == 1 or key in KEY_NAMES:
            await pilot.press(key)
        else:
            await pilot.press(*key)
        await settle(pilot)


async def wait_for_index(pilot, limit: int = 600) -> None:
    """Wait for a running background index to post its result."""
    for _ in range(limit):
        if not getattr(pilot.app, "indexing", False):
            break
        await pilot.pause(0.02)
    await settle(pilot)


async def wait_for_text(pilot, text: str, limit_s: float = 30.0) -> str:
    """The screen once ``text`` shows on it (a table paints a refresh after its data
    arrives; on a loaded machine that can be later than the workers' end)."""
    import time

    deadline = time.monotonic() + limit_s
    shown = screen_text(pilot.app)
    while text not in shown and time.monotonic() < deadline:
        await pilot.pause(0.02)
        shown = screen_text(pilot.app)
    return shown


#: a text element of the SVG screenshot Textual exports (through Rich's ``export_svg``):
#: where the text starts (x, in Rich's cells of 20 * 0.61 units), on which line, and what
_SVG_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">(.*?)</text>'
)
_SVG_CELL = 20 * 0.61


def _screen_texts(app) -> list[list[tuple[int, str]]]:
    """Each line of the screen as (cell, text) pieces, from the app's public screenshot
    (no private compositor): the text the terminal would be sent, literally."""
    width, height = app.size
    lines: list[list[tuple[int, str]]] = [[] for _ in range(height)]
    for x, line, text in _SVG_TEXT.findall(app.export_screenshot()):
        text = html.unescape(text.replace("&#160;", " "))
        lines[int(line)].append((round(float(x) / _SVG_CELL), text))
    return lines


def screen_text(app) -> str:
    """What the terminal shows now, as plain text lines."""
    width = app.size.width
    shown = []
    for pieces in _screen_texts(app):
        line = ""
        for cell, text in pieces:
            line += " " * (cell - cell_len(line)) + text
        shown.append(line + " " * (width - cell_len(line)))
    return "\n".join(shown)


def screen_segments(app) -> list[str]:
    """Every text segment the screen would write (to look for control characters)."""
    return [text for pieces in _screen_texts(app) for _cell, text in pieces]


def run_async(test):
    """Run an async test body with asyncio (no async pytest plugin is installed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper
