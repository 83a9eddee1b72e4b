"""What planning decides for a subscriber whose tip is due: send today's tip (which one), skip
a day missed beyond the catch-up window, or nothing (the day already had its tip); and when
the next one is due.

Plain functions of plain data, so the catch-up and rotation rules are tested without a
database. Storage (`tipbot.storage.deliveries.plan_due`) reads the due subscribers, asks
`plan` for each and writes the results, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from tipbot.companion.profile import Profile, audience_tags
from tipbot.companion.selection import Audience, next_fitting_tip
from tipbot.delivery.rotation import RotationState
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
    profile: Profile | None = None  # the optional profile: picks tips that fit (issue 11)


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


def plan(
    sub: DueSubscriber,
    now: datetime,
    tip_ids: tuple[str, ...],
    catchup: timedelta,
    audiences: Mapping[str, Audience] | None = None,
) -> Plan:
    """Decide for one due subscriber. `tip_ids` must be sorted and non-empty.

    - At most one tip per local date: a day at or before `last_planned` gets nothing (the user
      moved their time later on a day that already had its tip). This reads the subscriber row
      only, so pruning old deliveries changes nothing.
    - Catch-up: a moment more than `catchup` ago is skipped, never sent late; the next due
      moment is the first one still inside the window, so downtime never floods old days.
    - Ahead: a subscriber due within the planner's look-ahead (`scheduled` after `now`) gets a
      row due at `scheduled`, not before.
    - Rotation: every tip once per cycle, in the subscriber's own order (`rotation.next_tip`);
      with a profile, the tips that fit it first and never one `not_for` it
      (`companion.selection`, given the bank's tagged tips in `audiences`). Without a profile
      the choice is exactly the plain rotation's.
    """
    zone = _zone(sub.tz)
    scheduled = sub.next_due_at
    following = following_due(scheduled, sub.send_minute, zone, now, catchup)
    day = local_date_of(scheduled, zone)
    if now - scheduled > catchup:
        return Plan(sub.chat_id, None, True, following, sub.rotation, sub.last_planned)
    if sub.last_planned is not None and day <= sub.last_planned:
        return Plan(sub.chat_id, None, False, following, sub.rotation, sub.last_planned)
    choice = next_fitting_tip(tip_ids, sub.rotation, audience_tags(sub.profile), audiences or {})
    if choice is None:  # every tip in the bank is `not_for` this profile: send none, move on
        return Plan(sub.chat_id, None, False, following, sub.rotation, sub.last_planned)
    tip_id, rotation = choice
    # Planned ahead (the delivery loop plans a little before the moment), the row waits for it.
    tip = PlannedTip(day, tip_id, max(now, scheduled), scheduled + catchup)
    return Plan(sub.chat_id, tip, False, following, rotation, day)
