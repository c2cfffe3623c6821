"""Environment files: ``requirements*.txt``, conda's ``conda.yaml`` and ``pyproject.toml``.

Each parser returns ``([(package, spec), ...], warnings)`` in file order and never
raises. ``package`` is the normalised name (PEP 503 for Python packages: lower case,
runs of ``-_.`` as ``-``; conda names lower-cased); ``spec`` is the constraint in a
stable form, ``''`` when there is none:

- PEP 508 requirements: extras, version specifiers (sorted, as ``packaging`` prints
  them), ``@ url``, ``; marker`` -- ``requests[socks]>=2.31``, ``@ https://…``;
- editable installs: ``-e <target>``; conda: what follows the name (``=1.24``,
  ``>=1.2,<2``, ``1.24.* py310_0``); Poetry: its constraint (``^1.2``, ``git <url>@<rev>``).

A package listed twice keeps its first entry (with a warning). Files referenced with
``-r``/``-c`` are not followed; a warning names them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from modeltrail.store.read.readers._common import (
    MiB,
    cap_warnings,
    charge,
    decode_text,
    never_raise,
    quote,
)
from modeltrail.store.read.readers.plain import key_text, kind_of
from modeltrail.store.read.readers.structured import load_mapping


def canonicalize_name(name: str) -> str:
    """A package name as PEP 503 normalises it (``packaging``, imported when first used:
    its grammar costs ~30 ms to import, and most index runs read no environment file)."""
    from packaging.utils import canonicalize_name as canonical

    return canonical(name)


#: a requirement plain enough to read without ``packaging`` (whose import costs ~60 ms,
#: more than the rest of a small repository's parsing): a name, then optionally
#: extras, then comparisons with release numbers (``numpy``, ``pandas==2.1.4``,
#: ``x>=1.2,<2``, ``dvc[gs,s3]``)
_PLAIN_REQUIREMENT = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)[ \t]*"
    r"(?:\[[ \t]*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
    r"(?:[ \t]*,[ \t]*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)*)[ \t]*\][ \t]*)?"
    r"((?:(?:==|!=|<=|>=|~=|<|>)[ \t]*[0-9]+(?:\.[0-9]+)*[ \t]*"
    r"(?:,[ \t]*(?:==|!=|<=|>=|~=|<|>)[ \t]*[0-9]+(?:\.[0-9]+)*[ \t]*)*)?)"
)
_PLAIN_SPEC = re.compile(r"(==|!=|<=|>=|~=|<|>)[ \t]*([0-9.]+)")
_NAME_SEPARATORS = re.compile(r"[-_.]+")


def _plain_requirement(text: str) -> tuple[str, str] | None:
    """``(package, spec)`` of a plain requirement, as ``packaging`` gives it (the spec's
    comparisons sorted); None for anything else, for ``~=`` with a single number (which
    ``packaging`` refuses) and for an operator given twice."""
    match = _PLAIN_REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    specs = _PLAIN_SPEC.findall(match.group(3))
    if any(op == "~=" and "." not in version for op, version in specs):
        return None
    if len({op for op, _version in specs}) < len(specs):
        return None  # packaging keeps one of equal comparisons (==1, ==1.0): which is its say
    spec = ",".join(sorted(op + version for op, version in specs))
    if match.group(2):  # extras as written, once each, sorted
        extras = {e.strip() for e in match.group(2).split(",")}
        spec = "[" + ",".join(sorted(extras)) + "]" + spec
    return _NAME_SEPARATORS.sub("-", match.group(1)).lower(), spec


#: Bytes read at most from a requirements file.
REQUIREMENTS_LIMIT = 1 * MiB
#: Packages read at most per file.
MAX_PACKAGES = 2_000
#: Characters of one requirement (options such as --hash removed) read at most.
MAX_REQUIREMENT = 2_000
#: Characters of one logical line (continuations joined; hashes included) read at most.
MAX_LINE = 64 * 1024
#: Lines of a requirements file read at most (pip-compile output with hashes: ~10 a package).
MAX_LINES = 50_000

Package = tuple[str, str]

_COMMENT = re.compile(r"(^|\s)#.*$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_ARCHIVE_NAME = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*?)-[0-9]")  # anchored: linear time
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
_CONDA_NAME = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.+-]*)(.*)", re.DOTALL)
_INCLUDES = {"-r", "--requirement", "-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}
#: pip requirement-file options that name no package (https://pip.pypa.io, "Requirements File Format")
_OTHER_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--pre",
    "--trusted-host", "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes",
    "--use-feature", "--hash", "--global-option", "--config-settings", "--install-option",
}  # fmt: skip


class _Packages:
    """Collects packages in order: first entry wins, bounded count."""

    def __init__(self, warnings: list[str]) -> None:
        self.items: dict[str, str] = {}
        self.warnings = warnings
        self.full = False

    def add(self, name: str, spec: str, where: str) -> None:
        if self.full:
            return
        if name in self.items:
            if self.items[name] != spec:
                self.warnings.append(
                    f"{where}: {quote(name)} is listed again ({quote(spec)}); the first"
                    f" entry ({quote(self.items[name])}) is kept"
                )
            return
        if len(self.items) >= MAX_PACKAGES:
            self.full = True
            self.warnings.append(f"more than {MAX_PACKAGES} packages; the rest are skipped")
            return
        if not charge(name, spec):  # the reader's output budget (reported by its caller)
            self.full = True
            return
        self.items[name] = spec

    def result(self) -> tuple[list[Package], list[str]]:
        return list(self.items.items()), cap_warnings(self.warnings)


def parse_requirement(text: str) -> tuple[str, str] | str:
    """One PEP 508 requirement -> ``(package, spec)``, or a problem description."""
    text = text.strip()
    if len(text) > MAX_REQUIREMENT:
        return f"longer than {MAX_REQUIREMENT} characters"
    return _parse_requirement(text)


@functools.lru_cache(maxsize=4096)  # files change a line at a time between versions
def _parse_requirement(text: str) -> tuple[str, str] | str:
    plain = _plain_requirement(text)
    if plain is not None:
        return plain
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as e:
        reason = (str(e).splitlines() or [""])[0].strip()
        return f"not a valid requirement ({reason[:120]})"
    spec = ("[" + ",".join(sorted(req.extras)) + "]" if req.extras else "") + str(req.specifier)
    if req.url:
        spec = f"{spec} @ {req.url}".strip()
    if req.marker is not None:
        spec = f"{spec}; {req.marker}" if spec else f"; {req.marker}"
    return canonicalize_name(req.name), spec


def _url_package(target: str) -> tuple[str, str] | None:
    """A requirement given as a URL or path: its name (from ``#egg=`` or a wheel/sdist
    file name) and ``@ url``; None when the name cannot be told."""
    egg = _EGG.search(target)
    if egg:
        return canonicalize_name(egg.group(1)), f"@ {target}"
    filename = target.split("#", 1)[0].rsplit("/", 1)[-1]
    archive = _ARCHIVE_NAME.match(filename) if filename.endswith(_ARCHIVES) else None
    if archive:
        return canonicalize_name(archive.group(1)), f"@ {target}"
    return None


def _option(line: str) -> tuple[str, str]:
    """``-r file`` / ``-rfile`` / ``--requirement=file`` -> ``(option, argument)``."""
    if line.startswith("--"):
        match = re.match(r"(--[^\s=]+)[\s=]*(.*)", line, re.DOTALL)
        return (match.group(1), match.group(2).strip()) if match else (line, "")
    return line[:2], line[2:].lstrip(" \t=")


def _requirement_line(line: str, where: str, packages: _Packages, warnings: list[str]) -> None:
    """One logical line of a requirements file (or a conda ``pip:`` entry)."""
    if len(line) > MAX_LINE:
        warnings.append(f"{where}: longer than {MAX_LINE} characters; skipped")
        return
    if line.startswith("-"):
        option, arg = _option(line)
        if option in _INCLUDES:
            warnings.append(
                f"{where}: {option} {quote(arg)} is not followed; its packages are not listed"
            )
        elif option in _EDITABLE and not arg:
            warnings.append(f"{where}: {option} names nothing to install; skipped")
        elif option in _EDITABLE and len(arg) > MAX_REQUIREMENT:
            warnings.append(
                f"{where}: {option} target longer than {MAX_REQUIREMENT} characters; skipped"
            )
        elif option in _EDITABLE:
            found = _url_package(arg)
            name = found[0] if found else arg
            packages.add(name, f"-e {arg}" if found else "-e", where)
        elif option not in _OTHER_OPTIONS:
            warnings.append(f"{where}: unknown option {quote(option)}; line skipped")
        return
    # options after the requirement (--hash=..., --config-settings ...) are not part of it
    tokens = line.split()
    cut = next((i for i, t in enumerate(tokens) if i and t.startswith("-")), len(tokens))
    text = " ".join(tokens[:cut])
    if len(text) > MAX_REQUIREMENT:
        warnings.append(f"{where}: requirement longer than {MAX_REQUIREMENT} characters; skipped")
        return
    parsed = parse_requirement(text)
    if isinstance(parsed, tuple):
        packages.add(*parsed, where)
        return
    found = _url_package(text)
    if found:
        packages.add(*found, where)
    elif "://" in text or text.startswith((".", "/")):
        warnings.append(
            f"{where}: cannot tell the package name of {quote(text)}; listed as written"
        )
        packages.add(text, "", where)
    else:
        warnings.append(f"{where}: {quote(text)} is {parsed}; skipped")


def _logical_lines(lines: list[str]) -> list[tuple[int, str]]:
    """Lines with comments removed and ``\\`` continuations joined, numbered from 1."""
    result: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(lines, 1):
        if (not raw or raw[0] == "#") and not pending:
            continue
        line = _COMMENT.sub("", raw) if "#" in raw else raw
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            result.append((start, line))
    if pending.strip():
        result.append((start, pending.strip()))
    return result


@never_raise(lambda msg: ([], [f"requirements file {msg}"]))
def parse_requirements(data: bytes) -> tuple[list[Package], list[str]]:
    """A pip requirements file: comments, continuations, ``-r``/``-c`` (noted, not
    followed), ``-e``, ``--hash`` and other options, markers, URLs and extras."""
    text, decoding = decode_text(data, REQUIREMENTS_LIMIT, what="requirements file")
    warnings = cap_warnings(decoding)
    packages = _Packages(warnings)
    if text is None:
        return packages.result()
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        warnings.append(f"more than {MAX_LINES} lines; the rest are skipped")
        del lines[MAX_LINES:]
    for number, line in _logical_lines(lines):
        if packages.full:
            break
        _requirement_line(line, f"line {number}", packages, warnings)
    return packages.result()


# --- conda -------------------------------------------------------------------------------


def _conda_spec(item: str) -> tuple[str, str] | None:
    """``conda-forge::numpy=1.24=py310_0`` -> ``("numpy", "=1.24=py310_0")``."""
    item = item.strip()
    if "::" in item:
        item = item.split("::", 1)[1]
    match = _CONDA_NAME.fullmatch(item)
    if match is None:
        return None
    name, rest = match.groups()
    return name.lower(), " ".join(rest.split())


@never_raise(lambda msg: ([], [f"conda environment file {msg}"]))
def parse_conda_yaml(data: bytes) -> tuple[list[Package], list[str]]:
    """A conda environment file's ``dependencies``, including the ``pip:`` sublist."""
    doc, warnings = load_mapping(data, "yaml")
    packages = _Packages(warnings)
    if doc is None:
        return packages.result()
    deps = doc.get("dependencies")
    if deps is None:
        warnings.append("no 'dependencies' in this conda file")
        return packages.result()
    if not isinstance(deps, list):
        warnings.append(f"'dependencies' should be a list, found {kind_of(deps)}")
        return packages.result()
    for index, item in enumerate(deps, 1):
        where = f"dependency {index}"
        if packages.full or not charge(item if isinstance(item, str) else None):
            break
        if isinstance(item, str):
            found = _conda_spec(item)
            if found:
                packages.add(*found, where)
            else:
                warnings.append(f"{where}: {quote(item)} is not a conda package spec; skipped")
        elif isinstance(item, dict) and "pip" in item:
            pip = item["pip"]
            if not isinstance(pip, list):
                warnings.append(f"{where}: 'pip' should be a list, found {kind_of(pip)}")
                continue
            for sub, line in enumerate(pip, 1):
                if packages.full or not charge(line if isinstance(line, str) else None):
                    break
                if isinstance(line, str) and line.strip():
                    _requirement_line(line.strip(), f"pip entry {sub}", packages, warnings)
                else:
                    warnings.append(f"pip entry {sub}: {kind_of(line)} is not a requirement")
        else:
            warnings.append(f"{where}: {kind_of(item)} is not a package; skipped")
    return packages.result()


