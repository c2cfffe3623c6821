"""Screenshot of the changes screen (sample repository): what changed in the last 7 days
before the frozen clock, after the on-call rollback of churn's prod, its undo and the
rollback again: who, why and the metrics against what each replaced."""

from __future__ import annotations

from scenarios.rollback import rollback_and_undo

SCENARIOS = [
    {"name": "changes-80x24", "size": (80, 24), "press": ["w", "d"], "setup": rollback_and_undo},
]
