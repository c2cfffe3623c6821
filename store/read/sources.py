"""The files that feed a version's metrics, params, manifest, environment and DVC rows
(its *sources*), from its files and what their declaring files say.

:class:`Sources` answers for every version of an index run: a version's sources depend
only on its model, the paths it has (in order) and what its ``dvc.yaml`` and manifest
files declare, which recur version after version; only the blobs differ, and those are
looked up at the positions worked out once.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping

from modeltrail.store.read import filenames
from modeltrail.store.read.facts import FileState

#: dvc.yaml blob -> (metrics files, params files) it declares
Declared = Mapping[str, tuple[list[str], list[str]]]
#: manifest blob -> (metrics file, params file) it names
ManifestFiles = dict[str, tuple[str | None, str | None]]
#: a version's sources: (role, path, blob)
Source = tuple[str, str, str]

#: the versions whose files are this many or fewer are looked up in the memo (a model
#: whose files grow version after version would fill it with long keys)
MEMO_FILES = 256
#: the memo starts afresh past this many entries
MEMO_ENTRIES = 50_000


@functools.lru_cache(maxsize=65536)
def path_role(path: str) -> str | None:
    """What a file is by its name alone (the same paths recur in every version)."""
    base = posixpath.basename(path)
    if base == "dvc.yaml":
        return "dvc_yaml"
    if base == "model.yaml":  # MLmodel and Modelbit files hold no metrics or version
        return "manifest"
    if base == "MLmodel":
        return "mlmodel"
    if base == "dvc.lock":
        return "dvc_lock"
    if base.endswith(".dvc"):
        return "dvc_pointer"
    if filenames.is_environment_file(path):
        return "environment"
    return None


@functools.lru_cache(maxsize=65536)  # one entry per model directory: 10,000 models fit
def fixed_sources(directory: str) -> tuple[tuple[str, str], ...]:
    """The conventional metrics and params files of a model directory, (role, path)."""
    names = filenames.METRIC_FILES + filenames.PARAM_FILES
    paths = (posixpath.join(directory, n) if directory else n for n in names)
    return tuple(
        ("metrics" if posixpath.basename(p).startswith("metrics") else "params", p) for p in paths
    )


def sources(
    files: FileState,
    directories: tuple[str, ...],
    dvc_decl: Declared,
    manifest_files: ManifestFiles,
) -> list[Source]:
    """(role, path, blob) of the files that feed a version's metrics, params, ..."""
    out: list[Source] = []
    seen: set[tuple[str, str]] = set()

    def add(role: str, path: str) -> None:
        entry = files.get(path)
        if entry is not None and (role, path) not in seen:
            seen.add((role, path))
            out.append((role, path, entry[0]))

    for d in directories:
        for fixed_role, path in fixed_sources(d):
            add(fixed_role, path)
    for path, (blob, _mode) in files.items():
        role = path_role(path)
        if role is None:
            continue
        pdir = posixpath.dirname(path)
        if role == "dvc_yaml":
            metrics, params = dvc_decl.get(blob, ([], []))
            for m in metrics:
                add("metrics", m)
            for p in params:
                add("params", p)
        elif role == "manifest":
            add("manifest", path)
            mfile, pfile = manifest_files.get(blob, (None, None))
            if mfile:
                add("metrics", posixpath.normpath(posixpath.join(pdir, mfile)))
            if pfile:
                add("params", posixpath.normpath(posixpath.join(pdir, pfile)))
        else:
            add(role, path)
    return out


class Sources:
    """:func:`sources` for the versions of one run (``dvc_decl`` and ``manifest_files``
    as it takes them, the same for the whole run)."""

    def __init__(self, dvc_decl: Declared, manifest_files: ManifestFiles) -> None:
        self.dvc_decl = dvc_decl
        self.manifest_files = manifest_files
        # (model, paths) -> the positions of its dvc.yaml (True) and manifest (False) files
        self._declaring: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, bool], ...]] = {}
        # (model, paths, what they declare) -> (role, path, position) of each source
        self._shapes: dict[tuple[object, ...], tuple[tuple[str, str, int], ...]] = {}

    def of(
        self,
        model: str,
        files: FileState,
        directories: tuple[str, ...],
        dvc_decl: Declared | None = None,
    ) -> list[Source]:
        """The sources of ``model``'s version with ``files`` (its conventional files in
        ``directories``); ``dvc_decl``: what this version's dvc.yaml files declare when
        that is not the run's (a templated one, expanded with its values)."""
        if dvc_decl is not None or len(files) > MEMO_FILES:
            return sources(files, directories, dvc_decl or self.dvc_decl, self.manifest_files)
        paths = tuple(files)
        declaring = self._declaring.get((model, paths))
        if declaring is None:
            if len(self._declaring) >= MEMO_ENTRIES:
                self._declaring.clear()
            declaring = tuple(
                (i, role == "dvc_yaml")
                for i, p in enumerate(paths)
                if (role := path_role(p)) in ("dvc_yaml", "manifest")
            )
            self._declaring[(model, paths)] = declaring
        entries = list(files.values())
        if declaring:
            mf = self.manifest_files
            said = tuple(entries[i][0] if dvc else mf.get(entries[i][0]) for i, dvc in declaring)
        else:
            said = ()
        key = (model, paths, said)
        shape = self._shapes.get(key)
        if shape is None:
            if len(self._shapes) >= MEMO_ENTRIES:
                self._shapes.clear()
            where = {p: i for i, p in enumerate(paths)}
            found = sources(files, directories, self.dvc_decl, self.manifest_files)
            shape = self._shapes[key] = tuple((r, p, where[p]) for r, p, _b in found)
        return [(role, path, entries[i][0]) for role, path, i in shape]
