"""Screens of the TUI: home (models → versions → details), help, and the screens other
modules add (compare, flow, history, rollback), pushed lazily by the home screen's keys."""
