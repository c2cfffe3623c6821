"""Batched, read-only access to git: one process per kind of read, never one per commit.

- :func:`read_refs` — one ``git for-each-ref`` for branches, tags, remotes and DVC
  experiment refs, with annotated tags' tagger, date and message.
- :func:`walk_commits` — one ``git log --raw`` walk, parents before children, with the
  paths each commit changed against its first parent and the new blob ids. Revisions
  are passed as object ids on standard input, so no ref name ever reaches git as an
  argument.
- :func:`blob_sizes` / :func:`read_blobs` — one pipelined ``git cat-file`` stream each.

Every process starts through :mod:`store.gitcmd` (GitPython owns them; one set of
safety rules for reads and writes).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from sys import intern
from typing import TYPE_CHECKING, Any

from modeltrail.store import gitcmd, pathtext, remote_repo
from modeltrail.store.objectid import OBJECT_ID

if TYPE_CHECKING:
    import git  # GitPython: imported where a repository is opened (store/repo.py)

_REF_FIELDS = 10
_REF_SEP = "\x1e\x1f"

REF_PATTERNS = ("refs/heads", "refs/tags", "refs/remotes", "refs/exps")

_REF_KINDS = (
    ("refs/heads/", "branch"),
    ("refs/tags/", "tag"),
    ("refs/remotes/", "remote"),
    ("refs/exps/", "exp"),
)


def ref_kind_and_short(name: str) -> tuple[str, str]:
    """``("tag", "churn@v1.0.0")`` for ``refs/tags/churn@v1.0.0``."""
    for prefix, kind in _REF_KINDS:
        if name.startswith(prefix):
            # a DVC experiment (refs/exps/ab/cdef.../NAME) is called NAME
            short = name[len(prefix) :] if kind != "exp" else name.rsplit("/", 1)[-1]
            return kind, short
    return "other", name.removeprefix("refs/")


_EXPERIMENT_REF = re.compile(r"^refs/exps/[0-9a-f]{2}/[0-9a-f]{1,62}/([^/]+)$")


def experiment_name(ref: str) -> str | None:
    """``crumb-hobo`` for a DVC experiment ref ``refs/exps/af/df89…/crumb-hobo`` (the
    baseline commit's id split after two digits, then the name); None for DVC's other
    refs under ``refs/exps`` (its stashes, queues and runs)."""
    m = _EXPERIMENT_REF.match(ref)
    return m.group(1) if m else None


def effective_branches(refs: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """Branch name -> head commit from (kind, short, commit) ref triples: local branches,
    and remote-tracking branches (``origin/x``) where no local branch ``x`` exists, as a
    fresh clone has them (``origin`` first when several remotes have one; never
    ``origin/HEAD``)."""
    rows = [(k, s, c) for k, s, c in refs if c]
    local = {s: c for k, s, c in rows if k == "branch"}
    out = dict(local)
    seen = set(local)
    remotes = sorted(
        (s for k, s, c in rows if k == "remote" and "/" in s),
        key=lambda s: (s.split("/", 1)[0] != "origin", s),
    )
    heads = {s: c for k, s, c in rows if k == "remote"}
    for short in remotes:
        name = short.split("/", 1)[1]
        if name == "HEAD" or not name or name in seen:
            continue
        seen.add(name)
        out[short] = heads[short]
    return out


@dataclass(frozen=True)
class RefRecord:
    """One ref as ``for-each-ref`` reports it."""

    name: str  # full name, e.g. refs/tags/churn@v1.0.0
    object: str  # the ref's own object id
    object_type: str  # commit | tag | tree | blob
    commit: str | None  # the commit it points at after peeling one tag level
    annotated: bool
    tagger_name: str
    tagger_email: str
    tag_date: datetime | None
    tag_message: str
    kind: str = ""  # branch | tag | remote | exp | other
    short: str = ""  # main, churn@v1.0.0


@dataclass(slots=True)
class Change:
    """A file a commit changed against its first parent (``blob`` None when deleted)."""

    path: str
    blob: str | None
    mode: str


@dataclass(slots=True)
class CommitRecord:
    commit: str
    parents: list[str]
    tree: str
    author_name: str
    author_email: str
    author_date: datetime
    committer_date: datetime
    message: str
    changes: list[Change] = field(default_factory=list)

    @property
    def subject(self) -> str:
        """The first line (without the CR of a message written with CRLF line ends)."""
        line = self.message.split("\n", 1)[0]
        return line[:-1] if line.endswith("\r") else line


def _utc(epoch: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=UTC)


def _parse_raw_date(raw: str) -> datetime | None:
    parts = raw.split()
    return _utc(parts[0]) if parts else None


def refs_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The digest of (ref name, object id) pairs, in order: the catalog is current while
    it matches."""
    h = hashlib.sha256()
    for name, oid in pairs:
        h.update(f"{name}\0{oid}\0".encode("utf-8", "replace"))
    return h.hexdigest()


#: the ``warnings.path`` of the rows that mark a shallow clone's boundary commits
SHALLOW = ".git/shallow"


def shallow_commits(repo: git.Repo) -> list[str]:
    """The boundary commits of a shallow clone (``.git/shallow``), sorted; [] if none."""
    try:
        text = (Path(repo.common_dir) / "shallow").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    return sorted(set(text.split()))


def shallow_pairs(repo: git.Repo) -> list[tuple[str, str]]:
    """The boundary as pseudo-refs for :func:`refs_digest`: deepening a clone makes the
    catalog out of date even when no ref moved."""
    return [("shallow", c) for c in shallow_commits(repo)]


def ref_ids(repo: git.Repo) -> list[tuple[str, str]]:
    """(name, object id) of every ref :func:`read_refs` reads, sorted by name, from one
    ``for-each-ref`` that reads no tag object."""
    out = gitcmd.run(
        repo, "for-each-ref", "--format=%(refname)%00%(objectname)", "--", *REF_PATTERNS
    ).stdout
    pairs = (
        line.split("\x00", 1)
        for line in out.decode("utf-8", errors="replace").split("\n")
        if "\x00" in line
    )
    return [(name, oid) for name, oid in pairs]


def current_refs_digest(repo: git.Repo) -> str:
    """``refs_digest`` of the refs as they are now, from names and ids only: the check
    "is anything new?" without reading any tag."""
    return refs_digest([*ref_ids(repo), *shallow_pairs(repo)])


#: Up to this many refs are read by name (as ``for-each-ref`` patterns); more, all refs.
MAX_NAMED_REFS = 256


def list_refs(repo: git.Repo, patterns: Iterable[str] = REF_PATTERNS) -> list[tuple[str, str, str]]:
    """(name, object type, object id) of the refs :func:`read_refs` reads, sorted by name,
    from one ``for-each-ref`` that reads no object's contents."""
    out = gitcmd.run(
        repo,
        "for-each-ref",
        "--format=%(refname)%00%(objecttype)%00%(objectname)",
        "--",
        *patterns,
    ).stdout
    listed = []
    for line in out.decode("utf-8", errors="replace").split("\n"):
        fields = line.split("\x00")
        if len(fields) == 3:
            listed.append((fields[0], fields[1], fields[2]))
    return listed


def read_refs(
    repo: git.Repo,
    names: Iterable[str] | None = None,
    listed: list[tuple[str, str, str]] | None = None,
) -> list[RefRecord]:
    """All branches, tags, remote branches and experiment refs, sorted by name; with
    ``names`` (full ref names as :func:`ref_ids` gives them) only those that exist.
    ``listed``: every ref as :func:`list_refs` just listed it (not listed again)."""
    if names is None and listed is not None:
        return _read_refs_fast(repo, REF_PATTERNS, listed)
    wanted = None if names is None else set(names)
    patterns: Iterable[str] = REF_PATTERNS
    if wanted is not None:
        if not wanted:
            return []
        # a name git could not give back as text (not UTF-8) cannot be asked for by name
        if len(wanted) <= MAX_NAMED_REFS and not any("\ufffd" in n for n in wanted):
            patterns = sorted(wanted)
    refs = _read_refs_fast(repo, patterns)
    return refs if wanted is None else [r for r in refs if r.name in wanted]


#: The tagger line of a plain annotated tag, every part of it as ``for-each-ref`` reads
#: it without ambiguity (no ``<``/``>`` in the name or email, a date of a few digits).
_TAGGER = re.compile(rb"tagger ([^<>\n]*) <([^<>\n]*)> ([0-9]{1,12}) [+-][0-9]{4}")


def _read_refs_fast(
    repo: git.Repo, patterns: Iterable[str], listed: list[tuple[str, str, str]] | None = None
) -> list[RefRecord]:
    """What :func:`_read_refs` returns, without asking ``for-each-ref`` for tagger and
    message: with those atoms git reads the object of *every* ref (75,000 lightweight
    tags' commits re-read for nothing). Names, types and ids come from a ``for-each-ref``
    that reads no object; the annotated tags' objects from one ``cat-file --batch``.
    A tag object of any but the plain shape (a tag of a tag, of a tree, an odd tagger
    line or header, a NUL in the message) is left to ``for-each-ref`` itself."""
    patterns = list(patterns)
    if listed is None:
        listed = list_refs(repo, patterns)
    tag_ids = [oid for _n, otype, oid in listed if otype == "tag" and OBJECT_ID.match(oid)]
    tags = _plain_tags(repo, tag_ids)
    odd = [name for name, otype, oid in listed if otype == "tag" and oid not in tags]
    slow: dict[str, RefRecord] = {}
    if odd:
        named = len(odd) <= MAX_NAMED_REFS and not any("\ufffd" in n for n in odd)
        slow = {r.name: r for r in _read_refs(repo, sorted(odd) if named else patterns)}
    refs: list[RefRecord] = []
    for name, otype, oid in listed:
        if otype == "tag" and oid not in tags:
            ref = slow.get(name)
            if ref is not None:
                refs.append(ref)
            continue
        if name.startswith("refs/tags/"):  # most refs: ref_kind_and_short, inlined
            kind, short = "tag", name[10:]
        else:
            kind, short = ref_kind_and_short(name)
        tag = tags.get(oid) if otype == "tag" else None
        if tag is None:
            commit = oid if otype == "commit" else None
            refs.append(_record(name, oid, otype, commit, False, "", "", None, "", kind, short))
        else:
            commit, tname, temail, date, message = tag
            refs.append(
                _record(name, oid, "tag", commit, True, tname, temail, date, message, kind, short)
            )
    return refs


_new = object.__new__


def _record(
    name: str,
    oid: str,
    otype: str,
    commit: str | None,
    annotated: bool,
    tname: str,
    temail: str,
    date: datetime | None,
    message: str,
    kind: str,
    short: str,
) -> RefRecord:
    """``RefRecord(...)``, its fields set at once instead of through the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field: at 100,000 refs the
    largest part of reading them); the same record, equal and hashable alike."""
    ref = _new(RefRecord)
    ref.__dict__.update(
        name=name,
        object=oid,
        object_type=otype,
        commit=commit,
        annotated=annotated,
        tagger_name=tname,
        tagger_email=temail,
        tag_date=date,
        tag_message=message,
        kind=kind,
        short=short,
    )
    return ref


def _plain_tags(repo: git.Repo, oids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Annotated tag objects of the plain shape (``object``, ``type commit``, ``tag``,
    ``tagger`` and a message), by id: (commit, tagger name, email, date, message) as
    ``for-each-ref`` would give them; the tagged object must really be a commit."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    found: dict[str, tuple[Any, ...]] = {}
    for oid, kind, body in cat_objects(repo, wanted):
        if kind == b"tag":
            parsed = _plain_tag(body)
            if parsed is not None:
                found[oid] = parsed
    peeled = {p[0] for p in found.values()}
    commits = {o for o, t in _object_types(repo, peeled).items() if t == "commit"}
    return {oid: p for oid, p in found.items() if p[0] in commits}


def _plain_tag(body: bytes) -> tuple[Any, ...] | None:
    head, sep, message = body.partition(b"\n\n")
    lines = head.split(b"\n")
    if not sep or len(lines) != 4 or b"\x00" in body:
        return None
    obj, typ, tag, tagger = lines
    if not (obj.startswith(b"object ") and typ == b"type commit" and tag.startswith(b"tag ")):
        return None
    commit = obj[7:].decode("ascii", errors="replace")
    who = _TAGGER.fullmatch(tagger)
    if who is None or not OBJECT_ID.match(commit):
        return None
    # for-each-ref's %(contents): the message after the header, blank lines skipped
    return (
        commit,
        who[1].decode("utf-8", errors="replace"),
        who[2].decode("utf-8", errors="replace"),
        _utc(who[3].decode("ascii")),
        message.lstrip(b"\n").decode("utf-8", errors="replace"),
    )


def _object_types(repo: git.Repo, oids: Iterable[str]) -> dict[str, str]:
    wanted = [o for o in dict.fromkeys(oids) if OBJECT_ID.match(o)]
    if not wanted:
        return {}
    types: dict[str, str] = {}
    for line in _batch(repo, "--batch-check", wanted).decode().splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            types[parts[0]] = parts[1]
    return types


def _read_refs(repo: git.Repo, patterns: Iterable[str]) -> list[RefRecord]:
    fmt = "%00".join(
        [
            "%(refname)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(*objecttype)",
            "%(taggername)",
            "%(taggeremail)",
            "%(taggerdate:raw)",
            "%(contents)",
            "end",
        ]
    )
    out = gitcmd.run(repo, "for-each-ref", f"--format={fmt}%1e%1f", "--", *patterns).stdout
    text = out.decode("utf-8", errors="replace")
    refs: list[RefRecord] = []
    for chunk in text.split(_REF_SEP):
        chunk = chunk.lstrip("\n")
        if not chunk:
            continue
        fields = chunk.split("\x00")
        if len(fields) < _REF_FIELDS or fields[-1] != "end":
            continue
        name, otype, oid, peeled, peeled_type, tname, temail, tdate = fields[:8]
        message = "\x00".join(fields[8:-1])
        annotated = otype == "tag"
        if annotated:
            commit = peeled if peeled_type == "commit" else None
        else:
            commit = oid if otype == "commit" else None
        kind, short = ref_kind_and_short(name)
        refs.append(
            RefRecord(
                name=name,
                object=oid,
                object_type=otype,
                commit=commit,
                annotated=annotated,
                tagger_name=tname if annotated else "",
                tagger_email=temail.strip("<>") if annotated else "",
                tag_date=_parse_raw_date(tdate) if annotated else None,
                tag_message=message if annotated else "",
                kind=kind,
                short=short,
            )
        )
    return refs


def log_format(nonce: str) -> str:
    """``git log --format`` of the walk: each record opens with ``\\x1e`` + ``nonce`` and
    its message ends with ``\\0`` + ``nonce`` + ``\\0``. A commit message may hold any
    text (a record separator, a line that looks like a header or a changed file): with a
    nonce it cannot know, it can neither hide its commit nor forge another's."""
    return f"%x1e{nonce}%H%x00%P%x00%T%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00{nonce}%x00"


def walk_commits(
    repo: git.Repo,
    include: Iterable[str],
    exclude: Iterable[str] = (),
    *,
    with_changes: bool = True,
) -> Iterator[CommitRecord]:
    """Commits reachable from ``include`` but not ``exclude`` (object ids), parents first.

    Each record carries the files changed against the first parent (merges too), so a
    merge into main shows what it brought in.
    """
    include = [c for c in include if OBJECT_ID.match(c)]
    if not include:
        return
    stdin = "".join(f"{c}\n" for c in dict.fromkeys(include))
    stdin += "".join(f"^{c}\n" for c in dict.fromkeys(exclude) if OBJECT_ID.match(c))
    nonce = secrets.token_hex(12)
    cmd = ["log", "--topo-order", "--reverse", f"--format={log_format(nonce)}", "--stdin"]
    if with_changes:
        cmd += ["--raw", "-z", "--no-renames", "--diff-merges=first-parent", "--no-abbrev"]
    # parsed as git writes it: 100,000 commits' log held whole (bytes, text and pieces)
    # took ~150 MB on top of the records. Decoded losslessly: a path's bytes that are not
    # UTF-8 become its catalog form, a name's or message's a replacement character
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

    def texts() -> Iterator[str]:
        for chunk in gitcmd.piped_chunks(repo, cmd, stdin.encode()):
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)

    yield from parse_log(texts(), nonce)


def _is_header(fields: list[str]) -> bool:
    return (
        len(fields) >= 9
        and OBJECT_ID.match(fields[0]) is not None
        and all(OBJECT_ID.match(p) for p in fields[1].split())
        and OBJECT_ID.match(fields[2]) is not None
    )


def parse_log(texts: Iterable[str], nonce: str) -> Iterator[CommitRecord]:
    """Commit records from the text of a walk in :func:`log_format` (``nonce``), which
    may arrive in pieces cut anywhere."""
    opens, ends = "\x1e" + nonce, "\x00" + nonce + "\x00"
    # parents come before their children: a parent's id is the very text of its own
    # record's id, not a copy (100,000 copies held to the end of the walk: ~10 MB)
    ids: dict[str, str] = {}
    carry = ""
    for text in texts:
        records = (carry + text).split(opens)
        carry = records.pop()  # may be cut short: completed by the next piece
        for record in records:
            if (commit := _commit_record(record, ends, ids)) is not None:
                yield commit
    if (commit := _commit_record(carry, ends, ids)) is not None:
        yield commit


def _commit_record(record: str, ends: str, ids: dict[str, str]) -> CommitRecord | None:
    head, found, changes = record.partition(ends)
    fields = [*head.split("\x00", 7), changes]
    if not (found and _is_header(fields)):
        return None
    commit = _make_commit(fields)
    commit.parents = [ids.get(p, p) for p in commit.parents]
    ids[commit.commit] = commit.commit
    return commit


def _make_commit(fields: list[str]) -> CommitRecord:
    commit, parents, tree, an, ae, at, ct, rest = (
        fields[0],
        fields[1],
        fields[2],
        fields[3],
        fields[4],
        fields[5],
        fields[6],
        fields[8] if len(fields) > 8 else "",
    )
    fields7 = fields[7]
    # fields[7] is the message (%B); rest holds '\0\n' then raw entries ":meta\0path\0"
    message = fields7
    changes: list[Change] = []
    tokens = rest.split("\x00")
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip("\n")
        if tok.startswith(":") and i + 1 < len(tokens):
            meta = tok[1:].split(" ")
            if len(meta) >= 5:
                new_mode, new_blob, status = meta[1], meta[3], meta[4]
                blob = None if status.startswith("D") or set(new_blob) == {"0"} else new_blob
                # the same paths and modes recur in every commit: keep one copy of each
                path = tokens[i + 1]
                if not path.isascii():
                    path = pathtext.to_catalog(path)
                changes.append(Change(path=intern(path), blob=blob, mode=intern(new_mode)))
            i += 2
        else:
            i += 1
    return CommitRecord(
        commit=commit,
        parents=parents.split(),
        tree=tree,
        author_name=intern(_text(an)),
        author_email=intern(_text(ae)),
        author_date=_utc(at),
        committer_date=_utc(ct),
        message=_text(message).rstrip("\n"),
        changes=changes,
    )


_SURROGATE = re.compile("[\udc80-\udcff]")


def _text(value: str) -> str:
    """Text of the walk that is not a path (a name, a message): a byte that is not UTF-8
    becomes a replacement character, as it would have decoded."""
    if value.isascii() or not _SURROGATE.search(value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _batch(repo: git.Repo, mode: str, oids: list[str]) -> bytes:
    payload = "".join(f"{o}\n" for o in oids).encode()
    return gitcmd.piped(repo, ["cat-file", mode, "--buffer"], payload)


def blob_sizes(repo: git.Repo, oids: Iterable[str]) -> dict[str, int]:
    """Sizes of the given objects, from one ``cat-file --batch-check`` stream."""
    wanted = [o for o in dict.fromkeys(oids) if OBJECT_ID.match(o)]
    if not wanted:
        return {}
    remote_repo.prefetch_blobs(repo, wanted)  # a partial clone: many per fetch, not one
    sizes: dict[str, int] = {}
    asked = iter(wanted)  # git answers each line in order ("<oid> missing" too)
    for line in _batch(repo, "--batch-check", wanted).decode().splitlines():
        parts = line.split(" ")
        oid = _asked(asked, parts[0])
        if len(parts) == 3 and parts[2].isdigit():
            sizes[oid] = int(parts[2])
    return sizes


def _asked(asked: Iterator[str], answered: str) -> str:
    """The id a caller asked for, as the very text it gave (138,000 blob ids decoded
    anew from git's answers were held ~13 MB more at once), when git's next answer is
    about it; else the answer's own."""
    oid = next(asked, None)
    return oid if oid == answered and oid is not None else answered


def read_blobs(repo: git.Repo, oids: Iterable[str], max_size: int) -> dict[str, bytes]:
    """Contents of the given blobs (first ``max_size`` bytes each), one ``cat-file --batch``.

    Callers pass only blobs whose size they already know to be reasonable; a larger one
    is still read by git but truncated here.
    """
    return {oid: body[:max_size] for oid, _type, body in cat_objects(repo, oids)}


def cat_objects(repo: git.Repo, oids: Iterable[str]) -> Iterator[tuple[str, bytes, bytes]]:
    """``(id, type, content)`` of each object found, from one ``cat-file --batch``
    stream taken apart as it arrives (held whole, 138,000 small blobs (44 MB) stood
    three times in memory at once: the pieces, the joined output and the contents)."""
    wanted = [o for o in dict.fromkeys(oids) if OBJECT_ID.match(o)]
    if not wanted:
        return
    remote_repo.prefetch_blobs(repo, wanted)  # a partial clone: many per fetch, not one
    payload = "".join(f"{o}\n" for o in wanted).encode()
    asked = iter(wanted)  # git answers each line in order ("<oid> missing" too)
    buf = bytearray()
    for chunk in gitcmd.piped_chunks(repo, ["cat-file", "--batch", "--buffer"], payload):
        buf += chunk
        pos, n = 0, len(buf)
        while (nl := buf.find(b"\n", pos)) >= 0:
            header = bytes(buf[pos:nl]).split(b" ")
            if len(header) != 3 or not header[2].isdigit():  # "<oid> missing"
                _asked(asked, header[0].decode("ascii", errors="replace"))
                pos = nl + 1
                continue
            end = nl + 1 + int(header[2])
            if end + 1 > n:
                break  # the rest of this object comes in the next piece
            oid = _asked(asked, header[0].decode("ascii", errors="replace"))
            yield oid, header[1], bytes(buf[nl + 1 : end])
            pos = end + 1
        del buf[:pos]


def removed_and_added(
    repo: git.Repo, pairs: Iterable[tuple[str, str]]
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """For each ``(commit, first parent)``: the files the commit removed and added
    against that parent, ``path -> blob`` each (the old blob of a removed file, the new
    of an added one), from one ``diff-tree --stdin`` (paths in catalog form)."""
    wanted = [(c, p) for c, p in pairs if OBJECT_ID.match(c) and OBJECT_ID.match(p)]
    if not wanted:
        return {}
    payload = "".join(f"{c} {p}\n" for c, p in dict.fromkeys(wanted)).encode()
    args = ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--no-abbrev"]
    tokens = gitcmd.piped(repo, args, payload).decode("utf-8", "surrogateescape").split("\x00")
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    current: tuple[dict[str, str], dict[str, str]] | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i].strip("\n")
        if OBJECT_ID.match(tok):  # the commit whose changes follow
            current = out.setdefault(tok, ({}, {}))
            i += 1
            continue
        meta = tok[1:].split(" ") if tok.startswith(":") else []
        if len(meta) >= 5 and current is not None and i + 1 < len(tokens):
            if meta[4].startswith("D"):
                current[0][tokens[i + 1]] = meta[2]
            elif meta[4].startswith("A"):
                current[1][tokens[i + 1]] = meta[3]
            i += 2
            continue
        i += 1
    return out


def ls_tree(repo: git.Repo, commit: str, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``path -> (mode, blob)`` for files under ``paths`` at ``commit`` (an object id);
    paths in and out in catalog form (:mod:`store.pathtext`)."""
    if not OBJECT_ID.match(commit):
        raise ValueError(f"not an object id: {commit!r}")
    paths = [p for p in paths if p is not None]
    if "" in paths:
        paths = []
    elif not paths:
        return {}
    # git matches each file against every pathspec: with thousands of model directories
    # reading the whole tree and keeping what lies under them is much faster
    wanted = set(paths) if len(paths) > _MAX_PATHSPECS else None
    out = gitcmd.run(
        repo,
        "ls-tree",
        "-r",
        "-z",
        "--full-tree",
        commit,
        "--",
        *([] if wanted else map(pathtext.to_os, paths)),
    ).stdout
    files: dict[str, tuple[str, str]] = {}
    for item in out.split(b"\x00"):
        if not item:
            continue
        meta_b, _, raw = item.partition(b"\t")
        mode, otype, oid = meta_b.decode("ascii").split(" ")
        path = pathtext.from_bytes(raw)
        if otype == "blob" and (wanted is None or _under(path, wanted)):
            files[path] = (mode, oid)
    return files


def index_entries(repo: git.Repo, path: str) -> list[tuple[str, str]]:
    """``(mode, path)`` of the index entries at or under ``path`` (what the work tree
    has from git there); empty in a bare repository."""
    if not repo.working_tree_dir:
        return []
    done = gitcmd.run(repo, "ls-files", "-s", "-z", "--", path, check=False)
    entries = []
    for entry in done.stdout.decode("utf-8", "surrogateescape").split("\x00"):
        meta, tab, name = entry.partition("\t")
        if tab:
            entries.append((meta.split(" ", 1)[0], name))
    return entries


_MAX_PATHSPECS = 32


def _under(path: str, roots: set[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies in a directory among them."""
    while path:
        if path in roots:
            return True
        path = path.rpartition("/")[0]
    return False


def is_ancestor(repo: git.Repo, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is reachable from ``descendant`` (both object ids)."""
    if not (OBJECT_ID.match(ancestor) and OBJECT_ID.match(descendant)):
        return False
    done = gitcmd.run(repo, "merge-base", "--is-ancestor", ancestor, descendant, check=False)
    return done.returncode == 0


def rev_list(repo: git.Repo, include: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Ids of commits reachable from ``include`` and not from ``exclude`` (object ids)."""
    return [c.commit for c in walk_commits(repo, include, exclude, with_changes=False)]


def repository_name(repo: git.Repo) -> str:
    """What the repository is called: the last part of the ``origin`` URL (without
    ``.git``/``.bundle``), else its directory's name."""
    # (asked with the promisor setting, which the blob reads need next: one git process)
    url = remote_repo.origin_settings(repo).get("remote.origin.url", "").strip()
    name = re.split(r"[/\\:]", url.rstrip("/\\"))[-1] if url else ""
    for suffix in (".git", ".bundle"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    if not name or name in (".", ".."):
        top = repo.working_tree_dir or repo.git_dir
        name = os.path.basename(os.path.normpath(str(top)))
        if not repo.working_tree_dir:  # bare: "x.git" is x; a ".git" directory its parent's
            if name == ".git":
                name = os.path.basename(os.path.dirname(os.path.normpath(str(top))))
            elif name.endswith(".git") and len(name) > 4:
                name = name[:-4]
    return name or "root"


def remote_names(repo: git.Repo) -> list[str]:
    """The names of the repository's remotes (``git remote``: GitPython's own config
    parser fails on a config that is not UTF-8, such as a Latin-1 ``user.name``)."""
    return gitcmd.run(repo, "remote", check=False).text().split()
