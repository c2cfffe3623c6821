"""The version filter's query language, compiled to a parameterised DuckDB condition.

A query is whitespace-separated terms, all of which must hold (AND)::

    auc>0.8 branch:main author:ana stage:prod -is:stale "fix leak"

- ``METRIC OP NUMBER`` with OP one of ``> >= < <= = == !=``: a numeric metric of the
  version (``test.auc>=0.9``). The metric must be one the model reports, named whole or
  by its last dotted part(s) when only one metric ends so (``f1`` is ``test.f1``; ``auc``
  with ``test.auc`` and ``train.auc`` is an error that names both).
- ``FIELD:VALUE``: ``branch`` (a branch containing the version, ``*`` globs),
  ``stage`` (a stage it holds now), ``label`` / ``version`` / ``tag`` (a label, whole
  or up to a ``.``, ``-`` or ``+``: ``label:v1.2`` finds ``v1.2.0``, ``label:v7`` not
  ``v70``), ``author`` (name or e-mail, substring), ``message`` / ``msg`` (substring),
  ``commit`` (id prefix), ``is`` (``latest``, ``stale``, ``labelled``, ``staged``, or a
  label scheme: ``semver``, ``calendar``, ``sequential``).
- ``date OP YYYY-MM-DD`` (``date>=2026-01-01``): the author date, UTC.
- a bare word: substring of the label, subject, author or commit id.
- a leading ``-`` negates a term; quotes group words (``author:"Ana Lopez"``).

Text matching ignores case. User text only ever reaches SQL as a bound parameter; the
SQL text itself is built from fixed fragments, so no query can inject SQL. Anything
the language does not know raises :class:`FilterError` with a message for the user.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from modeltrail.store.errors import UsageError

OPERATORS = (">=", "<=", "==", "!=", ">", "<", "=")
FIELDS = ("branch", "stage", "label", "version", "tag", "author", "message", "msg", "commit", "is")
SCHEMES = ("semver", "calendar", "sequential")
IS_VALUES = ("latest", "stale", "labelled", "staged", *SCHEMES)

# a metric's key may be file-qualified (``FILE:KEY`` when a model has several metrics
# files), so it may hold colons; a field (``branch:x``) is told apart first
_COMPARISON = re.compile(r"^(?P<key>[^<>=!]+?)(?P<op>>=|<=|==|!=|>|<|=)(?P<value>.*)$")
_FIELD = re.compile(r"^(?P<field>[A-Za-z]+):(?P<value>.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FilterError(UsageError):
    """The filter query cannot be understood; the message says why, for the user."""


@dataclass(frozen=True)
class Term:
    """One condition of a query.

    ``kind`` is ``metric`` (key OP number), ``date`` (OP date), ``field`` (name:value)
    or ``text`` (a bare word); ``negate`` is set by a leading ``-``.
    """

    kind: str
    key: str
    op: str
    value: str | float
    negate: bool = False


def _split(query: str) -> list[str]:
    lexer = shlex.shlex(query, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # shlex: "No closing quotation"
        raise FilterError("bad filter: a quote is not closed") from None


def _number(text: str, key: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FilterError(f"bad filter: {key} needs a number, not {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise FilterError(f"bad filter: {key} needs a finite number, not {text!r}")
    return value


#: what separates the parts of a metric's name: ``test.auc``, ``eval/metrics.json:auc``
_PART_SEPARATORS = (".", ":", "/")


def metric_candidates(key: str, metric_keys: Collection[str]) -> list[str]:
    """The metrics ``key`` may name: itself when the model reports it, else those whose
    last part(s) it is (``f1``: ``test.f1``; ``metrics.json:auc``:
    ``eval/metrics.json:auc``), matching case first, then ignoring it."""
    if key in metric_keys:
        return [key]
    for fold in (False, True):
        want = key.lower() if fold else key
        ends = tuple(sep + want for sep in _PART_SEPARATORS)
        found = sorted(
            k
            for k in metric_keys
            if (name := k.lower() if fold else k) == want or name.endswith(ends)
        )
        if found:
            return found
    return []


def resolve_metric(key: str, metric_keys: Collection[str]) -> str:
    """The one metric ``key`` names (:func:`metric_candidates`); :class:`FilterError`
    when it names none, or several (the message offers them)."""
    found = metric_candidates(key, metric_keys)
    if len(found) == 1:
        return found[0]
    if found:
        raise _ambiguous_metric(key, found)
    raise _unknown_metric(key, metric_keys)


def _ambiguous_metric(key: str, found: list[str]) -> FilterError:
    shown = found[:8]
    choices = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
    more = f" (and {len(found) - 8:,} more)" if len(found) > 8 else ""
    return FilterError(f"ambiguous metric {key!r} in filter: {choices}{more}? (name one)")


def _unknown_metric(key: str, metric_keys: Collection[str]) -> FilterError:
    known = ", ".join(sorted(metric_keys)[:8]) or "none"
    more = " …" if len(metric_keys) > 8 else ""
    return FilterError(f"unknown metric {key!r} in filter (metrics: {known}{more})")


def _unknown_field(name: str) -> FilterError:
    fields = ", ".join(f for f in FIELDS if f not in ("version", "tag", "msg"))
    return FilterError(f"unknown field {name!r} in filter (fields: {fields})")


def _term(token: str, metric_keys: Collection[str]) -> Term:
    negate = False
    if token.startswith("-") and len(token) > 1:
        negate, token = True, token[1:]
    field = _FIELD.match(token)
    if field and field.group("field").lower() in FIELDS:
        name, value = field.group("field").lower(), field.group("value")
        if not value:
            raise FilterError(f"bad filter: {name}: needs a value")
        if name == "is" and value.lower() not in IS_VALUES:
            raise FilterError(f"bad filter: is:{value} (use is:{', is:'.join(IS_VALUES)})")
        name = {"version": "label", "tag": "label", "msg": "message"}.get(name, name)
        return Term("field", name, ":", value, negate)
    comparison = _COMPARISON.match(token)
    if comparison:
        key, op, value = comparison.group("key", "op", "value")
        op = "=" if op == "==" else op
        if not value:
            raise FilterError(f"bad filter: {token!r} needs a value after {op}")
        if key.lower() == "date" and "date" not in metric_keys:
            if not _DATE.match(value):
                raise FilterError(f"bad filter: date needs YYYY-MM-DD, not {value!r}")
            try:
                datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                raise FilterError(f"bad filter: {value!r} is not a date") from None
            return Term("date", "date", op, value, negate)
        word_colon = field and ":" not in field.group("value").partition(op)[0]
        if field and word_colon and not metric_candidates(key, metric_keys):
            raise _unknown_field(field.group("field"))  # word:... is not a file path
        key = resolve_metric(key, metric_keys)
        return Term("metric", key, op, _number(value, key), negate)
    if field:
        raise _unknown_field(field.group("field"))
    if any(token.startswith(op) for op in OPERATORS):
        raise FilterError(f"bad filter: {token!r} needs a metric name before the operator")
    return Term("text", "", "~", token, negate)


def parse(query: str, metric_keys: Collection[str] = ()) -> list[Term]:
    """The terms of ``query``; ``metric_keys`` are the metrics the model reports."""
    keys = set(metric_keys)
    return [_term(token, keys) for token in _split(query.strip())]


def _like(value: str) -> str:
    """A LIKE pattern matching ``value`` as a substring, with its wildcards escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _glob(value: str) -> str:
    """A LIKE pattern for a branch glob: ``*`` is any text, the rest literal."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _file_keys(key: str) -> list[str]:
    """What a metric ``key`` can be in its file: itself, or (``FILE:KEY`` when a model
    has several metrics files) what follows one of its colons. Said as well as the key,
    it is a condition DuckDB applies while it reads the values, so a metric term joins a
    third of a model's values, not all of them (100,000 versions: -60 MB)."""
    return [key, *(key[i + 1 :] for i, ch in enumerate(key) if ch == ":")]


