"""Writing to the repository: the one git layer with its safety rules, checkout, and
rollback (plan, apply, journal, recover)."""
