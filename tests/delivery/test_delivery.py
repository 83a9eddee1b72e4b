"""Daily delivery end to end: the sweep sends through the fake Bot API under Telegram's rules.

Time is the injected FakeClock; the sweep is called by the test rather than by a timer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot.content.models import Bank
from tipbot.delivery.budget import ChatBuckets
from tipbot.runner import Runner
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import DeliveryStatus, SubscriberState, deliveries
from tipbot.subscriptions import rescheduled

EIGHT_UTC = datetime(2026, 6, 1, 8, 0)


async def subscribe_many(runner: Runner, clock: FakeClock, chats: range, tz: str = "UTC") -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    for chat in chats:
        await subs.subscribe(runner.engine, chat, 8 * 60, tz, clock())
    clock.now = EIGHT_UTC


async def sweep(runner: Runner) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    report = await deliverer.sweep()
    assert report is not None, "a sweep was already running"


def tips_sent(fake: FakeBotApi, chat: int) -> list[str]:
    return [m.text.split("\n", 1)[0] for m in fake.messages_for(chat) if m.text.startswith("💡")]


def metric(runner: Runner, name: str, **labels: str) -> float:
    value = runner.services.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def status_count(runner: Runner, status: DeliveryStatus) -> int:
    async with runner.engine.connect() as conn:
        n = await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.status == status)
        )
    return int(n or 0)


async def test_a_tip_planned_a_minute_ahead_waits_for_its_moment(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(140, 143)
    await subscribe_many(runner, clock, chats)
    clock.now = EIGHT_UTC - timedelta(seconds=45)
    await sweep(runner)
    assert await status_count(runner, DeliveryStatus.PENDING) == 3  # planned, not yet due
    assert all(tips_sent(fake_api, chat) == [] for chat in chats)
    clock.now = EIGHT_UTC
    await sweep(runner)
    assert all(len(tips_sent(fake_api, chat)) == 1 for chat in chats)
    async with runner.engine.connect() as conn:
        sent = (await conn.execute(select(deliveries.c.due_at, deliveries.c.sent_at))).all()
    assert sent == [(EIGHT_UTC, EIGHT_UTC)] * 3


async def test_a_new_time_moves_a_tip_planned_ahead_and_a_day_still_gets_one(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    """Planned at 07:59:15 for 08:00: a user who moves to 09:00 gets today's tip at 09:00; one
    who moves to 07:00 (passed today) gets today's at 08:00 as planned, and 07:00 from tomorrow."""
    later, earlier = 150, 151
    await subscribe_many(runner, clock, range(later, earlier + 1))
    clock.now = EIGHT_UTC - timedelta(seconds=45)
    await sweep(runner)
    for chat, minute in ((later, 9 * 60), (earlier, 7 * 60)):
        change = await subs.change(
            runner.engine,
            chat,
            clock(),
            lambda sub, now, m=minute: rescheduled(sub, now, minute=m),
        )
        assert change.after is not None
    # What /settings says now: today's tip at its new time, and at the old one.
    assert await store.planned_tip(runner.engine, later, clock()) == EIGHT_UTC + timedelta(hours=1)
    assert await store.planned_tip(runner.engine, earlier, clock()) == EIGHT_UTC
    sent_at: dict[int, list[datetime]] = {later: [], earlier: []}
    for moment in (
        EIGHT_UTC,
        EIGHT_UTC + timedelta(hours=1),
        datetime(2026, 6, 2, 7, 0),
        datetime(2026, 6, 2, 9, 0),
    ):
        clock.now = moment - timedelta(seconds=45)
        await sweep(runner)  # plans what falls due within the minute
        clock.now = moment
        await sweep(runner)
        for chat in sent_at:
            sent_at[chat] += [moment] * (len(tips_sent(fake_api, chat)) - len(sent_at[chat]))
    assert sent_at == {
        later: [EIGHT_UTC + timedelta(hours=1), datetime(2026, 6, 2, 9, 0)],
        earlier: [EIGHT_UTC, datetime(2026, 6, 2, 7, 0)],
    }


