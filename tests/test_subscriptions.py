"""Reading /subscribe arguments and describing the next tip (no Telegram involved)."""

from datetime import date, datetime

import pytest

from tipbot import subscriptions
from tipbot.storage.tables import SubscriberState
from tipbot.subscriptions import (
    SubscribeInputError,
    Subscriber,
    describe_local,
    next_tip_at,
    parse_subscribe_args,
)


@pytest.mark.parametrize(
    ("args", "minute", "zone", "assumed"),
    [
        (["07:30", "Europe/Berlin"], 450, "Europe/Berlin", False),
        (["8:00", "UTC-3"], 480, "UTC-03:00", False),
        (["7:30", "pm", "new", "york"], 1170, "America/New_York", False),
        (["07:30"], 450, "UTC", True),
    ],
)
def test_parse_subscribe_args(args: list[str], minute: int, zone: str, assumed: bool) -> None:
    request = parse_subscribe_args(args)
    assert (request.minute, request.zone.key, request.zone_assumed) == (minute, zone, assumed)


def test_the_unknown_zone_is_quoted_as_typed() -> None:
    request = parse_subscribe_args(["7:30", "pm", "Narnia", "North"])
    assert request.zone.key is None and request.zone_text == "Narnia North"


@pytest.mark.parametrize("args", [[], ["25:99"], ["breakfast", "Berlin"], ["8", "UTC+99"]])
def test_bad_arguments_raise_an_input_error_with_advice(args: list[str]) -> None:
    with pytest.raises(SubscribeInputError):
        parse_subscribe_args(args)


def test_next_tip_skips_a_day_that_already_had_its_tip() -> None:
    sub = Subscriber(1, SubscriberState.ACTIVE, 20 * 60, "UTC", datetime(2026, 6, 1, 20, 0))
    assert next_tip_at(sub, None) == datetime(2026, 6, 1, 20, 0)
    assert next_tip_at(sub, date(2026, 6, 1)) == datetime(2026, 6, 2, 20, 0)


def test_a_tip_planned_ahead_is_the_next_one_though_the_schedule_moved_on() -> None:
    # Planned at 19:59:15 for 20:00: the subscriber's next due time is already tomorrow's.
    sub = Subscriber(1, SubscriberState.ACTIVE, 20 * 60, "UTC", datetime(2026, 6, 2, 20, 0))
    planned = datetime(2026, 6, 1, 20, 0)
    assert next_tip_at(sub, date(2026, 6, 1)) == datetime(2026, 6, 2, 20, 0)
    assert next_tip_at(sub, date(2026, 6, 1), planned) == planned
    paused = Subscriber(1, SubscriberState.PAUSED, 20 * 60, "UTC", None)
    assert next_tip_at(paused, date(2026, 6, 1), planned) is None


def test_paused_has_no_next_tip() -> None:
    sub = Subscriber(1, SubscriberState.PAUSED, 480, "UTC", None)
    assert next_tip_at(sub, None) is None


def test_describe_local_uses_the_subscribers_zone() -> None:
    assert describe_local(datetime(2026, 6, 1, 5, 30), "Europe/Berlin") == "Mon 1 Jun at 07:30"


# --- What each command may change (pure rules; storage applies them) ------------------------

RULE_NOW = datetime(2026, 6, 1, 6, 0)


def sub_in(state: SubscriberState, *, blocked: bool = False) -> subscriptions.Subscriber:
    return subscriptions.Subscriber(1, state, 8 * 60, "UTC", None, blocked)


