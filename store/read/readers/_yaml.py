"""Safe YAML loading for hostile text, read as DVC and GTO read it.

Plain scalars resolve by the YAML 1.2 core schema, as ruamel's safe loader (what DVC and
GTO use) resolves them: ``1e-3`` is 0.001, ``010`` is 10, ``0o10`` is 8, ``on``/``yes``
are text, ``3:4`` is text, ``.inf``/``.nan`` are floats, ``~``/``null`` are None, dates
are dates. PyYAML alone would read YAML 1.1 (``1e-3`` text, ``010`` 8, ``on`` True,
``3:4`` 184), so the loader here brings its own resolvers and number constructors.

PyYAML's safe loader never runs code, but it is not robust by itself:

- libyaml's composer recurses in C, so ten thousand nested ``[`` crash the process.
  :func:`nesting_too_deep` measures the nesting first, cheaply for ordinary text and
  exactly (with libyaml's iterative event parser, stopping early) for suspicious text.
- unknown tags (``!!python/object``, ``!Ref``), over-long integers and impossible dates
  make the whole document fail. The loader here reads such nodes as plain data and
  records a warning instead, so the rest of the document still comes through.

Alias bombs are harmless at this stage (aliases become shared references); it is
flattening that must bound its work (see ``flattening.flatten``).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Hashable
from itertools import accumulate, repeat
from operator import sub
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from modeltrail.store.read.readers._common import duplicate_keys_warning, quote

try:  # a native YAML parser for the plain documents that make up most of a repository
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - the careful loader does everything alone
    _yaml_rs = None  # type: ignore[assignment]  # a module, or None when missing

NOT_FAST = object()

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Documents nested deeper than this are refused before parsing.
MAX_PARSE_DEPTH = 500

_MAX_PROBLEMS = 20
#: Nodes rendered at most for a list or mapping used as a mapping key.
_KEY_NODES = 1000
#: Longer numbers are kept as text (converting a long one costs quadratic time).
_MAX_NUMBER_TEXT = 1000
#: Entries that merge keys (``<<: *base``) may copy per document. PyYAML copies every
#: merged entry, duplicates included, so chained merges grow exponentially.
MAX_MERGED = 200_000
_MERGE = "tag:yaml.org,2002:merge"
_CHUNK = 65536


class HostileSafeLoader(_Base):  # type: ignore[misc]  # a base chosen at run time
    """The C safe loader with YAML 1.2 core schema resolvers (see below), and lenient
    constructors that record ``problems``."""

    yaml_implicit_resolvers: dict[str, Any] = {}  # its own table, not PyYAML's YAML 1.1 one

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[str] = []
        self.duplicate_keys: list[str] = []
        self.merge_budget = MAX_MERGED

    def note(self, message: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(message)

    def _spend(self, node: yaml.Node, entries: int) -> None:
        self.merge_budget -= entries
        if self.merge_budget < 0:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"merge keys ('<<') copy more than {MAX_MERGED} entries (a merge-key bomb?)",
                node.start_mark,
            )

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Resolve merge keys as PyYAML does (explicit keys win, then earlier merged
        mappings), but within a budget, and keep one entry per scalar key so that
        chained merges stay linear."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag != _MERGE:
                if key_node.tag == "tag:yaml.org,2002:value":
                    key_node.tag = "tag:yaml.org,2002:str"
                index += 1
                continue
            del node.value[index]
            if isinstance(value_node, yaml.MappingNode):
                sources = [value_node]
            elif isinstance(value_node, yaml.SequenceNode):
                sources = list(reversed(value_node.value))
            else:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"expected a mapping or list of mappings for merging, found {value_node.id}",
                    value_node.start_mark,
                )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"expected a mapping for merging, found {source.id}",
                        source.start_mark,
                    )
                self._spend(source, len(source.value))
                self.flatten_mapping(source)
                self._spend(source, len(source.value))
                merged.extend(source.value)
        if merged:
            node.value = _last_per_key(merged + node.value)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """As the safe loader, but a list or mapping used as a key becomes its JSON text
        (the safe loader rejects the whole document: "found unhashable key"), and boolean
        keys become ``"true"``/``"false"`` (as keys, ``True`` and ``1`` are the same)."""
        if not isinstance(node, yaml.MappingNode):
            plain: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            return plain
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.construct_object(key_node, deep=deep)
            else:  # text from the nodes: building the value could be an alias bomb
                key = self._node_text(key_node, [_KEY_NODES], set())
                self.note(f"a {key_node.id} used as a key{_line(key_node)}; read as its text")
            if not isinstance(key, Hashable):
                key = self._node_text(key_node, [_KEY_NODES], set())
            elif isinstance(key, bool):  # True == 1 in a dict: keep them apart
                key = "true" if key else "false"
            if key in mapping:  # the last value wins, as in every YAML loader; say so
                self.duplicate_keys.append(str(key))
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def _node_text(self, node: yaml.Node, budget: list[int], enclosing: set[int]) -> str:
        """JSON-like text of a node, at most ``budget[0]`` nodes of it (then ``…``)."""
        budget[0] -= 1
        if budget[0] < 0:
            return "…"
        if isinstance(node, yaml.ScalarNode):
            return _scalar_text(self.construct_object(node, deep=True))
        if id(node) in enclosing:
            return "<recursive>"
        enclosing.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = (self._node_text(n, budget, enclosing) for n in node.value)
                return "[" + ", ".join(items) + "]"
            pairs = (
                f"{self._node_text(k, budget, enclosing)}: {self._node_text(v, budget, enclosing)}"
                for k, v in node.value
            )
            return "{" + ", ".join(pairs) + "}"
        finally:
            enclosing.discard(id(node))


def _last_per_key(pairs: list[tuple[yaml.Node, yaml.Node]]) -> list[tuple[yaml.Node, yaml.Node]]:
    """One pair per scalar key, where a dict built from ``pairs`` would have it: at the
    key's first position, with its last value."""
    where: dict[tuple[str, str], int] = {}
    kept: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in pairs:
        if isinstance(key_node, yaml.ScalarNode):
            ident = (key_node.tag, key_node.value)
            if ident in where:
                kept[where[ident]] = (kept[where[ident]][0], value_node)
                continue
            where[ident] = len(kept)
        kept.append((key_node, value_node))
    return kept


