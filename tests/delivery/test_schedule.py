"""Schedule maths: local wall-clock times to UTC, across daylight-saving changes."""

from datetime import date, datetime, timedelta

import pytest

from tipbot.delivery.schedule import (
    due_on,
    following_due,
    format_minute,
    local_date_of,
    next_due,
    parse_minute,
    tz_from_key,
)

BERLIN = tz_from_key("Europe/Berlin")
NEW_YORK = tz_from_key("America/New_York")


def test_due_on_converts_local_time_to_naive_utc() -> None:
    assert due_on(date(2026, 1, 15), 8 * 60, BERLIN) == datetime(2026, 1, 15, 7, 0)
    assert due_on(date(2026, 7, 15), 8 * 60, BERLIN) == datetime(2026, 7, 15, 6, 0)


def test_eight_oclock_berlin_stays_eight_across_spring_forward() -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 on 29 March 2026.
    before = next_due(8 * 60, BERLIN, datetime(2026, 3, 28, 0, 0))
    after = next_due(8 * 60, BERLIN, before)
    assert before == datetime(2026, 3, 28, 7, 0)
    assert after == datetime(2026, 3, 29, 6, 0)
    assert after - before == timedelta(hours=23)


def test_eight_oclock_berlin_stays_eight_across_fall_back() -> None:
    # Back to UTC+1 on 25 October 2026.
    before = next_due(8 * 60, BERLIN, datetime(2026, 10, 24, 0, 0))
    after = next_due(8 * 60, BERLIN, before)
    assert before == datetime(2026, 10, 24, 6, 0)
    assert after == datetime(2026, 10, 25, 7, 0)
    assert after - before == timedelta(hours=25)


def test_nonexistent_time_is_sent_once_an_hour_later_on_the_wall_clock() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: it is sent at 01:30 UTC = 03:30 CEST.
    due = due_on(date(2026, 3, 29), 2 * 60 + 30, BERLIN)
    assert due == datetime(2026, 3, 29, 1, 30)
    day_before = due_on(date(2026, 3, 28), 2 * 60 + 30, BERLIN)
    assert next_due(2 * 60 + 30, BERLIN, day_before) == due
    assert local_date_of(due, BERLIN) == date(2026, 3, 29)


def test_repeated_time_is_sent_once_at_its_first_occurrence() -> None:
    # 02:30 happens twice in Berlin on 25 October 2026 (00:30 UTC and 01:30 UTC).
    due = due_on(date(2026, 10, 25), 2 * 60 + 30, BERLIN)
    assert due == datetime(2026, 10, 25, 0, 30)
    following = next_due(2 * 60 + 30, BERLIN, due)
    assert following == datetime(2026, 10, 26, 1, 30)  # the next day, not the second 02:30


def test_new_york_dst_change() -> None:
    before = due_on(date(2026, 3, 7), 7 * 60, NEW_YORK)
    after = due_on(date(2026, 3, 8), 7 * 60, NEW_YORK)
    assert (before.hour, after.hour) == (12, 11)


def test_fixed_offset_zone() -> None:
    zone = tz_from_key("UTC+05:30")
    assert due_on(date(2026, 5, 1), 8 * 60, zone) == datetime(2026, 5, 1, 2, 30)
    assert due_on(date(2026, 5, 1), 8 * 60, tz_from_key("UTC-03:00")) == datetime(2026, 5, 1, 11)


def test_unknown_zone_key_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        tz_from_key("Narnia/Cair_Paravel")


def test_next_due_is_strictly_after() -> None:
    now = datetime(2026, 6, 1, 6, 0)  # exactly 08:00 in Berlin
    assert next_due(8 * 60, BERLIN, now) == datetime(2026, 6, 2, 6, 0)
    assert next_due(8 * 60, BERLIN, now - timedelta(seconds=1)) == now


def test_following_due_after_downtime_keeps_todays_tip_within_catchup() -> None:
    scheduled = datetime(2026, 6, 1, 6, 0)
    now = datetime(2026, 6, 4, 8, 0)  # three days later, two hours after today's 08:00 Berlin
    following = following_due(scheduled, 8 * 60, BERLIN, now, timedelta(hours=6))
    assert following == datetime(2026, 6, 4, 6, 0)


def test_following_due_normally_is_the_next_day() -> None:
    scheduled = datetime(2026, 6, 1, 6, 0)
    following = following_due(scheduled, 8 * 60, BERLIN, scheduled, timedelta(hours=6))
    assert following == datetime(2026, 6, 2, 6, 0)


@pytest.mark.parametrize(
    ("text", "minute"),
    [
        ("07:30", 450),
        ("7:30", 450),
        ("7.30", 450),
        ("8", 480),
        ("19h", 1140),
        ("7am", 420),
        ("7:30 pm", 1170),
        ("12am", 0),
        ("12pm", 720),
        ("00:00", 0),
        ("23:59", 1439),
    ],
)
def test_parse_minute_accepts_common_forms(text: str, minute: int) -> None:
    assert parse_minute(text) == minute


@pytest.mark.parametrize("text", ["25:99", "24:00", "7:60", "", "noon", "13pm", "7:3", "-1"])
def test_parse_minute_rejects_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_minute(text)


def test_format_minute() -> None:
    assert format_minute(450) == "07:30"
