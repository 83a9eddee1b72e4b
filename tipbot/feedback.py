"""Feedback on daily tips: a 👍 or 👎 per chat and tip, so editors see which tips to improve.

A vote is changeable: the other button replaces it, the same button again keeps it. Nothing the
user writes is stored, only the sign.
"""

from __future__ import annotations

from enum import IntEnum

from tipbot import messages


class Vote(IntEnum):
    UP = 1
    DOWN = -1

    @property
    def sign(self) -> str:
        """The callback-data field of its button (`fb:+:<tip>`, `fb:-:<tip>`)."""
        return "+" if self is Vote.UP else "-"


def parse_sign(text: str) -> Vote | None:
    """The vote a button's sign field stands for; None for anything forged."""
    return {"+": Vote.UP, "-": Vote.DOWN}.get(text)


def toast(before: Vote | None, now: Vote) -> str:
    """The short answer to a press: thanks for a first vote, "changed" for the other button,
    "already noted" when the same button is pressed again (in English: the handler translates)."""
    if before is None:
        return messages.FEEDBACK_THANKS
    if before is now:
        return messages.FEEDBACK_SAME
    return messages.FEEDBACK_CHANGED