def _scalar_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _line(node: yaml.Node) -> str:
    mark = getattr(node, "start_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def _construct_unknown(loader: HostileSafeLoader, node: yaml.Node) -> Any:
    loader.note(f"unsupported YAML tag {quote(node.tag)}{_line(node)}; read as plain data")
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


def _lenient(original: Any, kind: str) -> Any:
    def construct(loader: HostileSafeLoader, node: yaml.Node) -> Any:
        if kind in ("integer", "number") and len(node.value) > _MAX_NUMBER_TEXT:
            loader.note(f"{kind}{_line(node)} has over {_MAX_NUMBER_TEXT} characters; kept as text")
            return str(node.value)
        try:
            value = original(loader, node)
        except (ValueError, OverflowError, yaml.YAMLError) as e:
            reason = str(e).split(": ")[0]
            loader.note(
                f"{kind} {quote(node.value)}{_line(node)} is not usable ({reason}); kept as text"
            )
            return str(node.value)
        return value

    return construct


# The YAML 1.2 core schema as ruamel's safe loader (DVC, GTO) resolves plain scalars:
# its regular expressions, in its order (ruamel also reads underscores in numbers, 0b
# binary, and timestamps, which the strict core schema does not). ``=`` is left as text
# (ruamel gives it a tag it then cannot construct, refusing the whole document).
_CORE_RESOLVERS = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "float",
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "int",
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        "0123456789",
    ),
)
for _name, _pattern, _first in _CORE_RESOLVERS:
    HostileSafeLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_name}", re.compile(_pattern, re.X), list(_first)
    )


