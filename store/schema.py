"""The catalog's DuckDB schema.

The catalog is a cache of what git says; it is rebuilt whenever ``SCHEMA_VERSION``
changes. Every table is documented in ``docs/SCHEMA.md``; keep the two in step.

Conventions: commit ids are full 40-hex ids; timestamps are ``TIMESTAMPTZ`` (UTC);
``model`` is the model's name; keys of metrics and params are flattened with ``.``.
"""

SCHEMA_VERSION = 1

TABLES: dict[str, str] = {
    # key/value facts about the catalog itself: schema_version, refs_digest, indexed_at ...
    "meta": """
        key VARCHAR PRIMARY KEY,
        value VARCHAR
    """,
    # every commit reachable from any ref that was read
    "commits": """
        commit VARCHAR PRIMARY KEY,
        parents VARCHAR[],
        tree VARCHAR,
        author_name VARCHAR,
        author_email VARCHAR,
        author_date TIMESTAMPTZ,
        committer_date TIMESTAMPTZ,
        subject VARCHAR,
        message VARCHAR,
        topo BIGINT            -- position in a parents-before-children order
    """,
    # branches, tags, remote branches and DVC experiment refs, as for-each-ref printed them
    "refs": """
        name VARCHAR PRIMARY KEY,   -- full name: refs/heads/main
        short VARCHAR,              -- main
        kind VARCHAR,               -- branch | tag | remote | exp | other
        commit VARCHAR,             -- the commit it points at (tags peeled)
        object VARCHAR,             -- the ref's own object (the tag object if annotated)
        annotated BOOLEAN,
        tagger_name VARCHAR,
        tagger_email VARCHAR,
        tag_date TIMESTAMPTZ,
        tag_message VARCHAR
    """,
    # one row per model; sources lists the conventions that describe it
    "models": """
        name VARCHAR PRIMARY KEY,
        path VARCHAR,               -- the model's directory ('' = repo root, NULL = tags only)
        artifact_path VARCHAR,      -- GTO 'path' (file or dir) when declared
        type VARCHAR,
        description VARCHAR,
        labels VARCHAR[],
        sources VARCHAR[]           -- gto | manifest | modelbit | mlflow | dvc | tag
    """,
    # one row per (model, commit) that is a version of the model
    "versions": """
        model VARCHAR,
        commit VARCHAR,
        version VARCHAR,            -- the display label: v1.2.0, 2026.01.07, or short id
        seq INTEGER,                -- 1.. in commit order within the model
        labels VARCHAR[],           -- every label this commit carries for the model
        label_kind VARCHAR,         -- semver | calendar | manifest | commit
        registered BOOLEAN,         -- a GTO registration holds for it
        changed BOOLEAN,            -- the commit changed the model's files (else only labelled)
        is_latest BOOLEAN,
        branches VARCHAR[],         -- local branches containing the commit
        author_name VARCHAR,
        author_email VARCHAR,
        date TIMESTAMPTZ,           -- author date
        subject VARCHAR,
        message VARCHAR,
        stale_metrics BOOLEAN,      -- params/code/artifact changed but metrics did not
        PRIMARY KEY (model, commit)
    """,
    # GTO registrations, stage assignments, rollbacks and undos, in the order they happened
    "stage_events": """
        model VARCHAR,
        event VARCHAR,              -- registration | deregistration | assignment | unassignment
                                    -- | deprecation | rollback | undo
        stage VARCHAR,
        version VARCHAR,
        commit VARCHAR,             -- the commit the event is about
        ref VARCHAR,                -- the tag that records it, or the rollback commit
        counter INTEGER,            -- GTO '#N'
        timestamp TIMESTAMPTZ,
        author_name VARCHAR,
        author_email VARCHAR,
        message VARCHAR
    """,
    # who holds each stage now, by GTO's rules
    "stages": """
        model VARCHAR,
        stage VARCHAR,
        version VARCHAR,
        commit VARCHAR,
        since TIMESTAMPTZ,
        ref VARCHAR
    """,
    "metrics": """
        model VARCHAR,
        commit VARCHAR,
        key VARCHAR,
        value DOUBLE,               -- numbers, booleans as 0/1; NULL when not numeric
        text VARCHAR,               -- the value as written (JSON text for non-scalars)
        source VARCHAR              -- file it came from
    """,
    "params": """
        model VARCHAR,
        commit VARCHAR,
        key VARCHAR,
        value DOUBLE,
        text VARCHAR,               -- JSON text of the value: lists compare as values
        source VARCHAR
    """,
    "artifacts": """
        model VARCHAR,
        commit VARCHAR,
        path VARCHAR,               -- repository-relative path
        storage VARCHAR,            -- git | lfs | dvc
        blob VARCHAR,               -- git blob id of the file (pointer file for lfs/dvc)
        size BIGINT,                -- size of the real object (pointer's size for lfs/dvc)
        hash VARCHAR,               -- LFS oid / DVC md5; git blob id for git
        nfiles BIGINT,
        present BOOLEAN             -- is the object available locally
    """,
    "environment": """
        model VARCHAR,
        commit VARCHAR,
        file VARCHAR,
        package VARCHAR,
        spec VARCHAR                -- version constraint as written, '' if none
    """,
    "lineage": """
        model VARCHAR,
        commit VARCHAR,
        stage VARCHAR,              -- dvc.lock stage name
        path VARCHAR,
        hash VARCHAR,
        size BIGINT
    """,
    "warnings": """
        commit VARCHAR,
        path VARCHAR,
        model VARCHAR,
        message VARCHAR
    """,
}


def ddl() -> list[str]:
    """CREATE TABLE statements for an empty catalog."""
    return [f"CREATE TABLE {name} ({cols})" for name, cols in TABLES.items()]
