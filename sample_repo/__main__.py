"""``python -m modeltrail.sample_repo DIR [--scale N]``: build the sample repository and print its path."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .generator import build_sample_repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modeltrail.sample_repo",
        description="Build the deterministic sample ML-models git repository.",
    )
    parser.add_argument("directory", type=Path, help="where to build it (missing or empty)")
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="append N generated commits to main (for benchmarks)",
    )
    args = parser.parse_args(argv)
    if args.scale < 0:
        parser.error("--scale must be >= 0")
    try:
        root = build_sample_repo(args.directory, scale=args.scale)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"error: could not build the sample repository: {exc}", file=sys.stderr)
        return 1
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