def _signed(text: str) -> tuple[int, str]:
    """A number's sign and the rest, underscores dropped (as ruamel reads numbers)."""
    text = text.replace("_", "")
    sign = -1 if text[:1] == "-" else 1
    return sign, text[1:] if text[:1] in ("-", "+") else text


def _construct_int(loader: HostileSafeLoader, node: yaml.Node) -> int:
    """A YAML 1.2 integer: decimal (``010`` is 10), ``0o`` octal, ``0x`` hex, ``0b``
    binary; underscores ignored. Raises ValueError for one with no digits (``0x_``)."""
    sign, digits = _signed(loader.construct_scalar(node))
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _construct_float(loader: HostileSafeLoader, node: yaml.Node) -> float:
    """A YAML 1.2 float: ``1e-3``, ``.5``, ``1.``, ``.inf``, ``.nan``; underscores ignored."""
    sign, digits = _signed(loader.construct_scalar(node).lower())
    if digits == ".inf":
        return sign * math.inf
    if digits == ".nan":
        return math.nan
    return sign * float(digits)


HostileSafeLoader.add_constructor(None, _construct_unknown)
for _tag, _kind, _construct in (
    ("tag:yaml.org,2002:int", "integer", _construct_int),
    ("tag:yaml.org,2002:float", "number", _construct_float),
    ("tag:yaml.org,2002:timestamp", "timestamp", None),
    ("tag:yaml.org,2002:binary", "binary value", None),
):
    HostileSafeLoader.add_constructor(
        _tag, _lenient(_construct or SafeConstructor.yaml_constructors[_tag], _kind)
    )

_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEEP_BLOCK = re.compile(rf"^[ \t?:-]{{{MAX_PARSE_DEPTH // 4},}}", re.MULTILINE)
_STEP = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


def _flow_depth_bound(text: str, limit: int) -> int:
    """An upper bound on ``[``/``{`` nesting (brackets inside strings count too).

    Stops as soon as the running depth passes ``limit``.
    """
    # each byte becomes 2 for an opening and 0 for a closing bracket: step = byte - 1
    steps = _NOT_BRACKETS.sub("", text).encode("ascii").translate(_STEP)
    depth = deepest = 0
    for start in range(0, len(steps), _CHUNK):
        running = list(
            accumulate(map(sub, steps[start : start + _CHUNK], repeat(1)), initial=depth)
        )
        deepest = max(deepest, max(running))
        depth = running[-1]
        if deepest > limit:
            break
    return deepest


def _exact_depth(text: str, limit: int) -> int:
    """The real collection nesting, from an event parser (iterative, no recursion).

    Stops once ``limit`` is passed. The fast C event parser goes first; some libyaml
    builds refuse deep nesting with an error of their own before yielding any event, so
    when it stops short of ``limit`` the text is scanned again with PyYAML's pure-Python
    event parser, which has no depth limit: the depth guard, and its message, stay ours
    whatever the installed release. Other parse errors end the scan: the loader reports
    them.
    """
    deepest, stopped_by_error = _event_depth(text, limit, _Base)
    if stopped_by_error and _Base is not yaml.SafeLoader:
        deepest = max(deepest, _event_depth(text, limit, yaml.SafeLoader)[0])
    return deepest


def _event_depth(text: str, limit: int, loader: type) -> tuple[int, bool]:
    """The deepest nesting seen (stopping past ``limit``) and whether an error ended it."""
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > limit:
                        break
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return deepest, True
    return deepest, False


