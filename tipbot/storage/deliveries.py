"""Delivery queries: plan due tips, claim deliveries, record what happened.

The delivery table is an outbox. Planning turns "subscriber X is due" into one row per subscriber
and local date (a unique key, so a tip can never be planned twice). Claiming moves rows to
`sending` with a lease in `lease_until`; a process that dies leaves its lease to expire, and
another process (or the restarted one) takes the row over. Recording a send is what makes it
final, and only the process that still holds the lease may record it.
Every step is a short batched transaction, so the bookkeeping costs little per message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tipbot.companion.history import DoseState
from tipbot.companion.profile import Profile
from tipbot.companion.selection import Audience
from tipbot.delivery import planning
from tipbot.delivery.dose_planning import parse_key
from tipbot.delivery.kinds import REMINDER_KINDS, SUBSCRIPTION_KINDS
from tipbot.delivery.rotation import RotationState
from tipbot.storage import profiles
from tipbot.storage.languages import language_choices
from tipbot.storage.subscriptions import cancel_open, upsert
from tipbot.storage.tables import (
    CLAIMABLE,
    FINAL,
    OPEN,
    DeliveryKind,
    DeliveryStatus,
    SubscriberState,
    broadcast_drafts,
    broadcasts,
    deliveries,
    dose_log,
    subscribers,
)
from tipbot.storage.tables import profiles as profiles_table
from tipbot.storage.unindexed import unindexed


@dataclass(frozen=True)
class PlanResult:
    planned: int
    skipped: int  # missed days older than the catch-up window
    examined: int


@dataclass(frozen=True)
class ClaimedDelivery:
    """A claimed delivery: send it, then record an Outcome (named so as not to be mistaken for
    python-telegram-bot's `Job`)."""

    id: int
    chat_id: int
    tip_id: str | None
    broadcast_id: int | None
    local_date: date | None
    attempts: int
    expire_at: datetime
    #: What the row is (a `DeliveryKind` value; kept as the stored text, so a kind this version
    #: does not know is rejected by the composer rather than breaking the claim), its key within
    #: the chat and kind, and its kind-specific value (see tables.deliveries).
    kind: str = DeliveryKind.TIP
    ref: str | None = None
    payload: str | None = None
    #: How the chat wants it (clinic mode, /settings): the forum topic to post in, and whether
    #: to send without a notification sound. Read from the subscriber at claim time.
    thread_id: int | None = None
    quiet: bool = False
    #: The chat's profile, for a daily tip (the composer adds the kidney caution it asks for).
    profile: Profile | None = None
    #: The chat's language (chosen, or Telegram's remembered at /subscribe); None: English.
    language: str | None = None


@dataclass(frozen=True)
class KeyedRow:
    """One row of a kind other than tips and broadcasts, to plan with `plan_keyed`: unique per
    (chat, kind, ref), so planning it again (another replica, a restart) adds nothing."""

    chat_id: int
    kind: DeliveryKind
    ref: str  # e.g. the scheduled moment "2026-12-07T06:00" (<= 64 characters)
    due_at: datetime  # naive UTC
    expire_at: datetime  # not sent after this (the catch-up window)
    payload: str | None = None  # <= 255 characters, for the composer


@dataclass(frozen=True)
class Outcome:
    job: ClaimedDelivery
    status: DeliveryStatus  # SENT, FAILED, BLOCKED or REJECTED; PENDING hands the row back
    at: datetime
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


#: Rows deleted per prune transaction.
PRUNE_BATCH = 2000
#: How long a /broadcast preview can still be confirmed.
DRAFT_LIFETIME = timedelta(days=1)


async def plan_due(
    engine: AsyncEngine,
    now: datetime,
    tip_ids: tuple[str, ...],
    catchup: timedelta,
    limit: int,
    audiences: Mapping[str, Audience] | None = None,
    ahead: timedelta = timedelta(0),
) -> PlanResult:
    """Create the delivery rows for up to `limit` subscribers whose tip is due by `now` +
    `ahead` (each row due at its subscriber's moment; `audiences`: the bank's tagged tips, for
    subscribers with a profile).

    Storage reads the due subscribers (locked, so replicas plan disjoint sets), lets
    `tipbot.delivery.planning.plan` decide for each, and writes the decisions."""
    pg = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        query = (
            select(
                subscribers.c.chat_id,
                subscribers.c.send_minute,
                subscribers.c.tz,
                subscribers.c.next_due_at,
                subscribers.c.cycle,
                subscribers.c.cycle_sent,
                subscribers.c.seed,
                subscribers.c.last_planned,
                *profiles.ANSWERS,
            )
            .select_from(
                subscribers.outerjoin(
                    profiles_table, profiles_table.c.chat_id == subscribers.c.chat_id
                )
            )
            .where(subscribers.c.next_due_at <= now + ahead)
            .order_by(subscribers.c.next_due_at)
            .limit(limit)
        )
        if pg:
            # Only the subscriber rows are locked; the profile is read beside them.
            query = query.with_for_update(of=subscribers, skip_locked=True)
        rows = (await conn.execute(query)).all()
        if not rows:
            return PlanResult(0, 0, 0)
        plans = [
            planning.plan(
                planning.DueSubscriber(
                    row.chat_id,
                    row.send_minute,
                    row.tz,
                    row.next_due_at,
                    RotationState.from_row(row.seed, row.cycle, row.cycle_sent),
                    row.last_planned,
                    profiles.from_row(row),
                ),
                now,
                tip_ids,
                catchup,
                audiences,
            )
            for row in rows
        ]
        new_rows = [
            {
                "chat_id": p.chat_id,
                "local_date": p.tip.local_date,
                "tip_id": p.tip.tip_id,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "due_at": p.tip.due_at,
                "expire_at": p.tip.expire_at,
            }
            for p in plans
            if p.tip is not None
        ]
        if new_rows:
            # The unique (chat, local date) key stays the last line of defence.
            stmt = upsert(conn)(deliveries).on_conflict_do_nothing(
                index_elements=[deliveries.c.chat_id, deliveries.c.local_date]
            )
            await conn.execute(stmt, new_rows)
        await conn.execute(
            update(subscribers)
            .where(subscribers.c.chat_id == bindparam("b_chat"))
            .values(
                next_due_at=bindparam("b_due"),
                cycle=bindparam("b_cycle"),
                cycle_sent=bindparam("b_sent"),
                last_planned=bindparam("b_last", type_=Date),
            ),
            [
                {
                    "b_chat": p.chat_id,
                    "b_due": p.next_due_at,
                    "b_cycle": p.rotation.cycle,
                    "b_sent": p.rotation.encode_sent(),
                    "b_last": p.last_planned,
                }
                for p in plans
            ],
        )
    return PlanResult(len(new_rows), sum(p.skipped for p in plans), len(rows))


async def plan_keyed(conn: AsyncConnection, rows: Sequence[KeyedRow]) -> int:
    """Add outbox rows of the newer kinds inside the caller's transaction (so a planner writes
    its own bookkeeping, e.g. a dose plan's next due time, atomically with the rows). A row whose
    (chat, kind, ref) is already planned is left exactly as it is; returns how many were added."""
    if not rows:
        return 0
    values = [
        {
            "chat_id": r.chat_id,
            "kind": r.kind.value,
            "ref": r.ref,
            "payload": r.payload,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "due_at": r.due_at,
            "expire_at": r.expire_at,
        }
        for r in rows
    ]
    stmt = (
        upsert(conn)(deliveries)
        .on_conflict_do_nothing(
            index_elements=[deliveries.c.chat_id, deliveries.c.kind, deliveries.c.ref]
        )
        .returning(deliveries.c.id)
    )
    # One batched INSERT ... ON CONFLICT DO NOTHING RETURNING: only new rows come back.
    return len((await conn.execute(stmt, values)).all())


async def cancel_keyed(
    conn: AsyncConnection,
    chat_id: int,
    kinds: Sequence[str],
    now: datetime,
    refs: Sequence[str] | None = None,
) -> int:
    """Cancel the open rows of `kinds` for one chat (only those with `refs`, if given), in the
    caller's transaction; a row being sent right now is left to its sender."""
    conditions = [
        deliveries.c.chat_id == chat_id,
        deliveries.c.kind.in_(list(kinds)),
        deliveries.c.status.in_(OPEN),
    ]
    if refs is not None:
        conditions.append(deliveries.c.ref.in_(list(refs)))
    result = await conn.execute(
        update(deliveries)
        .where(*conditions)
        .values(status=DeliveryStatus.CANCELLED, finished_at=now, lease_until=None)
    )
    return int(result.rowcount or 0)


async def expire(engine: AsyncEngine, now: datetime) -> None:
    """Mark deliveries whose catch-up window has closed; `claim` never takes them either way.
    A row still leased to a process is left to it (its send may be under way, and only the
    owner's record counts); it expires once the lease has lapsed. A dose reminder that expires
    unsent is logged as missed in the same transaction (never as "no answer": it never came)."""
    async with engine.begin() as conn:
        unsent: list[tuple[int, datetime]] = []
        for status in CLAIMABLE:  # one range of the (status, expire_at) index each
            leased = [deliveries.c.lease_until <= now] if status is DeliveryStatus.SENDING else []
            expired = await conn.execute(
                update(deliveries)
                .where(deliveries.c.status == status, deliveries.c.expire_at <= now, *leased)
                .values(
                    status=DeliveryStatus.EXPIRED,
                    error="catch-up window passed",
                    finished_at=now,
                    lease_until=None,
                )
                .returning(deliveries.c.chat_id, deliveries.c.kind, deliveries.c.ref)
            )
            for chat_id, kind, ref in expired:
                at = parse_key(ref or "") if kind == DeliveryKind.DOSE else None
                if at is not None:  # the reminder itself, not a snoozed repeat
                    unsent.append((chat_id, at))
        if unsent:
            await conn.execute(
                update(dose_log)
                .where(
                    dose_log.c.chat_id == bindparam("b_chat"),
                    dose_log.c.scheduled_at == bindparam("b_at"),
                    dose_log.c.state == DoseState.NOT_LOGGED.value,
                )
                .values(state=DoseState.MISSED.value),
                [{"b_chat": chat, "b_at": at} for chat, at in unsent],
            )


#: The columns a claim returns, in ClaimedDelivery's field order.
_CLAIMED_COLUMNS = (
    deliveries.c.id,
    deliveries.c.chat_id,
    deliveries.c.tip_id,
    deliveries.c.broadcast_id,
    deliveries.c.local_date,
    deliveries.c.attempts,
    deliveries.c.expire_at,
    deliveries.c.kind,
    deliveries.c.ref,
    deliveries.c.payload,
)


def _claimable_now(
    status: DeliveryStatus, now: datetime, *, by_key: bool = False
) -> ColumnElement[bool]:
    """Rows of `status` that may be claimed at `now`: due, or (sending) with a lapsed lease.
    `by_key`: for a statement that names its rows by id (the status must not pick an index)."""
    column = unindexed(deliveries.c.status) if by_key else deliveries.c.status
    if status is DeliveryStatus.SENDING:
        return and_(column == status, deliveries.c.lease_until <= now)
    return and_(column == status, deliveries.c.due_at <= now)


def _subscriber_active() -> ColumnElement[bool]:
    """Only an active subscriber is sent anything: a paused, unsubscribed, blocked or forgotten
    user's rows stay unclaimed (and expire) even if they were planned before the change."""
    return (
        select(subscribers.c.chat_id)
        .where(
            subscribers.c.chat_id == deliveries.c.chat_id,
            subscribers.c.state == SubscriberState.ACTIVE,
            subscribers.c.blocked.is_(False),
        )
        .exists()
    )


def _not_blocked() -> ColumnElement[bool]:
    """The dose companion's rows need no subscription, only a chat that has not blocked the bot
    (its own switches, /dose off and /forget, cancel its rows)."""
    return ~(
        select(subscribers.c.chat_id)
        .where(subscribers.c.chat_id == deliveries.c.chat_id, subscribers.c.blocked.is_(True))
        .exists()
    )


def _may_receive() -> ColumnElement[bool]:
    """Who may be sent a row, by its kind (see delivery/kinds.py)."""
    return or_(
        and_(deliveries.c.kind.in_(sorted(SUBSCRIPTION_KINDS)), _subscriber_active()),
        and_(deliveries.c.kind.in_(sorted(REMINDER_KINDS)), _not_blocked()),
    )


async def claim(
    engine: AsyncEngine, now: datetime, owner: str, limit: int, lease: timedelta
) -> list[ClaimedDelivery]:
    """Take up to `limit` deliveries that are due (new, retried, or abandoned by a process whose
    lease ran out) and still inside their catch-up window: dose reminders first, then daily
    tips, then broadcast and quiz rows, so a long broadcast never holds the day's tips back and
    nothing holds a reminder back."""
    pg = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        ids: list[int] = []
        # Reminders are rows with a `ref` and a reminder kind, tips the rows with a local date;
        # each group is walked with one query per status, in due order along an index on
        # (status, due_at) (partial ones for the first two), stopping at what is still wanted
        # however many rows a large broadcast has left pending.
        reminders = and_(
            deliveries.c.ref.isnot(None), deliveries.c.kind.in_(sorted(REMINDER_KINDS))
        )
        groups = (
            reminders,
            deliveries.c.local_date.isnot(None),
            and_(deliveries.c.local_date.is_(None), ~reminders),
        )
        for kind in groups:
            wanted = limit - len(ids)
            if wanted <= 0:
                break
            candidates: list[tuple[datetime, int]] = []
            for status in CLAIMABLE:
                order = (
                    deliveries.c.lease_until
                    if status is DeliveryStatus.SENDING
                    else deliveries.c.due_at
                )
                due_q = (
                    select(order, deliveries.c.id)
                    .where(
                        kind,
                        _claimable_now(status, now),
                        deliveries.c.expire_at > now,
                        _may_receive(),
                    )
                    .order_by(order)
                    .limit(wanted)
                )
                if pg:
                    due_q = due_q.with_for_update(of=deliveries, skip_locked=True)
                candidates += [(due, id_) for due, id_ in await conn.execute(due_q)]
            ids += [id_ for _, id_ in sorted(candidates)[:wanted]]
        if not ids:
            return []
        # The conditions are repeated: a compare-and-set, so two processes that selected the
        # same row cannot both claim it, even on SQLite.
        claimed = await conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_(ids),
                or_(*(_claimable_now(status, now, by_key=True) for status in CLAIMABLE)),
                deliveries.c.expire_at > now,
            )
            .values(
                status=DeliveryStatus.SENDING,
                claimed_by=owner,
                lease_until=now + lease,
                attempts=deliveries.c.attempts + 1,
            )
            .returning(*_CLAIMED_COLUMNS)
        )
        by_id = {row.id: ClaimedDelivery(*row) for row in claimed}
        if by_id:
            # A few more queries per batch, not per row: how each chat wants its messages (clinic
            # mode, /settings, its language) and, for a daily tip, the chat's profile.
            chats = {job.chat_id for job in by_id.values()}
            wishes = {
                row.chat_id: row
                for row in await conn.execute(
                    select(
                        subscribers.c.chat_id,
                        subscribers.c.thread_id,
                        subscribers.c.quiet,
                        language_choices.c.language,
                    )
                    .select_from(
                        subscribers.outerjoin(
                            language_choices,
                            language_choices.c.chat_id == subscribers.c.chat_id,
                        )
                    )
                    .where(subscribers.c.chat_id.in_(chats))
                )
            }
            unsubscribed = chats - set(wishes)
            if unsubscribed:  # a dose companion without a subscription: only its language
                for row in await conn.execute(
                    select(
                        language_choices.c.chat_id,
                        literal(None).label("thread_id"),
                        literal(False).label("quiet"),
                        language_choices.c.language,
                    ).where(language_choices.c.chat_id.in_(unsubscribed))
                ):
                    wishes[row.chat_id] = row
            tip_chats = {job.chat_id for job in by_id.values() if job.kind == DeliveryKind.TIP}
            by_chat = {}
            if tip_chats:
                found = await conn.execute(
                    select(profiles_table).where(profiles_table.c.chat_id.in_(tip_chats))
                )
                by_chat = {row.chat_id: profiles.from_row(row) for row in found}
            by_id = {
                id_: _with_wishes(job, wishes.get(job.chat_id), by_chat)
                for id_, job in by_id.items()
            }
    # Reminders, tips, then the rest, each in due order (the order they were chosen in).
    return [by_id[id_] for id_ in ids if id_ in by_id]


