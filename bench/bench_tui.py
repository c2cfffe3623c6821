"""TUI benchmark: one model with 100,000 versions (README, Performance).

    python bench/bench_tui.py                    # 100,000 versions, 200 key presses
    python bench/bench_tui.py --versions 10000 --keys 100

Builds (once, cached under bench/out/tui-N/) a repository with a single model whose every
commit is a version (metrics change each time; a GTO registration every 1,000 commits,
prod and staging assignments), indexes it, then runs the real app headless in a fresh
process (so its memory is the app's alone) and reports:

- first screen: from process start (imports included) and from creating the app, until
  the version list holds every version and the details of the newest are on screen;
- per key press, sent as the terminal driver sends it, at about 30 presses a second: the
  time until the app has composed the updated list (the frame it would write), and until
  the details of the new row are on screen (their query runs in a worker); j, k, page
  down, G, g, and typing a filter;
- peak resident memory of that process.

Bars: first screen < 1 s, a key press < 50 ms, < 300 MB.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # the measured process's start (see --measure)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from common import measure_in_child  # noqa: E402

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

START = 1_735_725_600  # 2025-01-01 10:00 UTC
MODEL_DIR = "models/big"


# --- the repository -----------------------------------------------------------------------


def build_repo(target: Path, versions: int) -> None:
    """One GTO model ``big`` changed by every commit, written through git fast-import."""
    from modeltrail.sample_repo.fastimport import FastImportStream, Identity

    target.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    people = [
        Identity(n, f"{n.split()[0].lower()}@example.com", "+0000")
        for n in ("Ana Lima", "Bruno Keller", "Chen Wei", "Dana Okafor")
    ]
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=target, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    stream = FastImportStream(proc.stdin)
    rng = random.Random(7)
    auc, loss = 0.70, 0.60
    registered: list[tuple[int, int]] = []
    for i in range(1, versions + 1):
        auc = min(0.99, max(0.5, auc + rng.uniform(-0.004, 0.0045)))
        loss = min(1.0, max(0.05, loss + rng.uniform(-0.0045, 0.004)))
        metrics = {
            "auc": round(auc, 4),
            "loss": round(loss, 4),
            "latency_ms": round(rng.uniform(8, 14), 2),
        }
        changes: dict[str, bytes | None] = {
            f"{MODEL_DIR}/metrics.json": json.dumps(metrics).encode(),
        }
        if i == 1:
            changes["artifacts.yaml"] = (
                f"big:\n  type: model\n  path: {MODEL_DIR}/model.pkl\n".encode()
            )
            changes[f"{MODEL_DIR}/model.pkl"] = b"weights\n"
        if i % 100 == 1:
            changes[f"{MODEL_DIR}/params.yaml"] = f"depth: {4 + i % 7}\nseed: {i}\n".encode()
        when = START + i * 600
        stream.commit(
            "main",
            i,
            people[i % 4],
            when,
            f"big: retrain #{i}\n",
            [i - 1] if i > 1 else [],
            changes,
        )
        if i % 1000 == 0:
            major, minor = divmod(i // 1000, 10)
            stream.tag(f"big@v{major}.{minor}.0", i, people[0], when + 60, "register\n")
            registered.append((i, when))
    # stages on recent registrations (GTO assignment tags)
    for stage, back in (("prod", 2), ("staging", 1)):
        if len(registered) >= back:
            mark, when = registered[-back]
            stream.tag(
                f"big#{stage}#1",
                mark,
                people[1],
                START + versions * 600 + 3600 * back,
                f"promote to {stage}\n",
            )
    stream.done()
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "-C", str(target), "reset", "-q", "--hard"], check=True)


def prepare(out: Path, versions: int) -> tuple[Path, float | None]:
    """The cached repository with its catalog; the index time when it was built now."""
    from modeltrail.store.catalog.files import update_catalog
    from modeltrail.store.repo import open_repo

    repo_dir = out / f"tui-{versions}"
    index_s = None
    if not (repo_dir / ".git").exists():
        print(f"building {versions:,} commits in {repo_dir} …", file=sys.stderr)
        t = time.perf_counter()
        build_repo(repo_dir, versions)
        print(f"  fast-import {time.perf_counter() - t:.1f}s", file=sys.stderr)
    repo = open_repo(repo_dir)
    t = time.perf_counter()
    summary = update_catalog(repo)
    if summary.mode != "unchanged":
        index_s = time.perf_counter() - t
        print(f"  {summary.line()}", file=sys.stderr)
    repo.close()
    return repo_dir, index_s


# --- the measurement (a separate process) -------------------------------------------------


def _peak_mb() -> float:
    """This process's own peak resident memory (``VmHWM``), in MB.

    Not ``getrusage().ru_maxrss``: Linux carries that across fork and exec, so a measuring
    process started right after the parent indexed 100,000 commits reported the parent's
    peak (775 MB) as its own.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def _rss() -> dict:
    """Resident memory now and at its peak so far, in MB."""
    with open("/proc/self/statm") as fh:
        now = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return {"now": round(now), "peak": round(_peak_mb())}