@pytest.mark.parametrize(
    ("rule", "start", "end"),
    [
        (subscriptions.paused, SubscriberState.ACTIVE, SubscriberState.PAUSED),
        (subscriptions.paused, SubscriberState.PAUSED, None),
        (subscriptions.paused, SubscriberState.UNSUBSCRIBED, None),
        (subscriptions.resumed, SubscriberState.PAUSED, SubscriberState.ACTIVE),
        (subscriptions.resumed, SubscriberState.ACTIVE, None),
        (subscriptions.resumed, SubscriberState.UNSUBSCRIBED, None),
        (subscriptions.unsubscribed, SubscriberState.ACTIVE, SubscriberState.UNSUBSCRIBED),
        (subscriptions.unsubscribed, SubscriberState.PAUSED, SubscriberState.UNSUBSCRIBED),
        (subscriptions.unsubscribed, SubscriberState.UNSUBSCRIBED, None),
    ],
)
def test_state_rules(
    rule: subscriptions.Rule, start: SubscriberState, end: SubscriberState | None
) -> None:
    after = rule(sub_in(start), RULE_NOW)
    assert (after.state if after else None) == end
    if after is not None:  # only a receiving subscription has a next tip
        expected = datetime(2026, 6, 1, 8, 0) if end is SubscriberState.ACTIVE else None
        assert after.next_due_at == expected


def test_blocking_keeps_the_chosen_state_and_unblocking_restores_it() -> None:
    for state in SubscriberState:
        blocked = subscriptions.blocked(sub_in(state), RULE_NOW)
        assert blocked is not None and blocked.blocked and blocked.state is state
        assert not blocked.receiving and blocked.next_due_at is None
        assert subscriptions.blocked(blocked, RULE_NOW) is None
        back = subscriptions.unblocked(blocked, RULE_NOW)
        assert back is not None and back.state is state and not back.blocked
        assert (back.next_due_at is not None) is (state is SubscriberState.ACTIVE)


def test_a_new_time_keeps_the_state_and_never_resubscribes() -> None:
    paused = subscriptions.rescheduled(sub_in(SubscriberState.PAUSED), RULE_NOW, minute=600)
    assert paused is not None and (paused.state, paused.send_minute) == (
        SubscriberState.PAUSED,
        600,
    )
    assert subscriptions.rescheduled(sub_in(SubscriberState.UNSUBSCRIBED), RULE_NOW, 600) is None
    active = subscriptions.rescheduled(sub_in(SubscriberState.ACTIVE), RULE_NOW, tz="UTC+02:00")
    assert active is not None and active.next_due_at == datetime(2026, 6, 2, 6, 0)


# A daily tip planned ahead (the delivery loop plans a minute early) and a new time.
PLANNED_DAY = date(2026, 6, 1)
PLANNED_DUE = datetime(2026, 6, 1, 8, 0)
PLANNED_EXPIRE = datetime(2026, 6, 1, 14, 0)
JUST_BEFORE = datetime(2026, 6, 1, 7, 59, 30)


def follow(after: subscriptions.Subscriber | None) -> tuple[datetime, datetime] | None:
    assert after is not None
    return subscriptions.follow_new_time(PLANNED_DAY, PLANNED_DUE, PLANNED_EXPIRE, after)


def planned_sub(tz: str = "UTC") -> subscriptions.Subscriber:
    return subscriptions.Subscriber(1, SubscriberState.ACTIVE, 8 * 60, tz, None)


def test_a_planned_tip_moves_to_a_new_time_later_the_same_day_with_its_window() -> None:
    after = subscriptions.rescheduled(planned_sub(), JUST_BEFORE, minute=9 * 60)
    assert follow(after) == (datetime(2026, 6, 1, 9, 0), datetime(2026, 6, 1, 15, 0))


def test_a_planned_tip_stays_when_the_new_time_has_passed_today() -> None:
    after = subscriptions.rescheduled(planned_sub(), JUST_BEFORE, minute=7 * 60)
    assert after is not None and after.next_due_at == datetime(2026, 6, 2, 7, 0)
    assert follow(after) is None


def test_a_planned_tip_follows_a_new_zone_on_the_same_local_day() -> None:
    # 08:00 in UTC-02:00 is 10:00 UTC, still 1 June there.
    after = subscriptions.rescheduled(planned_sub(), JUST_BEFORE, tz="UTC-02:00")
    assert follow(after) == (datetime(2026, 6, 1, 10, 0), datetime(2026, 6, 1, 16, 0))


def test_a_planned_tip_never_moves_for_a_chat_that_does_not_receive() -> None:
    paused = subscriptions.paused(planned_sub(), JUST_BEFORE)
    assert follow(paused) is None
