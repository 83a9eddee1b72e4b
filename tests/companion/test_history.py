"""The dose log: states kept apart, the 12-week calendar, the adherence rate and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from tests.bot.english import english_left
from tipbot.companion.history import (
    CSV_HEADER,
    DoseRecord,
    DoseState,
    Press,
    adherence,
    calendar_text,
    in_window,
    state_after,
    to_csv,
    window,
)
from tipbot.i18n import FALLBACKS, Translator

S = DoseState
TODAY = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("presses", "state"),
    [
        ([], S.NOT_LOGGED),
        ([Press.TAKEN], S.TAKEN),
        ([Press.SKIP], S.SKIPPED),
        ([Press.SNOOZE], S.SNOOZED),
        ([Press.SNOOZE, Press.SNOOZE], S.SNOOZED),
        ([Press.SNOOZE, Press.TAKEN], S.TAKEN),
        ([Press.SNOOZE, Press.SKIP], S.SKIPPED),
        ([Press.TAKEN, Press.SNOOZE], S.TAKEN),  # a stale Snooze does not undo Taken
        ([Press.SKIP, Press.TAKEN], S.TAKEN),
    ],
)
def test_state_after_presses(presses: list[Press], state: DoseState) -> None:
    assert state_after(presses) is state


def test_silence_is_never_taken() -> None:
    records = [DoseRecord(datetime(2026, 11, d, 6), S.NOT_LOGGED) for d in (2, 9, 16)]
    records.append(DoseRecord(datetime(2026, 11, 23, 6), S.MISSED))
    records.append(DoseRecord(datetime(2026, 11, 30, 6), S.SNOOZED))
    result = adherence(records)
    assert (result.taken, result.due, result.rate) == (0, 5, 0.0)


def test_adherence_rate() -> None:
    states = [S.TAKEN] * 9 + [S.SKIPPED, S.NOT_LOGGED, S.MISSED]
    records = [
        DoseRecord(datetime(2026, 9, 7) + timedelta(weeks=n), s) for n, s in enumerate(states)
    ]
    result = adherence(records)
    assert result.rate == pytest.approx(0.75)
    assert result.describe() == "Taken: 9 of 12 doses (75%)."


def test_no_doses_means_no_rate() -> None:
    assert adherence([]).rate is None
    assert adherence([]).describe() == "No doses were due in this period."


def test_window_is_twelve_whole_weeks_ending_this_week() -> None:
    first, last = window(date(2026, 11, 26))  # a Thursday
    assert first.weekday() == 0 and last.weekday() == 6
    assert (last - first).days + 1 == 84
    assert last == date(2026, 11, 29)


def weekly_mondays(states: list[DoseState]) -> list[DoseRecord]:
    """Weekly doses at 07:00 Berlin (06:00 UTC in winter) on Mondays, ending today."""
    start = TODAY - timedelta(weeks=len(states) - 1)
    return [
        DoseRecord(
            datetime.combine(start + timedelta(weeks=n), datetime.min.time()) + timedelta(hours=6),
            s,
        )
        for n, s in enumerate(states)
    ]


def test_calendar_shows_one_symbol_per_dose_and_the_rate() -> None:
    states = [S.TAKEN] * 8 + [S.SKIPPED, S.SNOOZED, S.NOT_LOGGED, S.MISSED, S.TAKEN]
    text = calendar_text(weekly_mondays(states), TODAY, "Europe/Berlin")
    lines = text.splitlines()
    assert lines[0] == "       Mo Tu We Th Fr Sa Su"
    rows = lines[1:13]
    assert len(rows) == 12
    mondays = [row[7] for row in rows]  # the first cell of each week
    # 13 doses, 12 weeks shown: the oldest one is outside the window.
    assert mondays == ["✓"] * 7 + ["✗", "z", "?", "!", "✓"]
    assert rows[0].startswith("14 Sep ")
    assert rows[-1] == "30 Nov ✓"  # days to come are blank
    assert rows[0][10] == "·"  # a Tuesday without a dose
    assert lines[-1] == "Taken: 8 of 12 doses (67%)."


def test_calendar_uses_the_local_date() -> None:
    # 23:30 UTC on Sunday is already Monday in Berlin.
    record = DoseRecord(datetime(2026, 11, 29, 23, 30), S.TAKEN)
    text = calendar_text([record], TODAY, "Europe/Berlin")
    assert text.splitlines()[12][7] == "✓"
    assert calendar_text([record], TODAY, "UTC").splitlines()[11][-1] == "✓"


def test_records_after_today_are_not_counted() -> None:
    future = DoseRecord(datetime(2026, 12, 2, 6), S.NOT_LOGGED)
    assert in_window([future], TODAY, "UTC") == []


def test_csv_for_the_doctor() -> None:
    records = [
        DoseRecord(datetime(2026, 11, 30, 6), S.SKIPPED),
        DoseRecord(datetime(2026, 11, 23, 6), S.TAKEN),
        DoseRecord(datetime(2026, 11, 16, 6), S.MISSED),
    ]
    rows = list(csv.reader(io.StringIO(to_csv(records, "Europe/Berlin"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1] == ["2026-11-16", "07:00", "Monday", "missed", rows[1][4], "2026-11-16T06:00Z"]
    assert "not sent" in rows[1][4]
    assert [r[3] for r in rows[1:]] == ["missed", "taken", "skipped"]  # oldest first
    assert len(rows) == 4


def test_csv_of_nothing_is_just_the_header() -> None:
    assert to_csv([], "UTC") == ",".join(CSV_HEADER) + "\n"


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
def test_the_calendar_in_each_language_keeps_its_columns(lang: str) -> None:
    """Day and month names from CLDR, the legend and the rate from the catalogue; every row's
    Monday cell still sits under the header's first day, whatever the month name's length."""
    states = [S.TAKEN] * 8 + [S.SKIPPED, S.SNOOZED, S.NOT_LOGGED, S.MISSED, S.TAKEN]
    before = FALLBACKS[lang]
    text = calendar_text(weekly_mondays(states), TODAY, "Europe/Berlin", t=Translator(lang))
    assert FALLBACKS[lang] == before
    assert english_left(text) == [], text
    lines = text.splitlines()
    column = len(lines[0]) - len(lines[0].lstrip())
    assert [row[column] for row in lines[1:13]] == ["✓"] * 7 + ["✗", "z", "?", "!", "✓"]
    assert all(row[column - 1] == " " for row in lines[1:13])
    assert len(lines[0]) == column + 20  # seven two-letter days, one space apart


def test_the_calendar_in_german_and_russian() -> None:
    text = calendar_text([], TODAY, "UTC", t=Translator("de"))
    assert text.splitlines()[0].split() == ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    assert text.splitlines()[-1] == "In diesem Zeitraum war keine Dosis fällig."
    taken = adherence([DoseRecord(datetime(2026, 11, 30, 6), S.TAKEN)] * 3)
    assert taken.describe(Translator("de")) == "Genommen: 3 von 3 Dosen (100\u00a0%)."
    some = adherence([DoseRecord(datetime(2026, 11, 30, 6), S.TAKEN)] * 21)
    assert some.describe(Translator("ru")) == "Принято: 21 из 21 дозы (100\u00a0%)."
