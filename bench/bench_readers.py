"""Reader micro-benchmark: our readers against plain ``json``/``yaml_rs`` per document.

    python bench/bench_readers.py REPO                 # index REPO (--rebuild) to capture
    python bench/bench_readers.py REPO --jobs F.pkl    # ... and keep the documents in F
    python bench/bench_readers.py --jobs F.pkl         # reuse documents captured before

Runs ``modeltrail index --rebuild`` on REPO in this process (use a copy: the catalog is
rebuilt), capturing every document the index parses, one per distinct (blob, role), as
``(role, path, bytes)``: what the parse pool is given (``parse_pool._parse_one``) and
the ``model.yaml`` manifests read with the declarations (``blobfacts.read_manifest``).
Then, per role, the CPU seconds (best of ``--repeat``) of

- ours:  the reader as the index calls it, rows and warnings included
- plain: the same bytes decoded and parsed by ``json.loads`` / ``yaml_rs.loads``
  (PyYAML's C loader without yaml_rs), nothing else
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

Doc = tuple[str, str, bytes]


def capture(repo: Path) -> list[Doc]:
    """The documents a full index of ``repo`` parses (``repo``'s catalog is rebuilt)."""
    import os

    from modeltrail.store.read import blobfacts, parse_pool
    from modeltrail.tui.cli import main

    docs: list[Doc] = []
    parse_one, read_manifest = parse_pool._parse_one, blobfacts.read_manifest

    def one(job: parse_pool.Job) -> parse_pool.Parsed:
        if job[3] is not None:
            docs.append((job[1], job[2], job[3]))
        return parse_one(job)

    def manifest(data: bytes, path: str) -> blobfacts.ManifestFacts:
        docs.append(("manifest", path, data))
        return read_manifest(data, path)

    parse_pool._parse_one = one  # type: ignore[assignment]
    parse_pool.workers_for = lambda count: 0  # type: ignore[assignment]  # all parsed here
    blobfacts.read_manifest = manifest  # type: ignore[assignment]
    old = os.getcwd()
    sys.argv = ["modeltrail", "-C", str(repo), "index", "--rebuild"]
    try:
        main()
    except SystemExit:
        pass
    finally:
        os.chdir(old)
        parse_pool._parse_one, blobfacts.read_manifest = parse_one, read_manifest
    return docs


def ours(docs: list[Doc]) -> None:
    from modeltrail.store.read import blobfacts, parse_pool

    for role, path, data in docs:
        if role == "manifest":
            parse_pool.as_rows(role, blobfacts.read_manifest(data, path).values)
        else:
            parse_pool._parse_one(("", role, path, data))


def plain(docs: list[Doc]) -> None:
    try:
        import yaml_rs

        def load_yaml(text: str) -> object:
            return yaml_rs.loads(text, parse_datetime=False)
    except ImportError:
        import yaml

        def load_yaml(text: str) -> object:
            return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - a safe loader

    for _role, path, data in docs:
        text = data.decode("utf-8", "replace")
        try:  # noqa: SIM105 - cheaper than contextlib.suppress
            json.loads(text) if path.endswith(".json") else load_yaml(text)
        except Exception:  # noqa: BLE001, S110 - a broken document costs its try
            pass


def cpu(fn, docs: list[Doc], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn(docs)
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("repo", type=Path, nargs="?")
    ap.add_argument("--jobs", type=Path, help="documents captured before (or to keep)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.repo is not None:
        docs = capture(args.repo)
        if args.jobs:
            args.jobs.write_bytes(pickle.dumps(docs))
    elif args.jobs:
        docs = pickle.loads(args.jobs.read_bytes())  # noqa: S301 - our own file
    else:
        ap.error("give a repository or --jobs")
    by_role: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        by_role[d[0]].append(d)
    ours(docs[:200])  # warm: imports, decoders, caches of first use
    print(f"{'role':<12} {'docs':>6} {'ours s':>7} {'plain s':>7} {'ratio':>6}")
    total_ours = total_plain = 0.0
    for role, group in sorted(by_role.items(), key=lambda kv: -len(kv[1])):
        o, p = cpu(ours, group, args.repeat), cpu(plain, group, args.repeat)
        total_ours, total_plain = total_ours + o, total_plain + p
        print(f"{role:<12} {len(group):>6} {o:>7.2f} {p:>7.2f} {o / max(p, 1e-9):>5.1f}x")
    print(
        f"{'all':<12} {len(docs):>6} {total_ours:>7.2f} {total_plain:>7.2f} "
        f"{total_ours / max(total_plain, 1e-9):>5.1f}x"
    )


if __name__ == "__main__":
    main()
