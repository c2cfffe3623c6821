"""Screenshots of the flow screen on the sample repository (opened from home with ``f``).

The graph starts on the newest commit: the unmerged ``exp/churn-focal-loss`` branch,
whose churn test.auc (0.889) beats main's v1.3.0 (0.851). ``n`` steps down to the next
merge (first the recsys dedupe merge into integration, then the v1.3.0 release merge into
main), ``b`` to the next unmerged branch beating main, ``m`` to the next metric, ``a``
switches to ASCII lines, ``t`` to churn's version tree (its versions only, a lane per
branch with versions of its own).
"""

SCENARIOS = [
    {"name": "flow", "size": (120, 36), "press": ["f"]},
    {"name": "flow-80x24", "size": (80, 24), "press": ["f"]},
    {"name": "flow-release-merge", "size": (120, 36), "press": ["f", "n", "n"]},
    {"name": "flow-beats-main", "size": (120, 36), "press": ["f", "j", "b"]},
    {"name": "flow-metric-latency", "size": (120, 36), "press": ["f", "m", "m"]},
    {"name": "flow-ascii-80x24", "size": (80, 24), "press": ["f", "a"]},
    {"name": "version-tree-80x24", "size": (80, 24), "press": ["f", "t"]},
    {"name": "version-tree", "size": (120, 36), "press": ["f", "t"]},
]