def _with_wishes(
    job: ClaimedDelivery, wish: Any, by_chat: Mapping[int, Profile | None]
) -> ClaimedDelivery:
    """The claimed row with its chat's wishes (topic, quiet, language) and, for a tip, profile."""
    return replace(
        job,
        thread_id=wish.thread_id if wish is not None else None,
        quiet=bool(wish.quiet) if wish is not None else False,
        language=wish.language if wish is not None else None,
        profile=by_chat.get(job.chat_id) if job.kind == DeliveryKind.TIP else None,
    )


async def extend_lease(engine: AsyncEngine, ids: Sequence[int], owner: str, until: datetime) -> int:
    """Keep rows this process still holds (e.g. waiting out a 429) from being taken over;
    returns how many it still holds."""
    if not ids:
        return 0
    async with engine.begin() as conn:
        result = await conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_(list(ids)),
                deliveries.c.claimed_by == owner,
                unindexed(deliveries.c.status) == DeliveryStatus.SENDING,
            )
            .values(lease_until=until)
        )
    return int(result.rowcount or 0)


async def record(engine: AsyncEngine, owner: str, outcomes: Sequence[Outcome]) -> int:
    """Write a batch of outcomes in one transaction (group commit); return how many were written.

    Only rows that `owner` still holds (status `sending`, `claimed_by` == owner) are written: an
    owner that stalled past its lease may have lost the row to another process, whose result
    must not be overwritten. A PENDING outcome hands the row back, due again at `retry_at`.
    """
    if not outcomes:
        return 0
    params = [
        {
            "b_id": o.job.id,
            "b_status": o.status,
            "b_sent_at": o.at if o.status is DeliveryStatus.SENT else None,
            "b_message_id": o.message_id,
            "b_error": (o.error or "")[:200] or None,
            # due_at only ever means "due": it moves for a retry or a hand-back, never otherwise.
            "b_due": None if o.status in FINAL else (o.retry_at or o.at),
            "b_finished": o.at if o.status in FINAL else None,
        }
        for o in outcomes
    ]
    owned_q = select(deliveries.c.id).where(
        deliveries.c.id.in_([o.job.id for o in outcomes]),
        deliveries.c.claimed_by == owner,
        unindexed(deliveries.c.status) == DeliveryStatus.SENDING,
    )
    if engine.dialect.name == "postgresql":
        # Locked, so no other process can take these rows over before the update below (on
        # SQLite the transaction holds the database's write lock anyway).
        owned_q = owned_q.with_for_update()
    async with engine.begin() as conn:
        owned = set((await conn.execute(owned_q)).scalars())
        params = [p for p in params if p["b_id"] in owned]
        if not params:
            return 0
        await conn.execute(
            update(deliveries)
            .where(
                deliveries.c.id == bindparam("b_id"),
                deliveries.c.claimed_by == owner,
                unindexed(deliveries.c.status) == DeliveryStatus.SENDING,
            )
            .values(
                status=bindparam("b_status"),
                sent_at=bindparam("b_sent_at"),
                message_id=bindparam("b_message_id"),
                error=bindparam("b_error"),
                due_at=func.coalesce(bindparam("b_due", type_=DateTime), deliveries.c.due_at),
                finished_at=bindparam("b_finished", type_=DateTime),
                lease_until=None,
            ),
            params,
        )
        blocked = sorted(
            {
                o.job.chat_id
                for o in outcomes
                if o.status is DeliveryStatus.BLOCKED and o.job.id in owned
            }
        )
        if blocked:
            # `subscriptions.blocked` for a batch: the flag, no next tip, nothing left queued.
            await conn.execute(
                update(subscribers)
                .where(subscribers.c.chat_id.in_(blocked))
                .values(blocked=True, next_due_at=None)
            )
            await cancel_open(conn, blocked, outcomes[-1].at)
    return len(params)


