"""A group upgraded to a supergroup keeps its subscription and its queued deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import SubscriberState, deliveries

TIPS = ("a", "b", "c")
CATCHUP = timedelta(hours=6)
LEASE = timedelta(seconds=60)
GROUP, SUPERGROUP = -1001, -100_777


async def rows_of(engine: AsyncEngine, chat_id: int) -> list[tuple[object, object, object]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(deliveries.c.local_date, deliveries.c.broadcast_id, deliveries.c.status)
            .where(deliveries.c.chat_id == chat_id)
            .order_by(deliveries.c.id)
        )
        return [tuple(r) for r in result]


async def test_move_chat_carries_subscription_and_deliveries(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 59)
    await subs.subscribe(engine, GROUP, 8 * 60, "Europe/Berlin", clock())
    clock.now = datetime(2026, 6, 1, 8, 0)
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=1))
    before = await rows_of(engine, GROUP)
    assert len(before) == 1

    assert await subs.move_chat(engine, GROUP, SUPERGROUP) is True
    assert await subs.get(engine, GROUP) is None
    moved = await subs.get(engine, SUPERGROUP)
    assert moved is not None
    assert (moved.state, moved.send_minute, moved.tz) == (
        SubscriberState.ACTIVE,
        8 * 60,
        "Europe/Berlin",
    )
    assert await rows_of(engine, GROUP) == []
    assert await rows_of(engine, SUPERGROUP) == before
    jobs = await store.claim(engine, clock(), "one", 10, LEASE)
    assert [j.chat_id for j in jobs] == [SUPERGROUP]


async def test_move_chat_without_a_subscription_changes_nothing(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subs.subscribe(engine, 5, 8 * 60, "UTC", clock())
    assert await subs.move_chat(engine, GROUP, SUPERGROUP) is False
    assert await subs.get(engine, SUPERGROUP) is None
    assert await subs.get(engine, 5) is not None


async def test_move_chat_onto_an_existing_subscription_keeps_the_newer_and_no_duplicates(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    await subs.subscribe(engine, GROUP, 8 * 60, "UTC", clock())
    await subs.subscribe(engine, SUPERGROUP, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 7, 30)
    await subs.subscribe(engine, GROUP, 7 * 60 + 45, "UTC", clock())  # the newer choice
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=3))
    clock.now = datetime(2026, 6, 1, 8, 0)
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)  # both have today's tip
    assert len(await rows_of(engine, GROUP)) == 2

    assert await subs.move_chat(engine, GROUP, SUPERGROUP) is True
    kept = await subs.get(engine, SUPERGROUP)
    assert kept is not None and kept.send_minute == 7 * 60 + 45
    assert await subs.get(engine, GROUP) is None
    assert await rows_of(engine, GROUP) == []
    # One tip for 1 June and one copy of the broadcast, not two of each.
    moved = await rows_of(engine, SUPERGROUP)
    assert len(moved) == 2
    assert sorted(str(d) for d, _, _ in moved if d is not None) == ["2026-06-01"]


async def test_move_chat_keeps_the_existing_subscription_when_it_is_newer(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subs.subscribe(engine, GROUP, 8 * 60, "UTC", clock())
    clock.advance(minutes=5)
    await subs.subscribe(engine, SUPERGROUP, 9 * 60, "UTC", clock())
    assert await subs.move_chat(engine, GROUP, SUPERGROUP) is True
    kept = await subs.get(engine, SUPERGROUP)
    assert kept is not None and kept.send_minute == 9 * 60
    assert await subs.get(engine, GROUP) is None
