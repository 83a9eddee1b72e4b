"""When the weekly quiz is due: once per ISO week of the chat's own calendar, on `QUIZ_WEEKDAY`
at the chat's daily tip time, DST-correct like the tips (the same local-time rules in
`delivery.schedule`).

Pure functions: the planner (`bot/quiz.py`) reads subscriptions and plans outbox rows keyed by
the week ("2026-W49"), which the outbox's unique (chat, kind, ref) key makes exactly once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tipbot.delivery.schedule import due_on, local_date_of, tz_from_key

#: The quiz comes on Sundays (Monday is 0), a quieter day, at the chat's usual tip time.
QUIZ_WEEKDAY = 6


def week_ref(day: date) -> str:
    """The ISO week of a local date, as the outbox key: "2026-W49"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_in_week(day: date, minute: int, tz: str) -> tuple[str, datetime]:
    """The week containing local date `day`: its key and the quiz's due moment (naive UTC)."""
    quiz_day = day + timedelta(days=QUIZ_WEEKDAY - day.weekday())
    return week_ref(day), due_on(quiz_day, minute, tz_from_key(tz))


def due_now(
    minute: int, tz: str, last_week: str | None, now: datetime, catchup: timedelta
) -> tuple[str, datetime] | None:
    """This week's quiz if it is due at `now` and not planned yet: (week, due moment). After
    downtime a quiz is still sent within `catchup` of its time, never later (like a tip)."""
    week, due = due_in_week(local_date_of(now, tz_from_key(tz)), minute, tz)
    if week == last_week or not due <= now < due + catchup:
        return None
    return week, due


def next_due(minute: int, tz: str, last_week: str | None, now: datetime) -> datetime:
    """The next moment a quiz is due for this chat (this week's, unless planned or past)."""
    today = local_date_of(now, tz_from_key(tz))
    week, due = due_in_week(today, minute, tz)
    if week != last_week and due > now:
        return due
    return due_in_week(today + timedelta(days=7), minute, tz)[1]
