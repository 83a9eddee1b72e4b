"""Dose schedules: when a bone medicine is due, and what follows a reminder.

A schedule is a local time in a zone plus a repeat: daily, one day a week, one date a month (1-28
or the last day), every N days, or an appointment (denosumab every 6 months, zoledronic acid once
a year, or every 2 years when used for prevention) that gets a reminder a week before instead of
a dose reminder.

Local time becomes UTC with the same rules as daily tips (delivery/schedule.py): a time that does
not exist on a spring-forward day is reminded one hour later on the wall clock, and a repeated time
on a fall-back day once, at its first occurrence. Dates past 28 are not offered for monthly doses
because not every month has them; "last" means the last day of each month.

After the reminder: Snooze moves it 15 minutes (a plain UTC addition, so it crosses midnight like
any other moment); with no answer, one follow-up an hour later, then nothing; after Taken, the
"you may eat now" message at the label's wait and, where the label's spacing is longer, a separate
one for calcium, magnesium, iron and antacids. A reminder found more than an hour late (after
downtime) is not sent: it is recorded as missed, because a dose reminder hours late is worse than
none.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from babel.dates import get_day_names

from tipbot import messages
from tipbot.companion.medicines import MedicineCatalogue, UnknownMedicine
from tipbot.content.models import DoseKind, DoseRule, Timing
from tipbot.delivery.schedule import (
    due_on,
    format_minute,
    local_date_of,
    parse_minute,
    tz_from_key,
)
from tipbot.delivery.zones import find_zone
from tipbot.i18n import ENGLISH, N_, Reason, Translator

SNOOZE = timedelta(minutes=15)
FOLLOW_UP_AFTER = timedelta(hours=1)
#: A reminder later than this (after downtime) is skipped and recorded as missed.
CATCH_UP = timedelta(hours=1)
APPOINTMENT_NOTICE = timedelta(days=7)
MAX_EVERY_DAYS = 90
MAX_MONTH_DAY = 28

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DoseInputError(Reason):
    """What the person typed cannot be used; the message says what to type instead (an English
    template with its values, translated where it is shown: `Translator.reason`)."""


def weekday_name(
    weekday: int, t: Translator, width: Literal["wide", "abbreviated"] = "wide"
) -> str:
    """Monday = 0 as the reader's language names it (Babel's CLDR names: "Monday", "Montag";
    `width="abbreviated"`: "Mon", "Mo.")."""
    return str(get_day_names(width, context="format", locale=t.language)[weekday])


class Repeat(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    EVERY_N_DAYS = "every_n_days"
    EVERY_6_MONTHS = "every_6_months"
    YEARLY = "yearly"
    EVERY_2_YEARS = "every_2_years"

    @property
    def label_kind(self) -> DoseKind | None:
        """The label schedule this repeat follows; every-N-days follows none."""
        return None if self is Repeat.EVERY_N_DAYS else DoseKind(self.value)

    @property
    def is_appointment(self) -> bool:
        return self in _APPOINTMENT_MONTHS

    @property
    def months(self) -> int:
        """Months between appointments (appointments only)."""
        return _APPOINTMENT_MONTHS[self]


_APPOINTMENT_MONTHS = {Repeat.EVERY_6_MONTHS: 6, Repeat.YEARLY: 12, Repeat.EVERY_2_YEARS: 24}


@dataclass(frozen=True)
class DoseSchedule:
    """When doses (or appointment reminders) fall, in the person's local time and zone.

    `anchor` is the first dose date for every-N-days, and the next appointment date for
    appointments (later ones follow every 6, 12 or 24 months from it).
    """

    repeat: Repeat
    minute: int
    zone: str
    weekday: int | None = None  # Monday = 0
    month_day: int | None = None  # 1-28; None with last_day
    last_day: bool = False
    every_days: int | None = None
    anchor: date | None = None

    def __post_init__(self) -> None:
        tz_from_key(self.zone)  # raises ValueError for an unknown zone
        if not 0 <= self.minute < 24 * 60:
            raise ValueError("minute must be within the day")
        checks = {
            Repeat.WEEKLY: self.weekday is not None and 0 <= self.weekday <= 6,
            Repeat.MONTHLY: self.last_day != (self.month_day is not None)
            and (self.month_day is None or 1 <= self.month_day <= MAX_MONTH_DAY),
            Repeat.EVERY_N_DAYS: self.every_days is not None
            and 1 <= self.every_days <= MAX_EVERY_DAYS
            and self.anchor is not None,
        }
        if self.repeat.is_appointment and self.anchor is None:
            raise ValueError(f"an appointment schedule needs its next date: {self}")
        if not checks.get(self.repeat, True):
            raise ValueError(f"incomplete {self.repeat.value} schedule: {self}")

    def describe(self, t: Translator = ENGLISH) -> str:
        """`every Monday at 07:00 (Europe/Berlin)`, for confirmations and /dose, in the reader's
        language (whole sentences per repeat, so each language orders its own words; dates stay
        ISO, as the person types them)."""
        values = {"time": format_minute(self.minute), "zone": self.zone}
        if self.repeat is Repeat.DAILY:
            return t.gettext(N_("every day at {time} ({zone})")).format(**values)
        if self.repeat is Repeat.WEEKLY:
            assert self.weekday is not None
            day = weekday_name(self.weekday, t)
            return t.gettext(N_("every {weekday} at {time} ({zone})")).format(weekday=day, **values)
        if self.repeat is Repeat.MONTHLY:
            if self.last_day:
                return t.gettext(N_("on the last day of each month at {time} ({zone})")).format(
                    **values
                )
            return t.gettext(N_("on day {day} of each month at {time} ({zone})")).format(
                day=self.month_day, **values
            )
        if self.repeat is Repeat.EVERY_N_DAYS:
            assert self.every_days is not None
            return t.ngettext(messages.DOSE_EVERY_N_DAYS, self.every_days).format(
                days=self.every_days, start=self.anchor, **values
            )
        return t.gettext(_APPOINTMENT_DESCRIPTIONS[self.repeat]).format(next=self.anchor, **values)


#: One whole sentence per appointment interval: the months are part of the text, so each
#: language writes "6 months" with its own plural form.
_APPOINTMENT_DESCRIPTIONS = {
    Repeat.EVERY_6_MONTHS: N_(
        "a reminder a week before each appointment, at {time} ({zone}); the next appointment "
        "is on {next}, then every 6 months"
    ),
    Repeat.YEARLY: N_(
        "a reminder a week before each appointment, at {time} ({zone}); the next appointment "
        "is on {next}, then every 12 months"
    ),
    Repeat.EVERY_2_YEARS: N_(
        "a reminder a week before each appointment, at {time} ({zone}); the next appointment "
        "is on {next}, then every 24 months"
    ),
}


@dataclass(frozen=True)
class Occurrence:
    """One scheduled reminder: when it is due (naive UTC) and for which local day."""

    at: datetime
    local_date: date
    #: For appointment reminders, the appointment day (a week after the reminder).
    appointment: date | None = None


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day if shorter (Aug 31 + 6 -> Feb 28)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _dose_dates(schedule: DoseSchedule, start: date) -> Iterator[tuple[date, date | None]]:
    """Local dates with a reminder on or after `start`, in order, each with its appointment."""
    if schedule.repeat.is_appointment:
        assert schedule.anchor is not None
        months = schedule.repeat.months
        k = 0
        while True:
            appointment = add_months(schedule.anchor, k * months)
            reminder = appointment - APPOINTMENT_NOTICE
            if reminder >= start:
                yield reminder, appointment
            k += 1
    if schedule.repeat is Repeat.MONTHLY:
        year, month = start.year, start.month
        while True:
            last = calendar.monthrange(year, month)[1]
            day = date(year, month, last if schedule.last_day else schedule.month_day or 1)
            if day >= start:
                yield day, None
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = start
    if schedule.repeat is Repeat.EVERY_N_DAYS:
        assert schedule.anchor is not None and schedule.every_days is not None
        if day <= schedule.anchor:
            day = schedule.anchor
        else:
            behind = (day - schedule.anchor).days % schedule.every_days
            day += timedelta(days=(schedule.every_days - behind) % schedule.every_days)
    step = timedelta(days=schedule.every_days or 1)
    if schedule.repeat is Repeat.WEEKLY:
        assert schedule.weekday is not None
        day += timedelta(days=(schedule.weekday - day.weekday()) % 7)
        step = timedelta(days=7)
    while True:
        yield day, None
        day += step


def occurrences(schedule: DoseSchedule, after: datetime) -> Iterator[Occurrence]:
    """Every reminder strictly after `after` (naive UTC), in order, without end.

    An appointment whose week-before reminder is already past (set up less than a week ahead)
    gets none; the first occurrence then names a later appointment, which the caller can compare
    with the date it was given and say so.
    """
    zone = tz_from_key(schedule.zone)
    start = local_date_of(after, zone) - timedelta(days=1)  # a zone ahead of UTC starts earlier
    for day, appointment in _dose_dates(schedule, start):
        at = due_on(day, schedule.minute, zone)
        if at > after:
            yield Occurrence(at, day, appointment)


def next_occurrence(schedule: DoseSchedule, after: datetime) -> Occurrence:
    return next(occurrences(schedule, after))


def snoozed_until(pressed_at: datetime) -> datetime:
    """Snooze moves the reminder 15 minutes from the press, across midnight like any moment."""
    return pressed_at + SNOOZE


def follow_up_at(reminded_at: datetime) -> datetime:
    """The one gentle follow-up when nothing was pressed; there is never a second one."""
    return reminded_at + FOLLOW_UP_AFTER


class Due(StrEnum):
    NOT_YET = "not_yet"
    SEND = "send"
    MISSED = "missed"


def catch_up(scheduled_at: datetime, now: datetime) -> Due:
    """Send a reminder at most an hour late; later than that it is skipped and logged as missed."""
    if now < scheduled_at:
        return Due.NOT_YET
    return Due.SEND if now - scheduled_at <= CATCH_UP else Due.MISSED


class AfterTaken(StrEnum):
    FOOD = "food"  # "you can have breakfast now"
    MINERALS = "minerals"  # "calcium, magnesium, iron and antacids may follow now"
    FOOD_AND_MINERALS = "food_and_minerals"


@dataclass(frozen=True)
class FollowUp:
    kind: AfterTaken
    at: datetime


def after_taken(rule: DoseRule, taken_at: datetime) -> list[FollowUp]:
    """The messages that follow Taken, at the waits from the medicine's label rule.

    Only a medicine taken fasting has a food wait. Minerals get their own later message only when
    the bank gives a number for them; where the label says "at another time of day" there is none,
    and the reminder's text says so instead. Snoozing moves both, since both count from Taken.
    """
    if rule.timing is not Timing.FASTING or rule.food_wait_minutes is None:
        return []
    food = taken_at + timedelta(minutes=rule.food_wait_minutes)
    minerals_wait = rule.minerals_wait_minutes
    if minerals_wait is None:
        return [FollowUp(AfterTaken.FOOD, food)]
    if minerals_wait == rule.food_wait_minutes:
        return [FollowUp(AfterTaken.FOOD_AND_MINERALS, food)]
    minerals = taken_at + timedelta(minutes=minerals_wait)
    return [FollowUp(AfterTaken.FOOD, food), FollowUp(AfterTaken.MINERALS, minerals)]


def missed_rule(rule: DoseRule, repeat: Repeat) -> str | None:
    """The label's missed-dose rule for this schedule, or None: the bot never invents one."""
    kind = repeat.label_kind
    return None if kind is None else rule.missed.get(kind)


