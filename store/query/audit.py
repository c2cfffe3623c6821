"""The audit: how reproducible each version is, how long a version held a stage before it
was moved away from, and which labels moved to another commit.

Every fact comes from the catalog (views ``params``, ``environment``, ``lineage``,
``artifacts``, ``metrics``; tables ``versions``, ``stage_events``) except label moves,
which need memory across catalog rebuilds: ``labels_log.moves``.

A check is ``True``, ``False`` or ``None`` (not applicable, or not knowable offline),
always with a reason when it is not ``True``. A version is reproducible when no check is
``False``.
"""

from __future__ import annotations

import contextlib
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store.catalog import labels_log
from modeltrail.store.query.queries import iso, require_model
from modeltrail.store.read.gitio import remote_names

if TYPE_CHECKING:
    import git

CHECKS = ("params", "data", "environment", "artifact", "metrics")

#: A requirement pinned to one release: ``==1.2.3`` / ``===1.2.3`` (extras allowed before
#: it), conda's ``=1.2.3``, or a hash. Wildcards (``==1.*``) and ranges are not pins.
_PINNED = re.compile(r"^(?:\[[^\]]*\])?\s*(?:===?|=)\s*[^*,<>!~=\s]+$|--hash")
#: Files that pin a whole environment by themselves.
_LOCK_FILES = re.compile(
    r"(?:^|/)(?:poetry\.lock|uv\.lock|Pipfile\.lock|pdm\.lock|conda-lock\.ya?ml|[^/]*\.lock)$"
)


def audit(
    con: duckdb.DuckDBPyConnection,
    catalog_dir: Path,
    remotes: dict[str, bool],
    model: str | None = None,
) -> dict[str, Any]:
    """The audit in the ``audit --json`` shape (keys may be added, never renamed).

    ``remotes``: from :func:`remotes_of` (can a missing LFS/DVC object be fetched?)."""
    if model is not None:
        require_model(con, model)
    versions = _version_checks(con, model, remotes)
    rollbacks = _stage_moves(con, model)
    moves = [m for m in labels_log.moves(catalog_dir) if model is None or m["model"] == model]
    models = _per_model(con, model, versions, rollbacks)
    return {
        "percent_reproducible": _percent(versions),
        "percent_reproducible_labelled": _percent([v for v in versions if v["labelled"]]),
        "missing_most": _missing_most(versions),
        "models": models,
        "versions": versions,
        "rollbacks": rollbacks,
        "labels_changed": moves,
    }


def _percent(versions: list[dict[str, Any]]) -> float | None:
    if not versions:
        return None
    share: float = round(100 * sum(v["reproducible"] for v in versions) / len(versions), 1)
    return share


def _missing_most(versions: list[dict[str, Any]]) -> list[str]:
    counts = Counter(c for v in versions for c in v["missing"])
    return [c for c, _ in counts.most_common()]


def remotes_of(repo: git.Repo) -> dict[str, bool]:
    """Whether LFS and DVC objects could be fetched from a remote: any git remote or an
    ``.lfsconfig`` for LFS; a remote in ``.dvc/config`` for DVC (read from the work tree)."""
    root = Path(repo.working_tree_dir) if repo.working_tree_dir else None
    dvc_config = ""
    if root is not None:
        with contextlib.suppress(OSError):
            dvc_config = (root / ".dvc" / "config").read_text(errors="replace")
    remotes = remote_names(repo)
    lfs = bool(remotes) or (root is not None and (root / ".lfsconfig").is_file())
    return {"lfs": lfs, "dvc": '["remote' in dvc_config or "['remote" in dvc_config}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    # on ``con`` itself, not a cursor of it: a workspace's catalogs are cursors of one
    # database, each reading its own attached catalog, and a cursor of one would not
    return con.execute(sql, params).fetchall()


