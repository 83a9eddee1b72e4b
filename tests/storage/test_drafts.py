"""Broadcast drafts in the database: confirmed once, from any replica, for a limited time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import broadcast_drafts, broadcasts

EXPIRY = timedelta(hours=24)


async def drafts_left(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(broadcast_drafts)) or 0)


async def test_a_draft_is_broadcast_once(engine: AsyncEngine, clock: FakeClock) -> None:
    for chat in (1, 2, 3):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    draft = await store.save_draft(engine, "Hello <all>", 900, clock())
    first = await store.broadcast_draft(engine, draft, 900, clock(), EXPIRY)
    assert first is not None and first[1] == 3
    assert await store.broadcast_text(engine, first[0]) == "Hello <all>"
    assert await store.broadcast_draft(engine, draft, 900, clock(), EXPIRY) is None
    assert await drafts_left(engine) == 0


async def test_dropped_and_day_old_drafts_cannot_be_sent(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    dropped = await store.save_draft(engine, "no", 900, clock())
    assert await store.drop_draft(engine, dropped) is True
    assert await store.broadcast_draft(engine, dropped, 900, clock(), EXPIRY) is None
    old = await store.save_draft(engine, "old", 900, clock())
    clock.advance(hours=25)
    assert await store.broadcast_draft(engine, old, 900, clock(), EXPIRY) is None
    await store.save_draft(engine, "new", 900, clock())  # also clears the stale one
    assert await drafts_left(engine) == 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(broadcasts)) == 0


async def test_forget_deletes_an_admins_drafts(engine: AsyncEngine, clock: FakeClock) -> None:
    await store.save_draft(engine, "mine", 900, clock())
    await store.save_draft(engine, "theirs", 901, clock())
    await subs.forget(engine, 900)
    assert await drafts_left(engine) == 1
