"""Scale in refs: many tags and many models (the target: linear to 100,000 tags ×
10,000 models).

    python bench/bench_refs.py                       # 100,000 tags x 10,000 models
    python bench/bench_refs.py --tags 20000 --models 2000
    python bench/bench_refs.py --tags 20000 --models 2000 --patterns 2003

Builds (cached under bench/out/) a repository with MODELS model directories
(``models/mN/model.yaml``) over a few commits and TAGS tags: a quarter annotated GTO
tags (``mN@vX.Y.Z`` registrations and ``mN#prod#K`` promotions, many per commit), the
rest plain ``mN-vX.Y.Z`` tags. Reports, each as the whole ``modeltrail`` command in a
fresh process:

- full:  ``modeltrail index --rebuild``
- incr:  ``modeltrail index`` after one new GTO tag (a registration of ``m0``), and after
  one new plain tag (``m1-vX.Y.Z``)
- none:  ``modeltrail index`` with nothing new

With ``--patterns N``, the runs are made with N team tag patterns in ``.modeltrail.toml``
(``team0/{model}/{version}``, ``team1/…``: forms no tag has, each one more to try),
written into the work tree for the run and removed after it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from pathlib import Path

from common import run_command

ROOT = Path(__file__).resolve().parent
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "1798761600 +0000",
    "GIT_COMMITTER_DATE": "1798761600 +0000",
}
COMMITS = 20


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, env=ENV, capture_output=True, check=True
    )
    return out.stdout.decode().strip()


def build(tags: int, models: int, out: Path) -> Path:
    """The repository, through one ``git fast-import`` stream (seconds, not minutes)."""
    repo = out / f"refs-{tags}x{models}"
    if (repo / ".git" / "bench-done").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    lines: list[str] = []
    when = 1798761600
    per_commit = max(1, models // COMMITS)
    for c in range(COMMITS):
        lines += [
            "commit refs/heads/main",
            f"mark :{c + 1}",
            f"committer Bench <bench@example.com> {when + c * 60} +0000",
            "data 9",
            f"commit {c:02d}",
        ]
        if c:
            lines.append(f"from :{c}")
        for m in range(c * per_commit, min(models, (c + 1) * per_commit)):
            body = f"name: m{m}\n"
            lines += [
                f"M 100644 inline models/m{m}/model.yaml",
                f"data {len(body)}",
                body.rstrip("\n"),
            ]
            metrics = f'{{"auc": 0.{m % 97:02d}}}'
            lines += [f"M 100644 inline models/m{m}/metrics.json", f"data {len(metrics)}", metrics]
        lines.append("")
    annotated = tags // 4
    for t in range(tags):
        m = t % models
        k = t // models
        mark = 1 + (t % COMMITS)
        if t < annotated:
            name = f"m{m}@v1.{k}.0" if k % 2 == 0 else f"m{m}#prod#{k}"
            msg = f"tag {t}"
            lines += [
                f"tag {name}",
                f"from :{mark}",
                f"tagger Bench <bench@example.com> {when + 3600 + t} +0000",
                f"data {len(msg)}",
                msg,
            ]
        else:
            lines += [f"reset refs/tags/m{m}-v2.{k}.0", f"from :{mark}", ""]
    stream = ("\n".join(lines) + "\n").encode()
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=stream, env=ENV, check=True
    )
    git(repo, "reset", "-q", "--hard", "main")
    git(repo, "pack-refs", "--all")
    (repo / ".git" / "bench-done").write_text("")
    return repo


def command(repo: Path, *args: str) -> str:
    """The whole command in a fresh process: wall seconds, and the CPU seconds of it and
    the git processes it waited for (:func:`common.run_command`)."""
    wall, cpu = run_command(repo, *args)
    return f"{wall:6.2f}s (CPU {cpu:.2f}s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--patterns", type=int, default=0, help="team tag patterns in config")
    args = parser.parse_args()
    out = ROOT / "out"
    t0 = time.perf_counter()
    repo = build(args.tags, args.models, out)
    print(
        f"repository: {args.tags} tags x {args.models} models ({time.perf_counter() - t0:.1f}s to build)"
    )
    # the cached repository stays as built: the tags a run adds go again at its end (and
    # what an interrupted run left, before it starts)
    leftovers = git(repo, "tag", "-l", "m0@v9.*", "m1-v9.*").split()
    if leftovers:
        git(repo, "tag", "-d", *leftovers)
    config = repo / ".modeltrail.toml"
    config.unlink(missing_ok=True)
    if args.patterns:
        forms = ", ".join(f'"team{i}/{{model}}/{{version}}"' for i in range(args.patterns))
        config.write_text(f"[tags]\npatterns = [{forms}]\n")
        print(f"with {args.patterns:,} tag patterns")
    try:
        measure(repo)
    finally:
        config.unlink(missing_ok=True)


def measure(repo: Path) -> None:
    full = command(repo, "index", "--rebuild")
    none = command(repo, "index")
    run = f"{os.getpid() % 1000}.{int(time.time()) % 100000}"
    try:
        git(repo, "tag", "-a", "-m", "one more", f"m0@v9.{run}", "main")
        incr = command(repo, "index")
        git(repo, "tag", f"m1-v9.{run}", "main")
        plain = command(repo, "index")
    finally:
        added = git(repo, "tag", "-l", f"m0@v9.{run}", f"m1-v9.{run}").split()
        if added:
            git(repo, "tag", "-d", *added)
    print(f"full {full}   one new GTO tag {incr}   one new plain tag {plain}   nothing new {none}")


if __name__ == "__main__":
    main()
