"""👍 / 👎 under each daily tip, end to end: changeable votes, toasts, /stats, /forget."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import ADMIN_ID, FakeClock, User
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.bot import keyboards
from tipbot.content.models import Bank
from tipbot.feedback import Vote
from tipbot.runner import Runner
from tipbot.storage import votes
from tipbot.telegram_html import MAX_CALLBACK_DATA_BYTES


def test_every_tip_gets_both_buttons_within_telegrams_limit(bank: Bank) -> None:
    for tip in bank.tips:
        data = [
            b.callback_data
            for row in keyboards.daily_tip(tip_id=tip.id).inline_keyboard
            for b in row
        ]
        assert data[:2] == [f"fb:+:{tip.id}", f"fb:-:{tip.id}"]
        assert all(len(str(d).encode()) <= MAX_CALLBACK_DATA_BYTES for d in data)


async def press(fake: FakeBotApi, message: SentMessage, data: str) -> str | None:
    """Press a button whose answer is a toast; return the toast's text."""
    before = len(fake.callback_answers)
    fake.push_callback(message.chat_id, message.message_id, data)
    await fake.wait_for(lambda: len(fake.callback_answers) > before, what=f"a toast for {data}")
    return fake.callback_answers[-1].text


async def stored_vote(runner: Runner, tip_id: str) -> Vote | None:
    tallies = {t.tip_id: t for t in await votes.counts(runner.engine, 100)}
    # The test has one voter: its vote is whichever count is 1.
    tally = tallies.get(tip_id)
    if tally is None:
        return None
    return Vote.UP if tally.up else Vote.DOWN


async def test_votes_are_changeable_counted_and_forgotten(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    user = User(fake_api, 8201)
    await user.send("/subscribe 08:00 UTC")
    clock.now = datetime(2026, 6, 1, 8, 0)
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await deliverer.sweep()
    [tip] = [m for m in user.inbox if m.text.startswith("💡")]
    up, down = (b["callback_data"] for b in tip.buttons[:2])
    tip_id = up.split(":", 2)[2]
    assert (up, down) == (f"fb:+:{tip_id}", f"fb:-:{tip_id}")
    messages_before = len(user.inbox)

    assert await press(fake_api, tip, up) == messages.FEEDBACK_THANKS
    assert await stored_vote(runner, tip_id) is Vote.UP
    assert await press(fake_api, tip, up) == messages.FEEDBACK_SAME
    assert await stored_vote(runner, tip_id) is Vote.UP
    assert await press(fake_api, tip, down) == messages.FEEDBACK_CHANGED
    assert await stored_vote(runner, tip_id) is Vote.DOWN
    assert len(user.inbox) == messages_before  # toasts only: the chat stays quiet

    [stats] = await User(fake_api, ADMIN_ID).send("/stats")
    assert f"{tip_id}: 👎 1 · 👍 0" in stats.plain

    [ask] = await user.send("/forget")
    await user.press(ask, "forget:yes")
    assert await votes.counts(runner.engine, 100) == []


async def test_a_forged_or_removed_tip_is_not_stored(runner: Runner, fake_api: FakeBotApi) -> None:
    user = User(fake_api, 8202)
    [tip] = await user.send("/start")  # any message the bot sent can carry a forged press
    assert await press(fake_api, tip, "fb:+:no-such-tip") == messages.FEEDBACK_UNKNOWN
    assert await press(fake_api, tip, "fb:x:" + runner.services.bank.tips[0].id) == (
        messages.FEEDBACK_UNKNOWN
    )
    assert await votes.counts(runner.engine, 100) == []
