"""What planning decides for a subscriber whose tip is due: send today's tip (which one), skip
a day missed beyond the catch-up window, or nothing (the day already had its tip); and when
the next one is due.

Plain functions of plain data, so the catch-up and rotation rules are tested without a
database. Storage (`tipbot.storage.deliveries.plan_due`) reads the due subscribers, asks
`plan` for each and writes the results, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from tipbot.delivery.rotation import RotationState, next_tip
from tipbot.delivery.schedule import following_due, local_date_of, tz_from_key


@dataclass(frozen=True)
class DueSubscriber:
    """The subscriber fields planning needs (one row of the due query)."""

    chat_id: int
    send_minute: int
    tz: str
    next_due_at: datetime  # the scheduled moment that is due
    rotation: RotationState
    last_planned: date | None  # the local date of the last tip planned, if any


@dataclass(frozen=True)
class PlannedTip:
    local_date: date
    tip_id: str
    due_at: datetime
    expire_at: datetime  # the end of the catch-up window


@dataclass(frozen=True)
class Plan:
    chat_id: int
    tip: PlannedTip | None  # None: nothing to send for this due moment
    skipped: bool  # the due moment was missed by more than the catch-up window
    next_due_at: datetime
    rotation: RotationState
    last_planned: date | None


@lru_cache(maxsize=1024)
def _zone(key: str) -> tzinfo:
    return tz_from_key(key)


def plan(sub: DueSubscriber, now: datetime, tip_ids: tuple[str, ...], catchup: timedelta) -> Plan:
    """Decide for one due subscriber. `tip_ids` must be sorted and non-empty.

    - At most one tip per local date: a day at or before `last_planned` gets nothing (the user
      moved their time later on a day that already had its tip). This reads the subscriber row
      only, so pruning old deliveries changes nothing.
    - Catch-up: a moment more than `catchup` ago is skipped, never sent late; the next due
      moment is the first one still inside the window, so downtime never floods old days.
    - Rotation: every tip once per cycle, in the subscriber's own order (`rotation.next_tip`).
    """
    zone = _zone(sub.tz)
    scheduled = sub.next_due_at
    following = following_due(scheduled, sub.send_minute, zone, now, catchup)
    day = local_date_of(scheduled, zone)
    if now - scheduled > catchup:
        return Plan(sub.chat_id, None, True, following, sub.rotation, sub.last_planned)
    if sub.last_planned is not None and day <= sub.last_planned:
        return Plan(sub.chat_id, None, False, following, sub.rotation, sub.last_planned)
    tip_id, rotation = next_tip(tip_ids, sub.rotation)
    tip = PlannedTip(day, tip_id, now, scheduled + catchup)
    return Plan(sub.chat_id, tip, False, following, rotation, day)
