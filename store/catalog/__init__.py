"""The catalog: its schema, the catalog file (lock, generations, read-only snapshots) and
the index run that fills it from what ``store.read`` found."""