async def create_broadcast(
    engine: AsyncEngine, text: str, admin_id: int, now: datetime, expire_after: timedelta
) -> tuple[int, int]:
    """Store an announcement and one pending delivery per receiving subscriber."""
    async with engine.begin() as conn:
        return await _queue_broadcast(conn, text, admin_id, now, expire_after)


async def _queue_broadcast(
    conn: AsyncConnection, text: str, admin_id: int, now: datetime, expire_after: timedelta
) -> tuple[int, int]:
    """The announcement and its deliveries, inside the database (INSERT ... SELECT), so memory
    stays flat however many subscribers there are."""
    result = await conn.execute(
        insert(broadcasts)
        .values(text=text, created_by=admin_id, created_at=now, recipients=0)
        .returning(broadcasts.c.id)
    )
    broadcast_id = int(result.scalar_one())
    source = select(
        subscribers.c.chat_id,
        literal(DeliveryKind.BROADCAST.value),
        literal(broadcast_id),
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal(now),
        literal(now + expire_after),
    ).where(subscribers.c.state == SubscriberState.ACTIVE, subscribers.c.blocked.is_(False))
    inserted = await conn.execute(
        insert(deliveries).from_select(
            ["chat_id", "kind", "broadcast_id", "status", "attempts", "due_at", "expire_at"],
            source,
        )
    )
    recipients = int(inserted.rowcount or 0)
    await conn.execute(
        update(broadcasts).where(broadcasts.c.id == broadcast_id).values(recipients=recipients)
    )
    return broadcast_id, recipients


