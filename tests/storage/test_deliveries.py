"""The outbox queries: planning is once per local date, claims are exclusive, leases expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot import subscriptions
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.deliveries import Outcome
from tipbot.storage.tables import DeliveryStatus, SubscriberState, deliveries, subscribers

TIPS = ("a", "b", "c")
CATCHUP = timedelta(hours=6)
LEASE = timedelta(seconds=60)


async def count(engine: AsyncEngine, *where: object) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(deliveries).where(*where)))  # type: ignore[arg-type]


async def subscribe_due_now(engine: AsyncEngine, clock: FakeClock, chats: range) -> None:
    # 08:00 UTC subscriptions created at 07:59, then the clock moves to 08:00.
    clock.now = datetime(2026, 6, 1, 7, 59)
    for chat in chats:
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 8, 0)


async def test_plan_creates_one_delivery_per_due_subscriber(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 4))
    result = await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    assert (result.planned, result.examined) == (3, 3)
    assert await count(engine) == 3
    sub = await subs.get(engine, 1)
    assert sub is not None and sub.next_due_at == datetime(2026, 6, 2, 8, 0)


async def test_plan_never_plans_a_second_tip_for_the_same_local_date(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    # The user changes their time to later the same day: due again today, but already served.
    clock.advance(minutes=5)
    await subs.subscribe(engine, 1, 9 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 9, 0)
    result = await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    assert result.planned == 0
    assert await count(engine) == 1
    sub = await subs.get(engine, 1)
    assert sub is not None and sub.next_due_at == datetime(2026, 6, 2, 9, 0)


async def test_plan_skips_days_older_than_the_catchup_window(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    clock.now = datetime(2026, 6, 3, 15, 0)  # two days of downtime, today's 08:00 is 7 h late
    result = await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    assert (result.planned, result.skipped) == (0, 1)
    sub = await subs.get(engine, 1)
    assert sub is not None and sub.next_due_at == datetime(2026, 6, 4, 8, 0)


async def test_restart_within_catchup_sends_only_todays_missed_tip(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    clock.now = datetime(2026, 6, 3, 10, 0)  # 2 h after today's 08:00
    first = await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    second = await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    assert (first.planned, first.skipped) == (0, 1)  # 1 June: too old
    assert second.planned == 1  # 3 June, within the window
    async with engine.connect() as conn:
        day = await conn.scalar(select(deliveries.c.local_date))
    assert str(day) == "2026-06-03"


async def test_claim_is_exclusive_until_the_lease_expires(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 4))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    first = await store.claim(engine, clock(), "one", 100, LEASE)
    assert len(first) == 3
    assert await store.claim(engine, clock(), "two", 100, LEASE) == []
    clock.advance(seconds=61)  # "one" died: its lease ran out
    taken_over = await store.claim(engine, clock(), "two", 100, LEASE)
    assert sorted(j.id for j in taken_over) == sorted(j.id for j in first)
    assert all(j.attempts == 2 for j in taken_over)


async def test_extend_lease_keeps_rows_from_being_taken_over(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    jobs = await store.claim(engine, clock(), "one", 100, LEASE)
    clock.advance(seconds=50)
    await store.extend_lease(engine, [j.id for j in jobs], "one", clock() + LEASE)
    clock.advance(seconds=50)
    assert await store.claim(engine, clock(), "two", 100, LEASE) == []


async def test_recorded_outcomes(engine: AsyncEngine, clock: FakeClock) -> None:
    await subscribe_due_now(engine, clock, range(1, 4))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    jobs = await store.claim(engine, clock(), "one", 100, LEASE)
    by_chat = {j.chat_id: j for j in jobs}
    retry_at = clock() + timedelta(seconds=30)
    written = await store.record(
        engine,
        "one",
        [
            Outcome(by_chat[1], DeliveryStatus.SENT, clock(), message_id=11),
            Outcome(by_chat[2], DeliveryStatus.FAILED, clock(), error="network", retry_at=retry_at),
            Outcome(by_chat[3], DeliveryStatus.BLOCKED, clock(), error="Forbidden"),
        ],
    )
    assert written == 3
    assert await count(engine, deliveries.c.status == DeliveryStatus.SENT) == 1
    blocked = await subs.get(engine, 3)
    assert blocked is not None and blocked.blocked and blocked.state is SubscriberState.ACTIVE
    assert blocked.next_due_at is None
    assert await store.claim(engine, clock(), "one", 100, LEASE) == []
    clock.now = retry_at
    retried = await store.claim(engine, clock(), "one", 100, LEASE)
    assert [j.chat_id for j in retried] == [2]


async def test_a_stalled_owner_cannot_record_after_its_lease_was_taken_over(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    [stalled] = await store.claim(engine, clock(), "one", 100, LEASE)
    clock.advance(seconds=61)  # "one" stalled past its lease; "two" takes the row and sends it
    [taken] = await store.claim(engine, clock(), "two", 100, LEASE)
    assert taken.id == stalled.id
    assert await store.record(engine, "two", [Outcome(taken, DeliveryStatus.SENT, clock(), 7)]) == 1
    # "one" wakes up and reports a failure (or hands the row back): nothing changes.
    late = [
        Outcome(stalled, DeliveryStatus.FAILED, clock(), error="timeout", retry_at=clock()),
        Outcome(stalled, DeliveryStatus.PENDING, clock(), retry_at=clock()),
    ]
    assert await store.record(engine, "one", late) == 0
    async with engine.connect() as conn:
        row = (await conn.execute(select(deliveries))).one()
    assert (row.status, row.message_id, row.claimed_by) == (DeliveryStatus.SENT, 7, "two")
    assert await store.claim(engine, clock(), "three", 100, LEASE) == []


async def test_a_lost_lease_cannot_be_extended_and_a_release_only_frees_owned_rows(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 3))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    first = await store.claim(engine, clock(), "one", 1, LEASE)
    second = await store.claim(engine, clock(), "two", 1, LEASE)
    ids = [first[0].id, second[0].id]
    assert await store.extend_lease(engine, ids, "one", clock() + LEASE) == 1
    handback = [
        Outcome(j, DeliveryStatus.PENDING, clock(), retry_at=clock()) for j in first + second
    ]
    assert await store.record(engine, "two", handback) == 1
    again = await store.claim(engine, clock(), "three", 100, LEASE)
    assert [j.id for j in again] == [second[0].id]


async def test_claim_leaves_due_at_alone_and_sets_the_lease(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    await store.claim(engine, clock(), "one", 100, LEASE)
    async with engine.connect() as conn:
        row = (await conn.execute(select(deliveries))).one()
    assert (row.status, row.claimed_by) == (DeliveryStatus.SENDING, "one")
    assert (row.due_at, row.lease_until) == (clock(), clock() + LEASE)


async def test_claims_skip_rows_of_subscribers_who_are_not_active(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 5))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=1))
    # Rows queued just before a stop that did not get to cancel them (e.g. a broadcast that
    # read the subscriber list a moment before): the claim itself checks the subscriber.
    async with engine.begin() as conn:
        for chat, values in [
            (2, {"state": SubscriberState.PAUSED}),
            (3, {"state": SubscriberState.UNSUBSCRIBED}),
            (4, {"blocked": True}),
        ]:
            await conn.execute(
                update(subscribers).where(subscribers.c.chat_id == chat).values(**values)
            )
    jobs = await store.claim(engine, clock(), "one", 100, LEASE)
    assert {j.chat_id for j in jobs} == {1}
    assert len(jobs) == 2  # its tip and its copy of the broadcast
    async with engine.begin() as conn:
        await conn.execute(
            update(subscribers)
            .where(subscribers.c.chat_id == 2)
            .values(state=SubscriberState.ACTIVE)
        )
    assert {j.chat_id for j in await store.claim(engine, clock(), "one", 100, LEASE)} == {2}


async def test_stopping_cancels_open_tips_and_broadcasts_in_the_same_transaction(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 5))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=1))
    await subs.change(engine, 2, clock(), subscriptions.paused)
    await subs.change(engine, 3, clock(), subscriptions.unsubscribed)
    await subs.change(engine, 4, clock(), subscriptions.blocked)
    for chat in (2, 3, 4):
        assert await count(engine, deliveries.c.chat_id == chat) == 2
        assert (
            await count(
                engine,
                deliveries.c.chat_id == chat,
                deliveries.c.status == DeliveryStatus.CANCELLED,
                deliveries.c.finished_at == clock(),
            )
            == 2
        )
    # Resuming does not bring cancelled rows back: the next tip is tomorrow's.
    resumed = await subs.change(engine, 2, clock(), subscriptions.resumed)
    assert resumed.after is not None and resumed.after.next_due_at == datetime(2026, 6, 2, 8, 0)
    assert {j.chat_id for j in await store.claim(engine, clock(), "one", 100, LEASE)} == {1}


async def test_a_blocked_user_who_had_paused_stays_paused_after_unblocking(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await subs.change(engine, 1, clock(), subscriptions.paused)
    await subs.change(engine, 1, clock(), subscriptions.blocked)
    back = await subs.change(engine, 1, clock(), subscriptions.unblocked)
    assert back.after is not None
    assert (back.after.state, back.after.blocked, back.after.next_due_at) == (
        SubscriberState.PAUSED,
        False,
        None,
    )
    stored = await subs.get(engine, 1)
    assert stored == back.after


async def test_a_send_answered_403_blocks_and_cancels_the_rest(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await subs.change(engine, 1, clock(), subscriptions.paused)
    await subs.change(engine, 1, clock(), subscriptions.resumed)
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=1))
    [job] = await store.claim(engine, clock(), "one", 100, LEASE)
    await store.create_broadcast(engine, "more news", 99, clock(), timedelta(hours=1))
    await store.record(engine, "one", [Outcome(job, DeliveryStatus.BLOCKED, clock(), error="403")])
    sub = await subs.get(engine, 1)
    assert sub is not None and (sub.state, sub.blocked) == (SubscriberState.ACTIVE, True)
    assert await count(engine, deliveries.c.status == DeliveryStatus.CANCELLED) == 1
    assert await store.claim(engine, clock(), "one", 100, LEASE) == []


async def test_daily_tips_are_claimed_before_an_older_broadcast(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    # A broadcast to 20 subscribers starts at 07:59; their 08:00 tips fall due while it runs.
    clock.now = datetime(2026, 6, 1, 7, 58)
    for chat in range(1, 21):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    clock.now = datetime(2026, 6, 1, 7, 59)
    await store.create_broadcast(engine, "news", 99, clock(), timedelta(hours=24))
    clock.now = datetime(2026, 6, 1, 8, 0)
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    first = await store.claim(engine, clock(), "one", 15, LEASE)
    assert len(first) == 15 and all(j.local_date is not None for j in first)
    second = await store.claim(engine, clock(), "one", 15, LEASE)
    assert [j.local_date is not None for j in second] == [True] * 5 + [False] * 10
    third = await store.claim(engine, clock(), "one", 15, LEASE)
    assert len(third) == 10 and all(j.broadcast_id is not None for j in third)


async def test_deliveries_past_the_catchup_window_expire(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    clock.advance(hours=7)
    assert await store.claim(engine, clock(), "one", 100, LEASE) == []
    await store.expire(engine, clock())
    assert await count(engine, deliveries.c.status == DeliveryStatus.EXPIRED) == 1


async def test_expiry_leaves_a_leased_row_to_its_owner_until_the_lease_lapses(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    clock.advance(hours=6, seconds=-10)  # just inside the catch-up window
    [job] = await store.claim(engine, clock(), "one", 100, LEASE)
    clock.advance(seconds=30)  # the window closes while "one" is sending
    await store.expire(engine, clock())
    assert await store.record(engine, "one", [Outcome(job, DeliveryStatus.SENT, clock(), 9)]) == 1
    assert await count(engine, deliveries.c.status == DeliveryStatus.SENT) == 1


async def test_a_lapsed_lease_past_the_window_expires(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 2))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    clock.advance(hours=6, seconds=-10)
    await store.claim(engine, clock(), "one", 100, LEASE)
    clock.advance(seconds=61)  # "one" died
    await store.expire(engine, clock())
    assert await count(engine, deliveries.c.status == DeliveryStatus.EXPIRED) == 1


async def test_broadcast_queues_one_delivery_per_active_subscriber(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    await subscribe_due_now(engine, clock, range(1, 5))
    await subs.change(engine, 4, clock(), subscriptions.paused)
    broadcast_id, recipients = await store.create_broadcast(
        engine, "News & <updates>", 99, clock(), timedelta(hours=24)
    )
    assert recipients == 3
    assert await store.broadcast_text(engine, broadcast_id) == "News & <updates>"
    jobs = await store.claim(engine, clock(), "one", 100, LEASE)
    assert sorted(j.chat_id for j in jobs) == [1, 2, 3]
    assert all(j.broadcast_id == broadcast_id and j.tip_id is None for j in jobs)


async def test_forget_leaves_no_row_about_the_user(engine: AsyncEngine, clock: FakeClock) -> None:
    await subscribe_due_now(engine, clock, range(1, 3))
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    await store.create_broadcast(engine, "hello", 1, clock(), timedelta(hours=1))
    await subs.forget(engine, 1)
    async with engine.connect() as conn:
        left = await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.chat_id == 1)
        )
        subs_left = await conn.scalar(
            select(func.count()).select_from(subscribers).where(subscribers.c.chat_id == 1)
        )
        from tipbot.storage.tables import broadcasts

        authored = await conn.scalar(
            select(func.count()).select_from(broadcasts).where(broadcasts.c.created_by == 1)
        )
    assert (left, subs_left, authored) == (0, 0, 0)
    assert await subs.get(engine, 2) is not None


async def test_migrate_is_idempotent(engine: AsyncEngine) -> None:
    from tipbot.storage import db

    assert await db.migrate(engine) == db.head_revision()
    assert {"subscribers", "deliveries", "broadcasts", "processes", "alembic_version"} <= set(
        await db.table_names(engine)
    )
