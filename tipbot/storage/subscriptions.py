"""Subscription storage: the subscriber rows, changed by the rules in `tipbot.subscriptions`.

Every change locks the subscriber row first and, when the chat stops receiving, cancels its
open deliveries in the same transaction: a plan or broadcast running at the same time either
finished before (its rows are cancelled here) or waits and then sees the subscriber stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tipbot import subscriptions
from tipbot.delivery.kinds import SUBSCRIPTION_KINDS
from tipbot.delivery.rotation import new_seed
from tipbot.storage.tables import (
    OPEN,
    DeliveryKind,
    DeliveryStatus,
    SubscriberState,
    broadcast_drafts,
    broadcasts,
    chat_sources,
    deliveries,
    dose_log,
    dose_plans,
    profiles,
    quiz_polls,
    subscribers,
    tip_votes,
)
from tipbot.subscriptions import Rule, Standing, Subscriber


@dataclass(frozen=True)
class Change:
    before: Subscriber | None  # None: the chat has no subscription at all
    after: Subscriber | None  # None: the rule did not apply, nothing changed


def _row(row: object) -> Subscriber:
    m = row._mapping  # type: ignore[attr-defined]
    return Subscriber(
        m["chat_id"],
        SubscriberState(m["state"]),
        m["send_minute"],
        m["tz"],
        m["next_due_at"],
        bool(m["blocked"]),
        m["last_planned"],
        m["thread_id"],
        bool(m["quiet"]),
    )


def upsert(conn: AsyncConnection):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT for the connection's dialect (both back ends support it). Imported
    here: a SQLite bot need not load the PostgreSQL dialect at start-up, and the other way."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


async def get(engine: AsyncEngine, chat_id: int) -> Subscriber | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(subscribers).where(subscribers.c.chat_id == chat_id))
        ).first()
    return _row(row) if row else None


async def _lock(conn: AsyncConnection, chat_id: int) -> Subscriber | None:
    """Read the row and keep others from changing or planning it until this transaction ends
    (PostgreSQL; on SQLite the write transaction already holds the database's write lock)."""
    query = select(subscribers).where(subscribers.c.chat_id == chat_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _row(row) if row else None


async def cancel_open(
    conn: AsyncConnection,
    chat_ids: list[int],
    now: datetime,
    kinds: frozenset[str] | None = None,
) -> int:
    """Cancel the deliveries of `chat_ids` that could still be sent: of `kinds` only (a pause
    or a stop cancels what follows the subscription, not the dose companion's reminders), or
    every kind (a chat that blocked the bot)."""
    conditions = [deliveries.c.chat_id.in_(chat_ids), deliveries.c.status.in_(OPEN)]
    if kinds is not None:
        conditions.append(deliveries.c.kind.in_(sorted(kinds)))
    result = await conn.execute(
        update(deliveries)
        .where(*conditions)
        .values(status=DeliveryStatus.CANCELLED, finished_at=now, lease_until=None)
    )
    return int(result.rowcount or 0)


async def follow_new_time(conn: AsyncConnection, after: Subscriber, now: datetime) -> int:
    """Move the chat's daily tip planned ahead for the old time (pending, not yet due) to its
    new time, as `subscriptions.follow_new_time` decides; returns how many rows moved."""
    planned = await conn.execute(
        select(
            deliveries.c.id, deliveries.c.local_date, deliveries.c.due_at, deliveries.c.expire_at
        ).where(
            deliveries.c.chat_id == after.chat_id,
            deliveries.c.kind == DeliveryKind.TIP,
            deliveries.c.status == DeliveryStatus.PENDING,
            deliveries.c.due_at > now,
        )
    )
    moved = 0
    for row in planned.all():
        moment = subscriptions.follow_new_time(row.local_date, row.due_at, row.expire_at, after)
        if moment is not None:
            due, expire = moment
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == row.id)
                .values(due_at=due, expire_at=expire)
            )
            moved += 1
    return moved


async def subscribe(
    engine: AsyncEngine,
    chat_id: int,
    minute: int,
    tz: str,
    now: datetime,
    *,
    thread_id: int | None = None,
) -> Subscriber:
    """Create or update an active subscription, keeping the tip rotation of a returning user.
    `thread_id` is the forum topic the group subscribed from (None: the chat itself); the
    latest /subscribe decides where tips go."""
    sub = replace(subscriptions.subscribed(chat_id, minute, tz, now), thread_id=thread_id)
    async with engine.begin() as conn:
        insert = upsert(conn)
        stmt = insert(subscribers).values(
            chat_id=chat_id,
            state=sub.state,
            send_minute=minute,
            tz=tz,
            next_due_at=sub.next_due_at,
            blocked=sub.blocked,
            cycle=0,
            cycle_sent="",
            seed=new_seed(),
            created_at=now,
            updated_at=now,
            thread_id=thread_id,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[subscribers.c.chat_id],
            set_={
                "state": sub.state,
                "send_minute": minute,
                "tz": tz,
                "next_due_at": sub.next_due_at,
                "blocked": sub.blocked,
                "updated_at": now,
                "thread_id": thread_id,
            },
        )
        row = (
            await conn.execute(stmt.returning(subscribers.c.last_planned, subscribers.c.quiet))
        ).one()
        await follow_new_time(conn, sub, now)
    return replace(sub, last_planned=row.last_planned, quiet=bool(row.quiet))