def version_checks(
    con: duckdb.DuckDBPyConnection,
    model: str,
    remotes: dict[str, bool],
    commit: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The reproducibility checks of ``model``'s versions (only ``commit``'s when given),
    by commit: ``{"reproducible", "checks", "missing", "reasons"}`` as in ``audit``."""
    return {v["commit"]: v for v in _version_checks(con, model, remotes, commit)}


def version_checks_by_part(
    con: duckdb.DuckDBPyConnection, model: str, remotes: dict[str, bool], part: int = 10000
) -> Iterator[dict[str, dict[str, Any]]]:
    """:func:`version_checks` of all ``model``'s versions, ``part`` versions at a time
    (newest first), so that a model with 100,000 versions never holds every version's
    facts at once."""
    with con.cursor() as cur:
        ranks = [
            r
            for (r,) in cur.execute(
                "SELECT topo FROM versions WHERE model = $1 ORDER BY topo DESC", [model]
            ).fetchall()
        ]
    for start in range(0, len(ranks), part):
        newest, oldest = ranks[start], ranks[min(start + part, len(ranks)) - 1]
        yield {
            v["commit"]: v
            for v in _version_checks(con, model, remotes, topo_range=(oldest, newest))
        }


def _version_checks(
    con: duckdb.DuckDBPyConnection,
    model: str | None,
    remotes: dict[str, bool],
    commit: str | None = None,
    topo_range: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    params: list[Any]
    where, params = ("WHERE v.model = $1", [model]) if model else ("", [])
    scope = "WHERE model = $1" if model else ""
    if model and commit:
        where, params = "WHERE v.model = $1 AND v.commit = $2", [model, commit]
        scope = "WHERE model = $1 AND commit = $2"
    elif model and topo_range:
        where = "WHERE v.model = $1 AND v.topo BETWEEN $2 AND $3"
        params = [model, *topo_range]
        scope = (
            "WHERE model = $1 AND commit IN (SELECT commit FROM versions "
            "WHERE model = $1 AND topo BETWEEN $2 AND $3)"
        )
    versions = _rows(
        con,
        f"""
        SELECT v.model, v.version, v.commit, len(v.labels) > 0 OR len(v.stages) > 0,
               coalesce(v.stale_metrics, false)
        FROM versions v {where} ORDER BY v.model, v.topo DESC
        """,
        params,
    )
    facts: dict[str, dict[str, Any]] = {}
    for name, view, select in (
        ("params", "params", "count(*)"),
        ("metrics", "metrics", "count(*)"),
        ("lineage", "lineage", "count(hash)"),
        ("pointers", "artifacts WHERE storage = 'dvc'", "count(hash)"),
    ):
        sql_where = scope if "WHERE" not in view else scope.replace("WHERE", "AND", 1)
        for m, c, n in _rows(
            con, f"SELECT model, commit, {select} FROM {view} {sql_where} GROUP BY ALL", params
        ):
            facts.setdefault(f"{m}\0{c}", {})[name] = n
    unknown_where = f"{scope} AND" if scope else "WHERE"
    for m, c, paths in _rows(
        con,
        f"SELECT model, commit, list(DISTINCT path ORDER BY path) FROM version_sources"
        f" {unknown_where} origin = 'dvc-missing' GROUP BY ALL",
        params,
    ):
        facts.setdefault(f"{m}\0{c}", {})["unknown_metrics"] = paths
    for m, c, package, spec in _rows(
        con, f"SELECT model, commit, package, spec FROM environment {scope}", params
    ):
        facts.setdefault(f"{m}\0{c}", {}).setdefault("env", []).append((package, spec or ""))
    # only the paths that may be lock files (every one _LOCK_FILES matches ends so): a
    # model's 100,000 versions are 300,000 files, none of them a lock
    may_lock = "(path LIKE '%.lock' OR path LIKE '%.yml' OR path LIKE '%.yaml')"
    lock_where = f"{scope} AND {may_lock}" if scope else f"WHERE {may_lock}"
    for m, c, path in _rows(
        con, f"SELECT model, commit, path FROM version_files {lock_where}", params
    ):
        if _LOCK_FILES.search(path):
            facts.setdefault(f"{m}\0{c}", {}).setdefault("locks", []).append(path)
    # the declared artifact paths of the models asked about (one model: not all 10,000)
    declared = dict(
        _rows(con, "SELECT name, artifact_path FROM models WHERE name = $1", [model])
        if model
        else _rows(con, "SELECT name, artifact_path FROM models", [])
    )
    arts: dict[str, list[tuple[str, str, bool]]] = {}
    for m, c, path, storage, present in _rows(
        con, f"SELECT model, commit, path, storage, present FROM artifacts {scope}", params
    ):
        arts.setdefault(f"{m}\0{c}", []).append((path, storage, bool(present)))
    for key, rows in arts.items():
        facts.setdefault(key, {})["artifacts"] = _model_files(
            rows, declared.get(key.split("\0")[0])
        )
    return [
        _verdict(
            m, version, commit, bool(labelled), stale, facts.get(f"{m}\0{commit}", {}), remotes
        )
        for m, version, commit, labelled, stale in versions
    ]


def _verdict(
    model: str,
    version: str,
    commit: str,
    labelled: bool,
    stale: bool,
    f: dict[str, Any],
    remotes: dict[str, bool],
) -> dict[str, Any]:
    """One version's checks from its facts ``f`` (counts of params, metrics, lineage and
    data pointers; ``env`` (package, spec) pairs; ``locks``; its model's ``artifacts``;
    ``unknown_metrics``: metrics files in DVC outputs not in the local cache)."""
    checks, reasons = {}, {}
    for check, (value, reason) in (
        ("params", _params(f)),
        ("data", _data(f)),
        ("environment", _environment(f)),
        ("artifact", _artifact(f, remotes)),
        ("metrics", _metrics(f, stale)),
    ):
        checks[check] = value
        if reason:
            reasons[check] = reason
    missing = [c for c in CHECKS if checks[c] is False]
    return {
        "model": model,
        "version": version,
        "commit": commit,
        "labelled": labelled,
        "reproducible": not missing,
        "checks": checks,
        "missing": missing,
        "reasons": reasons,
    }


def detail_checks(
    con: duckdb.DuckDBPyConnection, model: str, detail: dict[str, Any], remotes: dict[str, bool]
) -> dict[str, Any]:
    """:func:`version_checks` of one version from its ``queries.version_detail`` (which
    read every fact the checks need: the details pane asks no second time)."""
    declared = _rows(con, "SELECT artifact_path FROM models WHERE name = $1", [model])
    arts = [(a["path"], a["storage"], bool(a["present"])) for a in detail["artifacts"]]
    f: dict[str, Any] = {
        "params": len(detail["params"]),
        "metrics": len(detail["metrics"]),
        "lineage": sum(r["hash"] is not None for r in detail["lineage"]),
        "pointers": sum(
            a["hash"] is not None for a in detail["artifacts"] if a["storage"] == "dvc"
        ),
        "env": [(r["package"], r["spec"] or "") for r in detail["environment"]],
        "locks": [p for p in detail["files"] if _LOCK_FILES.search(p)],
        "unknown_metrics": detail.get("metrics_unknown") or [],
    }
    if arts:
        f["artifacts"] = _model_files(arts, declared[0][0] if declared else None)
    labelled = bool(detail["labels"]) or bool(detail["stages"])
    stale = bool(detail.get("stale_metrics"))
    return _verdict(model, detail["version"], detail["commit"], labelled, stale, f, remotes)


Check = tuple[bool | None, str]


def _model_files(
    rows: list[tuple[str, str, bool]], declared: str | None
) -> list[tuple[str, str, bool]]:
    """The model's own files among a version's artifacts: its declared path (a file or a
    directory) when there is one; else everything but the data that ``.dvc`` pointers
    track (a pointer ``X.dvc`` tracks ``X``) and the pointers themselves."""
    if declared:
        own = [r for r in rows if r[0] == declared or r[0].startswith(declared.rstrip("/") + "/")]
        if own:
            return own
    pointers = {p[: -len(".dvc")] for p, storage, _ in rows if p.endswith(".dvc")}
    return [r for r in rows if not r[0].endswith(".dvc") and r[0] not in pointers]


def _params(f: dict[str, Any]) -> Check:
    if f.get("params"):
        return True, ""
    return False, "no parameters recorded (params file, DVC params or manifest params)"


def _data(f: dict[str, Any]) -> Check:
    if f.get("lineage") or f.get("pointers"):
        return True, ""
    return False, "no dvc.lock or .dvc data pointer"


def _environment(f: dict[str, Any]) -> Check:
    if f.get("locks"):
        return True, ""
    env = f.get("env")
    if not env:
        return False, "no environment file (requirements*.txt, conda.yaml, pyproject.toml)"
    loose = sorted({p for p, spec in env if not _PINNED.search(spec.strip())})
    if not loose:
        return True, ""
    shown = ", ".join(loose[:5]) + (", …" if len(loose) > 5 else "")
    return False, f"not pinned: {shown} ({len(loose)} of {len(env)})"


def _artifact(f: dict[str, Any], remotes: dict[str, bool]) -> Check:
    arts = f.get("artifacts")
    if not arts:
        return False, "no model file"
    absent = sorted((p, s) for p, s, present in arts if not present)  # named in path order
    if not absent:
        return True, ""
    stores = {s for _, s in absent}
    names = ", ".join(p for p, _ in absent[:3]) + (", …" if len(absent) > 3 else "")
    if all(remotes.get(s, False) for s in stores):
        return None, f"not present locally, a remote is configured (not checked offline): {names}"
    return False, f"not present locally and no remote configured: {names}"


def _metrics(f: dict[str, Any], stale: bool) -> Check:
    unknown = f.get("unknown_metrics")
    if not f.get("metrics") and not unknown:
        return False, "no metrics recorded"
    if stale:
        return False, "metrics are stale: params, code or model changed after them"
    if unknown:  # unknown, not absent
        names = ", ".join(unknown[:3]) + (", …" if len(unknown) > 3 else "")
        return None, f"in DVC outputs not in the local cache (dvc pull brings them): {names}"
    return True, ""


def _stage_moves(con: duckdb.DuckDBPyConnection, model: str | None) -> list[dict[str, Any]]:
    """Every move of a stage away from a version (a new assignment, a rollback, an undo,
    an unassignment), with how long the version held it; branch rollbacks too (held
    from the rolled-back version's commit)."""
    moves: list[dict[str, Any]] = []
    for t in stage_transitions(con, model):
        if t["stage"] is None:  # a branch rollback or undo: from the version it replaced
            if t["from"]:
                moves.append(
                    _move(
                        t["model"], None, t["from"], t["version"], t["held_since"],
                        t["timestamp"], t["event"],
                    )
                )  # fmt: skip
            continue
        if t["from"] is not None and (t["event"] == "unassignment" or t["from"] != t["version"]):
            moves.append(
                _move(
                    t["model"],
                    t["stage"],
                    t["from"],
                    None if t["event"] == "unassignment" else t["version"],
                    t["held_since"],
                    t["timestamp"],
                    t["event"],
                )
            )
    moves.sort(key=lambda r: (r["model"], r["rolled_back_at"] or ""))
    return moves


def stage_transitions(
    con: duckdb.DuckDBPyConnection, model: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every assignment, unassignment, rollback and undo, oldest first per model and
    stage, with what held the stage just before it: ``from`` (version), ``from_commit``
    and ``held_since`` (None for a stage's first holder). A branch rollback or undo
    (``stage`` None) is from the version it replaced, held since that version's date.
    Each also carries ``commit``, ``ref``, ``author``, ``author_email``, ``message`` and
    ``reason`` (rollback trailers or the tag's message), as ``history`` shows them."""
    where, params = ("AND model = $1", [model]) if model else ("", [])
    events = _rows(
        con,
        f"""
        SELECT model, stage, event, version, timestamp, rollback_from, commit, ref,
               author_name, author_email, message, reason
        FROM stage_events
        WHERE event IN ('assignment', 'unassignment', 'rollback', 'undo') {where}
        ORDER BY model, stage NULLS FIRST, timestamp, counter NULLS LAST
        """,
        params,
    )
    keys = ("commit", "ref", "author", "author_email", "message", "reason")
    holder: dict[tuple[str, str], tuple[str, Any, str]] = {}
    for m, stage, event, version, ts, rollback_from, *rest in events:
        t = {"model": m, "stage": stage, "event": event, "version": version, "timestamp": ts}
        t.update(zip(keys, rest, strict=True))
        if stage is None:
            since, commit = None, None
            if event in ("rollback", "undo") and rollback_from:
                since, commit = _rows(
                    con,
                    "SELECT min(date), min(commit) FROM versions WHERE model = $1 AND version = $2",
                    [m, rollback_from],
                )[0]
            yield {**t, "from": rollback_from, "from_commit": commit, "held_since": since}
            continue
        key = (m, stage)
        held = holder.get(key)
        yield {
            **t,
            "from": held[0] if held else None,
            "from_commit": held[2] if held else None,
            "held_since": held[1] if held else None,
        }
        if event == "unassignment":
            holder.pop(key, None)
        elif held is None or held[0] != version:
            holder[key] = (version, ts, t["commit"])


def _move(
    model: str,
    stage: str | None,
    old: str | None,
    new: str | None,
    since: datetime | None,
    ts: datetime | None,
    event: str,
) -> dict[str, Any]:
    seconds = (ts - since).total_seconds() if since is not None and ts is not None else None
    return {
        "model": model,
        "stage": stage,
        "from": old,
        "to": new,
        "event": event,
        "assigned_at": iso(since),
        "rolled_back_at": iso(ts),
        "time_to_rollback_s": None if seconds is None else round(seconds),
    }


def _per_model(
    con: duckdb.DuckDBPyConnection,
    model: str | None,
    versions: list[dict[str, Any]],
    moves: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    names = [model] if model else [r[0] for r in _rows(con, "SELECT name FROM models", [])]
    out = []
    for name in sorted(names):
        mine = [v for v in versions if v["model"] == name]
        held = [r["time_to_rollback_s"] for r in moves if r["model"] == name]
        held = [s for s in held if s is not None]
        out.append(
            {
                "name": name,
                "versions": len(mine),
                "reproducible": sum(v["reproducible"] for v in mine),
                "percent_reproducible": _percent(mine),
                "percent_reproducible_labelled": _percent([v for v in mine if v["labelled"]]),
                "missing": dict(Counter(c for v in mine for c in v["missing"]).most_common()),
                "time_to_rollback_s": {
                    "median": statistics.median(held) if held else None,
                    "max": max(held) if held else None,
                    "count": len(held),
                },
            }
        )
    return out
