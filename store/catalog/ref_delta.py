"""The refs now against the refs the catalog holds, without loading every ref record.

An incremental run starts from ``for-each-ref``'s names and object ids (every ref, no
tag object read) and the catalog's ``refs`` table. At 100,000 tags, turning that table
back into 100,000 records (dates, tagger, message) costs more than the rest of a run
that adds one tag, and almost none of them are needed: only the refs added, moved or
deleted (compared in DuckDB, one join), the branches (few), and, when tags changed, the
tags that may concern the models those tags touch (picked out by name). :class:`RefDelta`
answers those questions; :meth:`RefDelta.all_refs` still builds every record when a
change has to re-derive every model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from modeltrail.store.catalog import rows as table_rows
from modeltrail.store.read import gitio
from modeltrail.store.read.gitio import RefRecord

if TYPE_CHECKING:
    import git

TAG_PREFIX = "refs/tags/"
BRANCH_KINDS = ("branch", "remote")
_COLUMNS = (
    "name, short, kind, commit, object, annotated, tagger_name, tagger_email, "
    "epoch_us(tag_date), tag_message"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stored_record(row: tuple[Any, ...]) -> RefRecord:
    """A ``refs`` row (``_COLUMNS``) as ``read_refs`` read it then."""
    name, short, kind, commit, obj, annotated, tname, temail, micros, message = row
    return RefRecord(
        name=name,
        object=obj,
        object_type="tag" if annotated else "commit",  # a ref to anything else: re-read
        commit=commit,
        annotated=bool(annotated),
        tagger_name=tname or "",
        tagger_email=temail or "",
        tag_date=None if micros is None else _EPOCH + timedelta(microseconds=micros),
        tag_message=message or "",
        kind=kind,
        short=short,
    )


def stored_refs(
    con: duckdb.DuckDBPyConnection, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The catalog's ref records by name (``names``: only those)."""
    if names is None:
        rows = con.execute(f"SELECT {_COLUMNS} FROM refs").fetchall()
    else:
        table_rows.register_names(con, "wanted_refs", names)
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM refs WHERE name IN (SELECT name FROM wanted_refs)"
        ).fetchall()
        table_rows.unregister_columns(con, "wanted_refs")
    return {row[0]: stored_record(row) for row in rows}


