"""The dose log: what happened to each scheduled dose, a 12-week calendar, and a CSV for the doctor.

The log keeps five states apart, because an adherence rate is only honest if silence is never
counted as a dose taken:
- taken: the person pressed Taken;
- skipped: the person pressed Skip today;
- snoozed: the person pressed Snooze and then answered nothing more;
- not logged: the reminder was sent and nothing was pressed;
- missed: the reminder was not sent because it was more than an hour late (after downtime).

Everything here is a pure function over (scheduled_at, state) records in naive UTC, the storage
convention, shown in the person's zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from babel.dates import format_date, get_day_names
from babel.numbers import format_percent

from tipbot import messages
from tipbot.delivery.schedule import as_aware, format_minute, local_date_of, tz_from_key
from tipbot.i18n import ENGLISH, N_, Translator

WEEKS = 12


class DoseState(StrEnum):
    TAKEN = "taken"
    SKIPPED = "skipped"
    SNOOZED = "snoozed"
    NOT_LOGGED = "not_logged"
    MISSED = "missed"


class Press(StrEnum):
    """The buttons under a dose reminder."""

    TAKEN = "taken"
    SNOOZE = "snooze"
    SKIP = "skip"


#: One character per state for the calendar; a day with no dose is `·`, a day to come is blank.
SYMBOLS = {
    DoseState.TAKEN: "✓",
    DoseState.SKIPPED: "✗",
    DoseState.SNOOZED: "z",
    DoseState.NOT_LOGGED: "?",
    DoseState.MISSED: "!",
}
NO_DOSE = "·"
LEGEND = N_("✓ taken  ✗ skipped  z snoozed, no answer  ? no answer  ! not sent (bot was down)")
#: Each state in words, for replies (translated where shown) and the CSV (English).
DESCRIPTIONS = {
    DoseState.TAKEN: N_("taken"),
    DoseState.SKIPPED: N_("skipped"),
    DoseState.SNOOZED: N_("snoozed, then no answer"),
    DoseState.NOT_LOGGED: N_("no answer"),
    DoseState.MISSED: N_("reminder not sent (the bot was down for over an hour)"),
}


@dataclass(frozen=True)
class DoseRecord:
    scheduled_at: datetime  # naive UTC
    state: DoseState


def state_after(presses: Sequence[Press]) -> DoseState:
    """A dose's state from its presses in order. No press is never "taken".

    The last Taken or Skip decides; a Snooze after it does not undo it (a stale button). Snooze
    with nothing after it stays snoozed.
    """
    for press in reversed(presses):
        if press is Press.TAKEN:
            return DoseState.TAKEN
        if press is Press.SKIP:
            return DoseState.SKIPPED
    return DoseState.SNOOZED if presses else DoseState.NOT_LOGGED


@dataclass(frozen=True)
class Adherence:
    taken: int
    due: int

    @property
    def rate(self) -> float | None:
        """Doses taken out of doses due; None when nothing was due (not 0% and not 100%)."""
        return self.taken / self.due if self.due else None

    def describe(self, t: Translator = ENGLISH) -> str:
        """`Taken: 9 of 12 doses (75%).` in the reader's language (its plural, its percent)."""
        if self.rate is None:
            return t.gettext(N_("No doses were due in this period."))
        rate = format_percent(self.rate, locale=t.language)
        return t.ngettext(messages.HISTORY_ADHERENCE, self.due).format(
            taken=self.taken, due=self.due, rate=rate
        )


def adherence(records: Iterable[DoseRecord]) -> Adherence:
    """Every scheduled dose counts as due, whatever happened to it; only Taken counts as taken."""
    states = [r.state for r in records]
    return Adherence(states.count(DoseState.TAKEN), len(states))


def window(today: date, weeks: int = WEEKS) -> tuple[date, date]:
    """The first and last local day shown: whole weeks, Monday first, ending with this week."""
    last = today + timedelta(days=6 - today.weekday())
    return last - timedelta(days=7 * weeks - 1), last


def in_window(
    records: Iterable[DoseRecord], today: date, zone: str, weeks: int = WEEKS
) -> list[DoseRecord]:
    """The records of the calendar's weeks up to today, by local date, oldest first."""
    tz = tz_from_key(zone)
    first, _ = window(today, weeks)
    kept = [r for r in records if first <= local_date_of(r.scheduled_at, tz) <= today]
    return sorted(kept, key=lambda r: r.scheduled_at)


def calendar_text(
    records: Iterable[DoseRecord],
    today: date,
    zone: str,
    weeks: int = WEEKS,
    t: Translator = ENGLISH,
) -> str:
    """A compact monospace calendar (for `<pre>`), one row a week, with the adherence line, in
    the reader's language (CLDR day and month names, so no catalogue entry per name).

    A day with two doses shows the later one's state; the weekly and monthly schedules this is
    for have at most one.
    """
    tz = tz_from_key(zone)
    shown = in_window(records, today, zone, weeks)
    by_day = {local_date_of(r.scheduled_at, tz): r.state for r in shown}
    first, _ = window(today, weeks)
    mondays = [first + timedelta(days=7 * week) for week in range(weeks)]
    labels = [str(format_date(m, "dd MMM", locale=t.language)) for m in mondays]
    width = max(len(label) for label in labels)
    days = get_day_names("short", locale=t.language)
    header = " ".join(str(days[n]).rstrip(".")[:2].ljust(2) for n in range(7))
    lines = [" " * (width + 1) + header]
    for monday, label in zip(mondays, labels, strict=True):
        cells = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if day > today:
                cells.append(" ")
            elif day in by_day:
                cells.append(SYMBOLS[by_day[day]])
            else:
                cells.append(NO_DOSE)
        lines.append((f"{label.ljust(width)} " + "  ".join(cells)).rstrip())
    lines += ["", t.gettext(LEGEND), adherence(shown).describe(t)]
    return "\n".join(lines)


CSV_HEADER = ("date", "time", "weekday", "state", "what happened", "scheduled_utc")


def to_csv(records: Iterable[DoseRecord], zone: str) -> str:
    """Every record, oldest first, in local time with the UTC moment too, for a doctor's sheet."""
    tz = tz_from_key(zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for record in sorted(records, key=lambda r: r.scheduled_at):
        moment = as_aware(record.scheduled_at).astimezone(tz)
        writer.writerow(
            (
                moment.date().isoformat(),
                format_minute(moment.hour * 60 + moment.minute),
                f"{moment:%A}",
                record.state.value,
                DESCRIPTIONS[record.state],
                record.scheduled_at.isoformat(timespec="minutes") + "Z",
            )
        )
    return out.getvalue()
