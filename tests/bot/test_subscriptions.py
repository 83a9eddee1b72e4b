"""Subscribing, changing and leaving, end to end through the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot import subscriptions
from tipbot.runner import Runner
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import SubscriberState, subscribers

pytestmark = pytest.mark.usefixtures("runner")


def data_of(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["callback_data"] for b in message.buttons if "callback_data" in b]


async def stored(runner: Runner, chat: int) -> subscriptions.Subscriber | None:
    return await subs.get(runner.engine, chat)


async def test_subscribe_in_one_message(user: User, runner: Runner, clock: FakeClock) -> None:
    clock.now = datetime(2026, 6, 1, 5, 0)  # 07:00 in Berlin (CEST)
    [reply] = await user.send("/subscribe 07:30 Europe/Berlin")
    assert "07:30 (Europe/Berlin)" in reply.plain
    assert "Mon, Jun 1, 7:30\u202fAM" in reply.plain  # Babel's English date and time
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.state is SubscriberState.ACTIVE
    assert (sub.send_minute, sub.tz, sub.next_due_at) == (
        450,
        "Europe/Berlin",
        datetime(2026, 6, 1, 5, 30),
    )


async def test_status_names_todays_tip_once_it_is_planned_a_minute_ahead(
    user: User, runner: Runner, clock: FakeClock
) -> None:
    """Planned at 07:29:20 Berlin time, today's tip is still to come though the schedule's next
    due time has moved on to tomorrow: /status names today's."""
    clock.now = datetime(2026, 6, 1, 5, 0)
    await user.send("/subscribe 07:30 Europe/Berlin")
    clock.now = datetime(2026, 6, 1, 5, 29, 20)
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await deliverer.sweep()  # plans the 07:30 tip; nothing is due yet
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.next_due_at == datetime(2026, 6, 2, 5, 30)
    [reply] = await user.send("/status")
    assert "Mon, Jun 1, 7:30\u202fAM" in reply.plain, reply.plain


async def test_subscribe_with_an_offset_and_no_zone(user: User, runner: Runner) -> None:
    [reply] = await user.send("/subscribe 8:00 UTC-3")
    assert "08:00 (UTC-03:00)" in reply.plain
    [reply] = await user.send("/subscribe 07:30")
    assert "07:30 (UTC)" in reply.plain
    assert "No time zone was given, so I used UTC" in reply.plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/subscribe 25:99", "25:99 is not a time of day"),
        ("/subscribe 8 Narnia", "I don't know the time zone Narnia"),
        ("/subscribe breakfast", "HH:MM"),
        ("/subscribe 8 UTC+27", "UTC offset"),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_saved(
    user: User, runner: Runner, text: str, expected: str
) -> None:
    [reply] = await user.send(text)
    assert expected in reply.plain
    assert "Traceback" not in reply.plain
    assert await stored(runner, user.chat_id) is None


async def test_guided_flow_with_buttons(user: User, runner: Runner) -> None:
    [ask_time] = await user.send("/subscribe")
    assert "sub:t:480" in data_of(ask_time)
    [ask_zone] = await user.press(ask_time, "sub:t:480")
    assert "sub:z:480:Europe/Berlin" in data_of(ask_zone)
    [done] = await user.press(ask_zone, "sub:z:480:Europe/Berlin")
    assert "Subscribed" in done.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and (sub.send_minute, sub.tz) == (480, "Europe/Berlin")


async def test_guided_flow_by_typing_with_an_ambiguous_city(user: User, runner: Runner) -> None:
    [ask_time] = await user.send("/subscribe")
    [prompt] = await user.press(ask_time, "sub:type")
    assert "Type the time" in prompt.plain
    [ask_zone] = await user.send("7:15 pm")
    assert "19:15" in ask_zone.plain
    [choices] = await user.send("Berlinn")
    assert "sub:z:1155:Europe/Berlin" in data_of(choices)
    [done] = await user.press(choices, "sub:z:1155:Europe/Berlin")
    assert "19:15 (Europe/Berlin)" in done.plain


