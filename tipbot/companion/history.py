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

from tipbot.delivery.schedule import as_aware, format_minute, local_date_of, tz_from_key

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
LEGEND = "✓ taken  ✗ skipped  z snoozed, no answer  ? no answer  ! not sent (bot was down)"
DESCRIPTIONS = {
    DoseState.TAKEN: "taken",
    DoseState.SKIPPED: "skipped",
    DoseState.SNOOZED: "snoozed, then no answer",
    DoseState.NOT_LOGGED: "no answer",
    DoseState.MISSED: "reminder not sent (the bot was down for over an hour)",
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

    def describe(self) -> str:
        if self.rate is None:
            return "No doses were due in this period."
        return f"Taken: {self.taken} of {self.due} doses ({self.rate:.0%})."


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


def calendar_text(records: Iterable[DoseRecord], today: date, zone: str, weeks: int = WEEKS) -> str:
    """A compact monospace calendar (for `<pre>`), one row a week, with the adherence line.

    A day with two doses shows the later one's state; the weekly and monthly schedules this is
    for have at most one.
    """
    tz = tz_from_key(zone)
    shown = in_window(records, today, zone, weeks)
    by_day = {local_date_of(r.scheduled_at, tz): r.state for r in shown}
    first, _ = window(today, weeks)
    lines = ["       Mo Tu We Th Fr Sa Su"]
    for week in range(weeks):
        monday = first + timedelta(days=7 * week)
        cells = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if day > today:
                cells.append(" ")
            elif day in by_day:
                cells.append(SYMBOLS[by_day[day]])
            else:
                cells.append(NO_DOSE)
        lines.append((f"{monday:%d %b} " + "  ".join(cells)).rstrip())
    lines += ["", LEGEND, adherence(shown).describe()]
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