@dataclass
class RefDelta:
    """How the refs (``ids``: name and object id of every ref now, in ref order) differ
    from the catalog's, and the refs that differ as git has them now."""

    ids: list[tuple[str, str]]
    fresh: dict[str, RefRecord]  # added, moved, or not a commit before: read from git now
    missing: set[str]  # listed in ids but gone when read: no longer there
    old_objects: dict[str, str]  # name -> object id in the catalog, for the changed names
    old_heads: list[RefRecord]  # the catalog's branches and remote branches
    heads: list[RefRecord]  # the branches and remote branches now
    # the commits the catalog's branches pointed at and the old objects of the refs
    # that changed: a walk that excludes them excludes every old commit a branch or a
    # changed ref reached (an old commit only an unchanged tag reaches is not among them:
    # ``old_commits`` has every ref's)
    old_bounds: list[str]
    # the commits the added and moved refs point at now (sorted): every other ref points
    # where it did, at a commit among ``old_commits``, so a walk of ``commits`` not
    # ``old_commits`` finds every new commit without naming the unchanged refs again
    commits: list[str]
    _old_commits: list[str] | None = field(default=None, repr=False)
    _tag_names: list[str] | None = field(default=None, repr=False)

    @property
    def changed_names(self) -> set[str]:
        """Refs whose object id changed: added, moved or deleted."""
        names = {n for n, o in self.old_objects.items() if self.object_of(n) != o}
        names |= {n for n, r in self.fresh.items() if n not in self.old_objects}
        return names

    def object_of(self, name: str) -> str | None:
        """The object id now of a ref that changed (None: no such ref now). Every
        changed ref still there was read again, so it is in ``fresh``."""
        ref = self.fresh.get(name)
        return ref.object if ref is not None else None

    def _current(self, name: str, stored: dict[str, RefRecord]) -> RefRecord | None:
        if name in self.fresh:
            return self.fresh[name]
        if name in self.old_objects or name in self.missing:
            return None  # deleted (or gone while being read)
        return stored.get(name)

    def old_commits(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Every commit a ref pointed at in the catalog (sorted), read once on request."""
        if self._old_commits is None:
            rows = con.execute(
                "SELECT DISTINCT commit FROM refs WHERE commit IS NOT NULL"
            ).fetchall()
            self._old_commits = sorted(c for (c,) in rows)
        return self._old_commits

    def changed_tags(self) -> set[str]:
        """Short names of the tags added, moved or deleted."""
        return {
            n[len(TAG_PREFIX) :]
            for n in self.changed_names
            if gitio.ref_kind_and_short(n)[0] == "tag"
        }

    def tag_names(self) -> list[str]:
        """Every tag's short name now, in ref order (some may point at no commit)."""
        if self._tag_names is None:
            self._tag_names = [
                n[len(TAG_PREFIX) :]
                for n, _o in self.ids
                if n.startswith(TAG_PREFIX) and n not in self.missing
            ]
        return self._tag_names

    def tags(self, con: duckdb.DuckDBPyConnection, shorts: Iterable[str]) -> dict[str, RefRecord]:
        """The tags ``shorts`` that point at a commit now, by short name, in ref order."""
        wanted = list(dict.fromkeys(shorts))
        names = [TAG_PREFIX + s for s in wanted]
        unchanged = [n for n in names if n not in self.fresh and n not in self.old_objects]
        stored = stored_refs(con, unchanged) if unchanged else {}
        out = {}
        for short, name in zip(wanted, names, strict=True):
            ref = self._current(name, stored)
            if ref is not None and ref.kind == "tag" and ref.commit:
                out[short] = ref
        return out

    def all_refs(self, con: duckdb.DuckDBPyConnection) -> list[RefRecord]:
        """Every ref now, in ref order (what ``read_refs`` would return)."""
        stored = stored_refs(con)
        out = []
        for name, _oid in self.ids:
            ref = self._current(name, stored)
            if ref is not None:
                out.append(ref)
        return out

    def refs_rows_changed(self) -> tuple[list[str], list[RefRecord]]:
        """The ``refs`` rows to delete (names) and to insert (records): those whose object
        id changed."""
        gone = sorted(self.changed_names & self.old_objects.keys())
        added = [r for n, r in self.fresh.items() if self.old_objects.get(n) != r.object]
        added.sort(key=lambda r: r.name)
        return gone, added


def stored_refs_where(con: duckdb.DuckDBPyConnection, where: str) -> dict[str, RefRecord]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM refs WHERE {where} ORDER BY name").fetchall()
    return {row[0]: stored_record(row) for row in rows}


class DeltaTags:
    """The tags now (a ``tag_update.TagSource``), read from the catalog on request."""

    def __init__(self, delta: RefDelta, con: duckdb.DuckDBPyConnection) -> None:
        self.delta, self.con = delta, con

    def tag_names(self) -> list[str]:
        return self.delta.tag_names()

    def tag_records(self, shorts: Iterable[str]) -> dict[str, RefRecord]:
        return self.delta.tags(self.con, shorts)


def compute(repo: git.Repo, con: duckdb.DuckDBPyConnection, ids: list[tuple[str, str]]) -> RefDelta:
    """Compare ``ids`` with the catalog's refs in one join; read from git only the refs
    that are new, moved, or were not a commit (one short ``for-each-ref``)."""
    table_rows.register_columns(
        con, "current_ids", {"name": [n for n, _o in ids], "object": [o for _n, o in ids]}
    )
    diff = con.execute(
        "SELECT c.name, r.name, r.object FROM current_ids c "
        "FULL OUTER JOIN refs r ON c.name = r.name "
        "WHERE c.object IS DISTINCT FROM r.object OR r.commit IS NULL"
    ).fetchall()
    table_rows.unregister_columns(con, "current_ids")
    to_read = [now for now, _was, _o in diff if now is not None]
    old_objects = {was: obj for _now, was, obj in diff if was is not None}
    fresh = {r.name: r for r in gitio.read_refs(repo, to_read)}
    missing = set(to_read) - fresh.keys()  # deleted between the two reads
    gone = {was for now, was, _o in diff if now is None} | missing
    old_heads = list(stored_refs_where(con, "kind IN ('branch', 'remote')").values())
    heads = [r for r in old_heads if r.name not in gone and r.name not in fresh]
    heads += [r for r in fresh.values() if r.kind in BRANCH_KINDS]
    heads.sort(key=lambda r: r.name)
    old_bounds = sorted(
        {r.commit for r in old_heads if r.commit} | {o for _n, was, o in diff if was and o}
    )
    commits = sorted({r.commit for r in fresh.values() if r.commit})
    return RefDelta(
        ids=ids,
        fresh=fresh,
        missing=missing,
        old_objects=old_objects,
        old_heads=old_heads,
        heads=heads,
        old_bounds=old_bounds,
        commits=commits,
    )
