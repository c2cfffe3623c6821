"""Bookkeeping for writing a history through fast-import: branch heads, trees, merges, time.

``RepoBuilder`` keeps the full tree of every commit it writes (the base history is small),
so a commit can be described by the files it sets and a merge by its two branches: the
builder computes the three-way result, refuses conflicts that the story did not resolve,
and emits only the paths that differ from the first parent.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime

from .fastimport import FastImportStream, Identity
from .objects import ObjectStore

Tree = dict[str, bytes]


class Clock:
    """Strictly increasing event times in UTC epoch seconds, with deterministic jitter."""

    def __init__(self, start: str, seed: str) -> None:
        self.now = _parse(start) - 1
        self._rng = random.Random(seed)

    def next(self, at: str | None = None) -> int:
        """The next event time: ``at`` (``YYYY-MM-DD`` → that morning, or ``YYYY-MM-DD HH:MM``)
        or, without it, a few minutes to an hour and a half after the previous event."""
        if at is None:
            self.now += self._rng.randint(7, 95) * 60 + self._rng.randint(0, 59)
            return self.now
        target = _parse(at)
        if len(at) == 10:  # a date: some time in the morning
            target += 9 * 3600 + self._rng.randint(0, 50) * 60 + self._rng.randint(0, 59)
        if target <= self.now:
            raise ValueError(f"sample story goes back in time at {at}")
        self.now = target
        return self.now

    def advance(self, seconds: int) -> int:
        """Move ``seconds`` (> 0) forward without randomness; used by the bulk commits."""
        self.now += seconds
        return self.now


def _parse(text: str) -> int:
    fmt = "%Y-%m-%d" if len(text) == 10 else "%Y-%m-%d %H:%M"
    return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp())


class MergeConflict(ValueError):
    """A merge in the story touches a path both sides changed, without a resolution."""


class RepoBuilder:
    """Writes commits, merges and tags to a fast-import stream and remembers their trees.

    ``heads`` maps branch name → mark of its head; ``trees`` maps mark → full tree;
    ``parents`` maps mark → parent marks; ``store`` collects LFS/DVC objects.
    """

    def __init__(self, stream: FastImportStream, clock: Clock, main: str = "main") -> None:
        self.stream = stream
        self.clock = clock
        self.main = main
        self.store = ObjectStore()
        self.heads: dict[str, int] = {}
        self.trees: dict[int, Tree] = {}
        self.parents: dict[int, tuple[int, ...]] = {}
        self._last_mark = 0

    def new_mark(self) -> int:
        self._last_mark += 1
        return self._last_mark

    def tree(self, branch: str) -> Tree:
        """The full tree at the head of ``branch``."""
        return self.trees[self.heads[branch]]

    def start_branch(self, name: str, start: str) -> None:
        """Create ``name`` at the head of ``start`` (or fast-forward it there)."""
        mark = self.heads[start]
        self.heads[name] = mark
        self.stream.reset(f"refs/heads/{name}", mark)

    def commit(
        self,
        branch: str,
        author: Identity,
        message: str,
        files: Mapping[str, bytes | None],
        at: str | None = None,
    ) -> int:
        """Commit on ``branch`` the tree of its head with ``files`` set (None deletes)."""
        parent = self.heads.get(branch)
        old = self.trees[parent] if parent is not None else {}
        new = dict(old)
        for path, content in files.items():
            if content is None:
                new.pop(path, None)
            else:
                new[path] = content
        return self._write(
            branch, author, message, [] if parent is None else [parent], old, new, at
        )

    def merge(
        self,
        into: str,
        source: str,
        author: Identity,
        message: str | None = None,
        resolve: Mapping[str, bytes | None] | None = None,
        at: str | None = None,
    ) -> int:
        """A ``--no-ff`` merge of ``source`` into ``into`` (two parents, git's default message).

        Paths changed on both sides since the merge base must be given in ``resolve``.
        """
        ours, theirs = self.heads[into], self.heads[source]
        base = self._merge_base(ours, theirs)
        if base == theirs:
            raise ValueError(f"{source} is already merged into {into}")
        merged = _three_way(self.trees[base], self.trees[ours], self.trees[theirs], resolve or {})
        if message is None:
            message = f"Merge branch '{source}'"
            if into != self.main:
                message += f" into {into}"
        return self._write(into, author, message, [ours, theirs], self.trees[ours], merged, at)

    def tag(
        self,
        name: str,
        target: str | int,
        tagger: Identity | None = None,
        message: str | None = None,
        at: str | None = None,
    ) -> None:
        """Tag a branch head or a mark: annotated with ``tagger`` and ``message``,
        lightweight without them."""
        mark = self.heads[target] if isinstance(target, str) else target
        if tagger is None:
            self.stream.reset(f"refs/tags/{name}", mark)
            return
        text = message or name
        self.stream.tag(name, mark, tagger, self.clock.next(at), text.rstrip("\n") + "\n")

    def _write(
        self,
        branch: str,
        author: Identity,
        message: str,
        parents: list[int],
        old: Tree,
        new: Tree,
        at: str | None,
    ) -> int:
        changes = {p: new.get(p) for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
        if not changes and len(parents) < 2:
            raise ValueError(f"empty commit in sample story: {message!r}")
        mark = self.new_mark()
        when = self.clock.next(at)
        self.stream.commit(
            branch, mark, author, when, message.rstrip("\n") + "\n", parents, changes
        )
        self.heads[branch] = mark
        self.trees[mark] = new
        self.parents[mark] = tuple(parents)
        return mark

    def _ancestors(self, mark: int) -> set[int]:
        seen = {mark}
        todo = [mark]
        while todo:
            for parent in self.parents[todo.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def _merge_base(self, a: int, b: int) -> int:
        # Marks grow with creation, so the newest common ancestor is never an ancestor
        # of another common ancestor: it is a best merge base.
        return max(self._ancestors(a) & self._ancestors(b))


def _three_way(base: Tree, ours: Tree, theirs: Tree, resolve: Mapping[str, bytes | None]) -> Tree:
    merged: Tree = {}
    conflicts = []
    for path in base.keys() | ours.keys() | theirs.keys():
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t or t == b:
            result = o
        elif o == b:
            result = t
        else:
            conflicts.append(path)
            result = o
        if result is not None:
            merged[path] = result
    missing = sorted(p for p in conflicts if p not in resolve)
    if missing:
        raise MergeConflict(f"unresolved conflicts: {', '.join(missing)}")
    for path, content in resolve.items():
        if content is None:
            merged.pop(path, None)
        else:
            merged[path] = content
    return merged
