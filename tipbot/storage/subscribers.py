"""Subscription queries: what /subscribe, /pause, /forget and friends change in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tipbot.delivery.rotation import new_seed
from tipbot.delivery.schedule import next_due, tz_from_key
from tipbot.storage.tables import SubscriberState, broadcasts, deliveries, subscribers


@dataclass(frozen=True)
class Subscriber:
    chat_id: int
    state: SubscriberState
    send_minute: int
    tz: str
    next_due_at: datetime | None


def _row(row: object) -> Subscriber:
    m = row._mapping  # type: ignore[attr-defined]
    return Subscriber(
        m["chat_id"], SubscriberState(m["state"]), m["send_minute"], m["tz"], m["next_due_at"]
    )


def upsert(conn: AsyncConnection):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT for the connection's dialect (both back ends support it)."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert


async def get(engine: AsyncEngine, chat_id: int) -> Subscriber | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(subscribers).where(subscribers.c.chat_id == chat_id))
        ).first()
    return _row(row) if row else None


async def subscribe(
    engine: AsyncEngine, chat_id: int, minute: int, tz: str, now: datetime
) -> Subscriber:
    """Create or update an active subscription, keeping the tip rotation of a returning user."""
    due = next_due(minute, tz_from_key(tz), now)
    async with engine.begin() as conn:
        insert = upsert(conn)
        stmt = insert(subscribers).values(
            chat_id=chat_id,
            state=SubscriberState.ACTIVE,
            send_minute=minute,
            tz=tz,
            next_due_at=due,
            cycle=0,
            cycle_sent="",
            seed=new_seed(),
            created_at=now,
            updated_at=now,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[subscribers.c.chat_id],
            set_={
                "state": SubscriberState.ACTIVE,
                "send_minute": minute,
                "tz": tz,
                "next_due_at": due,
                "updated_at": now,
            },
        )
        await conn.execute(stmt)
    return Subscriber(chat_id, SubscriberState.ACTIVE, minute, tz, due)


async def set_state(
    engine: AsyncEngine,
    chat_id: int,
    state: SubscriberState,
    now: datetime,
    *,
    only_from: tuple[SubscriberState, ...] | None = None,
) -> Subscriber | None:
    """Change the state; an active subscription gets its next due time, any other loses it."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(select(subscribers).where(subscribers.c.chat_id == chat_id))
        ).first()
        if row is None:
            return None
        current = _row(row)
        if only_from is not None and current.state not in only_from:
            return current
        due = None
        if state is SubscriberState.ACTIVE:
            due = next_due(current.send_minute, tz_from_key(current.tz), now)
        await conn.execute(
            update(subscribers)
            .where(subscribers.c.chat_id == chat_id)
            .values(state=state, next_due_at=due, updated_at=now)
        )
    return Subscriber(chat_id, state, current.send_minute, current.tz, due)


async def forget(engine: AsyncEngine, chat_id: int) -> int:
    """Delete every row about this user; return how many rows went."""
    async with engine.begin() as conn:
        gone = (
            await conn.execute(delete(deliveries).where(deliveries.c.chat_id == chat_id))
        ).rowcount
        gone += (
            await conn.execute(delete(subscribers).where(subscribers.c.chat_id == chat_id))
        ).rowcount
        # Announcements an admin wrote stay for the other recipients, without their author.
        gone += (
            await conn.execute(
                update(broadcasts).where(broadcasts.c.created_by == chat_id).values(created_by=0)
            )
        ).rowcount
    return int(gone)


async def count_by_state(engine: AsyncEngine) -> dict[SubscriberState, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(subscribers.c.state, func.count()).group_by(subscribers.c.state)
        )
        counts = {SubscriberState(state): int(n) for state, n in rows}
    return {state: counts.get(state, 0) for state in SubscriberState}


async def last_tip_date(engine: AsyncEngine, chat_id: int) -> date | None:
    async with engine.connect() as conn:
        value = await conn.scalar(
            select(func.max(deliveries.c.local_date)).where(
                deliveries.c.chat_id == chat_id, deliveries.c.status == "sent"
            )
        )
    return value if isinstance(value, date) else None


async def move_chat(engine: AsyncEngine, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup (Telegram's ChatMigrated): carry its subscription and its
    deliveries over to the new chat id. Return False if `old_chat_id` has no subscription.

    If the new id already has a subscription (someone subscribed the supergroup meanwhile), the
    more recently changed of the two is kept. Deliveries move with the chat, except those the new
    id already has an equivalent of (same local date or same broadcast): those are dropped, so
    the migrated group still gets at most one tip a day and one copy of each announcement.
    """
    pg = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        query = (
            select(subscribers.c.chat_id, subscribers.c.updated_at)
            .where(subscribers.c.chat_id.in_([old_chat_id, new_chat_id]))
            .order_by(subscribers.c.chat_id)  # a fixed lock order between concurrent moves
        )
        if pg:
            query = query.with_for_update()
        found = {row.chat_id: row.updated_at for row in await conn.execute(query)}
        if old_chat_id not in found:
            return False
        old_wins = new_chat_id not in found or found[old_chat_id] > found[new_chat_id]
        if old_wins:
            await conn.execute(delete(subscribers).where(subscribers.c.chat_id == new_chat_id))
            await conn.execute(
                update(subscribers)
                .where(subscribers.c.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
        else:
            await conn.execute(delete(subscribers).where(subscribers.c.chat_id == old_chat_id))
        theirs = deliveries.alias("theirs")
        duplicate = (
            select(theirs.c.id)
            .where(
                theirs.c.chat_id == new_chat_id,
                or_(
                    theirs.c.local_date == deliveries.c.local_date,
                    theirs.c.broadcast_id == deliveries.c.broadcast_id,
                ),
            )
            .exists()
        )
        await conn.execute(delete(deliveries).where(deliveries.c.chat_id == old_chat_id, duplicate))
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.chat_id == old_chat_id)
            .values(chat_id=new_chat_id)
        )
    return True