def _sql(term: Term, model: str | None = None) -> tuple[str, list[Any]]:
    """One term as a condition on ``versions v`` (of ``model`` only, when given), with its
    parameters."""
    if term.kind == "metric":
        in_file = _file_keys(term.key)
        condition = (
            f"m.key = ? AND m.file_key IN ({', '.join('?' * len(in_file))}) "
            f"AND m.value IS NOT NULL AND m.value {term.op} ?"
        )
        values = [term.key, *in_file, term.value]
        if model is None:
            return (
                "EXISTS (SELECT 1 FROM metrics m WHERE m.model = v.model "
                f"AND m.commit = v.commit AND {condition})",
                values,
            )
        # one model's: a plain semi-join (EXISTS made DuckDB pair every version first)
        return (
            f"v.commit IN (SELECT m.commit FROM metrics m WHERE m.model = ? AND {condition})",
            [model, *values],
        )
    if term.kind == "date":
        day = datetime.strptime(str(term.value), "%Y-%m-%d").replace(tzinfo=UTC)
        return f"CAST(timezone('UTC', v.date) AS DATE) {term.op} CAST(? AS DATE)", [day.date()]
    value = str(term.value)
    if term.kind == "text":
        pattern = _like(value)
        return (
            "(v.version ILIKE ? ESCAPE '\\' OR v.subject ILIKE ? ESCAPE '\\' "
            "OR v.author_name ILIKE ? ESCAPE '\\' OR v.commit ILIKE ? ESCAPE '\\')",
            [pattern, pattern, pattern, value.lower() + "%"],
        )
    if term.key == "branch":
        return (
            "list_bool_or(list_transform(v.branches, lambda b: b ILIKE ? ESCAPE '\\'))",
            [_glob(value)],
        )
    if term.key == "stage":
        return "list_contains(list_transform(v.stages, lambda s: lower(s)), lower(?))", [value]
    if term.key == "label":
        # the whole label, or its start up to a separator (v1.2 -> v1.2.0, v7 -/-> v70)
        return (
            "list_bool_or(list_transform(list_append(v.labels, v.version), "
            "lambda l: lower(l) = lower(?) OR (starts_with(lower(l), lower(?)) "
            "AND substr(l, length(?) + 1, 1) IN ('.', '-', '+'))))",
            [value, value, value],
        )
    if term.key == "author":
        pattern = _like(value)
        return (
            "(v.author_name ILIKE ? ESCAPE '\\' OR v.author_email ILIKE ? ESCAPE '\\')",
            [pattern, pattern],
        )
    if term.key == "message":
        return "v.message ILIKE ? ESCAPE '\\'", [_like(value)]
    if term.key == "commit":
        return "starts_with(v.commit, lower(?))", [value]
    # term.key == "is"
    if value.lower() in SCHEMES:
        return (
            "EXISTS (SELECT 1 FROM labels l WHERE l.model = v.model AND l.commit = v.commit "
            "AND l.scheme = ?)",
            [value.lower()],
        )
    return {
        "latest": ("coalesce(v.is_latest, false)", []),
        "stale": ("coalesce(v.stale_metrics, false)", []),
        "labelled": ("len(v.labels) > 0", []),
        "staged": ("len(v.stages) > 0", []),
    }[value.lower()]


def to_sql(terms: list[Term], model: str | None = None) -> tuple[str, list[Any]]:
    """The terms as one condition on ``versions v`` (``TRUE`` when there are none);
    ``model``: the condition is only ever asked of that model's versions."""
    parts: list[str] = []
    params: list[Any] = []
    for term in terms:
        sql, term_params = _sql(term, model)
        parts.append(f"(NOT coalesce({sql}, false))" if term.negate else f"coalesce({sql}, false)")
        params.extend(term_params)
    return (" AND ".join(parts) or "TRUE"), params


def matching_topos(
    con: duckdb.DuckDBPyConnection, model: str, query: str, metric_keys: Collection[str]
) -> pa.Array:
    """The ``topo`` of every version of ``model`` matching ``query``, as Arrow (no Python
    object per version: a query may match 100,000 of them)."""
    where, params = to_sql(parse(query, metric_keys), model)
    table = con.sql(
        f"SELECT v.topo FROM versions v WHERE v.model = ? AND {where}", params=[model, *params]
    ).to_arrow_table()
    return table.column(0).combine_chunks()
