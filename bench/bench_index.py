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
- floor:   the physical floor of the job, on one core: the raw git reads the index
           needs, with output discarded (the same ``for-each-ref``, the same ``git log
           --raw`` walk, ``cat-file --batch-check`` + ``--batch`` of the same blobs), plus
           parsing every distinct JSON/YAML document among those blobs once with the
           fastest parsers installed (stdlib ``json``; ``yaml_rs``, else PyYAML's C loader,
           for YAML), reported apart as ``git s`` and ``parse s``
- gto:     the real ``gto show --json`` on the same repository (skipped past a timeout)
- models:  ``modeltrail models`` (catalog current) beside ``gto show`` on the same size

Bars: full <= 3x floor, incr < 0.5 s, none < 0.3 s, peak < 400 MB.

    python bench/bench_index.py --realrepos      # the shared real repositories

reports instead, for each repository in ``../shared/realrepos`` (a fresh clone of each
bundle), side by side: ``index`` on the fresh clone (no catalog yet), ``index --rebuild``,
``models`` and the real ``gto show``, each the fastest of ``--repeat`` rounds (the four
commands take turns, so that each round meets the same load). Bar: ``index --rebuild`` and
``models`` each faster than ``gto show`` on every one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def _documents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The distinct git blobs the index reads whole that are JSON or YAML documents (by
    the name of a file holding them): blob -> ``json`` | ``yaml``."""
    pairs = con.execute(
        "SELECT DISTINCT blob, path FROM version_sources WHERE origin = 'git' UNION "
        "SELECT DISTINCT f.blob, f.path FROM version_files f "
        "JOIN blob_storage b ON b.blob = f.blob WHERE b.size < 1024"
    ).fetchall()
    kinds: dict[str, str] = {}
    for blob, path in sorted(pairs):
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".json"):
            kinds.setdefault(blob, "json")
        elif name.endswith((".yaml", ".yml", ".dvc")) or name in ("dvc.lock", "MLmodel"):
            kinds.setdefault(blob, "yaml")
    return kinds


def _blob_texts(repo: Path, blobs: list[str]) -> list[bytes]:
    """The contents of ``blobs`` (one ``cat-file --batch``; not timed)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="".join(f"{b}\n" for b in blobs).encode(),
        capture_output=True,
        check=True,
    ).stdout
    texts, at = [], 0
    for _ in blobs:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if header[-1] == b"missing":
            texts.append(b"")
            at = end + 1
            continue
        size = int(header[2])
        texts.append(out[end + 1 : end + 1 + size])
        at = end + 2 + size
    return texts


def parse_once(repo: Path, kinds: dict[str, str]) -> tuple[float, str]:
    """Seconds to parse every document once on this core (the fastest of two rounds),
    and which parsers did it."""
    try:
        import yaml_rs
    except ImportError:  # then PyYAML's C loader, the fastest other
        yaml_rs = None
    import yaml

    blobs = sorted(kinds)
    data = list(zip((kinds[b] for b in blobs), _blob_texts(repo, blobs), strict=True))
    c_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def load_yaml(text: str) -> object:
        if yaml_rs is not None:
            try:
                return yaml_rs.loads(text, parse_datetime=False)
            except Exception:  # noqa: BLE001 - what it cannot read, the careful loader does
                pass
        return yaml.load(text, Loader=c_loader)  # noqa: S506 - a safe loader

    def run() -> None:
        for kind, raw in data:
            text = raw.decode("utf-8", "replace")
            try:  # noqa: SIM105 - cheaper than contextlib.suppress, in the timed loop
                json.loads(text) if kind == "json" else load_yaml(text)
            except Exception:  # noqa: BLE001, S110 - a broken document costs its try
                pass

    parsers = "json + " + ("yaml_rs" if yaml_rs is not None else c_loader.__name__)
    return min(timed(run) for _ in range(2)), parsers


def floor(repo: Path) -> tuple[float, float, int, str]:
    """The physical floor on one core: seconds of the raw git reads the index needs
    (output discarded) and of parsing each distinct JSON/YAML document once, how many
    documents, and the parsers."""
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
    kinds = _documents(con)
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

    reads = min(timed(run) for _ in range(2))
    parse, parsers = parse_once(repo, kinds)
    return reads, parse, len(kinds), parsers


def gto_show(repo: Path, timeout: float, *flags: str) -> str:
    gto = shutil.which("gto") or str(Path(sys.executable).parent / "gto")
    t = time.perf_counter()
    try:
        subprocess.run(
            [gto, "show", *flags], cwd=repo, capture_output=True, check=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f}"
    return f"{time.perf_counter() - t:.2f}"


