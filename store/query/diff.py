"""Differences between versions of a model: metrics, params, artifacts, environment, files.

Metric and param diffs follow ``dvc metrics diff`` / ``dvc params diff``: a value is
(file, key), the key flattened with ``.``; a model with several metrics (params) files
names them ``FILE:KEY``, else plain ``KEY``, and each entry also carries its ``file`` and
``key`` (DVC's two levels), so only the same file and key are ever compared (a renamed
file is removed + added; a file that moved with its model's directory is the same file,
FILE being where it is at the model's place now, and ``file`` the newer side's). A key only one side has shows ``None`` on the other side and no
``diff``; ``diff = new - old`` when both values are numbers (booleans count as 0/1),
as the decimal numbers they are written as (:func:`difference`); lists and other values compare as whole values; only changed
keys are listed unless ``all_keys``. Metrics also say whether the new value is ``better``, by the
metric's direction (``True``/``False``, ``None`` when equal or not comparable).

The pure functions (:func:`metric_diff`, :func:`param_diff`, :func:`artifact_diff`,
:func:`environment_diff`, :func:`best_indices`) take plain data; :func:`diff_versions`
and :func:`compare_versions` read the catalog; the files that changed between two
versions come from git through :mod:`store.read.gitdiff` (this module never runs git).
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from modeltrail.store.config import Config, load_config
from modeltrail.store.errors import UnknownVersion
from modeltrail.store.query.queries import iso, require_model, resolve_version
from modeltrail.store.read.gitdiff import changed_files, commit_resolver
from modeltrail.store.repo import repo_paths

if TYPE_CHECKING:
    import git

Better = Callable[[str, float, float], bool | None]
K = TypeVar("K")
V = TypeVar("V")

# --- values ------------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """The number a metric value stands for (booleans as 0/1), or None (not comparable)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def difference(old: Any, new: Any) -> int | float:
    """``new - old`` as ``dvc metrics diff`` defines it (booleans as 0/1), computed on the
    decimal numbers the values are written as: 0.855 - 0.8 is 0.055, where binary floats
    give 0.05499999999999994 (DVC prints that). Integers stay integers; the result
    round-trips exactly through JSON like every other number."""
    o = int(old) if isinstance(old, bool) else old
    n = int(new) if isinstance(new, bool) else new
    if isinstance(o, int) and isinstance(n, int):
        return n - o
    try:
        d = float(Decimal(repr(float(n))) - Decimal(repr(float(o))))
    except (ArithmeticError, ValueError):  # not finite, or beyond a float
        d = n - o
    return 0.0 if d == 0 else d


def _same(old: Any, new: Any) -> bool:
    """Whether two values are equal as values: numbers by number (``true`` == 1), lists
    and mappings compared whole, NaN the same as NaN (a value that did not change)."""
    no, nn = number(old), number(new)
    if no is not None and nn is not None:
        return no == nn
    if old == new:
        return True
    if type(old) is not type(new) or not isinstance(old, float | list | dict):
        return False
    return _text(old) == _text(new)  # NaN != NaN, but they are written the same


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def json_value(value: float | None, text: str | None) -> Any:
    """A catalog metric/param as data: its original value when the text parses (NaN and
    ±Infinity included: JSON output writes them as null, see :func:`nonfinite_text`)."""
    if text is not None:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return value


