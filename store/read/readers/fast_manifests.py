"""One-pass readers for the common ``MLmodel`` and ``model.yaml``: what the catalog
keeps of them, as ``blobfacts`` gets it from the careful readers of ``manifests.py``
when they warn about nothing, or None (then the caller takes the careful path).

Only the plainest documents are taken (see ``fastpath``): a small document the native
YAML parser reads as the careful loader would, each field of the type the careful
reader takes without a word (text fields as text, integers or nothing; labels as text
or a list of scalars; metrics and params as a plain mapping or file names), the
signature's JSON strings plain lists, and the fields the catalog does not keep
flattening without a warning. Never raises.
"""

from __future__ import annotations

from typing import Any

from modeltrail.store.read.readers import manifests
from modeltrail.store.read.readers._yaml import NOT_FAST, load_yaml_fast
from modeltrail.store.read.readers.fastpath import (
    _JSON,
    _JSON_DECODER,
    Row,
    _NotFast,
    section_rows,
    text_of,
)
from modeltrail.store.read.readers.plain import _FAST_KEYS

_MLMODEL_OWN = manifests.MLMODEL_OWN
_MODEL_YAML_OWN = frozenset(("name", "version", "description", "labels", "metrics", "params"))

#: an MLmodel's row of ``blob_mlmodel``, in ``blobfacts.MLMODEL_FIELDS`` order
MlmodelRow = tuple[Any, ...]


def _mapping(data: bytes) -> dict[str, Any]:
    text = text_of(data)
    if text is None:
        raise _NotFast
    doc = load_yaml_fast(text)
    if doc is NOT_FAST or type(doc) is not dict:
        raise _NotFast
    return doc


def _text(value: Any) -> str | None:
    """A text field read as ``manifests._text`` reads it without a warning."""
    if value is None or type(value) is str:
        return value
    if type(value) is int:
        return int.__repr__(value)
    raise _NotFast


def _no_warnings_for_rest(doc: dict[str, Any], own: frozenset[str]) -> None:
    """The fields not read apart flatten without a warning (``manifests._extra``).

    ``doc`` is plain (``load_yaml_fast``): nested at most 32 deep, only plain values,
    no alias; so flattening warns only of a flattened key given twice, which needs a
    ``.`` in a key, or of too many keys. Mappings are counted, nothing is built.
    """
    keys = 0
    level = [v for k, v in doc.items() if k not in own and type(v) is dict]
    while level:
        below = []
        for d in level:
            keys += len(d)
            for k, v in d.items():
                if "." in k:
                    raise _NotFast
                if type(v) is dict:
                    below.append(v)
        level = below
    if keys + len(doc) > _FAST_KEYS or any("." in k for k in doc):
        raise _NotFast


def mlmodel_row(data: bytes) -> MlmodelRow | None:
    """``blobfacts.mlmodel_facts`` as a ``blob_mlmodel`` row, for an ``MLmodel`` whose
    careful reading gives no warning; None: read it carefully."""
    try:
        doc = _mapping(data)
        flavors = doc.get("flavors")
        if type(flavors) is not dict:
            raise _NotFast  # none, or not a mapping: warned about
        size = doc.get("model_size_bytes")
        if size is not None and (type(size) is not int or size < 0):
            raise _NotFast  # (a plain integer is under 63 bits)
        signature = doc.get("signature")
        if signature is None:
            specs: tuple[str | None, ...] = (None, None, None)
        elif type(signature) is dict:
            specs = tuple(_spec(signature.get(k)) for k in ("inputs", "outputs", "params"))
        else:
            raise _NotFast
        _no_warnings_for_rest(doc, _MLMODEL_OWN)
        return (
            list(flavors),
            _text(doc.get("run_id")),
            _text(doc.get("model_uuid")),
            _text(doc.get("utc_time_created")),
            _text(doc.get("mlflow_version")),
            *specs,
            _text(doc.get("artifact_path")),
            size,
            _text(doc.get("model_id")),
        )
    except Exception:  # noqa: BLE001 - refused: the careful reader says why
        return None


def _spec(value: Any) -> str | None:
    """A signature's inputs/outputs/params as the JSON text ``blobfacts`` keeps: MLflow's
    JSON list in a YAML string, or a plain YAML list."""
    if value is None:
        return None
    if type(value) is str:
        known = _SPECS.get(value)
        if known is not None:
            return known
        if "\x00" in value or value[:1] == "\ufeff" or len(value) > _SPEC_TEXT:
            raise _NotFast
        parsed = _JSON_DECODER.decode(value)
        if type(parsed) is not list or _entries(parsed, 0) != value.count(":"):
            raise _NotFast  # (a ':' that is no key's: maybe a key given twice)
        text: str = _JSON.encode(parsed)
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[value] = text
        return text
    if type(value) is not list:
        raise _NotFast
    return _JSON.encode(value)


#: the JSON text of signature strings read before: the same signature recurs in every
#: version of a model
_SPECS: dict[str, str] = {}
_SPECS_MAX = 4096
_SPEC_TEXT = 16 * 1024


def _entries(value: Any, depth: int) -> int:
    """Mapping entries in a parsed JSON value (plain types only, nested under 30)."""
    if depth >= 30:
        raise _NotFast
    kind = type(value)
    if kind is list:
        return sum(_entries(x, depth + 1) for x in value)
    if kind is dict:
        return len(value) + sum(_entries(x, depth + 1) for x in value.values())
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return 0
    raise _NotFast


def model_yaml(data: bytes) -> tuple[str | None, str | None, str | None, list[Row]] | None:
    """``blobfacts.read_manifest`` of a ``model.yaml`` that warns about nothing, as
    (version, metrics file, params file, value rows); None: read it carefully."""
    try:
        doc = _mapping(data)
        _text(doc.get("name"))
        version = _text(doc.get("version")) or None
        _text(doc.get("description"))
        _check_labels(doc.get("labels"))
        rows: list[Row] = []
        metrics_file = _values_or_file(doc.get("metrics"), "metrics", rows)
        params_file = _values_or_file(doc.get("params"), "params", rows)
        _no_warnings_for_rest(doc, _MODEL_YAML_OWN)
        return version, metrics_file, params_file, rows
    except Exception:  # noqa: BLE001 - refused: the careful reader says why
        return None


def _check_labels(value: Any) -> None:
    if value is None or type(value) is str:
        return
    if type(value) is not list or any(type(x) is dict or type(x) is list for x in value):
        raise _NotFast


def _values_or_file(value: Any, section: str, rows: list[Row]) -> str | None:
    """Rows of an inline mapping (added to ``rows``), or the first file named."""
    if value is None:
        return None
    if type(value) is dict:
        got = section_rows(value, section)
        if got is None:
            raise _NotFast
        rows += got
        return None
    if type(value) is str and value:
        return value
    if type(value) is list and all(type(x) is str and x for x in value):
        return value[0] if value else None
    raise _NotFast
