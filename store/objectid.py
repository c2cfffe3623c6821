"""Full git object ids: the one pattern every module checks an id against."""

from __future__ import annotations

import re

#: A full (SHA-1) object id as git prints it: 40 lowercase hex digits.
OBJECT_ID = re.compile(r"^[0-9a-f]{40}$")
