"""modeltrail's engine: git access, format readers, the DuckDB catalog, diffs and rollback.

Nothing in this package imports Textual.
"""
