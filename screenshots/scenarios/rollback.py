"""Screenshots of the rollback dialog, its result, and the history screen (sample repo).

The on-call story: churn v1.3.0 is in prod and is a regression; v1.2.0 was the previous
good version and the previous holder of prod. On the home screen churn is selected, so
``r`` at once opens the dialog that rolls its prod back to v1.2.0 (the on-call path:
``r``, reason, ``enter``, ``prod``, ``enter``). Typed text is spelled one key per
character here.

The history scenario's ``setup`` records a rollback, its undo, and the rollback again at
a fixed time (so the picture is the same on every run); it writes tags into the
repository it is given, so it runs on its own copy. The remote scenarios give the copy a
bare ``origin`` beside it (a colleague's commit on it, fetched with ``F``; or a
colleague's prod tag on it, shown before the rollback is written), then ``p`` pushes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TO_V120: list[str] = []  # r on the model: prod back to its previous holder, v1.2.0
REASON = [*"AUC drop", "enter"]
CONFIRM = [*"prod", "enter"]
FIXED_TIME = "1774000000 +0000"  # 2026-03-20 09:46:40 UTC


@contextlib.contextmanager
def _fixed_clock():
    saved = {k: os.environ.get(k) for k in ("GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE")}
    os.environ["GIT_COMMITTER_DATE"] = os.environ["GIT_AUTHOR_DATE"] = FIXED_TIME
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def rollback_and_undo(repo_path: str | Path) -> None:
    """churn prod: v1.3.0 → v1.2.0, undone, then rolled back again (as an on-call would)."""
    from modeltrail.store.catalog.files import open_catalog
    from modeltrail.store.repo import open_repo
    from modeltrail.store.write.rollback import plan_rollback, plan_undo
    from modeltrail.store.write.rollback_apply import apply_plan

    repo = open_repo(repo_path)
    with _fixed_clock():
        for step in ("rollback", "undo", "rollback"):
            con = open_catalog(repo)
            try:
                if step == "undo":
                    plan = plan_undo(repo, con, reason="checking the dashboards again")
                else:
                    plan = plan_rollback(repo, con, "churn", "v1.2.0", reason="AUC drop")
            finally:
                con.close()
            apply_plan(repo, plan)


COLLEAGUE = ("-c", "user.name=Colleague", "-c", "user.email=c@example.com")


def _git(cwd: Path, *args: str) -> str:
    import subprocess

    env = {**os.environ, "GIT_COMMITTER_DATE": FIXED_TIME, "GIT_AUTHOR_DATE": FIXED_TIME}
    done = subprocess.run(
        ["git", *COLLEAGUE, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def with_origin(repo_path: str | Path) -> Path:
    """A bare clone beside the repository as its ``origin``; main tracks it."""
    repo = Path(repo_path)
    origin = repo.parent / f"{repo.name}-origin.git"
    _git(repo.parent, "clone", "-q", "--bare", str(repo), str(origin))
    _git(repo, "remote", "add", "origin", str(origin))
    _git(repo, "fetch", "-q", "origin")
    _git(repo, "branch", "-q", "-u", "origin/main", "main")
    return origin


def colleague_pushed_a_commit(repo_path: str | Path) -> None:
    origin = with_origin(repo_path)
    other = Path(repo_path).parent / f"{Path(repo_path).name}-colleague"
    _git(Path(repo_path).parent, "clone", "-q", str(origin), str(other))
    (other / "NOTES.md").write_text("on-call notes\n")
    _git(other, "add", "NOTES.md")
    _git(other, "commit", "-q", "-m", "on-call notes")
    _git(other, "push", "-q", "origin", "main")


def colleague_moved_prod(repo_path: str | Path) -> None:
    origin = with_origin(repo_path)
    v100 = _git(Path(repo_path), "rev-parse", "churn@v1.0.0^{commit}")
    _git(origin, "tag", "-a", "-m", "rolled back by a colleague", "churn#prod#11", v100)


SCENARIOS = [
    {"name": "rollback-dialog", "size": (120, 36), "press": [*TO_V120, "r"]},
    {"name": "rollback-dialog-80x24", "size": (80, 24), "press": [*TO_V120, "r"]},
    {
        "name": "rollback-confirm-80x24",
        "size": (80, 24),
        "press": [*TO_V120, "r", *REASON],
    },
    {
        "name": "rollback-done-80x24",
        "size": (80, 24),
        "press": [*TO_V120, "r", *REASON, *CONFIRM],
    },
    {
        "name": "history-80x24",
        "size": (80, 24),
        "press": ["h"],
        "setup": rollback_and_undo,
    },
    {"name": "undo-dialog", "size": (120, 36), "press": ["z"], "setup": rollback_and_undo},
    {
        "name": "remote-fetched-80x24",
        "size": (80, 24),
        "press": ["F"],
        "setup": colleague_pushed_a_commit,
    },
    {
        "name": "rollback-pushed-80x24",
        "size": (80, 24),
        "press": [*TO_V120, "r", *REASON, *CONFIRM, "p"],
        "setup": with_origin,
    },
    {
        "name": "rollback-remote-acted",
        "size": (120, 36),
        "press": [*TO_V120, "r"],
        "setup": colleague_moved_prod,
    },
]