def nonfinite_text(value: Any) -> str | None:
    """``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` for such a float (standard JSON has no
    such numbers: output writes null, and keeps this text beside it), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    return None


def _with_texts(entry: dict[str, Any]) -> dict[str, Any]:
    """An ``{"old", "new", ...}`` entry with ``old_text``/``new_text`` for a side that is
    NaN or ±Infinity (which JSON output writes as null, as it writes a missing side)."""
    for side in ("old", "new"):
        text = nonfinite_text(entry[side])
        if text is not None:
            entry[f"{side}_text"] = text
    return entry


# --- pure diffs --------------------------------------------------------------------------


def metric_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    better: Better | None = None,
    all_keys: bool = False,
) -> dict[str, dict[str, Any]]:
    """``{key: {"old", "new", "diff"?, "better"}}`` between two flat metric mappings.

    ``diff`` is present only when both sides are numbers; ``better(key, old, new)``
    decides ``better`` (None without it). Keys are sorted.
    """
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        in_old, in_new = key in old, key in new
        o, n = old.get(key), new.get(key)
        if in_old and in_new and _same(o, n) and not all_keys:
            continue
        entry: dict[str, Any] = {"old": o, "new": n}
        no, nn = number(o), number(n)
        verdict = None
        if in_old and in_new and no is not None and nn is not None:
            entry["diff"] = difference(o, n)
            if better is not None and no != nn:
                verdict = better(key, no, nn)
        entry["better"] = verdict
        out[key] = _with_texts(entry)
    return out


def param_diff(
    old: dict[str, Any], new: dict[str, Any], all_keys: bool = False
) -> dict[str, dict[str, Any]]:
    """``{key: {"old", "new", "diff"?}}`` between two flat param mappings (lists as
    values); ``diff`` when both sides are numbers, as ``dvc params diff`` gives it."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        if key in old and key in new and _same(o, n) and not all_keys:
            continue
        entry: dict[str, Any] = {"old": o, "new": n}
        if key in old and key in new and number(o) is not None and number(n) is not None:
            entry["diff"] = difference(o, n)
        out[key] = _with_texts(entry)
    return out


