"""When is a subscriber's tip due? Local wall-clock time to UTC, across daylight saving changes.

Rules (documented in the README):
- The tip is due at the chosen local time on each local date.
- On a spring-forward day a time inside the skipped hour does not exist; it is delivered at the
  moment the same clock reading would have had with the old offset, i.e. one hour later on the
  wall clock (02:30 Europe/Berlin becomes 03:30 CEST). This is zoneinfo's `fold=0` reading.
- On a fall-back day a repeated time is delivered once, at its first occurrence (`fold=0`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tipbot.i18n import N_, Reason

_OFFSET_KEY = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")


def tz_from_key(key: str) -> tzinfo:
    """A stored zone key: an IANA name, or a fixed offset written `UTC+05:30`."""
    match = _OFFSET_KEY.match(key)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return timezone(sign * offset, key)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {key!r}") from exc


def to_utc(moment: datetime) -> datetime:
    """Naive UTC (the storage convention) from an aware datetime."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def as_aware(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC)


@lru_cache(maxsize=16384)
def due_on(local_date: date, minute: int, zone: tzinfo) -> datetime:
    """The UTC moment (naive) of `minute` after local midnight on `local_date`.

    Remembered: the subscribers planned in one sweep share a few dates and far fewer (zone,
    minute) pairs than there are subscribers, and the zone arithmetic is most of a plan's cost."""
    wall = datetime.combine(local_date, time(minute // 60, minute % 60), tzinfo=zone)
    return to_utc(wall.replace(fold=0))


def local_date_of(naive_utc: datetime, zone: tzinfo) -> date:
    return as_aware(naive_utc).astimezone(zone).date()


def next_due(minute: int, zone: tzinfo, after: datetime) -> datetime:
    """The first due moment strictly after `after` (naive UTC)."""
    start = local_date_of(after, zone) - timedelta(days=1)
    for offset in range(4):
        candidate = due_on(start + timedelta(days=offset), minute, zone)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a due time exists within three days")


def following_due(
    scheduled: datetime, minute: int, zone: tzinfo, now: datetime, catchup: timedelta
) -> datetime:
    """The next due moment after the one at `scheduled`.

    Normally that is the next local day. After downtime it is the first moment still inside the
    catch-up window, so a restart sends today's missed tip but never floods older days.
    """
    return next_due(minute, zone, max(scheduled, now - catchup))


def parse_minute(text: str) -> int:
    """Read a time of day typed by a person: `7:30`, `07:30`, `7.30`, `19h`, `7am`, `7:30 pm`."""
    raw = text.strip().casefold().replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2})?)?(am|pm|a\.m\.|p\.m\.)?", raw)
    if not match:
        raise Reason(N_("write the time as HH:MM, for example 07:30 or 19:00"))
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise Reason(N_("with am or pm, the hour must be between 1 and 12"))
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise Reason(
            N_("{text} is not a time of day: hours go to 23 and minutes to 59"),
            text=text.strip(),
        )
    return hour * 60 + minute


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
