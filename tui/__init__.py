"""modeltrail's terminal front ends: the Textual app and the command line."""

import os

# Arrow's default pool (mimalloc or jemalloc) keeps what it freed for reuse; the TUI's bar is
# resident memory: at 100,000 versions the list's and deltas' computations left 15-20 MB
# resident for nothing. Read when pyarrow first allocates, so it is set before anything
# here imports it (pyarrow.set_memory_pool reaches only pyarrow's own calls, not the
# C++ default that DuckDB's and the compute kernels' buffers come from).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
