"""Where chats came from: set once, counted per code with their subscriptions, forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot import subscriptions
from tipbot.storage import sources
from tipbot.storage import subscriptions as subs

NOW = datetime(2026, 6, 1, 7, 0)


async def test_the_first_code_is_kept(engine: AsyncEngine) -> None:
    assert await sources.remember(engine, 1, "clinic_a", NOW)
    assert not await sources.remember(engine, 1, "clinic_b", NOW)
    assert await sources.code_of(engine, 1) == "clinic_a"


async def test_counts_per_code(engine: AsyncEngine) -> None:
    for chat, code in [(1, "a"), (2, "a"), (3, "a"), (4, "b"), (-100, "b"), (6, "c")]:
        await sources.remember(engine, chat, code, NOW)
    for chat in (1, 2, 3, -100):
        await subs.subscribe(engine, chat, 480, "UTC", NOW)
    await subs.change(engine, 2, NOW, subscriptions.paused)
    await subs.change(engine, 3, NOW, subscriptions.blocked)
    counts = await sources.counts_by_code(engine, limit=10)
    assert [(c.code, c.chats, c.subscribers, c.active) for c in counts] == [
        ("a", 3, 3, 1),
        ("b", 2, 1, 1),
        ("c", 1, 0, 0),
    ]
    assert len(await sources.counts_by_code(engine, limit=2)) == 2


async def test_forget_deletes_the_code(engine: AsyncEngine) -> None:
    await sources.remember(engine, 1, "clinic_a", NOW)
    await subs.forget(engine, 1)
    assert await sources.code_of(engine, 1) is None
    assert await sources.remember(engine, 1, "clinic_b", NOW)  # a new first contact
