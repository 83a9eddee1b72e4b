"""Reading /subscribe arguments and describing the next tip (no Telegram involved)."""

from datetime import date, datetime

import pytest

from tipbot.storage.subscribers import Subscriber
from tipbot.storage.tables import SubscriberState
from tipbot.subscriptions import (
    SubscribeInputError,
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


def test_paused_has_no_next_tip() -> None:
    sub = Subscriber(1, SubscriberState.PAUSED, 480, "UTC", None)
    assert next_tip_at(sub, None) is None


def test_describe_local_uses_the_subscribers_zone() -> None:
    assert describe_local(datetime(2026, 6, 1, 5, 30), "Europe/Berlin") == "Mon 1 Jun at 07:30"