# --- MLflow python_env.yaml --------------------------------------------------------------


def _beside_requirements(line: str) -> bool:
    """``-r requirements.txt`` (what MLflow writes): a requirements file beside this one,
    read on its own as an environment file, so not a package left unlisted."""
    option, arg = _option(line)
    name = arg.rsplit("/", 1)[-1]
    return (
        option in _INCLUDES
        and "/" not in arg.removeprefix("./")
        and name.startswith("requirements")
        and name.endswith(".txt")
    )


@never_raise(lambda msg: ([], [f"python_env.yaml {msg}"]))
def parse_python_env(data: bytes) -> tuple[list[Package], list[str]]:
    """MLflow's ``python_env.yaml``: ``python`` (as package ``python``, ``==VERSION``),
    ``build_dependencies`` and ``dependencies`` (requirement lines; the usual
    ``-r requirements.txt`` names the file beside it, which is read on its own)."""
    doc, warnings = load_mapping(data, "yaml")
    packages = _Packages(warnings)
    if doc is None:
        return packages.result()
    python = doc.get("python")
    if isinstance(python, str | int | float) and not isinstance(python, bool):
        version = key_text(python).strip()
        if version and charge(version):
            packages.add("python", version if version[0] in "<>=!~" else f"=={version}", "python")
    elif python is not None:
        warnings.append(f"python should be a version, found {kind_of(python)}; ignored")
    for section in ("build_dependencies", "dependencies"):
        deps = doc.get(section)
        if deps is None:
            continue
        if not isinstance(deps, list):
            warnings.append(f"{section} should be a list, found {kind_of(deps)}; ignored")
            continue
        for index, item in enumerate(deps, 1):
            where = f"{section} {index}"
            if packages.full or not charge(item if isinstance(item, str) else None):
                break
            if not isinstance(item, str) or not item.strip():
                warnings.append(f"{where}: {kind_of(item)} is not a requirement; skipped")
            elif not _beside_requirements(item.strip()):
                _requirement_line(item.strip(), where, packages, warnings)
    return packages.result()


