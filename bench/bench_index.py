"""Index benchmark: whole commands side by side with the raw git floor and `gto show`.

    python bench/bench_index.py                  # 1,000 / 20,000 / 100,000 commits
    python bench/bench_index.py --sizes 1000 20000 --gto-timeout 120

For each size it builds the sample repository with ``--scale`` (cached under
bench/out/; about one tag per ten commits), then reports, side by side, each as the whole
``modeltrail`` command in a fresh process (start-up and imports included):

- full:    ``modeltrail index --rebuild`` (walk, blob reads, parsing, DuckDB writes),
           with the process's own peak resident memory (VmHWM) and the peak of its
           whole process tree (it, git and the parsing workers at the same moment)
- incr:    ``modeltrail index`` after one new commit on main
- none:    ``modeltrail index`` with nothing new
- floor:   the raw git reads the index needs, with output discarded: the same
           ``for-each-ref``, the same ``git log --raw`` walk, and ``cat-file --batch-check``
           + ``--batch`` of the same blobs
- gto:     the real ``gto show --json`` on the same repository (skipped past a timeout)
- models:  ``modeltrail models`` (catalog current) beside ``gto show`` on the same size

Bars: full <= 3x floor, gto >= 20x full, incr < 0.5 s, none < 0.3 s, peak < 400 MB,
models faster than gto show on a 100-commit repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from modeltrail.sample_repo.generator import build_sample_repo  # noqa: E402
from modeltrail.store.read import gitio  # noqa: E402
from modeltrail.store.repo import open_repo, repo_paths  # noqa: E402

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2027-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2027-01-01T00:00:00Z",
}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def base_repo(size: int, out: Path) -> Path:
    """The sample repository grown to about ``size`` commits (built once, cached)."""
    cached = out / f"repo-{size}"
    if not (cached / ".git").exists():
        shutil.rmtree(cached, ignore_errors=True)
        build_sample_repo(cached, scale=0)
        base = int(git(cached, "rev-list", "--all", "--count"))
        shutil.rmtree(cached)
        build_sample_repo(cached, scale=max(0, size - base))
    return cached


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True, env=ENV
    ).stdout.decode()


def floor(repo: Path) -> float:
    """The raw git reads the index needs, output discarded."""
    r = open_repo(repo)
    refs = gitio.read_refs(r)
    heads = "".join(f"{c}\n" for c in sorted({x.commit for x in refs if x.commit})).encode()
    cat = repo_paths(r).catalog_file
    con = duckdb.connect(str(cat), read_only=True)
    all_blobs = [b for (b,) in con.execute("SELECT DISTINCT blob FROM version_files").fetchall()]
    read = [
        b
        for (b,) in con.execute(
            "SELECT DISTINCT blob FROM version_sources UNION "
            "SELECT blob FROM blob_storage WHERE size < 1024"
        ).fetchall()
    ]
    con.close()
    check_in = "".join(f"{b}\n" for b in all_blobs).encode()
    read_in = "".join(f"{b}\n" for b in read).encode()
    fmt = "%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(contents)"
    log = [
        "log",
        "--topo-order",
        "--reverse",
        "--format=%H%x00%P%x00%T%x00%an%x00%ae%x00%at%x00%ct%x00%B",
        "--stdin",
        "--raw",
        "-z",
        "--no-renames",
        "--diff-merges=first-parent",
        "--no-abbrev",
    ]

    def run() -> None:
        git(repo, "for-each-ref", f"--format={fmt}")
        git(repo, *log, stdin=heads)
        git(repo, "cat-file", "--batch-check", "--buffer", stdin=check_in)
        git(repo, "cat-file", "--batch", "--buffer", stdin=read_in)

    return min(timed(run) for _ in range(2))


def gto_show(repo: Path, timeout: float) -> str:
    gto = shutil.which("gto") or str(Path(sys.executable).parent / "gto")
    t = time.perf_counter()
    try:
        subprocess.run(
            [gto, "show", "--json"], cwd=repo, capture_output=True, check=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f}"
    return f"{time.perf_counter() - t:.2f}"


#: Runs the CLI in this interpreter and reports its own peak memory (VmHWM) on stderr:
#: ``getrusage`` would carry over the parent's peak across fork and exec.
_LAUNCH = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nVmHWM_KB=" + line.split()[1] + "\\n")
atexit.register(peak)
from modeltrail.tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _tree_rss_kb(root: int) -> int:
    """Resident KB of ``root`` and every process below it (git, the parsing workers)."""
    total, todo = 0, [root]
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page_kb
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def command(repo: Path, *args: str) -> tuple[float, float, float]:
    """Seconds, peak MB, and the peak MB of its whole process tree (it with git and the
    parsing workers at the same moment, sampled every 50 ms) of one ``modeltrail -C repo
    ARGS`` in a fresh process."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH, "-C", str(repo), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = [0]

    def sample() -> None:
        while proc.poll() is None:
            tree[0] = max(tree[0], _tree_rss_kb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = proc.communicate()
    seconds = time.perf_counter() - t
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"modeltrail {' '.join(args)} failed:\n{err}")
    kb = [ln for ln in err.splitlines() if ln.startswith("VmHWM_KB=")]
    own = int(kb[-1].split("=")[1]) / 1024 if kb else float("nan")
    return seconds, own, max(own, tree[0] / 1024)


def one_more_commit(work: Path) -> None:
    (work / "NOTES.md").write_text(f"bench {time.time_ns()}\n")
    git(work, "add", "NOTES.md")
    # a new commit is newer than its parent (the scaled history runs into the future)
    after = int(git(work, "log", "-1", "--format=%ct")) + 3600
    env = {**ENV, "GIT_AUTHOR_DATE": f"{after} +0000", "GIT_COMMITTER_DATE": f"{after} +0000"}
    subprocess.run(
        [
            "git",
            "-C",
            str(work),
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-qm",
            "bench: one more",
        ],
        check=True,
        env=env,
        capture_output=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 20_000, 100_000])
    ap.add_argument("--gto-timeout", type=float, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"{'commits':>8} {'tags':>6} {'full s':>7} {'peak MB':>7} {'tree MB':>8} {'floor s':>7} "
        f"{'full/floor':>10} {'gto s':>7} {'gto/full':>8} {'incr s':>6} {'none s':>6} "
        f"{'models s':>8}"
    )
    for size in args.sizes:
        src = base_repo(size, args.out)
        work = args.out / f"work-{size}"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(src, work, symlinks=True)
        runs = [command(work, "index", "--rebuild") for _ in range(2)]
        full, peak = min(r[0] for r in runs), max(r[1] for r in runs)
        tree = max(r[2] for r in runs)
        fl = floor(work)
        g = gto_show(work, args.gto_timeout)
        models = min(command(work, "models")[0] for _ in range(3))
        one_more_commit(work)
        inc = command(work, "index")[0]
        none = min(command(work, "index")[0] for _ in range(3))
        commits = int(git(work, "rev-list", "--all", "--count"))
        tags = len(git(work, "tag").split())
        ratio = (
            f"{float(g) / full:.0f}x" if not g.startswith(">") else f">{float(g[1:]) / full:.0f}x"
        )
        print(
            f"{commits:>8} {tags:>6} {full:>7.2f} {peak:>7.0f} {tree:>8.0f} {fl:>7.2f} {full / fl:>9.1f}x "
            f"{g:>7} {ratio:>8} {inc:>6.2f} {none:>6.2f} {models:>8.2f}",
            flush=True,
        )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