#: Runs the CLI in this interpreter as the ``modeltrail`` program does (``entry``: its
#: way out included) and reports its own peak memory (VmHWM) on stderr: ``getrusage``
#: would carry over the parent's peak across fork and exec.
_LAUNCH = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nVmHWM_KB=" + line.split()[1] + "\\n")
atexit.register(peak)
from modeltrail.tui.cli import entry
entry()
"""


def _cmdline(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()


def _tree_rss_kb(root: int) -> int:
    """Resident KB of ``root`` and every process below it (git, the parsing workers).

    A child caught between its fork and its exec (a worker or git being started) is
    left out: it still shows its parent's memory (``vfork``: the very same pages), which
    sampled at that moment counted the parent twice (810 MB "with git" beside 481 MB)."""
    total, todo = 0, [(root, b"")]
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        pid, parent_cmd = todo.pop()
        try:
            cmd = _cmdline(pid)
            if cmd == parent_cmd:
                continue  # not yet exec'd: its parent's memory, counted already
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page_kb
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [(int(c), cmd) for c in f.read().split()]
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


#: where ``--realrepos`` finds the bundles (``tests/realrepos.py`` looks there too)
REALREPOS = ROOT.parent.parent / "shared" / "realrepos"


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _wall_cpu(fn, *args) -> tuple[float, float]:
    """Seconds of ``fn(*args)`` (it returns them) and the CPU seconds its processes used
    (git's included): on a busy machine the CPU time says what the wall time cannot."""
    before = _children_cpu()
    wall = fn(*args)
    return wall, _children_cpu() - before


def _seconds(repo: Path, *args: str) -> float:
    return command(repo, *args)[0]


def _gto_seconds(repo: Path, timeout: float) -> float:
    g = gto_show(repo, timeout)
    return float("inf") if g.startswith(">") else float(g)


def realrepos(bundles: Path, out: Path, repeat: int, timeout: float) -> None:
    """``index`` (first), ``index --rebuild``, ``models`` and ``gto show`` on a fresh
    clone of each bundle, the fastest of ``repeat`` rounds each: wall seconds (CPU
    seconds in brackets)."""
    print(
        f"{'repository':<36} {'commits':>7} {'tags':>4} {'index':>12} {'index --rebuild':>15} "
        f"{'models':>12} {'gto show':>12} {'rebuild/gto':>11} {'models/gto':>10}"
    )
    for bundle in sorted(bundles.glob("*.bundle")):
        work = out / f"real-{bundle.stem}"
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(bundle), str(work)], check=True)
        catalog = work / ".git" / "modeltrail"
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("first", "rb", "m", "g")}

        for _ in range(repeat):
            shutil.rmtree(catalog, ignore_errors=True)
            runs["first"].append(_wall_cpu(_seconds, work, "index"))
            runs["rb"].append(_wall_cpu(_seconds, work, "index", "--rebuild"))
            runs["m"].append(_wall_cpu(_seconds, work, "models"))
            runs["g"].append(_wall_cpu(_gto_seconds, work, timeout))
        commits = int(git(work, "rev-list", "--all", "--count"))
        tags = len(git(work, "tag").split())
        best = {k: (min(w for w, _c in v), min(c for _w, c in v)) for k, v in runs.items()}
        cells = " ".join(
            f"{f'{best[k][0]:.2f} ({best[k][1]:.2f})':>{w}}"
            for k, w in (("first", 12), ("rb", 15), ("m", 12), ("g", 12))
        )
        g = best["g"][0]
        print(
            f"{bundle.stem:<36} {commits:>7} {tags:>4} {cells} "
            f"{best['rb'][0] / g:>10.2f}x {best['m'][0] / g:>9.2f}x",
            flush=True,
        )
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 20_000, 100_000])
    ap.add_argument("--gto-timeout", type=float, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "out")
    ap.add_argument(
        "--realrepos",
        nargs="?",
        type=Path,
        const=REALREPOS,
        metavar="DIR",
        help=f"the shared real repositories instead (bundles in DIR, default {REALREPOS})",
    )
    ap.add_argument("--repeat", type=int, default=5, help="--realrepos: rounds per command")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores",
        flush=True,
    )
    if args.realrepos is not None:
        realrepos(args.realrepos, args.out, args.repeat, args.gto_timeout)
        return
    print(
        f"{'commits':>8} {'tags':>6} {'full s':>7} {'peak MB':>7} {'tree MB':>8} {'git s':>6} "
        f"{'docs':>6} {'parse s':>7} {'floor s':>7} {'full/floor':>10} {'gto s':>7} "
        f"{'incr s':>6} {'none s':>6} {'models s':>8}"
    )
    for size in args.sizes:
        src = base_repo(size, args.out)
        work = args.out / f"work-{size}"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(src, work, symlinks=True)
        runs = [command(work, "index", "--rebuild") for _ in range(2)]
        full, peak = min(r[0] for r in runs), max(r[1] for r in runs)
        tree = max(r[2] for r in runs)
        reads, parse, docs, parsers = floor(work)
        fl = reads + parse
        g = gto_show(work, args.gto_timeout, "--json")
        models = min(command(work, "models")[0] for _ in range(3))
        one_more_commit(work)
        inc = command(work, "index")[0]
        none = min(command(work, "index")[0] for _ in range(3))
        commits = int(git(work, "rev-list", "--all", "--count"))
        tags = len(git(work, "tag").split())
        print(
            f"{commits:>8} {tags:>6} {full:>7.2f} {peak:>7.0f} {tree:>8.0f} {reads:>6.2f} "
            f"{docs:>6} {parse:>7.2f} {fl:>7.2f} {full / fl:>9.1f}x {g:>7} "
            f"{inc:>6.2f} {none:>6.2f} {models:>8.2f}",
            flush=True,
        )
        shutil.rmtree(work, ignore_errors=True)
    print(f"# parsers: {parsers}")


if __name__ == "__main__":
    main()
