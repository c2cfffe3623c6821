"""One repository as the app holds it: the repository, its configuration, its catalog
connection and its index runs. The app holds one (``modeltrail`` in a repository) or
one per member of a workspace (``modeltrail --workspace FILE``), and one of them is
*active*: the selected model's, the one every screen reads and writes through.

A workspace member that could not be opened (unreachable, corrupt) is a state with an
``error`` and no repository: the models pane shows it as a warning row.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modeltrail.store import remote_repo
from modeltrail.store.catalog.generations import current_generation
from modeltrail.store.config import Config, PushPolicy, load_config, push_policy
from modeltrail.store.repo import open_repo, repo_paths

if TYPE_CHECKING:
    import duckdb
    import git

    from modeltrail.store.query.mainline import MainLine
    from modeltrail.store.repo import RepoPaths


@dataclass(eq=False)
class RepoState:
    """A repository of the app (``name``: its workspace name; None without a workspace)."""

    name: str | None
    repo: git.Repo | None = None
    paths: RepoPaths | None = None
    config: Config = field(default_factory=Config)
    push_policy: PushPolicy = field(default_factory=lambda: PushPolicy("never", ""))
    by_url: bool = False
    error: str | None = None  # could not be opened: the models pane's warning row
    warning: str | None = None  # readable, but something to say (a URL not fetched)
    con: duckdb.DuckDBPyConnection | None = None
    con_ident: tuple[int, ...] | None = None
    #: the catalog generation ``con`` was opened on, when known for sure (None: not)
    generation: list[Any] | None = None
    real_catalog: bool = False
    retired: list[duckdb.DuckDBPyConnection] = field(default_factory=list)
    main_line: tuple[duckdb.DuckDBPyConnection, MainLine] | None = None
    indexing: bool = False
    lock_note: str | None = None  # the index.lock warning last shown
    summary: str = ""  # its last index run's line (the status bar shows the active one's)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: set once the catalog is opened, when its opening was left to the app (``defer``)
    opened: threading.Event | None = None

    @classmethod
    def open(
        cls,
        name: str | None,
        path: str | os.PathLike[str] | None,
        user: Config,
        defer: bool = False,
    ) -> RepoState:
        """The repository at ``path`` (None: the current directory's) with whatever
        catalog it already has; ``defer``: a catalog file is there but not opened yet
        (``opened`` is set once the app's :meth:`open_catalog` has)."""
        repo = open_repo(path)
        paths = repo_paths(repo)
        config = load_config(paths.root)
        # the rollback dialog's push: the user's own config decides, never the repository alone
        policy = push_policy(config, user)
        by_url = remote_repo.is_cached(repo)
        if by_url:  # a URL's cached copy: a stage rollback's tag exists to be pushed there
            policy = PushPolicy("always", "the repository was opened by URL")
        state = cls(name, repo, paths, config, policy, by_url)
        if defer and state.catalog_ident() is not None:
            state.real_catalog = True  # until it fails to open (open_catalog)
            state.opened = threading.Event()
        else:
            state.open_catalog()
        return state

    def open_catalog(self) -> None:
        """Open the catalog as it is now (DuckDB is imported here): ``con`` (None: no
        usable catalog), what it was opened on (``con_ident``, ``generation``)."""
        from modeltrail.store.catalog.files import open_snapshot

        assert self.paths is not None
        con = None
        try:
            ident = self.catalog_ident()
            before = current_generation(self.paths)
            con = open_snapshot(self.paths.catalog_file)
            self.con_ident = ident
            self.con = con
            self.real_catalog = con is not None
            if con is not None and before is not None and current_generation(self.paths) == before:
                self.generation = before  # no new generation came while it was opened
        finally:
            if con is None:
                self.real_catalog = False
            if self.opened is not None:
                self.opened.set()

    @classmethod
    def failed(cls, name: str, error: str) -> RepoState:
        """A workspace member that could not be opened."""
        return cls(name, error=error)

    @property
    def readable(self) -> bool:
        return self.repo is not None

    def catalog_ident(self) -> tuple[int, ...] | None:
        """The catalog file now (device, inode, size, mtime): a rebuild or damage in
        place changes it. None when there is no catalog file."""
        if self.paths is None:
            return None
        try:
            st = os.stat(self.paths.catalog_file)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
