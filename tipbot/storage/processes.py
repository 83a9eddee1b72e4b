"""The running tipbot processes: each announces itself with a heartbeat row.

Replicas share one Telegram rate limit per bot token; counting the live processes lets
each take its share of `TIPBOT_MAX_RATE` without a coordinator. A process that dies simply stops
beating and drops out of the count after `ttl`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import processes

#: Rows of processes silent this many `ttl`s are deleted (they no longer count anyway).
FORGET_AFTER_TTLS = 10


async def beat(
    engine: AsyncEngine, owner: str, roles: Iterable[str], now: datetime, ttl: timedelta
) -> int:
    """Record that `owner` is alive at `now` with `roles`; return how many processes are live (a
    heartbeat within `ttl`, this one included), whatever their roles: every process sends
    messages (replies or deliveries), so each takes a share of the bot's rate."""
    role_text = ",".join(sorted(set(roles)))
    async with engine.begin() as conn:
        stmt = upsert(conn)(processes).values(owner=owner, roles=role_text, heartbeat_at=now)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[processes.c.owner],
                set_={"roles": role_text, "heartbeat_at": now},
            )
        )
        await conn.execute(
            delete(processes).where(processes.c.heartbeat_at < now - ttl * FORGET_AFTER_TTLS)
        )
        live = await conn.scalar(
            select(func.count()).select_from(processes).where(processes.c.heartbeat_at >= now - ttl)
        )
    return int(live or 0)


async def leave(engine: AsyncEngine, owner: str) -> None:
    """Remove this process at shutdown, so the others take over its share at once."""
    async with engine.begin() as conn:
        await conn.execute(delete(processes).where(processes.c.owner == owner))
