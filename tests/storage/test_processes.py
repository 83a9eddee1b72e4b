"""Process heartbeats: how many delivery processes share the bot's rate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.storage import processes
from tipbot.storage.tables import DELIVERY_ROLE
from tipbot.storage.tables import processes as table

TTL = timedelta(seconds=30)


async def test_beat_counts_live_delivery_processes_including_itself(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    assert await processes.beat(engine, "a", [DELIVERY_ROLE, "web"], clock(), TTL) == 1
    assert await processes.beat(engine, "web-only", ["web"], clock(), TTL) == 1
    assert await processes.beat(engine, "b", [DELIVERY_ROLE], clock(), TTL) == 2
    clock.advance(seconds=20)
    assert await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL) == 2
    clock.advance(seconds=15)  # "b" last beat 35 s ago: no longer counted
    assert await processes.beat(engine, "a", [DELIVERY_ROLE], clock(), TTL) == 1


async def test_a_role_is_matched_exactly_not_as_a_substring(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    assert await processes.beat(engine, "x", ["nodelivery", "delivery-old"], clock(), TTL) == 0


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
