"""Where chats came from: the deep-link code of a chat's first `/start <code>`.

Kept once per chat and never overwritten, so a clinic's link keeps the credit for the people it
brought even if they later open someone else's link. Deleted by /forget with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import SubscriberState, chat_sources, subscribers


@dataclass(frozen=True)
class CodeCount:
    code: str
    chats: int  # chats that came with this code
    subscribers: int  # of those, chats with a subscription in any state
    active: int  # of those, chats receiving tips now (active and not blocked)


async def remember(engine: AsyncEngine, chat_id: int, code: str, now: datetime) -> bool:
    """Record `code` for `chat_id` unless the chat already has one; True if it was recorded."""
    async with engine.begin() as conn:
        stmt = upsert(conn)(chat_sources).values(chat_id=chat_id, code=code, first_seen_at=now)
        result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["chat_id"]))
    return bool(result.rowcount)


async def code_of(engine: AsyncEngine, chat_id: int) -> str | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(select(chat_sources.c.code).where(chat_sources.c.chat_id == chat_id))
        ).scalar_one_or_none()


async def counts_by_code(engine: AsyncEngine, limit: int) -> list[CodeCount]:
    """Per code, most active chats first: how many chats came, subscribed, receive tips now."""
    receiving = and_(
        subscribers.c.state == SubscriberState.ACTIVE, subscribers.c.blocked.is_(False)
    )
    active = func.sum(case((receiving, 1), else_=0))
    query = (
        select(
            chat_sources.c.code,
            func.count(),
            func.count(subscribers.c.chat_id),
            active,
        )
        .select_from(
            chat_sources.outerjoin(subscribers, subscribers.c.chat_id == chat_sources.c.chat_id)
        )
        .group_by(chat_sources.c.code)
        .order_by(active.desc(), chat_sources.c.code)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = await conn.execute(query)
        return [CodeCount(code, int(n), int(s), int(a or 0)) for code, n, s, a in rows]
