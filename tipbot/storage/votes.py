"""Tip feedback storage: one 👍 (+1) or 👎 (-1) per chat and tip; deleted by /forget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.feedback import Vote
from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import tip_votes


@dataclass(frozen=True)
class TipVotes:
    tip_id: str
    up: int
    down: int


async def cast(
    engine: AsyncEngine, chat_id: int, tip_id: str, vote: Vote, now: datetime
) -> Vote | None:
    """Store this chat's vote on `tip_id` (replacing an earlier one); return the earlier vote."""
    async with engine.begin() as conn:
        query = select(tip_votes.c.vote).where(
            tip_votes.c.chat_id == chat_id, tip_votes.c.tip_id == tip_id
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        before = (await conn.execute(query)).scalar_one_or_none()
        stmt = upsert(conn)(tip_votes).values(
            chat_id=chat_id, tip_id=tip_id, vote=int(vote), voted_at=now
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["chat_id", "tip_id"],
                set_={"vote": int(vote), "voted_at": now},
            )
        )
    return None if before is None else Vote(before)


async def counts(engine: AsyncEngine, limit: int) -> list[TipVotes]:
    """Votes per tip, the most disliked first (then the least liked), for /stats."""
    up = func.sum(case((tip_votes.c.vote > 0, 1), else_=0))
    down = func.sum(case((tip_votes.c.vote < 0, 1), else_=0))
    query = (
        select(tip_votes.c.tip_id, up, down)
        .group_by(tip_votes.c.tip_id)
        .order_by(down.desc(), up, tip_votes.c.tip_id)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = await conn.execute(query)
        return [TipVotes(tip_id, int(u or 0), int(d or 0)) for tip_id, u, d in rows]
