"""Process heartbeats: how many live processes share the bot's rate (every role sends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.storage import processes
from tipbot.storage.tables import DELIVERY_ROLE
from tipbot.storage.tables import processes as table

TTL = timedelta(seconds=30)


async def test_beat_counts_live_processes_of_any_role_including_itself(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    assert await processes.beat(engine, "a", [DELIVERY_ROLE, "updates"], clock(), TTL) == 1
    assert await processes.beat(engine, "web-only", ["updates"], clock(), TTL) == 2
    assert await processes.beat(engine, "b", [DELIVERY_ROLE], clock(), TTL) == 3
    clock.advance(seconds=20)
    assert await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL) == 3
    clock.advance(seconds=15)  # "web-only" and "b" last beat 35 s ago: no longer counted
    assert await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL) == 1


async def test_leave_removes_the_process_and_dead_rows_are_cleaned_up(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL)
    await processes.beat(engine, "b", [DELIVERY_ROLE], clock(), TTL)
    await processes.leave(engine, "b")
    assert await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL) == 1
    await processes.beat(engine, "dead", [DELIVERY_ROLE], clock(), TTL)
    clock.advance(hours=1)
    await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL)
    async with engine.connect() as conn:
        owners = (await conn.execute(select(table.c.owner))).scalars().all()
        assert await conn.scalar(select(func.count()).select_from(table)) == 1
    assert owners == ["a"]
