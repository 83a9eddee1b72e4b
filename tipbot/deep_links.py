"""Deep links: `t.me/<bot>?start=<code>` opens the bot and sends `/start <code>`.

The code tells the operator where a subscriber came from (one code per clinic, leaflet or
poster). Telegram allows 1-64 characters of `A-Z a-z 0-9 _ -`; anything else is not a code we
made, so it is ignored rather than answered with an error.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def start_code(args: list[str]) -> str | None:
    """The deep-link code of `/start <code>`, or None when there is none or it is not valid."""
    if len(args) != 1:
        return None
    return args[0] if _CODE.fullmatch(args[0]) else None
