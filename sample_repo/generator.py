"""Build the deterministic sample ML-models repository (``modeltrail demo``, tests, benchmarks).

``build_sample_repo(target, scale=0)`` writes the whole history with one ``git fast-import``
process (fixed people, fixed 2026 dates, explicit parents), so every commit and tag id is
the same on every run and machine. Then it checks out ``main``, sets the local
``user.name``/``user.email`` to the on-call engineer (Sam Rivera), and writes some Git LFS
objects and DVC cache files.

What the repository holds (constants below and in ``story.py`` name all of it):

Models (``MODELS``; directories in ``MODEL_DIRS``)
  * ``churn`` — GTO. ``artifacts.yaml`` at the root declares it (path
    ``models/churn/model.pkl``); ``models/churn`` has ``params.yaml`` (nested, a
    ``features`` list, a boolean), ``metrics.json`` (``test.auc``, ``test.f1``,
    ``test.precision``, ``test.recall``, ``test.loss``, ``train.auc``, ``train.loss``,
    ``latency_ms``), ``requirements.txt``, ``train.py`` and ``model.pkl`` as a Git LFS pointer.
    Annotated GTO tags exactly as ``gto register``/``gto assign`` write them (default
    messages, tagger = who ran gto): ``churn@v1.0.0`` … ``churn@v1.3.0`` on main and stage
    tags ``churn#dev#1`` … ``churn#prod#10`` (``CHURN_STAGE_TAGS``).
  * ``fraud`` — DVC pipeline in ``models/fraud``: ``dvc.yaml`` (stages prepare → train →
    evaluate with ``deps``, dotted ``params`` keys, ``outs``; ``evaluate`` declares
    ``metrics: [{metrics.json: {cache: false}}]``; an ``artifacts:`` section declares
    ``fraud`` with ``type: model, path: model.pkl``), ``params.yaml`` (nested, a list,
    booleans), ``metrics.json`` (nested, with a boolean ``meets_recall_slo``),
    ``dvc.lock`` (schema 2.0; md5/size, ``nfiles`` for the ``data/prepared`` directory;
    the md5s of code and metrics are the real md5s of the committed files), and
    ``data/transactions.csv.dvc``. ``.dvc/config``, ``.dvc/.gitignore`` and ``.dvcignore``
    at the root. Calendar tags ``FRAUD_TAGS`` (annotated and lightweight).
  * ``recsys`` — Modelbit deployment in ``deployments/recsys``: ``metadata.yaml`` in
    Modelbit's real schema (``owner``, ``runtimeInfo`` with ``mainFunction``,
    ``mainFunctionArgs``, ``pythonVersion``, ``systemPackages``; ``tags``,
    ``schemaVersion: 2``), ``source.py``, ``requirements.txt`` (its Python packages),
    ``data/item_index.pkl`` as a Modelbit file stub (``_: MBFileStub``, ``contentHash``,
    ``metadata.fileSize``), ``model.pkl`` (LFS pointer), ``params.yaml``, ``metrics.yaml``
    (keys like ``offline.recall@20``). Plain tags ``recsys-v0.1.0`` (lightweight) and
    ``recsys/v0.2.0`` (annotated); later versions are unlabelled.
  * ``sentiment`` — MLflow model in ``models/sentiment``: ``MLmodel`` (artifact_path,
    python_function + sklearn flavors, run_id, model_uuid, utc_time_created,
    mlflow_version, signature, model_size_bytes), ``model.pkl`` (LFS pointer),
    ``conda.yaml``, ``python_env.yaml``, ``requirements.txt``, ``metrics.json``. No labels.
  * ``ranker`` — modeltrail's own ``models/ranker/model.yaml`` (``name: ranker``,
    ``version`` 2.0.0 → 2.1.0 → 2.2.0 on main, ``description``, ``labels``, inline
    ``metrics`` with ``ndcg@10``/``mrr``/``latency_ms`` and ``params``), plus
    ``pyproject.toml`` and ``rank.py``. Experiment branches change its metrics without
    bumping ``version``, so a version string can occur on several commits.

Flow (authors: Ana Lima, Bruno Keller, Chen Wei, Dana Okafor, Eli Novak; 2026-01-05 →
2026-03-17, strictly increasing commit and tag times)
  Three finished integration cycles (``CYCLES``): ``exp/<model>-<idea>`` branches from
  main → ``--no-ff`` merges into ``integration`` ("Merge branch 'exp/…' into integration",
  one with a resolved conflict) → an evaluation commit on integration → "Merge branch
  'integration'" into main, where the releases are tagged. Between cycles, integration is
  fast-forwarded to main and some commits land directly on main. A fourth cycle is in
  progress: ``exp/recsys-dedupe-items`` is merged into integration, which is ahead of main
  (``AHEAD_OF_MAIN``). ``UNMERGED_BRANCHES`` were never merged; ``BEATS_MAIN_BRANCH``
  (``exp/churn-focal-loss``) has churn test.auc 0.889 against main's 0.851.

The on-call scenario (churn)
  ``v1.3.0`` (test.auc 0.851, test.loss 0.405, latency 12.3 ms) is a regression from
  ``v1.2.0`` (0.874, 0.372, 9.7 ms). It went to ``dev`` and then straight to ``prod``
  (``churn#prod#10``), skipping staging: stages are ``CHURN_STAGES`` = dev → v1.3.0,
  staging → v1.2.0, prod → v1.3.0; ``CHURN_PREVIOUS_PROD`` = v1.2.0. No churn commit on
  main follows v1.3.0 (at scale 0), so HEAD holds v1.3.0's files.

Storage outside git
  LFS objects present in ``.git/lfs/objects`` (``LFS_PRESENT``): churn v1.2.0, v1.3.0 and
  the focal-loss branch head, recsys on the dedupe branch, sentiment at main; all other
  pointers (e.g. churn v1.0.0, v1.1.0) have no local object. The DVC cache
  (``.dvc/cache/files/md5``) holds fraud's current data snapshot, prepared directory and
  model; older fraud outputs are absent. DVC outputs are not materialised in the work tree.

``scale=N`` appends N commits to main after the base history (see ``scale.py``): model
``MODELS[i % 5]`` retrained with seeded random params/metrics, a churn registration every
20 commits and a stage tag every 50.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from pathlib import Path

from .builder import Clock, RepoBuilder
from .fastimport import FastImportStream
from .scale import write_bulk_commits
from .story import (
    AHEAD_OF_MAIN,
    AUTHORS,
    BEATS_MAIN_BRANCH,
    CHURN_PREVIOUS_PROD,
    CHURN_STAGE_TAGS,
    CHURN_STAGES,
    CHURN_VERSIONS,
    CYCLES,
    EXPERIMENT_BRANCHES,
    FRAUD_TAGS,
    IN_PROGRESS,
    INTEGRATION,
    MAIN,
    MODEL_DIRS,
    MODELS,
    ONCALL,
    RANKER_VERSIONS,
    RECSYS_TAGS,
    START,
    UNMERGED_BRANCHES,
    write_base_history,
)

__all__ = [
    "AHEAD_OF_MAIN",
    "AUTHORS",
    "BEATS_MAIN_BRANCH",
    "CHURN_PREVIOUS_PROD",
    "CHURN_STAGES",
    "CHURN_STAGE_TAGS",
    "CHURN_VERSIONS",
    "CYCLES",
    "EXPERIMENT_BRANCHES",
    "FRAUD_TAGS",
    "IN_PROGRESS",
    "INTEGRATION",
    "LFS_PRESENT",
    "MAIN",
    "MODELS",
    "MODEL_DIRS",
    "ONCALL",
    "RANKER_VERSIONS",
    "RECSYS_TAGS",
    "UNMERGED_BRANCHES",
    "build_sample_repo",
]

#: Where an LFS object is present locally, in words (for docs and tests).
LFS_PRESENT = {
    "churn": ("v1.2.0", "v1.3.0", BEATS_MAIN_BRANCH),
    "recsys": ("exp/recsys-dedupe-items",),
    "sentiment": (MAIN,),
}


def _git_env() -> dict[str, str]:
    """The environment for the generator's git processes: no user/system config, no
    inherited repository variables, no LFS smudging, no prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_LFS_SKIP_SMUDGE="1",
        LC_ALL="C",
    )
    return env


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", f"core.hooksPath={os.devnull}", *args],
        cwd=root,
        env=_git_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _import(root: Path, scale: int) -> RepoBuilder:
    """Run ``git fast-import`` on the story (plus ``scale`` bulk commits) via a pipe."""
    with tempfile.TemporaryFile() as errors:
        # Benchmark-sized imports store objects with zlib level 0: twice as fast, ~25% larger
        # (object ids do not depend on it).
        level = ["-c", "core.compression=0"] if scale else []
        proc = subprocess.Popen(
            ["git", *level, "fast-import", "--quiet", "--done", "--date-format=raw"],
            cwd=root,
            env=_git_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert proc.stdin is not None
        try:
            with io.BufferedWriter(proc.stdin, buffer_size=1 << 20) as pipe:
                builder = RepoBuilder(
                    FastImportStream(pipe), Clock(START, "modeltrail-sample"), MAIN
                )
                end = write_base_history(builder)
                if scale:
                    write_bulk_commits(builder, end, scale)
                builder.stream.done()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.wait() != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(
                f"git fast-import failed: {detail[-1] if detail else proc.returncode}"
            )
    return builder


def build_sample_repo(target: Path, scale: int = 0) -> Path:
    """Build the sample repository in ``target`` (missing or empty) and return its root.

    ``scale`` appends that many commits to main (see ``scale.py``). Raises
    ``FileExistsError`` if ``target`` is a non-empty directory or a file, ``ValueError`` for a
    negative ``scale``, ``RuntimeError`` if git fails.
    """
    if scale < 0:
        raise ValueError(f"scale must be >= 0, not {scale}")
    root = Path(target)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} exists and is not an empty directory")
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    _git(root, "init", "--quiet", "--template=", "--initial-branch", MAIN)
    builder = _import(root, scale)
    _git(root, "config", "user.name", ONCALL.name)
    _git(root, "config", "user.email", ONCALL.email)
    _git(root, "checkout", "--force", "--quiet")  # HEAD already names refs/heads/main
    builder.store.write(root)
    return root
