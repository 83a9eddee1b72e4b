"""Tip votes: one per chat and tip, changeable, counted most-disliked first, forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.feedback import Vote
from tipbot.storage import subscriptions as subs
from tipbot.storage import votes
from tipbot.storage.tables import tip_votes

NOW = datetime(2026, 6, 1, 7, 0)


async def test_a_vote_is_changeable_and_kept_once(engine: AsyncEngine) -> None:
    assert await votes.cast(engine, 1, "t1", Vote.UP, NOW) is None
    assert await votes.cast(engine, 1, "t1", Vote.UP, NOW) is Vote.UP
    assert await votes.cast(engine, 1, "t1", Vote.DOWN, NOW) is Vote.UP
    assert [(t.tip_id, t.up, t.down) for t in await votes.counts(engine, 10)] == [("t1", 0, 1)]


async def test_counts_put_the_most_disliked_first(engine: AsyncEngine) -> None:
    for chat, tip, vote in [
        (1, "liked", Vote.UP),
        (2, "liked", Vote.UP),
        (1, "mixed", Vote.UP),
        (2, "mixed", Vote.DOWN),
        (1, "disliked", Vote.DOWN),
        (2, "disliked", Vote.DOWN),
        (3, "disliked", Vote.UP),
    ]:
        await votes.cast(engine, chat, tip, vote, NOW)
    counts = await votes.counts(engine, 10)
    assert [(t.tip_id, t.up, t.down) for t in counts] == [
        ("disliked", 1, 2),
        ("mixed", 1, 1),
        ("liked", 2, 0),
    ]
    assert [t.tip_id for t in await votes.counts(engine, 1)] == ["disliked"]


async def test_forget_deletes_the_chats_votes_only(engine: AsyncEngine) -> None:
    await votes.cast(engine, 1, "t1", Vote.UP, NOW)
    await votes.cast(engine, 2, "t1", Vote.DOWN, NOW)
    await subs.forget(engine, 1)
    async with engine.connect() as conn:
        left = (
            await conn.execute(
                select(tip_votes.c.chat_id, func.count()).group_by(tip_votes.c.chat_id)
            )
        ).all()
    assert [tuple(row) for row in left] == [(2, 1)]
