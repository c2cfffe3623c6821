"""``modeltrail checkout MODEL VERSION``: a version's model files into the work tree."""

from __future__ import annotations

import argparse
import sys

from rich.text import Text

from modeltrail.store.write.checkout import checkout
from modeltrail.tui.commands._common import add_json, catalog_of, console, print_json
from modeltrail.tui.commands.rollback import start
from modeltrail.tui.safe_text import clean, shell_word

NAME = "checkout"
HELP = "put a version's model files in the work tree (staged, no commit)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("version", help="label, tag, stage or commit")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace untracked or ignored files that stand where the version's files go",
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    repo = start(args)
    con = catalog_of(repo)
    result = checkout(repo, con, args.model, args.version, force=args.force)
    con.close()
    if args.json:
        for path in result.missing:
            print(
                f"modeltrail: WARNING: {clean(path, single_line=True)}: its LFS/DVC object is "
                "not available locally (git lfs fetch / dvc pull)",
                file=sys.stderr,
            )
        print_json(result.to_json())
        return 0
    t = Text(clean(result.summary(), single_line=True) + "\n")
    marks = {"added": "A", "removed": "D", "modified": "M"}
    for f in result.files:
        t.append(f"  {marks.get(f.change, '?')} {clean(f.path, single_line=True)}\n")
    for path in result.missing:
        t.append(
            f"  !! {clean(path, single_line=True)}: its LFS/DVC object is not available "
            "locally (git lfs fetch / dvc pull)\n",
            style="bold",
        )
    if result.files:
        # the changed files themselves when few: the directory may hold other models
        paths = [f.path for f in result.files]
        where = (
            " ".join(shell_word(p) for p in paths)
            if len(paths) <= 5
            else shell_word(result.path or ".")
        )
        t.append(
            "  review: git diff --cached; keep: git commit; drop: "
            f"git restore --source=HEAD --staged --worktree -- {where}\n"
        )
    console().print(t)
    return 0
