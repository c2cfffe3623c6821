from modeltrail.tui.cli import entry

entry()
