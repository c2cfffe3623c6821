"""Screenshots of the compare screen on the sample repository: churn's v1.2.0 (the last
good version) against v1.3.0 (the regression in prod), marked on the home screen."""

# churn's main line, newest first: v1.3.0, v1.2.0, v1.1.0 ...; "2" focuses the versions,
# space marks in place.
MARK = ["2", "space", "j", "space", "c"]

SCENARIOS = [
    {"name": "compare-metrics", "size": (120, 36), "press": MARK},
    {"name": "compare-metrics-80x24", "size": (80, 24), "press": MARK},
    {"name": "compare-params", "size": (120, 36), "press": [*MARK, "2", "a"]},
    {"name": "compare-artifacts", "size": (120, 36), "press": [*MARK, "3"]},
    {"name": "compare-file-diff", "size": (120, 36), "press": [*MARK, "4", "enter"]},
    {"name": "compare-trend", "size": (120, 36), "press": [*MARK, "5", "m"]},
]
