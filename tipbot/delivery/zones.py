"""Finding a time zone from what a person types: `Berlin`, `Europe/Berlin`, `new york`, `UTC+5:30`.

People rarely know IANA names, so city names (the last part of a zone key) are matched without
regard to case, spaces or underscores; near misses return the closest zones as choices instead of a
guess, because a wrong zone means tips at the wrong hour every day.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from tipbot.i18n import N_, Reason

MAX_CHOICES = 5
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")
#: Legacy aliases shadow the canonical names; people should see `America/New_York`.
_LEGACY_PREFIXES = ("Etc/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "SystemV/")
_ALIASES = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "uk": "Europe/London",
    "england": "Europe/London",
    "britain": "Europe/London",
    "nyc": "America/New_York",
    "la": "America/Los_Angeles",
    "india": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "peking": "Asia/Shanghai",
    "washington": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "miami": "America/New_York",
    "boston": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich",
    "kiev": "Europe/Kyiv",
    "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo",
    "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne",
}


@dataclass(frozen=True)
class ZoneMatch:
    """Exactly one of: `key` (found), or `choices` (ambiguous/near misses, possibly empty)."""

    key: str | None
    choices: tuple[str, ...] = ()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text.casefold()).strip()


@cache
def _index() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Full keys by folded key, and zone keys by folded city name."""
    keys = sorted(available_timezones())
    by_key = {_fold(k): k for k in keys}
    by_city: dict[str, list[str]] = {}
    for key in keys:
        if "/" not in key or key.startswith(_LEGACY_PREFIXES):
            continue
        by_city.setdefault(_fold(key.rsplit("/", 1)[1]), []).append(key)
    return by_key, by_city


def offset_key(text: str) -> str | None:
    """`UTC+5:30`, `gmt-3`, `+0530` -> `UTC+05:30`; None if the text is not an offset."""
    match = _OFFSET.match(text.strip().casefold())
    if not match:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60 or minutes % 15:
        raise Reason(N_("a UTC offset runs from UTC-12:00 to UTC+14:00 in steps of 15 minutes"))
    if hours == 0 and minutes == 0:
        return "UTC"
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def find_zone(text: str) -> ZoneMatch:
    """Resolve typed text to a zone key; raise ValueError for a malformed offset."""
    raw = text.strip()[:64]
    if not raw:
        return ZoneMatch(None)
    offset = offset_key(raw)
    if offset:
        return ZoneMatch(offset)
    folded = _fold(raw)
    if folded in _ALIASES:
        return ZoneMatch(_ALIASES[folded])
    by_key, by_city = _index()
    if folded in by_key:
        return ZoneMatch(by_key[folded])
    if folded in by_city:
        keys = by_city[folded]
        return ZoneMatch(keys[0]) if len(keys) == 1 else ZoneMatch(None, tuple(keys[:MAX_CHOICES]))
    names = list(by_city) + list(_ALIASES)
    close = difflib.get_close_matches(folded, names, n=MAX_CHOICES, cutoff=0.75)
    choices: list[str] = []
    for name in close:
        for key in by_city.get(name, [_ALIASES.get(name, "")]):
            if key and key not in choices:
                choices.append(key)
    return ZoneMatch(None, tuple(choices[:MAX_CHOICES]))
