import sys

from modeltrail.tui.cli import main

sys.exit(main())
