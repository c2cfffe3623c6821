"""Screenshots of the audit screen (sample repository): churn's versions with one glyph
per reproducibility check, the highlighted version's reasons, and how long churn's
versions held a stage before it moved (after the on-call rollback of prod)."""

from __future__ import annotations

from scenarios.rollback import rollback_and_undo

SCENARIOS = [
    {"name": "audit-80x24", "size": (80, 24), "press": ["a"], "setup": rollback_and_undo},
    {"name": "audit-all", "size": (120, 36), "press": ["a", "a"], "setup": rollback_and_undo},
]
