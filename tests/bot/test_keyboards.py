"""Callback data stays within Telegram's 64 bytes; the disclaimer is under every keyboard."""

from zoneinfo import available_timezones

import pytest

from tipbot.bot import keyboards
from tipbot.content.models import Bank


def test_data_over_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        keyboards.data("x" * 65)
    assert keyboards.data("a", 1, "b") == "a:1:b"


def test_every_zone_fits_in_a_subscribe_button() -> None:
    longest = max(available_timezones(), key=len)
    markup = keyboards.pick_zone(23 * 60 + 59, [longest, "UTC+05:30"])
    assert all(len(b.callback_data.encode()) <= 64 for row in markup.inline_keyboard for b in row)  # type: ignore[union-attr]


def test_every_keyboard_ends_with_the_disclaimer(bank: Bank) -> None:
    boards = [
        keyboards.main_menu(),
        keyboards.foods(None),
        keyboards.interactions(bank),
        keyboards.daily_tip(),
        keyboards.pick_time(),
        keyboards.settings(True, False),
        keyboards.forget_confirm(),
        keyboards.intake_sex(),
    ]
    for board in boards:
        assert board.inline_keyboard[-1][0].callback_data == keyboards.DISCLAIMER
