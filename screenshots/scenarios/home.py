"""The home screen on the sample repository: models with stage badges, churn's versions
with metric deltas, the details of the selected version; at a large size, at 80×24
(stacked panes), filtered, with the help overlay, and listing every branch (b)."""

SCENARIOS = [
    {"name": "home", "size": (160, 48), "press": []},
    {"name": "home-80x24", "size": (80, 24), "press": []},
    {"name": "home-details", "size": (120, 36), "press": ["2", "j", "j"]},
    {"name": "home-filter", "size": (120, 36), "press": ["2", "/", *"stage:prod", "enter"]},
    {"name": "home-help", "size": (120, 36), "press": ["question_mark"]},
    {"name": "home-all-branches", "size": (120, 36), "press": ["2", "b"]},
]