def with_files(
    entries: dict[str, dict[str, Any]], *origins: dict[str, tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """Each entry with the ``file`` it comes from and its ``key`` in that file (as
    ``dvc metrics diff`` keys it), from ``origins``: ``{key: (file, key in file)}``."""
    for name, entry in entries.items():
        file, key = next((o[name] for o in origins if name in o), (None, name))
        entry["file"], entry["key"] = file, key
    return entries


_ARTIFACT_FIELDS = ("storage", "size", "hash", "nfiles", "present")
_STORAGE_ORDER: dict[str | None, int] = {"dvc": 0, "git": 1, "lfs": 1}


def _by_path(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Artifact rows by path. A path that is both a file in git and a DVC output (a
    ``cache: false`` output such as a metrics file) is the file in git."""
    out: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: _STORAGE_ORDER.get(r.get("storage"), 9)):
        out[r["path"]] = {f: r.get(f) for f in _ARTIFACT_FIELDS}
    return out


def _artifact_identity(a: dict[str, Any]) -> tuple[Any, ...]:
    return (a.get("storage"), a.get("hash"), a.get("size"), a.get("nfiles"))


def _same_artifact(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _artifact_identity(a) == _artifact_identity(b)


def _keyed_changes(
    old: Mapping[K, V], new: Mapping[K, V], same: Callable[[V, V], bool], all_keys: bool
) -> Iterator[tuple[K, str, V | None, V | None]]:
    """(key, change, old value, new value) for every key of either side, sorted by key:
    change = added | removed | modified | unchanged (``same`` says which of the last
    two); the unchanged keys only when ``all_keys``."""
    for key in sorted(set(old) | set(new)):  # type: ignore[type-var]  # keys are sortable
        o, n = old.get(key), new.get(key)
        if o is None:
            change = "added"
        elif n is None:
            change = "removed"
        elif not same(o, n):
            change = "modified"
        elif all_keys:
            change = "unchanged"
        else:
            continue
        yield key, change, o, n


def artifact_diff(
    old_rows: Sequence[dict[str, Any]], new_rows: Sequence[dict[str, Any]], all_keys: bool = False
) -> list[dict[str, Any]]:
    """Artifacts added, removed or modified between two versions, sorted by path.

    Rows are the catalog's ``artifacts`` view (``path, storage, size, hash, nfiles,
    present``). Each entry: ``{"path", "change", "storage", "old", "new"}`` where
    ``old``/``new`` hold ``storage, size, hash, nfiles, present`` (None when absent).
    A change of storage (git blob → LFS) at one path is a modification.
    """
    old, new = _by_path(old_rows), _by_path(new_rows)
    out = []
    for path, change, o, n in _keyed_changes(old, new, _same_artifact, all_keys):
        either = n or o
        assert either is not None  # (a path of one of them)
        storage = either["storage"]
        out.append({"path": path, "change": change, "storage": storage, "old": o, "new": n})
    return out


def environment_diff(
    old_rows: Sequence[dict[str, Any]], new_rows: Sequence[dict[str, Any]], all_keys: bool = False
) -> list[dict[str, Any]]:
    """Package changes between two versions: ``{"file", "package", "change", "old",
    "new"}`` with the version specs (``""`` = unpinned, None = absent)."""
    old = {(r["file"], r["package"]): r.get("spec") or "" for r in old_rows}
    new = {(r["file"], r["package"]): r.get("spec") or "" for r in new_rows}
    out = []
    for key, change, o, n in _keyed_changes(old, new, operator.eq, all_keys):
        out.append({"file": key[0], "package": key[1], "change": change, "old": o, "new": n})
    return out


def best_indices(values: Sequence[Any], direction: str) -> list[int]:
    """Positions holding the best numeric value (``direction`` ``lower``/``higher``).

    Empty when fewer than two values are numbers or all numbers are equal: a "best"
    that is not better than anything would only be noise.
    """
    nums = [(i, x) for i, x in ((i, number(v)) for i, v in enumerate(values)) if x is not None]
    if len(nums) < 2 or len({x for _, x in nums}) == 1:
        return []
    target = min(x for _, x in nums) if direction == "lower" else max(x for _, x in nums)
    return [i for i, x in nums if x == target]


# --- catalog reads -----------------------------------------------------------------------


def _flat_values(
    con: duckdb.DuckDBPyConnection,
    view: str,
    model: str,
    commit: str,
    origins: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Metric (``view`` = "metrics") or param ("params") key -> value of one version.
    Keys are ``FILE:KEY`` when the model has several such files; ``origins`` (when
    given) receives ``{key: (file, key in file)}``."""
    out: dict[str, Any] = {}
    rows = con.execute(
        f"SELECT key, value, text, source, file_key FROM {view} WHERE model = $1 "
        "AND commit = $2 ORDER BY key, source",
        [model, commit],
    ).fetchall()
    for key, value, text, source, file_key in rows:
        out.setdefault(key, json_value(value, text))
        if origins is not None:
            origins.setdefault(key, (source, file_key))
    return out


def version_artifacts(
    con: duckdb.DuckDBPyConnection, model: str, commit: str
) -> list[dict[str, Any]]:
    """The ``artifacts`` rows of one version (every file under the model's directory and
    every DVC output), as dicts."""
    keys = ("path", "storage", "size", "hash", "nfiles", "present")
    rows = con.execute(
        f"SELECT {', '.join(keys)} FROM artifacts WHERE model = $1 AND commit = $2 "
        "ORDER BY path, storage",
        [model, commit],
    ).fetchall()
    return [dict(zip(keys, r, strict=True)) for r in rows]


def version_environment(
    con: duckdb.DuckDBPyConnection, model: str, commit: str
) -> list[dict[str, Any]]:
    """The packages one version's environment files pin: ``{"file", "package", "spec"}``."""
    rows = con.execute(
        "SELECT file, package, spec FROM environment WHERE model = $1 AND commit = $2 "
        "ORDER BY file, package",
        [model, commit],
    ).fetchall()
    return [{"file": f, "package": p, "spec": s} for f, p, s in rows]


def _metric_sources(
    con: duckdb.DuckDBPyConnection, model: str, commit: str
) -> set[tuple[Any, ...]]:
    return set(
        con.execute(
            "SELECT path, blob FROM version_sources WHERE model = $1 AND commit = $2 "
            "AND role = 'metrics'",
            [model, commit],
        ).fetchall()
    )


def _version_info(con: duckdb.DuckDBPyConnection, model: str, commit: str) -> dict[str, Any]:
    row = con.execute(
        "SELECT version, commit, date, stale_metrics, subject, topo FROM versions "
        "WHERE model = $1 AND commit = $2",
        [model, commit],
    ).fetchone()
    if row is None:
        raise UnknownVersion(f"{commit[:12]} is not a version of {model}")
    version, commit, date, stale, subject, topo = row
    return {
        "version": version,
        "commit": commit,
        "date": iso(date),
        "stale_metrics": bool(stale),
        "subject": subject,
        "topo": topo,
    }


def stale_between(
    con: duckdb.DuckDBPyConnection, model: str, a: str, b: str, files: Sequence[dict[str, Any]]
) -> bool:
    """Whether params, code or the model changed from ``a`` to ``b`` while the metrics
    files stayed byte-for-byte the same (metrics that describe an older model)."""
    b_sources = _metric_sources(con, model, b)
    if not b_sources or b_sources != _metric_sources(con, model, a):
        return False
    metric_paths = {p for p, _ in b_sources}
    return any(
        f["path"] not in metric_paths and not f["path"].lower().endswith(".md") for f in files
    )


# --- whole diffs -------------------------------------------------------------------------


def diff_versions(
    con: duckdb.DuckDBPyConnection,
    repo: git.Repo,
    model: str,
    a_spec: str,
    b_spec: str,
    all_keys: bool = False,
    config: Config | None = None,
) -> dict[str, Any]:
    """Everything that differs between versions ``a_spec`` and ``b_spec`` of ``model``
    (the ``diff --json`` shape of docs/CLI.md, plus ``environment`` and ``stale``).

    Raises ``UnknownModel`` / ``UnknownVersion`` for names that do not resolve.
    """
    require_model(con, model)
    cfg = config if config is not None else load_config(repo_paths(repo).root)
    commit_of = commit_resolver(repo)
    a = resolve_version(con, model, a_spec, commit_of=commit_of)["commit"]
    b = resolve_version(con, model, b_spec, commit_of=commit_of)["commit"]
    va, vb = _version_info(con, model, a), _version_info(con, model, b)
    files = changed_files(repo, a, b, model_places(con, model))
    between = stale_between(con, model, a, b, files)
    # a value's file is the newer version's (a model moved since keeps its keys: the
    # catalog keys values as at its place now, whichever side has the file where)
    m_from: dict[str, tuple[str, str]] = {}
    p_from: dict[str, tuple[str, str]] = {}
    mb, ma = (_flat_values(con, "metrics", model, c, m_from) for c in (b, a))
    pb, pa = (_flat_values(con, "params", model, c, p_from) for c in (b, a))
    arts_a, arts_b = version_artifacts(con, model, a), version_artifacts(con, model, b)
    moved = _moved_between(con, model, arts_a, arts_b)
    if moved:
        arts_a = _artifacts_at_new_place(arts_a, arts_b, *moved)
    metrics = metric_diff(ma, mb, cfg.better, all_keys)
    params = param_diff(pa, pb, all_keys)
    return {
        "model": model,
        "a": {k: va[k] for k in ("version", "commit", "date", "stale_metrics")},
        "b": {k: vb[k] for k in ("version", "commit", "date", "stale_metrics")},
        "metrics": with_files(metrics, m_from),
        "params": with_files(params, p_from),
        "artifacts": artifact_diff(arts_a, arts_b, all_keys),
        "environment": environment_diff(
            version_environment(con, model, a), version_environment(con, model, b), all_keys
        ),
        "files": [
            {k: f[k] for k in ("path", "old_path", "change", "additions", "deletions")}
            for f in files
        ],
        "stale": {
            "a": va["stale_metrics"],
            "b": vb["stale_metrics"],
            "between": between,
        },
    }


def model_places(con: duckdb.DuckDBPyConnection, model: str) -> list[str] | None:
    """The directories a model's files are in: its own, then the ones it was moved from
    (:func:`changed_files` looks in all of them); None: a model without a directory."""
    row = con.execute("SELECT path, content FROM models WHERE name = $1", [model]).fetchone()
    if row is None or row[0] is None:
        return None
    trees = json.loads(row[1])[0] if row[1] else []
    return [row[0], *(t for t in trees if t != row[0])]


def _moved_between(
    con: duckdb.DuckDBPyConnection, model: str, old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """``(old directory, new directory)`` when the model was moved between two versions
    (a model that owns several directories: its own and the ones it was moved from),
    each version's directory being the one that holds its files; else None."""
    row = con.execute("SELECT content FROM models WHERE name = $1", [model]).fetchone()
    trees = json.loads(row[0])[0] if row and row[0] else []
    if len(trees) < 2:
        return None

    def place(rows: list[dict[str, Any]]) -> str | None:
        return next((t for t in trees for r in rows if r["path"].startswith(f"{t}/")), None)

    a, b = place(old), place(new)
    return (a, b) if a is not None and b is not None and a != b else None


def _moved_name(name: str, old_dir: str, new_dir: str) -> str:
    return f"{new_dir}/{name[len(old_dir) + 1 :]}" if name.startswith(f"{old_dir}/") else name


def _artifacts_at_new_place(
    old: list[dict[str, Any]], new: list[dict[str, Any]], old_dir: str, new_dir: str
) -> list[dict[str, Any]]:
    """The older version's artifact rows with paths as at the newer version's place,
    where the newer version has that path (a file moved with its model compares with
    itself)."""
    paths = {r["path"] for r in new}
    out = []
    for r in old:
        moved = _moved_name(r["path"], old_dir, new_dir)
        out.append({**r, "path": moved} if moved in paths else r)
    return out


def compare_versions(
    con: duckdb.DuckDBPyConnection, model: str, commits: Sequence[str], config: Config
) -> dict[str, Any]:
    """Side-by-side data for the compare screen: the versions oldest first, and one row
    per metric / param / artifact / package with a value per version.

    ``{"model", "path", "places", "versions": [...], "metrics": [{"key", "direction", "values",
    "best"}], "params": [{"key", "values", "changed"}], "artifacts": [{"path", "values",
    "changed"}], "environment": [{"file", "package", "values", "changed"}]}``.
    """
    info = require_model(con, model)
    versions = sorted(
        (_version_info(con, model, c) for c in dict.fromkeys(commits)), key=lambda v: v["topo"]
    )
    ids = [v["commit"] for v in versions]
    metrics = [_flat_values(con, "metrics", model, c) for c in ids]
    params = [_flat_values(con, "params", model, c) for c in ids]
    artifacts = [_by_path(version_artifacts(con, model, c)) for c in ids]
    envs = [
        {(r["file"], r["package"]): r["spec"] or "" for r in version_environment(con, model, c)}
        for c in ids
    ]

    def rows_of(maps: list[dict[Any, Any]]) -> list[tuple[Any, list[Any], bool]]:
        keys = sorted(set().union(*maps)) if maps else []
        out = []
        for k in keys:
            values = [m.get(k) for m in maps]
            present = [k in m for m in maps]
            changed = not all(present) or any(not _same(values[0], v) for v in values[1:])
            out.append((k, values, changed))
        return out

    metric_rows = []
    for key, values, changed in rows_of(metrics):
        direction = config.direction(key)
        metric_rows.append(
            {
                "key": key,
                "direction": direction,
                "values": values,
                "changed": changed,
                "best": best_indices(values, direction),
            }
        )
    artifact_rows = []
    for path, values, _ in rows_of(artifacts):
        idents = {_artifact_identity(v) if v else None for v in values}
        artifact_rows.append({"path": path, "values": values, "changed": len(idents) > 1})
    return {
        "model": model,
        "path": info["path"],
        "places": model_places(con, model),
        "versions": versions,
        "metrics": metric_rows,
        "params": [{"key": k, "values": v, "changed": c} for k, v, c in rows_of(params)],
        "artifacts": artifact_rows,
        "environment": [
            {"file": k[0], "package": k[1], "values": v, "changed": c} for k, v, c in rows_of(envs)
        ],
    }
