"""What planning decides for a dose plan whose reminder is due: which scheduled doses get a
reminder now, which were missed (more than an hour late, after downtime), and when the next one
is due. Plain functions of plain data, like `delivery/planning.py` for tips; storage
(`storage/doses.plan_due_doses`) reads the due plans, asks `plan_dose` for each and writes the
result in one transaction.

The outbox rows of one dose share its key (the scheduled moment in UTC, `202612070600`): the
reminder (`dose`, and `dose` rows `<key>s1`, `<key>s2` for snoozes), its one follow-up
(`dose_followup`, `<key>`: unique, so there is never a second) and the "wait is over" messages
(`dose_wait`, `<key>` and `<key>m` for the minerals). An appointment reminder's key is the
appointment's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tipbot.companion.doses import (
    CATCH_UP,
    FOLLOW_UP_AFTER,
    DoseSchedule,
    Due,
    Occurrence,
    catch_up,
    occurrences,
)

#: An appointment reminder comes a week ahead: a day late it is still worth sending.
APPOINTMENT_CATCH_UP = timedelta(days=1)
#: At most this many missed doses are logged for one plan after a long outage (a daily plan
#: down for a year would otherwise write 365 rows at once; the calendar shows 12 weeks).
MAX_MISSED = 84
KEY_FORMAT = "%Y%m%d%H%M"


def dose_key(scheduled_at: datetime) -> str:
    """The dose's key in refs and buttons: its scheduled moment (UTC) to the minute."""
    return scheduled_at.strftime(KEY_FORMAT)


def parse_key(key: str) -> datetime | None:
    """The scheduled moment of a key from a button, or None if it is not one (a forged button)."""
    if len(key) != 12 or not key.isdigit():
        return None
    try:
        return datetime.strptime(key, KEY_FORMAT)
    except ValueError:
        return None


@dataclass(frozen=True)
class DosePlanStep:
    send: Occurrence | None  # the reminder to plan now (within the hour's catch-up), if any
    missed: tuple[Occurrence, ...]  # doses whose reminder is more than an hour late: logged
    next_due_at: datetime  # the next scheduled moment after `now`


def plan_dose(schedule: DoseSchedule, due_at: datetime, now: datetime) -> DosePlanStep:
    """Decide for one plan whose `due_at` has come.

    Every scheduled moment from `due_at` up to `now` is looked at once: a dose reminder at most
    an hour late is sent, one later is skipped and logged as missed (a reminder five hours late
    is worse than none). An appointment reminder may still go a day late. `due_at` itself may
    be a moment from an earlier schedule (a plan changed meanwhile): only the schedule's own
    moments count.
    """
    window = APPOINTMENT_CATCH_UP if schedule.repeat.is_appointment else CATCH_UP
    send: Occurrence | None = None
    missed: list[Occurrence] = []
    for occurrence in occurrences(schedule, due_at - timedelta(seconds=1)):
        if occurrence.at > now:
            return DosePlanStep(send, tuple(missed[-MAX_MISSED:]), occurrence.at)
        late = now - occurrence.at
        if schedule.repeat.is_appointment:
            if late <= window:
                send = occurrence
        elif catch_up(occurrence.at, now) is Due.SEND:
            send = occurrence
        else:
            missed.append(occurrence)
    raise AssertionError("occurrences() never ends")  # pragma: no cover


def reminder_expires(schedule: DoseSchedule, at: datetime) -> datetime:
    """The end of a reminder's catch-up window: not sent after it."""
    return at + (APPOINTMENT_CATCH_UP if schedule.repeat.is_appointment else CATCH_UP)


def follow_up_due(reminded_at: datetime) -> datetime:
    """The follow-up counts from the last reminder (a snooze moves it)."""
    return reminded_at + FOLLOW_UP_AFTER
