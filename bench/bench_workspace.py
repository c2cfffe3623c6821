"""Workspace and URL benchmark: the bars of a team's many repositories.

    python bench/bench_workspace.py                     # 20 repositories of ~1,000 commits
    python bench/bench_workspace.py --repos 4 --commits 300

Builds (the base once, cached under bench/out/) the sample repository grown with
``--scale`` to about ``--commits`` commits, copies it ``--repos`` times (``ws-00``,
``ws-01``, ...) and gives each copy its own last hour: a retrained churn model committed
(different metrics in each) and put in prod with a GTO stage tag, at a different time in
each, so ``changes --since 24h`` has something to say. Then reports, each figure the whole
``modeltrail`` command in a fresh process (start-up and imports included):

- single:  ``modeltrail -C R index --rebuild`` for every repository, one after the
           other; their sum, the cores this process may use, and sum / cores
- ws cold: ``modeltrail --workspace W index`` with no catalog at all
- ws none: ``modeltrail --workspace W index`` with nothing new
- changes: ``modeltrail --workspace W changes --since 24h`` (and ``--json``), best of 3
           (answered from what the first run kept beside each catalog), and once with
           nothing kept (every catalog asked, as on the first run after an index)
- URL:     a bare copy of ``ws-00`` (``uploadpack.allowFilter=true``) read as
           ``-C file://...`` with a fresh cache (``XDG_CACHE_HOME``): the first
           ``index`` (clone + index) and ``models``; then, with nothing new, the second
           ``index`` and ``models``, and the fetch alone (``git fetch`` of the same
           refspecs in the cache, timed the same way): "second - fetch" is what
           modeltrail adds to the fetch; ``models`` on the local clone beside it

Each figure is wall time (best of 3 where it says so); CPU is user + system seconds of
the command and every process it waited for (git, the index workers): on a machine
others share, the wall time is mostly waiting for a core, the CPU time is not.

Bars: ws cold < sum / cores; changes < 0.5 s; URL second run - fetch < 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from common import run_modeltrail  # noqa: E402

from modeltrail.sample_repo.generator import build_sample_repo  # noqa: E402

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", f"core.hooksPath={os.devnull}", *args],
        capture_output=True,
        check=True,
        env=env or ENV,
        text=True,
    ).stdout


def base_repo(size: int, out: Path) -> Path:
    """The sample repository grown to about ``size`` commits (built once, cached)."""
    cached = out / f"ws-base-{size}"
    if not (cached / ".git" / "bench-done").exists():
        shutil.rmtree(cached, ignore_errors=True)
        build_sample_repo(cached, scale=0)
        base = int(git(cached, "rev-list", "--all", "--count"))
        shutil.rmtree(cached)
        build_sample_repo(cached, scale=max(0, size - base))
        (cached / ".git" / "bench-done").write_text("")
    return cached


def last_hour(repo: Path, number: int, now: int) -> None:
    """A retrained churn model committed and put in prod, ``number`` x 10 minutes ago."""
    when = now - 600 * (number + 1)
    stamp = {"GIT_AUTHOR_DATE": f"{when} +0000", "GIT_COMMITTER_DATE": f"{when} +0000"}
    metrics = repo / "models" / "churn" / "metrics.json"
    text = metrics.read_text()
    metrics.write_text(text.replace('"auc": 0.', f'"auc": 0.{number % 10}', 1))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"churn: retrain {number}", env={**ENV, **stamp})
    prod = [t for t in git(repo, "tag", "-l", "churn#prod#*").split() if t]
    stages = [t for t in git(repo, "tag", "-l", "churn#*#*").split() if t]
    seq = max((int(t.rsplit("#", 1)[1]) for t in stages), default=0) + 1
    git(repo, "tag", "-a", f"churn@v9.{number}.0", "-m", "register", env={**ENV, **stamp})
    git(repo, "tag", "-a", f"churn#prod#{seq}", "-m", f"oncall: promote ({len(prod)})",
        env={**ENV, **stamp})  # fmt: skip


#: CPU seconds (user + system) of the last :func:`command`, its children included
LAST_CPU = [0.0]


def command(*args: str, env: dict[str, str] | None = None) -> float:
    """Seconds of one ``modeltrail ARGS`` in a fresh process (fails loudly); its CPU
    seconds, with every process it waited for (git, the index workers), in LAST_CPU."""
    wall, LAST_CPU[0] = run_modeltrail(*args, env=env)
    return wall


def best(runs: int, *args: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``runs`` runs of ``modeltrail ARGS``."""
    return min(run_modeltrail(*args, env=env) for _ in range(runs))


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repos", type=int, default=20)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "out")
    ap.add_argument("--skip-singles", action="store_true", help="no single-repository runs")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = base_repo(args.commits, args.out)
    work = args.out / "workspace"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    now = int(time.time())
    repos = []
    for n in range(args.repos):
        repo = work / f"ws-{n:02d}"
        shutil.copytree(base, repo, symlinks=True)
        (repo / ".git" / "bench-done").unlink()
        last_hour(repo, n, now)
        repos.append(repo)
    file = work / "workspace.toml"
    file.write_text("".join(f'[[repo]]\npath = "{r.name}"\n\n' for r in repos))
    commits = int(git(repos[0], "rev-list", "--all", "--count"))
    load = os.getloadavg()
    print(f"{args.repos} repositories of {commits} commits, {cores()} cores, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")  # fmt: skip

    ws = ["--workspace", str(file)]
    if not args.skip_singles:
        singles, cpu = [], 0.0
        for r in repos:
            singles.append(command("-C", str(r), "index", "--rebuild"))
            cpu += LAST_CPU[0]
        total = sum(singles)
        print(
            f"single index --rebuild: min {min(singles):.2f} s, max {max(singles):.2f} s, "
            f"sum {total:.2f} s (CPU {cpu:.2f} s); sum / {cores()} cores = "
            f"{total / cores():.2f} s"
        )
    for r in repos:
        shutil.rmtree(r / ".git" / "modeltrail", ignore_errors=True)
    cold = command(*ws, "index")
    print(f"workspace index, cold: {cold:.2f} s (CPU {LAST_CPU[0]:.2f} s)", end="")
    if not args.skip_singles:
        verdict = "holds" if cold < total / cores() else "FAILS"
        print(f" (bar: < {total / cores():.2f} s: {verdict})", end="")
    print()
    none, none_cpu = best(3, *ws, "index")
    print(f"workspace index, nothing new: {none:.2f} s (CPU {none_cpu:.2f} s)")
    since = ["changes", "--since", "24h"]
    changes, changes_cpu = best(3, *ws, *since)
    as_json, _ = best(3, *ws, *since, "--json")
    for r in repos:  # nothing kept: every catalog asked (the first run after an index)
        (r / ".git" / "modeltrail" / "changes.cache.json").unlink(missing_ok=True)
    asked = command(*ws, *since)
    verdict = "holds" if changes < 0.5 else "FAILS"
    print(
        f"changes --since 24h: {changes:.2f} s (CPU {changes_cpu:.2f} s), --json "
        f"{as_json:.2f} s (bar < 0.5 s: {verdict}); every catalog asked: {asked:.2f} s"
    )

    bare = work / "remote.git"
    git(work, "clone", "-q", "--bare", str(repos[0]), str(bare))
    git(bare, "config", "uploadpack.allowFilter", "true")
    cache = work / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    url = bare.resolve().as_uri()
    first = command("-C", url, "index", env=env)
    models1 = command("-C", url, "models", env=env)
    print(f"URL first run: index (clone + index) {first:.2f} s, then models {models1:.2f} s")
    (clone,) = (cache / "modeltrail" / "repos").iterdir()
    refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    fetch_args = ["fetch", "--quiet", "--prune", "--no-write-fetch-head", "origin", *refspecs]
    fetch = min(timed(lambda: git(clone, *fetch_args, env=env)) for _ in range(3))
    second, second_cpu = best(3, "-C", url, "index", env=env)
    models2, models2_cpu = best(3, "-C", url, "models", env=env)
    offline, _ = best(3, "-C", url, "--offline", "index", env=env)
    local, _ = best(3, "-C", str(repos[0]), "models")
    verdict = "holds" if second - fetch < 0.5 else "FAILS"
    print(
        f"URL second run, nothing new: fetch alone {fetch:.2f} s; index {second:.2f} s "
        f"(CPU {second_cpu:.2f} s), minus the fetch {second - fetch:.2f} s (bar < 0.5 s: "
        f"{verdict}); index --offline {offline:.2f} s; models {models2:.2f} s (CPU "
        f"{models2_cpu:.2f} s), minus the fetch {models2 - fetch:.2f} s; models on the local "
        f"clone {local:.2f} s"
    )
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