def _stats(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1),
        "max_ms": round(ms[-1], 1),
    }


async def _measure(repo: str, keys: int, size: tuple[int, int]) -> dict:
    from textual import events

    from modeltrail.tui.app import ModeltrailApp

    imported = time.perf_counter()
    app = ModeltrailApp(repo)
    created = time.perf_counter()
    result: dict = {"import_s": round(imported - T0, 3)}
    frames: list[float] = []  # when the app composed a screen update (headless: not written)
    display = app._display

    def spy(screen, renderable) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = spy  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        while getattr(app.screen, "rows", None) is None:
            await asyncio.sleep(0.001)
        home = app.screen
        frame = len(frames)
        while len(frames) == frame:  # the list is composed on screen
            await asyncio.sleep(0.001)
        listed = time.perf_counter()
        result["list_from_start_s"] = round(listed - T0, 3)
        result["list_from_app_s"] = round(listed - created, 3)
        while home.shown_commit is None:
            await asyncio.sleep(0.001)
        done = time.perf_counter()
        result["versions_total"] = next(m["versions"] for m in home.models if m["name"] == "big")
        result["first_screen_from_start_s"] = round(done - T0, 3)
        result["first_screen_from_app_s"] = round(done - created, 3)
        result["rss_first_screen_mb"] = _rss()
        while home.partial or not home.rows.has_previous:  # the whole list, with deltas
            await asyncio.sleep(0.002)
        result["whole_list_s"] = round(time.perf_counter() - T0, 3)
        result["rss_whole_list_mb"] = _rss()
        while app.indexing or not app._index_started:  # the start-up check of git
            await asyncio.sleep(0.01)
        result["rss_after_index_check_mb"] = _rss()
        result["versions"] = len(home.rows)
        await pilot.press("2")
        await pilot.pause()

        async def press(key: str, char: str | None) -> tuple[float, float]:
            """Send one key as the terminal driver would; time the next composed frame
            (the list moved) and the details of the new row on screen."""
            before = len(frames)
            start = time.perf_counter()
            app._driver.send_message(events.Key(key, char))
            while len(frames) == before:
                await asyncio.sleep(0.0005)
            frame = frames[before] - start
            target = home.version_list.current_commit
            while home.shown_commit != target:
                await asyncio.sleep(0.0005)
            shown = time.perf_counter() - start
            await asyncio.sleep(0.03)  # a fast key repeat: about 30 presses a second
            return frame, shown

        async def timed(key: str, char: str | None, times: int) -> tuple[list, list]:
            frames_s, details_s = [], []
            for _ in range(times):
                f, d = await press(key, char)
                frames_s.append(f)
                details_s.append(d)
            return frames_s, details_s

        for name, key, char, times in (
            ("j", "j", "j", keys),
            ("k", "k", "k", keys // 2),
            ("pagedown", "pagedown", None, 20),
            ("G", "G", "G", 3),
            ("g", "g", "g", 3),
        ):
            f, d = await timed(key, char, times)
            result[f"rss_after_{name}"] = _rss()
            result[f"key_{name}"] = _stats(f)
            result[f"details_{name}"] = _stats(d)
        # a held key: presses every 33 ms without waiting for the details in between
        held = []
        for _ in range(keys // 2):
            before = len(frames)
            start = time.perf_counter()
            app._driver.send_message(events.Key("j", "j"))
            while len(frames) == before:
                await asyncio.sleep(0.0005)
            held.append(frames[before] - start)
            await asyncio.sleep(max(0.0, 0.033 - (time.perf_counter() - start)))
        rest = time.perf_counter()
        while home.shown_commit != home.version_list.current_commit:
            await asyncio.sleep(0.001)
        result["key_j_held"] = _stats(held)
        result["details_after_held_s"] = round(time.perf_counter() - rest, 3)
        await pilot.press("slash")
        await pilot.pause()
        typing = []
        for ch in "auc>0.9":
            before = len(frames)
            start = time.perf_counter()
            app._driver.send_message(
                events.Key(
                    ch
                    if ch.isalnum()
                    else {"<": "less_than_sign", ">": "greater_than_sign", ".": "full_stop"}[ch],
                    ch,
                )
            )
            while len(frames) == before:
                await asyncio.sleep(0.0005)
            typing.append(frames[before] - start)
            await asyncio.sleep(0.03)
        result["rss_after_keys_mb"] = _rss()
        result["key_filter_typing"] = _stats(typing)
        t = time.perf_counter()
        while home.filter_count is None or home.filter_query != "auc>0.9":
            await asyncio.sleep(0.002)
        result["filter_applied_s"] = round(time.perf_counter() - t, 3)
        result["filter_matches"] = home.filter_count
        result["rss_after_filter_mb"] = _rss()
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    return result


def measure(repo: str, keys: int, size: tuple[int, int]) -> None:
    print(json.dumps(asyncio.run(_measure(repo, keys, size))))


# --- report -------------------------------------------------------------------------------


def report(res: dict, index_s: float | None) -> None:
    rows = [
        ("versions of the model", f"{res['versions']:,}", ""),
        ("Python imports", f"{res['import_s'] * 1000:.0f} ms", ""),
        (
            "versions on screen, from process start",
            f"{res['list_from_start_s'] * 1000:.0f} ms",
            "< 1 s",
        ),
        ("  from creating the app", f"{res['list_from_app_s'] * 1000:.0f} ms", ""),
        (
            "+ details of the newest, from process start",
            f"{res['first_screen_from_start_s'] * 1000:.0f} ms",
            "",
        ),
        ("whole list with deltas, from process start", f"{res['whole_list_s'] * 1000:.0f} ms", ""),
    ]
    for key, label in (
        ("j", "j (down)"),
        ("k", "k (up)"),
        ("pagedown", "page down"),
        ("G", "G (bottom)"),
        ("g", "g (top)"),
    ):
        s = res[f"key_{key}"]
        d = res[f"details_{key}"]
        rows.append(
            (
                f"key {label}: list updated",
                f"median {s['median_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms",
                "< 50 ms",
            )
        )
        rows.append(
            (
                f"key {label}: details updated",
                f"median {d['median_ms']} ms, p95 {d['p95_ms']} ms, max {d['max_ms']} ms",
                "",
            )
        )
    s = res["key_j_held"]
    rows.append(
        (
            "j held down (30/s): list updated",
            f"median {s['median_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms",
            "< 50 ms",
        )
    )
    rows.append(("  details once it stops", f"{res['details_after_held_s'] * 1000:.0f} ms", ""))
    s = res["key_filter_typing"]
    rows.append(
        (
            "typing a filter: each key shown",
            f"median {s['median_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms",
            "< 50 ms",
        )
    )
    rows.append(
        (
            "filter auc>0.9 applied (worker)",
            f"{res['filter_applied_s'] * 1000:.0f} ms ({res['filter_matches']:,} match)",
            "",
        )
    )
    rows.append(("peak resident memory", f"{res['peak_rss_mb']:.0f} MB", "< 300 MB"))
    if index_s is not None:
        rows.append(("(full index of the repository, once)", f"{index_s:.1f} s", ""))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<{vwidth}}  bar")
    for name, value, bar in rows:
        print(f"{name:<{width}}  {value:<{vwidth}}  {bar}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=200, help="j presses to time")
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--measure", metavar="REPO", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))
    if args.measure:
        measure(args.measure, args.keys, size)  # type: ignore[arg-type]
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    repo_dir, index_s = prepare(args.out, args.versions)
    res = measure_in_child(__file__, repo_dir, "--keys", str(args.keys), "--size", args.size)
    if res is None:
        return 1
    if args.json:
        print(json.dumps({**res, "index_s": index_s}, indent=2))
    else:
        report(res, index_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
