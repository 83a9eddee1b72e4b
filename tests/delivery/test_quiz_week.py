"""When the weekly quiz is due: Sundays at the chat's tip time, its own local week, DST-correct,
within the catch-up window, once per week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tipbot.content.models import Bank
from tipbot.content.quiz import streak, weekly_choice
from tipbot.delivery import quiz_week

SIX_HOURS = timedelta(hours=6)


def test_week_ref_is_the_iso_week() -> None:
    assert quiz_week.week_ref(date(2026, 12, 6)) == "2026-W49"  # a Sunday
    assert quiz_week.week_ref(date(2026, 12, 7)) == "2026-W50"  # the Monday after
    assert quiz_week.week_ref(date(2027, 1, 1)) == "2026-W53"  # ISO years differ at New Year


def test_due_on_sunday_at_the_tip_time_across_a_dst_change() -> None:
    # Berlin moves its clocks forward on Sunday 29 March 2026: 08:00 is 06:00 UTC that day,
    # 07:00 UTC the Sunday before. Any day of the week gives the same week's Sunday.
    assert quiz_week.due_in_week(date(2026, 3, 23), 8 * 60, "Europe/Berlin") == (
        "2026-W13",
        datetime(2026, 3, 29, 6, 0),
    )
    assert quiz_week.due_in_week(date(2026, 3, 22), 8 * 60, "Europe/Berlin") == (
        "2026-W12",
        datetime(2026, 3, 22, 7, 0),
    )
    assert quiz_week.due_in_week(date(2026, 3, 25), 20 * 60, "UTC+05:30")[1] == datetime(
        2026, 3, 29, 14, 30
    )


def test_due_now_only_in_the_window_and_once_a_week() -> None:
    due = datetime(2026, 3, 29, 6, 0)
    minute, zone = 8 * 60, "Europe/Berlin"
    assert quiz_week.due_now(minute, zone, None, due - timedelta(minutes=1), SIX_HOURS) is None
    assert quiz_week.due_now(minute, zone, None, due, SIX_HOURS) == ("2026-W13", due)
    assert quiz_week.due_now(minute, zone, "2026-W12", due + timedelta(hours=5), SIX_HOURS)
    assert quiz_week.due_now(minute, zone, "2026-W13", due, SIX_HOURS) is None  # planned
    assert quiz_week.due_now(minute, zone, None, due + SIX_HOURS, SIX_HOURS) is None  # too late


def test_the_week_is_the_chats_own_local_week() -> None:
    # Sunday 23:30 in Los Angeles is Monday in UTC: still that Sunday's quiz, that week's key.
    now = datetime(2026, 3, 30, 6, 30)  # 23:30 PDT on Sunday 29 March
    assert quiz_week.due_now(23 * 60 + 30, "America/Los_Angeles", None, now, SIX_HOURS) == (
        "2026-W13",
        now,
    )


def test_next_due_skips_a_planned_or_past_week() -> None:
    minute, zone = 8 * 60, "UTC"
    monday = datetime(2026, 3, 23, 12, 0)
    assert quiz_week.next_due(minute, zone, None, monday) == datetime(2026, 3, 29, 8, 0)
    assert quiz_week.next_due(minute, zone, "2026-W13", monday) == datetime(2026, 4, 5, 8, 0)
    late_sunday = datetime(2026, 3, 29, 9, 0)
    assert quiz_week.next_due(minute, zone, None, late_sunday) == datetime(2026, 4, 5, 8, 0)


def test_streak_counts_right_answers_back_from_the_latest() -> None:
    assert streak([]) == 0
    assert streak([True, True, False, True]) == 2
    assert streak([False, True, True]) == 0


def test_weekly_choice_is_new_to_the_chat_and_the_same_on_every_replica(bank: Bank) -> None:
    asked = {q.id for q in bank.quiz[:-1]}
    assert weekly_choice(bank.quiz, asked, 42, "2026-W13") == bank.quiz[-1]
    picks = {weekly_choice(bank.quiz, set(), 42, "2026-W13").id for _ in range(5)}
    assert len(picks) == 1
    everything = {q.id for q in bank.quiz}  # all asked: any question again, still fixed
    again = weekly_choice(bank.quiz, everything, 42, "2026-W13")
    assert again == weekly_choice(bank.quiz, everything, 42, "2026-W13")
    weeks = {weekly_choice(bank.quiz, set(), 42, f"2026-W{n:02d}").id for n in range(1, 30)}
    assert len(weeks) > 5  # different weeks draw different questions
