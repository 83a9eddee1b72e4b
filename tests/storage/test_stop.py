"""Stop means stop under concurrency: a plan running on PostgreSQL while the user stops cannot
leave a delivery behind (the stop locks or deletes the subscriber row first)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot import subscriptions
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import DeliveryStatus, deliveries, subscribers

CHAT = 77


async def open_plan(engine: AsyncEngine, now: datetime) -> AsyncIterator[None]:
    """What `plan_due` does for one subscriber, held open: the subscriber row locked and its
    tip inserted, not yet committed."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(subscribers.c.chat_id)
                .where(subscribers.c.next_due_at <= now)
                .with_for_update(skip_locked=True)
            )
        ).one()
        await conn.execute(
            insert(deliveries).values(
                chat_id=row.chat_id,
                local_date=now.date(),
                tip_id="a",
                status=DeliveryStatus.PENDING,
                attempts=0,
                due_at=now,
                expire_at=now.replace(hour=23),
            )
        )
        yield


async def waiting_on_a_lock(engine: AsyncEngine) -> None:
    """Until another session of this database waits for a row lock (polled, not timed)."""
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as conn:
                waiting = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                        " WHERE NOT l.granted AND a.datname = current_database()"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.01)


async def stop_during_plan(
    engine: AsyncEngine, clock: FakeClock, stop: Callable[[], Awaitable[object]]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serializes every write transaction)")
    clock.now = datetime(2026, 6, 1, 7, 59)
    await subs.subscribe(engine, CHAT, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 8, 0)
    plan = open_plan(engine, clock())
    await anext(plan)  # the plan holds the row and has inserted the tip
    stopping = asyncio.create_task(stop())
    await waiting_on_a_lock(engine)  # the stop has reached the subscriber row and waits
    with pytest.raises(StopAsyncIteration):
        await anext(plan)  # the plan commits
    await stopping


async def test_a_plan_committing_during_forget_leaves_no_delivery(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await stop_during_plan(engine, clock, lambda: subs.forget(engine, CHAT))
    async with engine.connect() as conn:
        left = await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.chat_id == CHAT)
        )
    assert left == 0
    assert await subs.get(engine, CHAT) is None


async def test_a_plan_committing_during_pause_gets_its_tip_cancelled(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await stop_during_plan(
        engine, clock, lambda: subs.change(engine, CHAT, clock(), subscriptions.paused)
    )
    async with engine.connect() as conn:
        statuses = (
            await conn.execute(select(deliveries.c.status).where(deliveries.c.chat_id == CHAT))
        ).scalars()
        assert list(statuses) == [DeliveryStatus.CANCELLED]
