"""Many models: ``models`` and the TUI's first screen at 10,000 models (bars: < 1 s each).

    python bench/bench_models.py                     # 10,000 models
    python bench/bench_models.py --models 3000

Builds (once, cached under bench/out/models-N/, through one ``git fast-import`` stream) a
repository of N model directories (``models/mN/model.yaml`` and ``metrics.json``) over
20 commits, each model retrained once (two versions), registered at both versions
(``mN@v1.0.0``, ``mN@v1.1.0``) and, every tenth model, promoted to prod at each
(``mN#prod#1``, ``mN#prod#2``: a previous holder to show). Indexes it, then reports:

- ``models``: the whole command in a fresh process (imports, catalog, the table printed
  to a pipe), best of three; and ``models --json``; wall time and CPU time (on a busy
  machine the wall time is mostly waiting for a core);
- the TUI's first screen, in a fresh headless process that opens it as ``modeltrail -C
  REPO`` does (``open_tui.make_app``, the collector paused): from process start until
  the model list holds every model, and until the first model's versions and details
  are on screen (wall time, and the process's CPU time over all its threads); twice:
  the first start after the index run (read from the catalog, then kept beside it) and
  the next one (drawn from what was kept, before DuckDB and pyarrow are imported).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # the measured process's start (see --measure)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from common import measure_in_child, run_command  # noqa: E402

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

WHEN = 1_798_761_600
COMMITS = 20
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": f"{WHEN} +0000",
    "GIT_COMMITTER_DATE": f"{WHEN} +0000",
}


def fast_import_stream(models: int) -> bytes:
    """The repository as one ``git fast-import`` stream: commits 0-9 add the models,
    10-19 retrain them; tags as the module says."""
    lines: list[str] = []
    half = COMMITS // 2
    per_commit = max(1, -(-models // half))

    def blob(path: str, body: str) -> None:
        lines.extend([f"M 100644 inline {path}", f"data {len(body.encode())}", body])

    for c in range(COMMITS):
        lines += [
            "commit refs/heads/main",
            f"mark :{c + 1}",
            f"committer Bench <bench@example.com> {WHEN + c * 60} +0000",
            "data 9",
            f"commit {c:02d}",
        ]
        if c:
            lines.append(f"from :{c}")
        first = (c % half) * per_commit
        for m in range(first, min(models, first + per_commit)):
            if c < half:
                blob(f"models/m{m}/model.yaml", f"name: m{m}\n")
            blob(f"models/m{m}/metrics.json", f'{{"auc": 0.{(m + c) % 97:02d}}}')
        lines.append("")
    tagged = 0
    for m in range(models):
        c = m // per_commit
        for version, mark in (("v1.0.0", c + 1), ("v1.1.0", c + half + 1)):
            tags = [f"m{m}@{version}"]
            if m % 10 == 0:
                tags.append(f"m{m}#prod#{1 if version == 'v1.0.0' else 2}")
            for name in tags:
                tagged += 1
                msg = f"tag {name}"
                lines += [
                    f"tag {name}",
                    f"from :{mark}",
                    f"tagger Bench <bench@example.com> {WHEN + 3600 + tagged} +0000",
                    f"data {len(msg)}",
                    msg,
                ]
    return ("\n".join(lines) + "\n").encode()


def build(models: int, out: Path) -> Path:
    repo = out / f"models-{models}"
    if (repo / ".git" / "bench-done").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], env=ENV, check=True)
    subprocess.run(
        [*git, "fast-import", "--quiet"], input=fast_import_stream(models), env=ENV, check=True
    )
    subprocess.run([*git, "reset", "-q", "--hard", "main"], env=ENV, check=True)
    subprocess.run([*git, "pack-refs", "--all"], env=ENV, check=True)
    (repo / ".git" / "bench-done").write_text("")
    return repo


def best(repo: Path, *args: str, times: int = 3) -> str:
    runs = [run_command(repo, *args) for _ in range(times)]
    return f"{min(r[0] for r in runs):6.2f} s (CPU {min(r[1] for r in runs):.2f} s)"


async def _measure(repo: str) -> dict:
    # as ``modeltrail -C REPO`` opens the TUI (tui/commands/open_tui.py: run_tui)
    from modeltrail.tui import gc_pause

    gc_pause.pause()
    from modeltrail.tui.cli import build_parser
    from modeltrail.tui.commands.open_tui import make_app

    argv = ["-C", repo]
    app = make_app(build_parser(argv).parse_args(argv))
    created = time.perf_counter()
    out: dict = {}
    async with app.run_test(size=(120, 40)):
        while getattr(app.screen, "model_list", None) is None:
            await asyncio.sleep(0.001)
        home = app.screen
        while home.model_list.option_count == 0:
            await asyncio.sleep(0.001)
        listed = time.perf_counter()
        out["models_listed_s"] = round(listed - T0, 3)
        out["models_listed_cpu_s"] = round(time.process_time(), 3)
        out["models_listed_from_app_s"] = round(listed - created, 3)
        out["models"] = home.model_list.option_count
        while home.shown_commit is None:
            await asyncio.sleep(0.001)
        out["first_screen_s"] = round(time.perf_counter() - T0, 3)
        out["first_screen_cpu_s"] = round(time.process_time(), 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--measure", metavar="REPO", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(_measure(args.measure))))
        return 0
    t = time.perf_counter()
    repo = build(args.models, args.out)
    print(f"repository: {args.models:,} models ({time.perf_counter() - t:.1f} s to build)")
    print(f"index --rebuild     {best(repo, 'index', '--rebuild', times=1)}")
    print(f"models              {best(repo, 'models')}")
    print(f"models --json       {best(repo, 'models', '--json')}")
    for start in ("first start after indexing", "next start (kept)"):
        res = measure_in_child(__file__, repo)
        if res is None:
            return 1
        print(
            f"TUI, {start}: {res['models']:,} models listed {res['models_listed_s']:.2f} s"
            f" from process start ({res['models_listed_from_app_s']:.2f} s from creating the"
            f" app); first screen (versions and details of the first)"
            f" {res['first_screen_s']:.2f} s; CPU (all threads) {res['models_listed_cpu_s']:.2f} s"
            f" and {res['first_screen_cpu_s']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