async def set_quiet(engine: AsyncEngine, chat_id: int, quiet: bool, now: datetime) -> bool:
    """Turn quiet tips on or off; False when the chat has no subscription to change (a
    settings button left from before /unsubscribe changes nothing)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(subscribers)
            .where(
                subscribers.c.chat_id == chat_id,
                subscribers.c.state != SubscriberState.UNSUBSCRIBED,
            )
            .values(quiet=quiet, updated_at=now)
        )
    return bool(result.rowcount)


async def change(engine: AsyncEngine, chat_id: int, now: datetime, rule: Rule) -> Change:
    """Apply `rule` to the subscription of `chat_id`; if the chat no longer receives tips, its
    pending and failed deliveries are cancelled in the same transaction (stop means stop)."""
    async with engine.begin() as conn:
        before = await _lock(conn, chat_id)
        if before is None:
            return Change(None, None)
        after = rule(before, now)
        if after is None:
            return Change(before, None)
        await conn.execute(
            update(subscribers)
            .where(subscribers.c.chat_id == chat_id)
            .values(
                state=after.state,
                blocked=after.blocked,
                send_minute=after.send_minute,
                tz=after.tz,
                next_due_at=after.next_due_at,
                updated_at=now,
            )
        )
        if not after.receiving:
            # Blocked: nothing can reach the chat. Paused or stopped: only the tips stop; the
            # dose companion has its own switches (/dose off, and /pause asks about it).
            await cancel_open(conn, [chat_id], now, None if after.blocked else SUBSCRIPTION_KINDS)
        elif after.next_due_at != before.next_due_at:
            await follow_new_time(conn, after, now)
    return Change(before, after)


async def forget(engine: AsyncEngine, chat_id: int) -> int:
    """Delete every row about this user; return how many rows went.

    The subscriber row goes first: on PostgreSQL that waits for (or blocks) a plan that holds
    it, so the deliveries deleted next include any the plan committed meanwhile."""
    async with engine.begin() as conn:
        gone = (
            await conn.execute(delete(subscribers).where(subscribers.c.chat_id == chat_id))
        ).rowcount
        gone += (
            await conn.execute(delete(deliveries).where(deliveries.c.chat_id == chat_id))
        ).rowcount
        gone += (await conn.execute(delete(profiles).where(profiles.c.chat_id == chat_id))).rowcount
        for health in (dose_plans, dose_log):  # the dose companion's plan and log (issue 11)
            gone += (await conn.execute(delete(health).where(health.c.chat_id == chat_id))).rowcount
        gone += (
            await conn.execute(
                delete(broadcast_drafts).where(broadcast_drafts.c.created_by == chat_id)
            )
        ).rowcount
        # Where they came from, their 👍 / 👎, their quiz polls and answers.
        for table in (chat_sources, tip_votes, quiz_polls):
            gone += (await conn.execute(delete(table).where(table.c.chat_id == chat_id))).rowcount
        # Announcements an admin wrote stay for the other recipients, without their author.
        gone += (
            await conn.execute(
                update(broadcasts).where(broadcasts.c.created_by == chat_id).values(created_by=0)
            )
        ).rowcount
    return int(gone)


async def count_by_state(engine: AsyncEngine) -> dict[Standing, int]:
    """Subscriptions by how they stand (a blocked one counts as blocked whatever its state)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(subscribers.c.state, subscribers.c.blocked, func.count()).group_by(
                subscribers.c.state, subscribers.c.blocked
            )
        )
        counts = dict.fromkeys(Standing, 0)
        for state, is_blocked, n in rows:
            standing = Standing.BLOCKED if is_blocked else Standing(state)
            counts[standing] += int(n)
    return counts


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
            # The profile goes with the subscription that is kept, never mixed with the other.
            await conn.execute(delete(profiles).where(profiles.c.chat_id == new_chat_id))
            await conn.execute(
                update(profiles)
                .where(profiles.c.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
        else:
            await conn.execute(delete(subscribers).where(subscribers.c.chat_id == old_chat_id))
            await conn.execute(delete(profiles).where(profiles.c.chat_id == old_chat_id))
        theirs = deliveries.alias("theirs")
        duplicate = (
            select(theirs.c.id)
            .where(
                theirs.c.chat_id == new_chat_id,
                or_(
                    theirs.c.local_date == deliveries.c.local_date,
                    theirs.c.broadcast_id == deliveries.c.broadcast_id,
                    and_(theirs.c.kind == deliveries.c.kind, theirs.c.ref == deliveries.c.ref),
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
