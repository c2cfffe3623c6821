"""Templated dvc.yaml files (``${...}`` with ``vars``), expanded as DVC would for each
version: with that version's params.yaml and vars files, once per distinct set of their
blobs. ``indexer.py`` asks which metrics and params files each expansion declares.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from modeltrail.store.read import blobfacts, gitio
from modeltrail.store.read.declarations import template_warning
from modeltrail.store.read.discovery import ModelPaths
from modeltrail.store.read.facts import MAX_DOCUMENT, Emitted, Facts

if TYPE_CHECKING:
    import git

#: a templated dvc.yaml with the values it was expanded with: (its blob, ((vars file,
#: its blob, or None where it does not exist, "?" where unknown, or OUTSIDE), ...))
Expansion = tuple[str, tuple[tuple[str, str | None], ...]]


def _expansion_key(
    e: Emitted, blob: str, path: str, var_files: list[str], owners: ModelPaths
) -> Expansion:
    """Which values a version's templated dvc.yaml at ``path`` is expanded with: each vars
    file's blob in the version; None where it does not exist (a file of the model that
    the version does not have: the model's files include the values files its newest
    dvc.yaml names), "?" where it cannot be told (a file an older dvc.yaml named that is
    not the model's), ``OUTSIDE`` where the path leaves the repository."""
    base = posixpath.dirname(path)
    values: list[tuple[str, str | None]] = []
    for rel in var_files:
        where = blobfacts.var_file_path(base, rel)
        entry = e.files.get(where) if where is not None else None
        if where is None:
            values.append((rel, blobfacts.OUTSIDE))
        elif entry is not None:
            values.append((rel, entry[0]))
        elif e.model in owners.models_for(where):
            values.append((rel, None))
        else:
            values.append((rel, "?"))
    return blob, tuple(values)


def _expansions(
    e: Emitted,
    templated: dict[str, tuple[str, bytes, list[str]]],
    owners: ModelPaths,
    expanded: dict[Expansion, tuple[list[str], list[str]]],
) -> dict[str, tuple[list[str], list[str]]]:
    """A version's templated dvc.yaml blobs -> what their expansion declares."""
    own = {}
    for blob, (path, _data, var_files) in templated.items():
        entry = e.files.get(path)
        if entry is not None and entry[0] == blob:
            key = _expansion_key(e, blob, path, var_files, owners)
            if key in expanded:
                own[blob] = expanded[key]
    return own


def _expand_templated(
    repo: git.Repo,
    facts: Facts,
    emitted: list[Emitted],
    templated: dict[str, tuple[str, bytes, list[str]]],
    owners: ModelPaths,
) -> dict[Expansion, tuple[list[str], list[str]]]:
    """Each distinct expansion of the templated dvc.yaml files: (metrics files, params
    files), as DVC would expand them with that version's params.yaml and vars files.
    A problem with the values (a ``${...}`` nothing defines, a key defined twice, a
    values file missing or outside the repository) is warned about once per dvc.yaml
    and model, at the first version that has it."""
    if not templated:
        return {}
    first: dict[Expansion, Emitted] = {}
    for e in emitted:
        for blob, (path, _data, var_files) in templated.items():
            entry = e.files.get(path)
            if entry is not None and entry[0] == blob:
                first.setdefault(_expansion_key(e, blob, path, var_files, owners), e)
    wanted = {
        b
        for _blob, values in first
        for _rel, b in values
        if b not in (None, "?", blobfacts.OUTSIDE)
    }
    data = gitio.read_blobs(repo, wanted, MAX_DOCUMENT)
    out: dict[Expansion, tuple[list[str], list[str]]] = {}
    said: set[tuple[str, str, str]] = set()
    for key, e in first.items():
        blob, values = key
        path, text, _vars = templated[blob]
        files = {  # a blob that could not be read is unknown, not absent
            rel: b if b in (None, blobfacts.OUTSIDE) else data[b]
            for rel, b in values
            if b in (None, blobfacts.OUTSIDE) or (b != "?" and b in data)
        }
        doc, warns = blobfacts.parse_dvc_yaml(text, files)
        base = posixpath.dirname(path)
        out[key] = (blobfacts.dvc_metrics_files(doc, base), blobfacts.dvc_params_files(doc, base))
        for w in warns:  # the file's own problems were reported when models were found
            if template_warning(w) and (path, e.model, w) not in said:
                said.add((path, e.model, w))
                facts.warnings.add(e.commit, path, e.model, w)
    return out
