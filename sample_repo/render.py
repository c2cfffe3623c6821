"""Small, fast, deterministic renderers: YAML and JSON text, pseudo-binary blobs, hashes.

PyYAML's dumper is too slow for the 100,000-commit benchmark repositories, so ``to_yaml``
renders the plain nested mappings/lists/scalars the sample files need (block style, keys in
insertion order). Its output always loads back to the same data with ``yaml.safe_load``
(YAML 1.1) and as DVC, GTO and modeltrail read it (YAML 1.2).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

import yaml

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+\-]*")
_HEX_ID = re.compile(r"[0-9a-f]{32,64}")  # ids and hashes: never a YAML number unless all digits
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d")  # YAML would read these as dates
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
#: What YAML 1.2 reads as a number where YAML 1.1 may read text (``1e3``, ``0o17``)
_NUMBER_12 = re.compile(
    r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|\.(?:inf|Inf|INF|nan|NaN|NAN))"
)


def _float(value: float) -> str:
    text = repr(value)
    if "e" in text and "." not in text:  # PyYAML only reads exponents with a dot
        text = text.replace("e", ".0e")
    return text


def yaml_scalar(value: Any) -> str:
    """One scalar as YAML: plain when unambiguous, else single- or double-quoted."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return _float(value)
    if kind is int:
        return str(value)
    return _string(str(value))


@functools.lru_cache(maxsize=4096)
def _string(text: str) -> str:
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    if _NUMBER_12.fullmatch(text):
        return f"'{text}'"
    if _HEX_ID.fullmatch(text):
        return text
    if not text.isprintable():  # control characters, line breaks: escaped double quotes
        return _double_quoted(text)
    if text != "<<" and text == text.strip() and not _TIMESTAMP.match(text):
        try:
            if yaml.safe_load(text) == text:  # reads back as the same string: no quotes needed
                return text
        except yaml.YAMLError:
            pass
    if "'" not in text:
        return f"'{text}'"
    return _double_quoted(text)


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch.isprintable() and ch not in '"\\':
            out.append(ch)
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


_CONTAINERS = (dict, list, tuple)


def _emit(value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if type(value) is dict:
        for key, item in value.items():
            head = f"{pad}{yaml_scalar(key)}:"
            kind = type(item)
            if kind in _CONTAINERS:
                if item:
                    lines.append(head)
                    _emit(item, indent + 2, lines)
                else:
                    lines.append(f"{head} {{}}" if kind is dict else f"{head} []")
            else:
                lines.append(f"{head} {yaml_scalar(item)}")
        return
    for item in value:
        kind = type(item)
        if kind is dict and item:
            sub: list[str] = []
            _emit(item, indent + 2, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
            lines.extend(sub)
        elif kind in _CONTAINERS:
            raise ValueError("empty mappings and nested lists in lists are not supported")
        else:
            lines.append(f"{pad}- {yaml_scalar(item)}")


def to_yaml(
    data: dict[str, Any], header: str = "", cache: dict[str, tuple[Any, list[str]]] | None = None
) -> str:
    """Block-style YAML for ``data`` (dicts, lists/tuples, scalars); ``header`` lines are
    prepended as ``#`` comments.

    ``cache`` (optional, owned by the caller) remembers each top-level key's rendering and
    reuses it while the value is the very same object, which makes re-rendering files whose
    sections are mostly shared cheap.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if cache is None:
        _emit(data, 0, lines)
    else:
        for key, value in data.items():
            hit = cache.get(key)
            if hit is None or hit[0] is not value:
                block: list[str] = []
                _emit({key: value}, 0, block)
                hit = cache[key] = (value, block)
            lines.extend(hit[1])
    return "\n".join(lines) + "\n"


def to_json(data: Any) -> str:
    """Pretty JSON (2-space indent, insertion order) with a final newline."""
    return json.dumps(data, indent=2) + "\n"


@functools.lru_cache(maxsize=512)
def pseudo_binary(seed: str, size: int) -> bytes:
    """``size`` bytes that look like a pickled model and depend only on ``seed``."""
    head = b"\x80\x05\x95" + size.to_bytes(8, "little") + f"modeltrail-sample:{seed}".encode()
    chunks = [head]
    total = len(head)
    counter = 0
    key = seed.encode()
    while total < size:
        block = hashlib.sha256(key + counter.to_bytes(8, "little")).digest()
        chunks.append(block)
        total += len(block)
        counter += 1
    return b"".join(chunks)[:size]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    """The Git LFS pointer file (spec v1) for ``content``."""
    return (
        f"version https://git-lfs.github.com/spec/v1\n"
        f"oid sha256:{sha256_hex(content)}\nsize {len(content)}\n"
    ).encode()
