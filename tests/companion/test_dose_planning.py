"""Planning of dose reminders without a database: the hour's catch-up, missed doses after a long
outage, appointments a day late, DST, and the keys buttons carry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tipbot.companion.doses import DoseSchedule, Repeat
from tipbot.delivery.dose_planning import MAX_MISSED, dose_key, parse_key, plan_dose

WEEKLY = DoseSchedule(Repeat.WEEKLY, 7 * 60, "Europe/Berlin", weekday=0)  # Mondays 07:00
MONDAY = datetime(2026, 6, 1, 5, 0)  # 07:00 in Berlin (summer time)


def test_due_now_or_within_the_hour_is_sent_and_the_next_is_a_week_later() -> None:
    for late in (timedelta(0), timedelta(minutes=59)):
        step = plan_dose(WEEKLY, MONDAY, MONDAY + late)
        assert step.send is not None and step.send.at == MONDAY
        assert step.missed == ()
        assert step.next_due_at == MONDAY + timedelta(days=7)


def test_more_than_an_hour_late_is_missed_not_sent() -> None:
    step = plan_dose(WEEKLY, MONDAY, MONDAY + timedelta(hours=5))
    assert step.send is None
    assert [m.at for m in step.missed] == [MONDAY]
    assert step.next_due_at == MONDAY + timedelta(days=7)


def test_three_weeks_down_logs_each_missed_dose_and_sends_only_a_fresh_one() -> None:
    now = MONDAY + timedelta(days=14, minutes=10)
    step = plan_dose(WEEKLY, MONDAY, now)
    assert [m.at for m in step.missed] == [MONDAY, MONDAY + timedelta(days=7)]
    assert step.send is not None and step.send.at == MONDAY + timedelta(days=14)


def test_a_daily_plan_down_for_a_year_logs_at_most_the_calendar_s_worth() -> None:
    daily = DoseSchedule(Repeat.DAILY, 7 * 60, "UTC")
    start = datetime(2026, 1, 1, 7, 0)
    step = plan_dose(daily, start, start + timedelta(days=365, hours=3))
    assert len(step.missed) == MAX_MISSED
    assert step.missed[-1].at == start + timedelta(days=365)


def test_the_dst_change_keeps_the_wall_clock_time() -> None:
    # Berlin leaves summer time on 25 October 2026: 07:00 is 05:00 UTC before, 06:00 UTC after.
    before = datetime(2026, 10, 19, 5, 0)
    step = plan_dose(WEEKLY, before, before)
    assert step.next_due_at == datetime(2026, 10, 26, 6, 0)


def test_an_appointment_reminder_may_go_a_day_late() -> None:
    appointment = DoseSchedule(Repeat.EVERY_6_MONTHS, 9 * 60, "UTC", anchor=date(2026, 6, 20))
    due = datetime(2026, 6, 13, 9, 0)
    step = plan_dose(appointment, due, due + timedelta(hours=20))
    assert step.send is not None and step.send.appointment == date(2026, 6, 20)
    assert plan_dose(appointment, due, due + timedelta(days=2)).send is None


def test_keys_round_trip_and_forged_ones_are_refused() -> None:
    assert dose_key(MONDAY) == "202606010500"
    assert parse_key("202606010500") == MONDAY
    for forged in ("", "2026060105", "20260601050x", "202613010500", "x" * 64):
        assert parse_key(forged) is None