async def test_each_due_subscriber_gets_exactly_one_tip_per_day(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(100, 130)
    await subscribe_many(runner, clock, chats)
    await sweep(runner)
    assert all(len(tips_sent(fake_api, c)) == 1 for c in chats)
    clock.advance(hours=3)
    await sweep(runner)  # later the same day: nothing more
    assert all(len(tips_sent(fake_api, c)) == 1 for c in chats)
    clock.now = datetime(2026, 6, 2, 8, 0)
    await sweep(runner)
    for chat in chats:
        first, second = tips_sent(fake_api, chat)
        assert first != second
    assert metric(runner, "tipbot_deliveries_sent_total", kind="tip") == 60


async def test_nobody_gets_a_tip_before_their_local_time(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subscribe_many(runner, clock, range(1, 2), tz="Europe/Berlin")  # 08:00 Berlin = 06:00 UTC
    await subscribe_many(runner, clock, range(2, 3), tz="America/New_York")  # = 12:00 UTC
    clock.now = datetime(2026, 6, 2, 6, 0)
    await sweep(runner)
    assert (len(tips_sent(fake_api, 1)), len(tips_sent(fake_api, 2))) == (1, 0)
    clock.now = datetime(2026, 6, 2, 12, 0)
    await sweep(runner)
    assert (len(tips_sent(fake_api, 1)), len(tips_sent(fake_api, 2))) == (1, 1)


async def test_every_tip_once_before_any_repeats(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    await subscribe_many(runner, clock, range(7, 8))
    deliverer = runner.services.deliverer
    assert deliverer is not None
    # Simulated days pass in milliseconds of real time: lift the per-chat limit on both sides.
    deliverer._sender.budget.chats = ChatBuckets(private=(1e9, 1e9))
    fake_api.configure(per_chat_rate=None)
    for _ in range(len(bank.tips) + 1):
        await sweep(runner)
        clock.advance(days=1)
    sent = tips_sent(fake_api, 7)
    assert len(sent) == len(bank.tips) + 1
    assert len(set(sent[:-1])) == len(bank.tips)  # a whole cycle without a repeat


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(200, 215)
    await subscribe_many(runner, clock, chats)
    fake_api.start_429_storm(seconds=1.5, retry_after=1)
    await sweep(runner)
    assert [len(tips_sent(fake_api, c)) for c in chats] == [1] * len(chats)
    assert metric(runner, "tipbot_telegram_429_total") >= 1


async def test_blocked_user_is_deactivated_and_not_retried(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subscribe_many(runner, clock, range(300, 303))
    fake_api.block(301)
    await sweep(runner)
    blocked = await subs.get(runner.engine, 301)
    assert blocked is not None and blocked.blocked and not blocked.receiving
    forbidden = fake_api.status_counts["403"]
    clock.now = datetime(2026, 6, 2, 8, 0)
    await sweep(runner)
    assert fake_api.status_counts["403"] == forbidden == 1
    assert len(tips_sent(fake_api, 300)) == 2


async def test_chat_not_found_deactivates(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subscribe_many(runner, clock, range(310, 311))
    fake_api.configure(unknown_chats={310})
    await sweep(runner)
    gone = await subs.get(runner.engine, 310)
    assert gone is not None and gone.blocked


async def test_server_errors_are_retried_until_delivered(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(400, 420)
    await subscribe_many(runner, clock, chats)
    fake_api.configure(server_error_probability=0.3)
    await sweep(runner)
    assert fake_api.status_counts["5xx"] > 0
    assert [len(tips_sent(fake_api, c)) for c in chats] == [1] * len(chats)


async def test_dropped_connections_are_retried_duplicates_only_for_drops(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(500, 530)
    await subscribe_many(runner, clock, chats)
    fake_api.configure(drop_after_accept_probability=0.2)
    await sweep(runner)
    counts = [len(tips_sent(fake_api, c)) for c in chats]
    dropped = fake_api.status_counts["dropped"]
    assert dropped > 0
    assert min(counts) == 1  # nothing lost
    assert sum(counts) - len(chats) <= dropped  # a copy only where Telegram's answer was lost


async def test_failures_beyond_the_retry_budget_are_retried_at_a_later_sweep(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subscribe_many(runner, clock, range(600, 601))
    fake_api.configure(server_error_probability=1.0)
    runner.services.deliverer._sender._retry_budget = 0.2  # type: ignore[union-attr]
    await sweep(runner)
    assert await status_count(runner, DeliveryStatus.FAILED) == 1
    fake_api.configure(server_error_probability=0.0)
    clock.advance(minutes=1)
    await sweep(runner)
    assert len(tips_sent(fake_api, 600)) == 1
    assert await status_count(runner, DeliveryStatus.SENT) == 1


async def test_the_configured_rate_keeps_clear_of_telegrams_limits(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    deliverer._sender.budget.set_rate(25)  # TIPBOT_MAX_RATE=25 against a 30/s server
    fake_api.configure(per_chat_rate=1.0, per_chat_burst=1)
    chats = range(700, 760)
    await subscribe_many(runner, clock, chats)
    await sweep(runner)
    assert fake_api.status_counts["429"] == 0
    assert sum(len(tips_sent(fake_api, c)) for c in chats) == len(chats)


async def test_commands_are_answered_while_a_broadcast_runs(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, user: User
) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    deliverer._sender.budget.set_rate(50)
    chats = range(1000, 1150)  # three seconds of sending at 50/s
    await subscribe_many(runner, clock, chats)
    broadcast = asyncio.create_task(deliverer.sweep())
    await fake_api.wait_for(lambda: fake_api.sent_count >= 10)
    [reply] = await user.send("/foods")
    assert "Pumpkin seeds" in reply.plain
    assert not broadcast.done(), "the reply should not wait for the broadcast"
    await broadcast
    assert sum(len(tips_sent(fake_api, c)) for c in chats) == len(chats)


@pytest.mark.parametrize("status", ["kicked", "member"])
async def test_my_chat_member_blocks_and_unblocks(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, status: str
) -> None:
    await subscribe_many(runner, clock, range(800, 801))
    fake_api.push_my_chat_member(800, "kicked")
    await _wait_state(runner, 800, SubscriberState.ACTIVE, blocked=True)
    if status == "member":
        fake_api.push_my_chat_member(800, "member")
        await _wait_state(runner, 800, SubscriberState.ACTIVE, blocked=False)


async def _wait_state(runner: Runner, chat: int, state: SubscriberState, *, blocked: bool) -> None:
    async with asyncio.timeout(5):
        while True:
            sub = await subs.get(runner.engine, chat)
            if sub is not None and (sub.state, sub.blocked) == (state, blocked):
                return
            await asyncio.sleep(0.02)


async def test_nothing_queued_reaches_a_user_who_paused_unsubscribed_or_forgot(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    chats = range(900, 904)
    await subscribe_many(runner, clock, chats)
    await store.create_broadcast(runner.engine, "News", 1, clock(), timedelta(hours=24))
    # Planned and queued, then three of them stop before the sweep sends anything.
    tip_ids = tuple(sorted(t.id for t in bank.tips))
    await store.plan_due(runner.engine, clock(), tip_ids, timedelta(hours=6), 100)
    await User(fake_api, 901).send("/pause")
    await User(fake_api, 902).send("/unsubscribe")
    forget = User(fake_api, 903)
    [ask] = await forget.send("/forget")
    await forget.press(ask, "forget:yes")
    before = {chat: len(fake_api.messages_for(chat)) for chat in chats}
    await sweep(runner)
    assert len(tips_sent(fake_api, 900)) == 1
    assert len(fake_api.messages_for(900)) == 2  # the tip and the announcement
    assert {chat: len(fake_api.messages_for(chat)) - before[chat] for chat in chats[1:]} == {
        901: 0,
        902: 0,
        903: 0,
    }
    assert await status_count(runner, DeliveryStatus.CANCELLED) == 4  # 901's and 902's