# --- The one-line form -------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseOff:
    """`/dose off`: cancel every pending reminder."""


@dataclass(frozen=True)
class DoseSetup:
    rule: DoseRule
    schedule: DoseSchedule
    #: Other products with the same generic (e.g. Atelvia for risedronate), for the reply.
    other_forms: tuple[str, ...] = ()
    #: True when no zone was typed and the subscription's zone was used.
    zone_assumed: bool = False


DoseCommand = DoseOff | DoseSetup

USAGE = N_(
    "Write the medicine, how often and the time, for example: /dose alendronate weekly mon 07:00, "
    "/dose risedronate monthly 15 08:00, /dose ibandronate monthly last 08:00, "
    "/dose alendronate daily 06:30, /dose denosumab appointment 2027-03-01 09:00, or /dose off. "
    "Add a time zone at the end if it differs from your tips' zone."
)
_REPEAT_WORDS = {"daily", "weekly", "monthly", "every", "appointment"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
#: What may stand between `appointment` and the date; nothing means the label's usual interval.
_INTERVALS: dict[str, Repeat | None] = {
    "": None,
    "every 6 months": Repeat.EVERY_6_MONTHS,
    "yearly": Repeat.YEARLY,
    "every year": Repeat.YEARLY,
    "every 2 years": Repeat.EVERY_2_YEARS,
}


def parse_dose_command(
    args: str, default_zone: str | None, today: date, medicines: MedicineCatalogue
) -> DoseCommand:
    """Read what follows `/dose`; raise DoseInputError with a message for the person.

    `default_zone` is the subscription's zone (None when there is none); `today` is the local
    date, the first day of an every-N-days schedule.
    """
    words = args.split()
    if [w.casefold() for w in words] == ["off"]:
        return DoseOff()
    split = next((i for i, w in enumerate(words) if w.casefold() in _REPEAT_WORDS), None)
    if not words or split is None:
        raise DoseInputError(USAGE)
    if split == 0:
        raise DoseInputError(N_("write the medicine's name first. {usage}"), usage=_usage())
    try:
        match = medicines.resolve(" ".join(words[:split]))
    except UnknownMedicine as exc:
        raise DoseInputError.of(exc) from None
    rule = match.rule
    repeat, fields, rest = _parse_repeat(words[split:], rule, today)
    if not rest:
        raise DoseInputError(
            N_("add the time of the reminder, for example 07:00. {usage}"), usage=_usage()
        )
    try:
        minute = parse_minute(rest[0])
    except ValueError as exc:
        raise DoseInputError.of(exc) from None
    zone, assumed = _zone(" ".join(rest[1:]), default_zone)
    schedule = DoseSchedule(
        repeat,
        minute,
        zone,
        weekday=fields.weekday,
        month_day=fields.month_day,
        last_day=fields.last_day,
        every_days=fields.every_days,
        anchor=fields.anchor,
    )
    return DoseSetup(rule, schedule, match.other_forms, assumed)


def _usage() -> Reason:
    """The usage, as a value of another message (translated with it)."""
    return Reason(USAGE)


@dataclass(frozen=True)
class _Fields:
    weekday: int | None = None
    month_day: int | None = None
    last_day: bool = False
    every_days: int | None = None
    anchor: date | None = None


def _parse_repeat(
    words: list[str], rule: DoseRule, today: date
) -> tuple[Repeat, _Fields, list[str]]:
    """The repeat and its fields from `weekly mon ...`; the words left are the time and zone."""
    head = words[0].casefold()
    appointment = rule.timing is Timing.APPOINTMENT
    if head == "appointment" or appointment:
        if not appointment:
            raise DoseInputError(
                N_("{name} is taken at home, so it needs daily, weekly or monthly. {usage}"),
                name=rule.name,
                usage=_usage(),
            )
        at = next((i for i, w in enumerate(words) if _DATE_LIKE.match(w)), None)
        if head != "appointment" or at is None:
            raise DoseInputError(
                N_(
                    "{name} is given by a health professional, so I remind you a week before "
                    "each appointment: write /dose {generic} appointment YYYY-MM-DD HH:MM "
                    "with the date of your next appointment."
                ),
                name=rule.name,
                generic=rule.generic,
            )
        interval = " ".join(w.casefold() for w in words[1:at])
        if interval not in _INTERVALS:
            raise DoseInputError(
                N_(
                    "{text} is not an interval I know: write every 6 months, "
                    "yearly or every 2 years before the date, or nothing for the usual one"
                ),
                text=" ".join(words[1:at])[:30],
            )
        repeat = _INTERVALS[interval] or Repeat(rule.schedules[0].value)
        return _allowed(repeat, rule), _Fields(anchor=_parse_date(words[at])), words[at + 1 :]
    if head == "daily":
        return _allowed(Repeat.DAILY, rule), _Fields(), words[1:]
    if head == "weekly":
        if len(words) < 2:
            raise DoseInputError(N_("add the day of the week, for example: weekly mon 07:00"))
        return _allowed(Repeat.WEEKLY, rule), _Fields(weekday=_parse_weekday(words[1])), words[2:]
    if head == "monthly":
        if len(words) < 2:
            raise DoseInputError(N_("add the date, 1 to 28 or last, for example: monthly 15 08:00"))
        fields = _parse_month_day(words[1])
        return _allowed(Repeat.MONTHLY, rule), fields, words[2:]
    # every N days
    if len(words) < 3 or words[2].casefold() not in ("days", "day"):
        raise DoseInputError(N_("write every N days, for example: every 3 days 08:00"))
    if not words[1].isdigit() or not 2 <= int(words[1]) <= MAX_EVERY_DAYS:
        raise DoseInputError(
            N_("N in every N days must be a number from 2 to {most}"), most=MAX_EVERY_DAYS
        )
    return Repeat.EVERY_N_DAYS, _Fields(every_days=int(words[1]), anchor=today), words[3:]


def _allowed(repeat: Repeat, rule: DoseRule) -> Repeat:
    """A schedule the label does not give is refused: its reminder would carry the wrong rules."""
    if repeat.label_kind in rule.schedules:
        return repeat
    given = _either([Reason(_KIND_WORDS[k]) for k in rule.schedules])
    asked = Reason(_KIND_WORDS[DoseKind(repeat.value)])
    if repeat.is_appointment:
        raise DoseInputError(
            N_("The label of {name} gives appointments {given}, not {asked}."),
            name=rule.name,
            given=given,
            asked=asked,
        )
    raise DoseInputError(
        N_(
            "The label of {name} gives a {given} schedule, not {asked}. Check the "
            "schedule on your prescription, or write every N days if your doctor set another one."
        ),
        name=rule.name,
        given=given,
        asked=asked,
    )


#: A label's schedules as words inside a sentence ("gives a weekly schedule, not daily").
_KIND_WORDS = {
    DoseKind.DAILY: N_("daily"),
    DoseKind.WEEKLY: N_("weekly"),
    DoseKind.MONTHLY: N_("monthly"),
    DoseKind.EVERY_6_MONTHS: N_("every 6 months"),
    DoseKind.YEARLY: N_("yearly"),
    DoseKind.EVERY_2_YEARS: N_("every 2 years"),
}


def _either(words: list[Reason]) -> Reason:
    """`daily or weekly or monthly`, each part translated where the message is shown."""
    joined = words[0]
    for word in words[1:]:
        joined = Reason(N_("{first} or {second}"), first=joined, second=word)
    return joined


def _parse_weekday(text: str) -> int:
    """`mon`, `Monday`, `tues`, `th`: any two or more first letters name one day."""
    folded = text.casefold().rstrip(".")
    days = [n for n, name in enumerate(WEEKDAYS) if len(folded) >= 2 and name.startswith(folded)]
    if len(days) == 1:
        return days[0]
    raise DoseInputError(
        N_("{text} is not a day of the week: write mon, tue, wed, thu, fri, sat or sun"),
        text=text[:20],
    )


def _parse_month_day(text: str) -> _Fields:
    folded = text.casefold()
    if folded in ("last", "last-day"):
        return _Fields(last_day=True)
    if folded.isdigit() and 1 <= int(folded) <= MAX_MONTH_DAY:
        return _Fields(month_day=int(folded))
    if folded.isdigit() and 29 <= int(folded) <= 31:
        raise DoseInputError(
            N_(
                "not every month has a day {day}: choose a date from 1 to 28, "
                "or last for the last day of each month"
            ),
            day=int(folded),
        )
    raise DoseInputError(
        N_("{text} is not a date in the month: write a number from 1 to 28, or last"),
        text=text[:20],
    )


def _parse_date(text: str) -> date:
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise DoseInputError(
            N_("{text} is not a date: write it as YYYY-MM-DD, for example 2027-03-01"),
            text=text[:20],
        ) from None


def _zone(text: str, default_zone: str | None) -> tuple[str, bool]:
    if not text:
        if default_zone is None:
            raise DoseInputError(
                N_("add your time zone at the end, for example Europe/Berlin or Berlin")
            )
        return default_zone, True
    try:
        found = find_zone(text)
    except ValueError as exc:
        raise DoseInputError.of(exc) from None
    if found.key is None:
        if found.choices:
            raise DoseInputError(
                N_("I don't know the time zone {zone}. Did you mean {choices}?"),
                zone=text[:40],
                choices=", ".join(found.choices),
            )
        raise DoseInputError(N_("I don't know the time zone {zone}."), zone=text[:40])
    return found.key, False
