"""Data that stays small: finished deliveries are pruned in batches, and nothing needs them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.config import Settings
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.deliveries import Outcome
from tipbot.storage.tables import DeliveryStatus, deliveries

TIPS = ("a", "b", "c")
CATCHUP = timedelta(hours=6)
LEASE = timedelta(seconds=60)


async def statuses(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(deliveries.c.status).order_by(deliveries.c.id))
        return [str(s) for s in rows.scalars()]


async def deliver_day(engine: AsyncEngine, clock: FakeClock) -> list[str]:
    """Plan, claim and record as sent whatever is due now; the tip ids sent."""
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    jobs = await store.claim(engine, clock(), "one", 100, LEASE)
    await store.record(engine, "one", [Outcome(j, DeliveryStatus.SENT, clock(), 1) for j in jobs])
    return [j.tip_id or "" for j in jobs]


async def test_prune_deletes_only_rows_finished_before_the_cutoff_in_batches(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 59)
    for chat in range(1, 6):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 8, 0)
    assert len(await deliver_day(engine, clock)) == 5
    clock.now = datetime(2026, 6, 2, 8, 0)
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)  # today's rows: still pending
    await store.create_broadcast(engine, "news", 9, clock(), timedelta(hours=1))
    assert await store.prune(engine, datetime(2026, 6, 1, 8, 0), batch=2) == 0  # not before
    assert await store.prune(engine, datetime(2026, 6, 1, 9, 0), batch=2) == 5
    assert await statuses(engine) == ["pending"] * 10


async def test_rotation_and_one_tip_a_day_survive_pruning(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 59)
    await subs.subscribe(engine, 1, 8 * 60, "UTC", clock())
    sent: list[str] = []
    for day in range(1, 7):
        clock.now = datetime(2026, 6, day, 8, 0)
        sent += await deliver_day(engine, clock)
        # The strictest retention: everything finished before now goes at once.
        await store.prune(engine, clock() + timedelta(seconds=1))
        assert await statuses(engine) == []
        await subs.subscribe(engine, 1, 8 * 60 + 30, "UTC", clock())  # later the same day
        clock.now = datetime(2026, 6, day, 8, 30)
        assert await deliver_day(engine, clock) == [], "a second tip on the same day"
        await subs.subscribe(engine, 1, 8 * 60, "UTC", clock())
    # Every tip once per cycle, whatever was pruned: two full cycles of three.
    assert sorted(sent[:3]) == sorted(sent[3:]) == sorted(TIPS)


async def test_stats_counts_come_from_finished_at_and_open_rows(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 59)
    for chat in range(1, 4):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 8, 0)
    await deliver_day(engine, clock)  # three sent on 1 June
    clock.now = datetime(2026, 6, 2, 8, 0)
    await deliver_day(engine, clock)  # three sent on 2 June
    clock.advance(hours=1)  # 1 June's are now more than 24 h old
    await store.create_broadcast(engine, "news", 9, clock(), timedelta(hours=1))
    counts = await store.counts_since(engine, clock() - timedelta(hours=24))
    assert (counts[DeliveryStatus.SENT], counts[DeliveryStatus.PENDING]) == (3, 3)
    assert sum(counts.values()) == 6


def test_retention_days_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().retention_days == 90
    monkeypatch.setenv("TIPBOT_RETENTION_DAYS", "7")
    assert Settings().retention_days == 7
    monkeypatch.setenv("TIPBOT_RETENTION_DAYS", "0")
    with pytest.raises(ValidationError, match="retention_days"):
        Settings()
