"""Questions the CLI and the screens ask of the catalog. Read-only; no git writes.

Every function takes an open (read-only) DuckDB connection and returns plain data:
dicts in the JSON shapes of docs/CLI.md (keys may be added, never renamed), or
Arrow tables for the very long lists the TUI pages through.

The questions live in modules by subject; this module names them all, for the
thirty-odd callers that ask through it:

- ``values.py``: timestamps and metric values as JSON;
- ``models.py``: the models (``models``), one model by name;
- ``versions.py``: a model's versions (``versions``, the TUI's list);
- ``details.py``: one version in full (the details pane);
- ``lookups.py``: a version by name, the stage history, warnings, and other look-ups.
"""

from __future__ import annotations

from modeltrail.store.query.details import label_details as label_details
from modeltrail.store.query.details import version_detail as version_detail
from modeltrail.store.query.lookups import branch_counts as branch_counts
from modeltrail.store.query.lookups import catalog_table as catalog_table
from modeltrail.store.query.lookups import history as history
from modeltrail.store.query.lookups import labelled_versions as labelled_versions
from modeltrail.store.query.lookups import metric_values as metric_values
from modeltrail.store.query.lookups import resolve_version as resolve_version
from modeltrail.store.query.lookups import truncated_commits as truncated_commits
from modeltrail.store.query.lookups import versions_at_prefix as versions_at_prefix
from modeltrail.store.query.lookups import warnings as warnings
from modeltrail.store.query.models import deleted_models as deleted_models
from modeltrail.store.query.models import list_models as list_models
from modeltrail.store.query.models import main_holders as main_holders
from modeltrail.store.query.models import model_names as model_names
from modeltrail.store.query.models import require_model as require_model
from modeltrail.store.query.values import iso as iso
from modeltrail.store.query.versions import iter_versions as iter_versions
from modeltrail.store.query.versions import rolled_back_from as rolled_back_from
