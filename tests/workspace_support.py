"""A workspace of three generated repositories and two that cannot be read: ``alpha``
and ``beta`` (each with a model ``churn``: an ambiguous name), ``gamma`` (model
``fraud``), ``broken`` (a repository whose objects were destroyed on purpose), ``gone``
(a path that does not exist) and ``remote`` (a ``file://`` URL that leads nowhere).
Modules using it keep the URL cache in a temporary folder (:func:`own_cache_home`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitbuilder import GitRepo
from tui_support import build_tiny_repo, index

NAMES = ("alpha", "beta", "gamma")


@pytest.fixture(autouse=True)
def own_cache_home(tmp_path_factory, monkeypatch):
    """Cached clones of URL repositories go to a temporary folder, never ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))


def build_gamma(root: Path) -> Path:
    g = GitRepo(root, author="Gil Moreau", email="gil@example.com")
    for n, auc in enumerate((0.70, 0.74), 1):
        g.commit(
            f"fraud v{n}",
            {
                "models/fraud/model.yaml": f"name: fraud\nversion: {n}.0.0\n",
                "models/fraud/metrics.json": f'{{"auc": {auc}}}',
            },
        )
    return root


def build_workspace(base: Path, indexed: bool = True) -> Path:
    """The repositories under ``base`` and ``base/workspace.toml`` listing them."""
    build_tiny_repo(base / "alpha")
    build_tiny_repo(base / "beta")
    build_gamma(base / "gamma")
    broken = build_tiny_repo(base / "broken")
    if indexed:
        for name in NAMES:
            index(base / name)
    for obj in (broken / ".git" / "objects").iterdir():  # corrupt: every object gone
        if len(obj.name) == 2:
            shutil.rmtree(obj)
    file = base / "workspace.toml"
    file.write_text(
        '[[repo]]\npath = "alpha"\n\n[[repo]]\npath = "beta"\n\n'
        '[[repo]]\npath = "gamma"\n\n[[repo]]\npath = "broken"\n\n'
        '[[repo]]\npath = "gone"\n\n'
        f'[[repo]]\nurl = "file://{base}/nowhere/remote.git"\n'
    )
    return file


def copy_workspace(template: Path, dest: Path) -> Path:
    shutil.copytree(template.parent, dest, symlinks=True)
    return dest / "workspace.toml"


@pytest.fixture(scope="module")
def ws_template(tmp_path_factory) -> Path:
    """The workspace, built and indexed once for the test module that imports it."""
    return build_workspace(tmp_path_factory.mktemp("ws") / "t")


@pytest.fixture
def ws(ws_template, tmp_path) -> Path:
    """A copy of the module's workspace of its own for one test (it may write there)."""
    return copy_workspace(ws_template, tmp_path / "w")
