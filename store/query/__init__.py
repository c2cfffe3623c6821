"""Questions asked of the catalog: listings, the version browser, the filter language,
diffs, the branch flow and metric trends. Read-only."""
