"""Tip feedback rules: the buttons' signs and the toast after a press."""

from __future__ import annotations

from tipbot import messages
from tipbot.feedback import Vote, parse_sign, toast


def test_signs_round_trip_and_forgeries_are_refused() -> None:
    assert [parse_sign(v.sign) for v in Vote] == list(Vote)
    assert parse_sign("") is None
    assert parse_sign("++") is None
    assert parse_sign("1") is None


def test_toasts() -> None:
    assert toast(None, Vote.UP) == messages.FEEDBACK_THANKS
    assert toast(Vote.UP, Vote.UP) == messages.FEEDBACK_SAME
    assert toast(Vote.UP, Vote.DOWN) == messages.FEEDBACK_CHANGED
    assert toast(Vote.DOWN, Vote.UP) == messages.FEEDBACK_CHANGED