async def save_draft(engine: AsyncEngine, text: str, admin_id: int, now: datetime) -> int:
    """Keep an admin's /broadcast text until its confirm button is pressed, on whichever replica
    receives the press; drafts older than DRAFT_LIFETIME are dropped meanwhile."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(broadcast_drafts).where(broadcast_drafts.c.created_at < now - DRAFT_LIFETIME)
        )
        result = await conn.execute(
            insert(broadcast_drafts)
            .values(created_by=admin_id, text=text, created_at=now)
            .returning(broadcast_drafts.c.id)
        )
        return int(result.scalar_one())


async def drop_draft(engine: AsyncEngine, draft_id: int) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(broadcast_drafts).where(broadcast_drafts.c.id == draft_id)
        )
    return bool(result.rowcount)


async def broadcast_draft(
    engine: AsyncEngine, draft_id: int, admin_id: int, now: datetime, expire_after: timedelta
) -> tuple[int, int] | None:
    """Queue the draft as a broadcast and delete it, in one transaction: a second press (on any
    replica) finds no draft, so an announcement is queued once. None if the draft is gone."""
    async with engine.begin() as conn:
        text = (
            await conn.execute(
                delete(broadcast_drafts)
                .where(
                    broadcast_drafts.c.id == draft_id,
                    broadcast_drafts.c.created_at >= now - DRAFT_LIFETIME,
                )
                .returning(broadcast_drafts.c.text)
            )
        ).scalar_one_or_none()
        if text is None:
            return None
        return await _queue_broadcast(conn, text, admin_id, now, expire_after)


async def broadcast_text(engine: AsyncEngine, broadcast_id: int) -> str | None:
    async with engine.connect() as conn:
        value = await conn.scalar(select(broadcasts.c.text).where(broadcasts.c.id == broadcast_id))
    return str(value) if value is not None else None


async def counts_since(engine: AsyncEngine, since: datetime) -> dict[DeliveryStatus, int]:
    """For /stats: deliveries that finished since `since`, by status, and the ones still open
    (pending, sending, failed-and-retrying) now. Both walk indexes, never the whole table."""
    counts = dict.fromkeys(DeliveryStatus, 0)
    async with engine.connect() as conn:
        # One range of the (status, finished_at) or (status, due_at) index per status: a GROUP BY
        # would let SQLite walk a whole index to get the groups in order.
        for status in FINAL:
            n = await conn.scalar(
                select(func.count())
                .select_from(deliveries)
                .where(deliveries.c.status == status, deliveries.c.finished_at >= since)
            )
            counts[status] = int(n or 0)
        for status in (*OPEN, DeliveryStatus.SENDING):
            n = await conn.scalar(
                select(func.count()).select_from(deliveries).where(deliveries.c.status == status)
            )
            counts[status] = int(n or 0)
    return counts


async def prune(engine: AsyncEngine, before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete deliveries that finished before `before`; return how many went.

    Small batches, each its own transaction, so pruning a large backlog never holds SQLite's
    write lock (or many PostgreSQL row locks) for long. Nothing else reads old rows: rotation
    lives on the subscriber row, and a day's tip is checked against that day's row only.
    """
    total = 0
    for status in FINAL:  # one range of the (status, finished_at) index each
        while True:
            async with engine.begin() as conn:
                ids = (
                    select(deliveries.c.id)
                    .where(deliveries.c.status == status, deliveries.c.finished_at < before)
                    .limit(batch)
                )
                result = await conn.execute(
                    delete(deliveries).where(deliveries.c.id.in_(ids.scalar_subquery()))
                )
            gone = int(result.rowcount or 0)
            total += gone
            if gone < batch:
                break
    return total


