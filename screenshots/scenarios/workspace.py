"""Screenshot of the home screen over a workspace: the sample repository (``ml-models``),
a second, small repository (``payments``: its model ``chargeback``, generated here with
fixed dates and identities) and a repository by URL that cannot be reached (``search``):
every model listed by repository (a column of the side pane at 120 columns), the
unreachable one a warning row; and the changes screen over the same workspace."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from scenarios.rollback import rollback_and_undo


def _git(root: Path, *args: str, date: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Gil Moreau",
        "GIT_AUTHOR_EMAIL": "gil@example.com",
        "GIT_COMMITTER_NAME": "Gil Moreau",
        "GIT_COMMITTER_EMAIL": "gil@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(root),
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _payments_repo(root: Path) -> None:
    """``payments``: its model ``chargeback`` in three versions, v1.1.0 in prod (taken over from v1.0.0)."""
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main", date="2026-03-01T09:00:00Z")
    steps = [
        ("v1.0.0", 0.91, "2026-03-02"),
        ("v1.1.0", 0.93, "2026-03-09"),
        (None, 0.92, "2026-03-16"),
    ]
    for label, auc, day in steps:
        model = root / "models" / "chargeback"
        model.mkdir(parents=True, exist_ok=True)
        (model / "model.yaml").write_text("name: chargeback\n")
        (model / "metrics.json").write_text(json.dumps({"auc": auc, "recall": round(auc - 0.1, 2)}))
        date = f"{day}T10:00:00Z"
        _git(root, "add", "-A", date=date)
        _git(root, "commit", "-q", "--no-verify", "-m", f"chargeback: auc {auc}", date=date)
        if label:
            _git(root, "tag", "-a", "-m", f"register {label}", f"chargeback@{label}", date=date)
    promotions = [("1", "v1.0.0", "2026-03-03"), ("2", "v1.1.0", "2026-03-10")]
    for number, version, day in promotions:
        tag, target = f"chargeback#prod#{number}", f"chargeback@{version}^{{}}"
        _git(root, "tag", "-a", "-m", "promote", tag, target, date=f"{day}T10:00:00Z")


def workspace(repo: Path) -> Path:
    """The workspace file beside ``repo`` (the scenario's copy of the sample repository)."""
    base = repo.parent / f"{repo.name}-workspace"
    base.mkdir()
    _payments_repo(base / "payments")
    file = base / "team.toml"
    file.write_text(
        f'[[repo]]\npath = "{repo}"\nname = "ml-models"\n\n'
        '[[repo]]\npath = "payments"\n\n'
        '[[repo]]\nurl = "file:///srv/git/search.git"\n'
    )
    return file


SCENARIOS = [
    {"name": "workspace", "size": (120, 36), "press": [], "workspace": workspace},
    # what changed in the last 7 days in every repository: churn's rollback, its undo and
    # the rollback again in ml-models, chargeback's new version in payments
    {
        "name": "workspace-changes-80x24",
        "size": (80, 24),
        "press": ["w", "d"],
        "setup": rollback_and_undo,
        "workspace": workspace,
    },
]
