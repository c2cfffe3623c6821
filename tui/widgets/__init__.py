"""Widgets of the browse screens (version list, model list, details, status line)."""
