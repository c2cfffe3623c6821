"""Render the real screens from the sample repository to SVG and PNG.

    python screenshots/make_screenshots.py            # every scenario
    python screenshots/make_screenshots.py flow home   # scenarios whose name starts so

Each module in ``screenshots/scenarios/`` defines ``SCENARIOS``: dicts with ``name``,
``size`` (columns, rows), ``press`` (keys, one per element, as Textual names them) and
an optional ``setup(repo_path)`` run on the scenario's own copy of the repository
first, or an optional ``workspace(repo_path)`` returning a workspace file that lists
that copy among others (the app then opens over the workspace). Between key presses the script waits for the app's workers, so what is drawn is
what a user sees once the screen settles. The clock is frozen just after the sample
repository's last commit, so ages ("since 9d") are the same on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.worker import WorkerCancelled, WorkerFailed  # noqa: E402

from modeltrail.sample_repo.generator import build_sample_repo  # noqa: E402
from modeltrail.store.catalog.files import update_catalog  # noqa: E402
from modeltrail.store.repo import open_repo  # noqa: E402
from modeltrail.store.workspace import load_workspace  # noqa: E402
from modeltrail.tui.app import ModeltrailApp  # noqa: E402
from modeltrail.tui.commands.open_tui import workspace_members  # noqa: E402

FROZEN_NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def load_scenarios() -> list[dict]:
    scenarios: list[dict] = []
    for path in sorted((HERE / "scenarios").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"scenarios.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        scenarios.extend(getattr(module, "SCENARIOS", []))
    return scenarios


async def settle(pilot) -> None:
    """Wait for the app's workers and its background index check, then for the screen."""
    app = pilot.app
    for _ in range(100):
        await pilot.pause()
        thread = getattr(app, "_index_thread", None)
        if thread is not None and thread.is_alive():
            await pilot.pause(0.05)
            continue
        if getattr(app.screen, "busy", False):  # details waiting for the cursor to rest
            await pilot.pause(0.05)
            continue
        if not any(worker.is_running for worker in app.workers):
            break
        # superseded by a newer one, or failed (the worker-failure handler shows it)
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(repo: Path, scenario: dict, out: Path) -> Path:
    if scenario.get("workspace"):  # over a workspace, as ``modeltrail --workspace FILE``
        file = scenario["workspace"](repo)
        members = workspace_members(load_workspace(file))
        app = ModeltrailApp(workspace=members, now=lambda: FROZEN_NOW)
    else:
        app = ModeltrailApp(repo_path=repo, now=lambda: FROZEN_NOW)
    async with app.run_test(size=tuple(scenario["size"])) as pilot:
        await settle(pilot)
        for key in scenario["press"]:
            await pilot.press(key)
            await settle(pilot)
        svg = out / f"{scenario['name']}.svg"
        app.save_screenshot(filename=svg.name, path=str(out))
    return svg


def to_png(svg: Path) -> Path:
    png = svg.with_suffix(".png")
    if shutil.which("rsvg-convert"):
        # librsvg collapses runs of spaces unless told to keep them (columns would shift)
        text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
        subprocess.run(["rsvg-convert", "-o", str(png)], input=text.encode(), check=True)
    else:
        import cairosvg

        cairosvg.svg2png(url=str(svg), write_to=str(png))
    return png


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    scenarios = [s for s in load_scenarios() if not wanted or s["name"].startswith(tuple(wanted))]
    with tempfile.TemporaryDirectory(prefix="modeltrail-shots-") as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # a workspace's URL clones
        base = build_sample_repo(Path(tmp) / "base")
        update_catalog(open_repo(base))
        for i, scenario in enumerate(scenarios):
            repo = Path(tmp) / f"models-{i}"
            shutil.copytree(base, repo, symlinks=True)
            if scenario.get("setup"):
                scenario["setup"](repo)
            svg = asyncio.run(shoot(repo, scenario, HERE))
            print(f"{to_png(svg).relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":  # (a workspace's indexing spawns processes that import this)
    sys.exit(main(sys.argv))