async def test_status_pause_resume_unsubscribe(user: User, runner: Runner) -> None:
    [reply] = await user.send("/status")
    assert "not subscribed" in reply.plain
    await user.send("/subscribe 09:00 new york")
    [reply] = await user.send("/status")
    assert "09:00 (America/New York)" in reply.plain and "Next tip" in reply.plain
    [reply] = await user.send("/pause")
    assert "Paused" in reply.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.state is SubscriberState.PAUSED and sub.next_due_at is None
    [reply] = await user.send("/resume")
    assert "Resumed" in reply.plain
    [reply] = await user.send("/unsubscribe")
    assert "Unsubscribed" in reply.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.state is SubscriberState.UNSUBSCRIBED


async def test_settings_change_time_and_zone_with_buttons(user: User, runner: Runner) -> None:
    await user.send("/subscribe 07:00 UTC")
    [panel] = await user.send("/settings")
    assert "set:time" in data_of(panel)
    [times] = await user.press(panel, "set:time")
    [changed] = await user.press(times, "set:t:1200")
    assert "20:00 (UTC)" in changed.plain
    [panel] = await user.send("/settings")
    [prompt] = await user.press(panel, "set:zone")
    assert "Type your time zone" in prompt.plain
    [changed] = await user.send("Tokyo")
    assert "20:00 (Asia/Tokyo)" in changed.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and (sub.send_minute, sub.tz) == (1200, "Asia/Tokyo")


async def test_forget_needs_confirmation_and_deletes_everything(user: User, runner: Runner) -> None:
    await user.send("/subscribe 07:00 UTC")
    [ask] = await user.send("/forget")
    [kept] = await user.press(ask, "forget:no")
    assert "Nothing was deleted" in kept.plain
    assert await stored(runner, user.chat_id) is not None
    [ask] = await user.send("/forget")
    [gone] = await user.press(ask, "forget:yes")
    assert "deleted" in gone.plain
    async with runner.engine.connect() as conn:
        left = await conn.scalar(select(func.count()).select_from(subscribers))
    assert left == 0


async def test_start_brings_back_a_user_who_had_blocked_the_bot(
    user: User, runner: Runner, clock: FakeClock
) -> None:
    await user.send("/subscribe 07:00 UTC")
    await subs.change(runner.engine, user.chat_id, clock(), subscriptions.blocked)
    replies = await user.send("/start", replies=2)
    assert "Welcome back" in replies[1].plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.state is SubscriberState.ACTIVE


async def test_a_stale_settings_button_never_resubscribes(user: User, runner: Runner) -> None:
    await user.send("/subscribe 07:00 UTC")
    [panel] = await user.send("/settings")
    [times] = await user.press(panel, "set:time")
    await user.send("/unsubscribe")
    [reply] = await user.press(times, "set:t:1200")
    assert "not subscribed" in reply.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and sub.state is SubscriberState.UNSUBSCRIBED
    assert (sub.send_minute, sub.next_due_at) == (7 * 60, None)


async def test_changing_the_time_while_paused_stays_paused(user: User, runner: Runner) -> None:
    await user.send("/subscribe 07:00 UTC")
    [panel] = await user.send("/settings")
    [times] = await user.press(panel, "set:time")
    await user.send("/pause")
    [changed] = await user.press(times, "set:t:1200")
    assert "20:00 (UTC)" in changed.plain
    sub = await stored(runner, user.chat_id)
    assert sub is not None and (sub.state, sub.send_minute) == (SubscriberState.PAUSED, 1200)
    assert sub.next_due_at is None


async def test_blocking_and_unblocking_keeps_a_pause(
    user: User, runner: Runner, fake_api: FakeBotApi
) -> None:
    await user.send("/subscribe 07:00 UTC")
    await user.send("/pause")
    fake_api.push_my_chat_member(user.chat_id, "kicked")
    sub = await blocked_becomes(runner, user.chat_id, True)
    assert sub.state is SubscriberState.PAUSED
    fake_api.push_my_chat_member(user.chat_id, "member")
    sub = await blocked_becomes(runner, user.chat_id, False)
    assert (sub.state, sub.next_due_at) == (SubscriberState.PAUSED, None)
    [reply] = await user.send("/status")
    assert "paused" in reply.plain.casefold()


async def blocked_becomes(runner: Runner, chat: int, value: bool) -> subscriptions.Subscriber:
    """Wait until the membership update was handled (updates are handled concurrently)."""
    async with asyncio.timeout(5):
        while True:
            sub = await stored(runner, chat)
            if sub is not None and sub.blocked is value:
                return sub
            await asyncio.sleep(0.01)
