"""The catalog's DuckDB schema.

The catalog is a cache of what git says; it is rebuilt whenever ``SCHEMA_VERSION``
changes. Every table and view is documented in ``docs/SCHEMA.md``; keep the two in step.

Conventions: commit ids are full 40-hex ids; timestamps are ``TIMESTAMPTZ`` (UTC);
``model`` is the model's name; keys of metrics and params are flattened with ``.``, and
a metric is (file, key) as DVC keys it: a model with several metrics (or params) files
has its keys as ``FILE:KEY`` (the views' ``key``; ``file_key`` is the key in its file).

Layout: the walk appends *facts* (what files a version has, what each distinct blob
says); derived tables (labels, stages, versions) are rebuilt at the end of every index
run; the user-facing long-form tables (metrics, params, artifacts, environment,
lineage) are views joining the two, so each blob is parsed exactly once.
"""

SCHEMA_VERSION = 17

TABLES: dict[str, str] = {
    # key/value facts about the catalog itself: schema_version, refs_digest, indexed_at ...
    "meta": """
        key VARCHAR PRIMARY KEY,
        value VARCHAR
    """,
    # every commit reachable from the refs that were read
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
    # branches, tags, remote branches and DVC experiment refs
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
    # which branches contain each commit: local ones, and remote-tracking ones (origin/x)
    # where no local branch x exists
    "commit_branches": """
        commit VARCHAR,
        branch VARCHAR
    """,
    # the branch each commit was made on: the first-parent line that claims it (walked
    # from main, then integration branches, then the other branches, then DVC
    # experiments); commits reachable only through merges take the name the merge
    # message gives (a deleted branch); a merge also names what it merged
    "commit_lines": """
        commit VARCHAR PRIMARY KEY,
        branch VARCHAR,             -- NULL: on no named line (a merged, unnamed branch)
        ref VARCHAR,                -- the line's ref: refs/heads/x, refs/exps/../NAME;
                                    -- NULL for a deleted branch or an earlier stretch
        merged VARCHAR[]            -- a merge: the branch of each merged parent; else []
    """,
    # one row per model; sources lists the conventions that describe it
    "models": """
        name VARCHAR PRIMARY KEY,
        path VARCHAR,               -- the model's directory ('' = repo root, NULL = tags only)
        artifact_path VARCHAR,      -- GTO 'path' (file or dir) when declared
        type VARCHAR,
        description VARCHAR,
        labels VARCHAR[],
        sources VARCHAR[],          -- gto | dvc-artifact | manifest | modelbit | mlflow | dvc | tag
        content VARCHAR             -- JSON [trees, paths, level, marks]: which files are the
                                    -- model's, and which say it exists at a commit
                                    -- (NULL: known from tags only)
    """,
    # walk facts: (model, commit) pairs that are versions, and what the walk saw there
    "model_commits": """
        model VARCHAR,
        commit VARCHAR,
        changed BOOLEAN,            -- the commit changed the model's files (else only labelled)
        manifest_version VARCHAR,   -- a manifest's version: field
        stale_metrics BOOLEAN,      -- params/code/artifact changed but no metrics file did;
                                    -- for a DVC pipeline: as its dvc.lock records it
        changed_files INTEGER,
        content VARCHAR             -- digest of the model's files there (equal = same content:
                                    -- sha256 of each "path NUL blob NUL" in path order;
                                    -- NULL: no files, the model was deleted there)
    """,
    # the model's files at each version: path -> blob
    "version_files": """
        model VARCHAR,
        commit VARCHAR,
        path VARCHAR,
        blob VARCHAR,
        mode VARCHAR
    """,
    # which of those files feed metrics, params, environment, lineage, and as what
    "version_sources": """
        model VARCHAR,
        commit VARCHAR,
        role VARCHAR,               -- metrics | params | manifest | mlmodel | environment
                                    -- | dvc_lock | dvc_pointer
        path VARCHAR,
        blob VARCHAR,               -- the git blob, or the md5 of a DVC cache object
        origin VARCHAR,             -- git | dvc-cache (a declared metrics file read from the
                                    -- local DVC cache: a cached output, not in git)
                                    -- | dvc-missing (in a cached output whose object is not
                                    -- in the local cache: unknown; blob is the md5 of the
                                    -- object awaited, the file's or its directory's)
        key_path VARCHAR            -- the path the values' keys name: a file of a model moved
                                    -- since, as at the model's place now (NULL: path)
    """,
    # per distinct blob: how it is stored (a git blob, or a pointer to LFS)
    "blob_storage": """
        blob VARCHAR PRIMARY KEY,
        size BIGINT,                -- the git blob's size
        storage VARCHAR,            -- git | lfs
        object_size BIGINT,         -- the real object's size (LFS pointer's size, else = size)
        hash VARCHAR,               -- LFS oid, else the blob id
        present BOOLEAN             -- LFS object in .git/lfs/objects (git blobs: true)
    """,
    # per distinct blob parsed as metrics/params/manifest: its flattened values
    "blob_values": """
        blob VARCHAR,
        role VARCHAR,               -- metrics | params | manifest (what it was parsed as)
        section VARCHAR,            -- metrics | params
        key VARCHAR,
        value DOUBLE,               -- numbers, booleans as 0/1; NULL when not numeric
        text VARCHAR                -- JSON text of the value (lists compare as values)
    """,
    # how many files feed a model's metrics (or params) over all its versions: derived
    # at the end of every index run; a metric's key is FILE:KEY when there are several
    "value_files": """
        model VARCHAR,
        section VARCHAR,            -- metrics | params
        files BIGINT
    """,
    # per distinct requirements/conda/pyproject blob: packages
    "blob_packages": """
        blob VARCHAR,
        package VARCHAR,
        spec VARCHAR
    """,
    # per distinct MLflow MLmodel blob: what it records
    "blob_mlmodel": """
        blob VARCHAR,
        flavors VARCHAR[],          -- python_function, sklearn, ...
        run_id VARCHAR,
        model_uuid VARCHAR,
        utc_time_created VARCHAR,   -- as written (MLflow: '2024-07-11 09:22:39.336999', UTC)
        mlflow_version VARCHAR,
        signature_inputs VARCHAR,   -- JSON list of MLflow column/tensor specs, NULL = none
        signature_outputs VARCHAR,
        signature_params VARCHAR,   -- JSON list of MLflow param specs (name, type, default)
        artifact_path VARCHAR,      -- where MLflow logged it, as written
        model_size_bytes BIGINT,    -- as MLflow recorded it
        model_id VARCHAR            -- MLflow 3's logged-model id
    """,
    # per distinct .dvc / dvc.lock blob: outputs (kind='out') and dependencies (kind='dep')
    "blob_dvc": """
        blob VARCHAR,
        kind VARCHAR,               -- out | dep
        stage VARCHAR,              -- dvc.lock stage name ('' for .dvc files)
        path VARCHAR,               -- relative to the .dvc / dvc.lock file's directory
        hash VARCHAR,               -- md5
        size BIGINT,
        nfiles BIGINT,
        present BOOLEAN             -- in the DVC cache (outs only)
    """,
    # labels of versions, rebuilt from tags and manifests on every index run
    "labels": """
        model VARCHAR,
        commit VARCHAR,
        label VARCHAR,
        kind VARCHAR,               -- gto | semver | calendar | sequential | manifest
        tag VARCHAR,                -- the tag carrying it (NULL for manifests)
        rank INTEGER,               -- 1 = the label shown for this version
        scheme VARCHAR              -- semver | calendar | sequential (NULL: none of them)
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
        message VARCHAR,
        rollback_from VARCHAR,      -- for rollback/undo: the version rolled back from
        reason VARCHAR
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
    # one row per version, rebuilt at the end of every index run
    "versions": """
        model VARCHAR,
        commit VARCHAR,
        version VARCHAR,            -- the display label: v1.2.0, 2026.01.07, or short id
        seq INTEGER,                -- 1.. in commit order within the model
        labels VARCHAR[],
        label_kind VARCHAR,         -- gto | semver | calendar | sequential | manifest | commit
        registered BOOLEAN,         -- a GTO registration holds for it
        changed BOOLEAN,
        is_latest BOOLEAN,
        stages VARCHAR[],           -- stages it holds now
        branches VARCHAR[],
        author_name VARCHAR,
        author_email VARCHAR,
        date TIMESTAMPTZ,           -- author date
        subject VARCHAR,
        message VARCHAR,
        stale_metrics BOOLEAN,
        topo BIGINT,
        content VARCHAR,            -- digest of the model's files (model_commits.content)
        same_as VARCHAR,            -- unlabelled version whose content equals an earlier
                                    -- one's: that version's commit (version is '= v1.1.0';
                                    -- the earliest labelled one with it, else the earliest)
        branch VARCHAR,             -- the branch it was made on (commit_lines.branch)
        merged VARCHAR[]            -- a merge: what it merged (commit_lines.merged)
    """,
    "warnings": """
        commit VARCHAR,
        path VARCHAR,
        model VARCHAR,
        message VARCHAR
    """,
}

_JOIN_PATH = "CASE WHEN s.dir = '' THEN d.path ELSE s.dir || '/' || d.path END"

#: a value's key as the views name it: ``FILE:KEY`` when the model has several files of
#: that section (``value_files f``), else its key in the file (``version_sources s``,
#: ``blob_values v``); FILE is where the file is at the model's place now (a model moved
#: since keeps one key across the move)
VALUE_KEY = "CASE WHEN f.files > 1 THEN coalesce(s.key_path, s.path) || ':' || v.key ELSE v.key END"

_VALUES = f"""
        SELECT s.model, s.commit,
               {VALUE_KEY} AS key,
               v.value, v.text, s.path AS source, v.key AS file_key, s.origin
        FROM version_sources s
        JOIN blob_values v ON v.blob = s.blob AND v.role = s.role
        JOIN value_files f ON f.model = s.model AND f.section = v.section
        WHERE v.section = '{{section}}'
"""

#: ``value_files`` from the tables it summarises (distinct contents first: the same file
#: content recurs in many versions); ``{where}``: which models, or nothing for all
VALUE_FILES = """
        SELECT s.model, v.section, count(DISTINCT s.path) AS files
        FROM (SELECT DISTINCT model, coalesce(key_path, path) AS path, blob, role
              FROM version_sources {where}) s
        JOIN (SELECT DISTINCT blob, role, section FROM blob_values) v
            ON v.blob = s.blob AND v.role = s.role
        GROUP BY ALL
"""

VIEWS: dict[str, str] = {
    # a metric is (file, key), as DVC keys it: ``key`` is ``FILE:KEY`` when the model has
    # several metrics files (over all its versions), else the key in its file
    "metrics": _VALUES.format(section="metrics"),
    "params": _VALUES.format(section="params"),
    "mlflow": """
        SELECT s.model, s.commit, s.path, m.flavors, m.run_id, m.model_uuid,
               m.utc_time_created, m.mlflow_version, m.signature_inputs, m.signature_outputs,
               m.signature_params, m.artifact_path, m.model_size_bytes, m.model_id
        FROM version_sources s JOIN blob_mlmodel m ON m.blob = s.blob
        WHERE s.role = 'mlmodel'
    """,
    "environment": """
        SELECT s.model, s.commit, s.path AS file, p.package, p.spec
        FROM version_sources s JOIN blob_packages p ON p.blob = s.blob
        WHERE s.role = 'environment'
    """,
    "lineage": f"""
        SELECT s.model, s.commit, d.stage, {_JOIN_PATH} AS path, d.hash, d.size
        FROM (SELECT *, regexp_extract(path, '^(.*)/[^/]*$', 1) AS dir FROM version_sources
              WHERE role = 'dvc_lock') s
        JOIN blob_dvc d ON d.blob = s.blob AND d.kind = 'dep'
    """,
    "artifacts": f"""
        SELECT f.model, f.commit, f.path, b.storage, f.blob, b.object_size AS size,
               b.hash, NULL::BIGINT AS nfiles, b.present
        FROM version_files f JOIN blob_storage b ON b.blob = f.blob
        UNION ALL
        SELECT s.model, s.commit, {_JOIN_PATH} AS path, 'dvc' AS storage, s.blob,
               d.size, d.hash, d.nfiles, d.present
        FROM (SELECT *, regexp_extract(path, '^(.*)/[^/]*$', 1) AS dir FROM version_sources
              WHERE role IN ('dvc_pointer', 'dvc_lock')) s
        JOIN blob_dvc d ON d.blob = s.blob AND d.kind = 'out'
    """,
}


def ddl() -> list[str]:
    """CREATE statements for an empty catalog."""
    stmts = [f"CREATE TABLE {name} ({cols})" for name, cols in TABLES.items()]
    stmts += [f"CREATE VIEW {name} AS {sql}" for name, sql in VIEWS.items()]
    return stmts


def ddl_script() -> str:
    """:func:`ddl` as one script in one transaction: one statement for DuckDB to run and
    one commit to write (a commit per statement made a small repository's index wait on
    the disk 26 times)."""
    return "BEGIN TRANSACTION;\n" + ";\n".join(ddl()) + ";\nCOMMIT;"


def markdown() -> str:
    """docs/SCHEMA.md, generated from the definitions above (``python -m modeltrail.store.catalog.schema``)."""
    lines = [
        "# The catalog schema",
        "",
        "The catalog is a DuckDB file at `<git common dir>/modeltrail/catalog.duckdb`.",
        "Open it with any DuckDB client (read-only while modeltrail may write:",
        "`duckdb -readonly .git/modeltrail/catalog.duckdb`), or use `modeltrail sql`.",
        f"Schema version {SCHEMA_VERSION}; a catalog of another version is rebuilt.",
        "Generated by `python -m modeltrail.store.catalog.schema > docs/SCHEMA.md`.",
        "",
        "Walk facts (`commits`, `model_commits`, `version_files`, `version_sources`, `blob_*`,",
        "`warnings`) are appended by each index run; `refs`, `models`, `labels`,",
        "`stage_events`, `stages`, `versions` and `meta` are rebuilt at the end of each run.",
        "",
        "## Tables",
        "",
    ]
    for name, cols in TABLES.items():
        lines += [f"### `{name}`", "", "```sql", cols.strip("\n").rstrip(), "```", ""]
    lines += ["## Views", ""]
    for name, sql in VIEWS.items():
        lines += [f"### `{name}`", "", "```sql", sql.strip("\n").rstrip(), "```", ""]
    lines += _EXPORT.splitlines()
    return "\n".join(lines)


_EXPORT = """## Exported as Parquet

`modeltrail export DIR` writes each table and view above to `DIR/<name>.parquet`, with
the columns and types listed here. Over a workspace (`--workspace FILE`) the export is
one hive-partitioned dataset, `DIR/table=<name>/repo=<repo>/data.parquet`: the same
columns in every partition, whatever a repository holds (an empty table is a file with
its columns and no rows), and the repository's name as the `repo` partition key (not
a column of the files). A reader adds `repo` (and `table`) from the path:

```sql
-- DuckDB
SELECT repo, model, version, date FROM
  read_parquet('DIR/table=versions/*/*.parquet', hive_partitioning=true);
```

```python
# PySpark
spark.read.parquet("DIR/table=versions").groupBy("repo", "model").count().show()
```

The columns change only with the schema version above; a new version may add columns,
and re-exporting every repository (not one with `--repo`) gives every partition the
same columns again.
"""


if __name__ == "__main__":
    print(markdown())
