"""`modeltrail diff --json` agrees with `dvc metrics diff --json` / `dvc params diff --json`
on every expected file of the real repositories (values, and the keys present)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from realrepos import EXPECTED, REALREPOS, clone, needs_realrepos

#: Refs the expected files name by a short name (see the bundles' README).
REFS = {"crumb-hobo": "refs/exps/af/df89b183b5cc9cbeee273b1f33faca10ffd5d0/crumb-hobo"}

_NAME = re.compile(
    r"^(?P<repo>.+)\.(?P<what>metrics|params)-diff\.(?P<a>[^.]+)\.(?P<b>[^.]+)\.json$"
)


def _cases() -> list[tuple[str, str, str, str, str]]:
    if not EXPECTED.is_dir():
        return []
    out = []
    for path in sorted(EXPECTED.glob("*-diff.*.json")):
        m = _NAME.match(path.name)
        if m:
            out.append((path.name, m["repo"], m["what"], m["a"], m["b"]))
    return out


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "modeltrail.tui", "-C", str(repo), *args],
        capture_output=True,
        text=True,
    )


def _json_numbers(data):
    """Numbers at 12 significant digits: DVC prints binary float differences
    (0.05499999999999994), modeltrail the decimal ones (0.055)."""
    if isinstance(data, float):
        return float(f"{data:.12g}")
    if isinstance(data, dict):
        return {k: _json_numbers(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_json_numbers(v) for v in data]
    return data


def _by_file(section: dict) -> dict:
    """Our ``{name: {"old", "new", "diff"?, "file", "key", ...}}`` in DVC's shape:
    ``{file: {key: {"old", "new", "diff"?}}}``."""
    out: dict[str, dict] = {}
    for entry in section.values():
        out.setdefault(entry["file"], {})[entry["key"]] = {
            k: entry[k] for k in ("old", "new", "diff") if k in entry
        }
    return out


@needs_realrepos
@pytest.mark.parametrize(("filename", "name", "what", "a", "b"), _cases())
def test_diff_json_agrees_with_dvc(filename, name, what, a, b, tmp_path: Path) -> None:
    repo = clone(name, tmp_path / name, exps=True)
    assert _cli(repo, "index").returncode == 0
    models = json.loads(_cli(repo, "models", "--json").stdout)
    a, b = REFS.get(a, a), REFS.get(b, b)
    results = []
    for model in models:
        run = _cli(repo, "diff", model["name"], a, b, "--json")
        if run.returncode == 0:
            results.append(json.loads(run.stdout))
    # the model whose metrics/params DVC reads: the one whose diff has that section
    found = [r for r in results if r[what]]
    assert found, f"no model of {name} shows {what} between {a} and {b}"
    # the values agree, digit for digit at 12 significant digits (DVC's differences
    # carry binary float noise)
    want = _json_numbers(json.loads((EXPECTED / filename).read_text()))
    assert _json_numbers(_by_file(found[0][what])) == want
    # keys are file-qualified exactly when the model has several such files
    for key, entry in found[0][what].items():
        assert key in (entry["key"], f"{entry['file']}:{entry['key']}")


def test_the_cases_are_found() -> None:
    if not REALREPOS.is_dir():
        pytest.skip(f"the real-repository bundles are not here ({REALREPOS})")
    assert len(_cases()) >= 5