def nesting_too_deep(text: str, limit: int = MAX_PARSE_DEPTH) -> bool:
    """Does the YAML text nest collections deeper than ``limit``?

    Block nesting is bounded by twice the longest run of indentation and indicators
    (`` ``, ``-``, ``?``, ``:``) opening a line, flow nesting by bracket counting; only
    when those bounds are high is the text scanned exactly.
    """
    if _flow_depth_bound(text, limit // 2) <= limit // 2 and not _DEEP_BLOCK.search(text):
        return False
    return _exact_depth(text, limit) > limit


def _error_line(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"invalid YAML{where}: {' '.join(str(problem).split())}"


# Anything yaml_rs might read differently from the careful loader: anchors, aliases,
# tags, merge keys, several documents, directives, block scalars, and the few plain
# scalars where yaml_rs and the YAML 1.2 resolvers above part (as a whole scalar only: a
# hex digest such as run_id 660efb… is text to both and must not send MLmodel or
# dvc.lock the slow way): a leading underscore (_1, -_.5), 0X/0O/0B in capitals, a
# prefix or exponent without digits (0x_, 1e_), an exponent after a leading dot (.5e3)
# or holding an underscore (1e1_0); and .inf/.nan in any case, and timestamps (dates to
# the careful loader, text to yaml_rs).
_END = r"(?=[ \t\r]*(?:$|[#,\[\]{}]|:(?:[ \t\r]|$)))"
_NEEDS_CAREFUL = re.compile(
    r"(?:^|[\s\[{,:])[&*!|>%@`]"  # anchors, aliases, tags, block scalars, reserved
    r"|<<|^\s*(?:---|\.\.\.)"  # merge keys, documents
    r"|(?<![\w.])[-+]?(?:"
    r"\.?_[0-9a-fxob_.+\-]*"  # _1, -_.5, ._
    r"|(?-i:0[XOB])[0-9a-f_]*"  # 0X1F
    r"|0[xob]_*"  # 0x_
    r"|\.[0-9_]+e[-+0-9_]*"  # .5e3
    r"|[0-9][0-9_]*\.?[0-9_]*e[-+]?[0-9]*_[0-9_]*"  # 1e1_0, 1e_
    rf"){_END}"
    r"|\.(?:inf|nan)\b|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",  # special floats, timestamps
    re.IGNORECASE | re.MULTILINE,
)
# ... and what differs even inside quotes: escapes, tabs, the line breaks of YAML 1.1
# only (NEL, LS, PS), a BOM
_NEEDS_CAREFUL_ANYWHERE = re.compile(r"[\\\t\x85\u2028\u2029\ufeff]")
# A one-line quoted scalar that stands alone (after a line start, a space or a flow
# indicator; before a line end, ``:``, ``,``, ``]``, ``}`` or a comment): a string to
# both parsers, whatever it holds, so the checks above need not look inside it
# ("utc_time_created: '2026-03-12 13:17:29'" is no timestamp).
_QUOTED_SCALAR = re.compile(
    r"""(?:^|(?<=[\s\[{,]))(?:'(?:[^'\n]|'')*'|"[^"\\\n]*")(?=[ \t]*(?:$|[:,\]}#]))""",
    re.MULTILINE,
)


#: Verdicts of ``_NEEDS_CAREFUL`` per line. The checks never look across a line break,
#: and the same lines recur in every version of a file (``flavors:``, ``lr: 0.01``), so
#: a document costs a dictionary lookup per line it shares with one seen before.
_LINE_VERDICTS: dict[str, bool] = {}
_LINE_VERDICTS_MAX = 200_000


def _line_needs_careful(line: str) -> bool:
    verdict = _LINE_VERDICTS.get(line)
    if verdict is None:
        verdict = _NEEDS_CAREFUL.search(_QUOTED_SCALAR.sub("''", line)) is not None
        if len(_LINE_VERDICTS) >= _LINE_VERDICTS_MAX:
            _LINE_VERDICTS.clear()
        _LINE_VERDICTS[line] = verdict
    return verdict


def _needs_careful(text: str) -> bool:
    """Whether a fast parser might read ``text`` differently from the careful one."""
    if _NEEDS_CAREFUL_ANYWHERE.search(text):
        return True
    verdicts = _LINE_VERDICTS
    for line in text.split("\n"):  # a loop, not any(): no generator step per line
        verdict = verdicts.get(line)
        if verdict if verdict is not None else _line_needs_careful(line):
            return True
    return False


_FAST_LIMIT = 64 * 1024


_PLAIN_SCALARS = frozenset((str, bool, float, type(None)))


def _fast_plain(value: Any, depth: int = 0) -> bool:
    """Whether a fast parse gave only plain JSON-like data (else use the careful parse):
    mappings with string keys, lists, strings, booleans, floats, None and integers of
    under 63 bits, nested at most 32 deep. Exact types only (a parser's own subclass is
    not plain); one pass, no call per value."""
    plain = _PLAIN_SCALARS
    level: list[Any] = [value]
    while level:
        if depth > 32:
            return False
        below: list[Any] = []
        for v in level:
            kind = type(v)
            if kind is dict:
                for k in v:
                    if type(k) is not str:
                        return False
                below.extend(v.values())
            elif kind is list:
                below.extend(v)
            elif kind is int:
                if v.bit_length() >= 63:
                    return False
            elif kind not in plain:
                return False
        level = below
        depth += 1
    return True


def load_yaml_fast(text: str) -> Any:
    """The document, parsed by ``yaml_rs`` when that is sure to agree with the careful
    loader (a small, plain document: see ``_NEEDS_CAREFUL``); else ``NOT_FAST``."""
    doc = load_yaml_native(text)
    return doc if doc is not NOT_FAST and _fast_plain(doc) else NOT_FAST


def load_yaml_native(text: str) -> Any:
    """:func:`load_yaml_fast` without its last check: the caller must refuse (take the
    careful loader) anything but exact plain types, string keys, integers under 63 bits
    and nesting under 32 levels, as ``_fast_plain`` does (``readers.fastpath`` checks
    each value as it turns it into a row)."""
    if _yaml_rs is None or len(text) > _FAST_LIMIT or _needs_careful(text):
        return NOT_FAST
    if threading.current_thread() is not threading.main_thread():
        # yaml_rs 0.1.6 crashed the process (a segmentation fault inside ``loads``) when
        # the TUI indexed in a worker thread, 1 run in 4 of tests/test_remote_tui.py with
        # test_remote_push_tui.py; the command line and the parse workers index in their
        # main thread and keep the fast parser, a thread takes the careful one
        return NOT_FAST
    try:
        return _yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - the careful loader explains what is wrong
        return NOT_FAST


def load_yaml(text: str) -> tuple[Any, list[str], bool]:
    """Parse one YAML document. Returns ``(document, warnings, ok)``.

    A stream of several documents yields the first, with a warning. Small plain
    documents (the common case: metrics and params) take a fast native parser; anything
    else takes the hardened PyYAML loader below.
    """
    doc = load_yaml_fast(text)
    if doc is not NOT_FAST:
        return doc, [], True
    return load_yaml_careful(text)


def load_yaml_careful(text: str) -> tuple[Any, list[str], bool]:
    """:func:`load_yaml` through the hardened PyYAML loader only."""
    if nesting_too_deep(text):
        return None, [f"YAML nested deeper than {MAX_PARSE_DEPTH} levels; not read"], False
    loader = HostileSafeLoader(text)
    try:
        try:
            doc = loader.get_single_data()
        except yaml.composer.ComposerError as e:
            if "expected a single document" not in str(e):
                raise
            loader.dispose()
            loader = HostileSafeLoader(text)
            doc = loader.get_data() if loader.check_data() else None
            loader.problems.append("several YAML documents (---); only the first was read")
        if loader.duplicate_keys:
            loader.problems.append(duplicate_keys_warning(loader.duplicate_keys))
        return doc, list(loader.problems), True
    except yaml.YAMLError as e:
        return None, [*loader.problems, _error_line(e)], False
    except RecursionError:
        return None, ["YAML nested too deeply (or a recursive merge key); not read"], False
    except (ValueError, TypeError, OverflowError) as e:
        return None, [*loader.problems, f"invalid YAML: {quote(e, 160)}"], False
    finally:
        loader.dispose()