async def next_due(
    engine: AsyncEngine, now: datetime | None = None, ahead: timedelta = timedelta(0)
) -> datetime | None:
    """When the next subscriber's tip is to be planned (the start of the `next_due_at` index,
    less the planner's look-ahead `ahead`) or, given `now`, a row planned ahead (a tip, a
    follow-up, a "wait is over") becomes due, whichever is first."""
    async with engine.connect() as conn:
        value = await conn.scalar(select(func.min(subscribers.c.next_due_at)))
        if isinstance(value, datetime):
            value -= ahead
        planned = None
        if now is not None:
            planned = await conn.scalar(
                select(func.min(deliveries.c.due_at)).where(
                    deliveries.c.status == DeliveryStatus.PENDING, deliveries.c.due_at > now
                )
            )
    found = [v for v in (value, planned) if isinstance(v, datetime)]
    return min(found) if found else None


async def planned_tip(engine: AsyncEngine, chat_id: int, now: datetime) -> datetime | None:
    """When the chat's daily tip planned ahead and not yet due will be sent, if one is."""
    async with engine.connect() as conn:
        value = await conn.scalar(
            select(func.min(deliveries.c.due_at)).where(
                deliveries.c.chat_id == chat_id,
                deliveries.c.kind == DeliveryKind.TIP,
                deliveries.c.status == DeliveryStatus.PENDING,
                deliveries.c.due_at > now,
            )
        )
    return value if isinstance(value, datetime) else None


async def oldest_due(engine: AsyncEngine, now: datetime) -> datetime | None:
    """The due time of the longest-waiting tip or delivery (for the sweep-lag metric)."""
    async with engine.connect() as conn:
        sub = await conn.scalar(
            select(func.min(subscribers.c.next_due_at)).where(subscribers.c.next_due_at <= now)
        )
        dlv = await conn.scalar(
            select(func.min(deliveries.c.due_at)).where(
                deliveries.c.status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
                deliveries.c.due_at <= now,
            )
        )
    candidates = [v for v in (sub, dlv) if isinstance(v, datetime)]
    return min(candidates) if candidates else None