# --- pyproject.toml ----------------------------------------------------------------------


def _poetry_spec(value: Any) -> str | None:
    """A Poetry dependency value as a constraint text, or None if it is not one."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # multiple-constraint dependency
        parts = [_poetry_spec(v) for v in value]
        return " || ".join(p for p in parts if p) if any(parts) else None
    if not isinstance(value, dict):
        return None
    extras = value.get("extras")
    prefix = "[" + ",".join(sorted(map(key_text, extras))) + "]" if isinstance(extras, list) else ""
    if "version" in value:
        spec = key_text(value["version"])
    elif "git" in value:
        ref = next((value[k] for k in ("rev", "tag", "branch") if k in value), None)
        spec = f"git {key_text(value['git'])}" + (f"@{key_text(ref)}" if ref is not None else "")
    elif "path" in value:
        spec = f"path {key_text(value['path'])}"
    elif "url" in value:
        spec = f"@ {key_text(value['url'])}"
    else:
        spec = ""
    markers = value.get("markers") or value.get("python")
    if isinstance(markers, str):
        spec = f"{spec}; {markers}" if "markers" in value else f"{spec}; python {markers}"
    return prefix + spec


@never_raise(lambda msg: ([], [f"pyproject.toml {msg}"]))
def parse_pyproject(data: bytes) -> tuple[list[Package], list[str]]:
    """``[project]`` ``requires-python`` (as package ``python``) and ``dependencies``,
    then Poetry's ``[tool.poetry.dependencies]``. Optional and development
    dependencies are not part of the model's environment and are not read."""
    doc, warnings = load_mapping(data, "toml")
    packages = _Packages(warnings)
    if doc is None:
        return packages.result()
    project = doc.get("project")
    if isinstance(project, dict):
        requires = project.get("requires-python")
        if isinstance(requires, str):
            packages.add("python", " ".join(requires.split()), "requires-python")
        deps = project.get("dependencies")
        if isinstance(deps, list):
            for index, item in enumerate(deps, 1):
                where = f"dependency {index}"
                if not isinstance(item, str):
                    warnings.append(f"{where}: {kind_of(item)} is not a requirement")
                    continue
                parsed = parse_requirement(item)
                if isinstance(parsed, tuple):
                    packages.add(*parsed, where)
                else:
                    warnings.append(f"{where}: {quote(item)} is {parsed}; skipped")
        elif deps is not None:
            warnings.append(f"[project] dependencies should be a list, found {kind_of(deps)}")
        dynamic = project.get("dynamic")
        if isinstance(dynamic, list) and "dependencies" in dynamic:
            warnings.append(
                "[project] dependencies are dynamic (computed at build time); not listed"
            )
    tool = doc.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(deps, dict):
        for raw_name, value in deps.items():
            name = key_text(raw_name)
            spec = _poetry_spec(value)
            if spec is None:
                warnings.append(
                    f"poetry dependency {quote(name)}: {kind_of(value)} is not a constraint"
                )
                continue
            package = "python" if name.lower() == "python" else canonicalize_name(name)
            packages.add(package, spec, "tool.poetry.dependencies")
    elif deps is not None:
        warnings.append(f"[tool.poetry.dependencies] should be a table, found {kind_of(deps)}")
    return packages.result()
