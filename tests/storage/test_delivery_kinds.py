"""The outbox's newer kinds (dose reminders, the weekly quiz): planned once per (chat, kind, ref),
claimed before tips, sent to whom their kind allows, cancelled by the right switches."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot import subscriptions
from tipbot.delivery.budget import Priority
from tipbot.delivery.kinds import REMINDER_KINDS, priority
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.deliveries import KeyedRow
from tipbot.storage.tables import DeliveryKind, DeliveryStatus, deliveries

TIPS = ("a", "b", "c")
CATCHUP = timedelta(hours=1)
LEASE = timedelta(seconds=60)
NOW = datetime(2026, 6, 1, 8, 0)


def dose(chat: int, ref: str = "2026-06-01T08:00", due: datetime = NOW) -> KeyedRow:
    return KeyedRow(chat, DeliveryKind.DOSE, ref, due, due + CATCHUP, payload="alendronate_70")


async def plan(engine: AsyncEngine, rows: list[KeyedRow]) -> int:
    async with engine.begin() as conn:
        return await store.plan_keyed(conn, rows)


async def statuses(engine: AsyncEngine, kind: DeliveryKind) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(deliveries.c.status).where(deliveries.c.kind == kind).order_by(deliveries.c.id)
        )
        return [str(s) for s in found.scalars()]


async def test_a_keyed_row_is_planned_once_however_often_it_is_planned(
    engine: AsyncEngine,
) -> None:
    assert await plan(engine, [dose(1), dose(2)]) == 2
    # Another replica, or the restarted planner, plans the same dose again: nothing is added,
    # and the row planned first is left as it was.
    assert (
        await plan(
            engine,
            [
                dose(1),
                KeyedRow(1, DeliveryKind.DOSE, "2026-06-01T08:00", NOW + timedelta(hours=3), NOW),
            ],
        )
        == 0
    )
    # The same ref in another kind, or another ref, is another row.
    follow = KeyedRow(1, DeliveryKind.DOSE_FOLLOWUP, "2026-06-01T08:00", NOW, NOW + CATCHUP)
    assert await plan(engine, [follow, dose(1, "2026-06-08T08:00")]) == 2
    async with engine.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(deliveries))
        due = await conn.scalar(
            select(deliveries.c.due_at).where(
                deliveries.c.chat_id == 1,
                deliveries.c.kind == DeliveryKind.DOSE,
                deliveries.c.ref == "2026-06-01T08:00",
            )
        )
    assert total == 4 and due == NOW


async def test_reminders_are_claimed_before_tips_and_carry_their_kind_ref_and_payload(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = NOW - timedelta(minutes=1)
    for chat in (1, 2):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    clock.now = NOW
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    # The reminder is due a minute after the tips, and still goes first.
    await plan(engine, [dose(3, due=NOW - timedelta(seconds=1))])
    jobs = await store.claim(engine, NOW + timedelta(minutes=1), "me", 2, LEASE)
    first = jobs[0]
    assert (first.chat_id, first.kind) == (3, DeliveryKind.DOSE)
    assert (first.ref, first.payload, first.tip_id, first.local_date) == (
        "2026-06-01T08:00",
        "alendronate_70",
        None,
        None,
    )
    assert jobs[1].kind == DeliveryKind.TIP and jobs[1].tip_id is not None


async def test_a_reminder_needs_no_subscription_but_never_goes_to_a_chat_that_blocked_the_bot(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = NOW - timedelta(minutes=1)
    await subs.subscribe(engine, 2, 8 * 60, "UTC", clock())
    await subs.change(engine, 2, clock(), subscriptions.blocked)
    await plan(engine, [dose(1), dose(2)])
    # A quiz follows the subscription: chat 1 has none, so its quiz is not claimed.
    await plan(engine, [KeyedRow(1, DeliveryKind.QUIZ, "2026-W23", NOW, NOW + CATCHUP)])
    jobs = await store.claim(engine, NOW, "me", 10, LEASE)
    assert [(j.chat_id, j.kind) for j in jobs] == [(1, DeliveryKind.DOSE)]


async def test_pause_cancels_the_tips_but_not_the_reminders_and_blocking_cancels_both(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    clock.now = NOW - timedelta(minutes=1)
    await subs.subscribe(engine, 1, 8 * 60, "UTC", clock())
    clock.now = NOW
    await store.plan_due(engine, clock(), TIPS, CATCHUP, 100)
    await plan(engine, [dose(1)])
    await subs.change(engine, 1, clock(), subscriptions.paused)
    assert await statuses(engine, DeliveryKind.TIP) == [DeliveryStatus.CANCELLED]
    assert await statuses(engine, DeliveryKind.DOSE) == [DeliveryStatus.PENDING]
    # A paused subscriber still gets their dose reminder.
    jobs = await store.claim(engine, NOW, "me", 10, LEASE)
    assert [j.kind for j in jobs] == [DeliveryKind.DOSE]
    await store.record(engine, "me", [store.Outcome(jobs[0], DeliveryStatus.PENDING, NOW)])
    await subs.change(engine, 1, clock(), subscriptions.blocked)
    assert await statuses(engine, DeliveryKind.DOSE) == [DeliveryStatus.CANCELLED]


async def test_cancel_keyed_cancels_only_the_kinds_and_refs_asked_for(engine: AsyncEngine) -> None:
    follow = KeyedRow(1, DeliveryKind.DOSE_FOLLOWUP, "2026-06-01T08:00", NOW, NOW + CATCHUP)
    await plan(engine, [dose(1), dose(1, "2026-06-08T08:00"), follow, dose(2)])
    async with engine.begin() as conn:
        gone = await store.cancel_keyed(
            conn, 1, [DeliveryKind.DOSE, DeliveryKind.DOSE_FOLLOWUP], NOW, ["2026-06-01T08:00"]
        )
    assert gone == 2
    assert await statuses(engine, DeliveryKind.DOSE) == [
        DeliveryStatus.CANCELLED,
        DeliveryStatus.PENDING,
        DeliveryStatus.PENDING,
    ]


async def test_next_due_sees_a_row_planned_ahead(engine: AsyncEngine) -> None:
    assert await store.next_due(engine, NOW) is None
    await plan(engine, [dose(1, due=NOW + timedelta(hours=1))])
    assert await store.next_due(engine, NOW) == NOW + timedelta(hours=1)
    assert await store.next_due(engine) is None  # without `now`: the tips only, as before


async def test_a_broadcast_row_is_of_kind_broadcast(engine: AsyncEngine, clock: FakeClock) -> None:
    await subs.subscribe(engine, 1, 8 * 60, "UTC", clock())
    await store.create_broadcast(engine, "hello", 99, clock(), timedelta(days=1))
    assert await statuses(engine, DeliveryKind.BROADCAST) == [DeliveryStatus.PENDING]


def test_each_kind_has_its_priority() -> None:
    assert {priority(k) for k in REMINDER_KINDS} == {Priority.REMINDER}
    assert priority(DeliveryKind.TIP) is Priority.TIP
    assert priority(DeliveryKind.QUIZ) is Priority.TIP
    assert priority(DeliveryKind.BROADCAST) is Priority.BROADCAST
