"""Dose storage on both back ends: a plan is planned once per dose, presses change the log and
the outbox in one transaction, /dose off keeps the log, /forget deletes everything."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.companion.doses import DoseSchedule, Repeat
from tipbot.companion.history import DoseRecord, DoseState, Press
from tipbot.content.models import Bank
from tipbot.storage import doses as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import DeliveryKind, DeliveryStatus, deliveries, dose_log, dose_plans

WEEKLY = DoseSchedule(Repeat.WEEKLY, 7 * 60, "UTC", weekday=0)
SUNDAY = datetime(2026, 5, 31, 12, 0)
MONDAY_7 = datetime(2026, 6, 1, 7, 0)


async def outbox(engine: AsyncEngine) -> list[tuple[str, str, str, datetime]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                deliveries.c.kind, deliveries.c.ref, deliveries.c.status, deliveries.c.due_at
            ).order_by(deliveries.c.id)
        )
        return [(str(k), str(r), str(s), d) for k, r, s, d in rows]


async def test_a_dose_is_planned_once_and_taken_plans_its_waits(
    engine: AsyncEngine, bank: Bank
) -> None:
    plan, first = await store.save_plan(engine, 7, "alendronate", WEEKLY, SUNDAY)
    assert first and plan.next_due_at == MONDAY_7
    assert await store.plan_due_doses(engine, MONDAY_7 - timedelta(minutes=1)) == (0, 0)
    assert await store.plan_due_doses(engine, MONDAY_7) == (2, 1)
    assert await store.plan_due_doses(engine, MONDAY_7) == (0, 0)  # moved to next week
    assert (await store.get_plan(engine, 7)).next_due_at == MONDAY_7 + timedelta(days=7)  # type: ignore[union-attr]
    rules = store.rules_by_id(bank.doses)
    taken = await store.press(engine, 7, MONDAY_7, Press.TAKEN, MONDAY_7, rules)
    assert taken.changed and [k for k, _ in taken.waits] == ["food", "minerals"]
    key = "202606010700"
    # (Here the reminder was never sent: a press settles the dose, so it is cancelled too.)
    assert await outbox(engine) == [
        ("dose", key, DeliveryStatus.CANCELLED, MONDAY_7),
        ("dose_followup", key, DeliveryStatus.CANCELLED, MONDAY_7 + timedelta(hours=1)),
        ("dose_wait", key, DeliveryStatus.PENDING, MONDAY_7 + timedelta(minutes=30)),
        ("dose_wait", f"{key}m", DeliveryStatus.PENDING, MONDAY_7 + timedelta(hours=2)),
    ]
    stale = await store.press(engine, 7, MONDAY_7, Press.SNOOZE, MONDAY_7, rules)
    assert not stale.changed and stale.state is DoseState.TAKEN
    assert await store.records(engine, 7) == [DoseRecord(MONDAY_7, DoseState.TAKEN)]


async def test_snooze_then_off_then_forget(engine: AsyncEngine, bank: Bank) -> None:
    await store.save_plan(engine, 8, "alendronate", WEEKLY, SUNDAY)
    await store.plan_due_doses(engine, MONDAY_7)
    rules = store.rules_by_id(bank.doses)
    pressed = MONDAY_7 + timedelta(minutes=2)
    snoozed = await store.press(engine, 8, MONDAY_7, Press.SNOOZE, pressed, rules)
    assert snoozed.snoozed_until == pressed + timedelta(minutes=15)
    kinds = [(k, r, s, d) for k, r, s, d in await outbox(engine) if k != "dose" or "s" in r]
    assert (
        "dose",
        "202606010700s1",
        DeliveryStatus.PENDING,
        pressed + timedelta(minutes=15),
    ) in kinds
    assert (
        "dose_followup",
        "202606010700",
        DeliveryStatus.PENDING,
        pressed + timedelta(minutes=75),
    ) in kinds
    assert await store.stop(engine, 8, pressed)
    assert all(s == DeliveryStatus.CANCELLED for _, _, s, _ in await outbox(engine))
    assert await store.records(engine, 8) == [DoseRecord(MONDAY_7, DoseState.SNOOZED)]
    await subs.forget(engine, 8)
    async with engine.connect() as conn:
        for table in (dose_plans, dose_log, deliveries):
            assert await conn.scalar(select(func.count()).select_from(table)) == 0


async def test_pause_cancels_queued_reminders_and_resume_plans_from_now(
    engine: AsyncEngine,
) -> None:
    await store.save_plan(engine, 9, "alendronate", WEEKLY, SUNDAY)
    await store.plan_due_doses(engine, MONDAY_7)
    assert await store.set_paused(engine, 9, True, MONDAY_7)
    assert not await store.set_paused(engine, 9, True, MONDAY_7)  # already paused
    assert {s for k, _, s, _ in await outbox(engine)} == {DeliveryStatus.CANCELLED}
    assert await store.plan_due_doses(engine, MONDAY_7 + timedelta(days=7)) == (0, 0)
    assert await store.set_paused(engine, 9, False, MONDAY_7 + timedelta(days=8))
    plan = await store.get_plan(engine, 9)
    assert plan is not None and plan.next_due_at == MONDAY_7 + timedelta(days=14)
    assert DeliveryKind.DOSE in {k for k, _, _, _ in await outbox(engine)}


async def test_a_reminder_that_expires_unsent_is_logged_as_missed(engine: AsyncEngine) -> None:
    from tipbot.storage import deliveries as outbox_store

    await store.save_plan(engine, 10, "alendronate", WEEKLY, SUNDAY)
    await store.plan_due_doses(engine, MONDAY_7)  # planned, then Telegram is unreachable
    await outbox_store.expire(engine, MONDAY_7 + timedelta(minutes=59))
    assert await store.records(engine, 10) == [DoseRecord(MONDAY_7, DoseState.NOT_LOGGED)]
    await outbox_store.expire(engine, MONDAY_7 + timedelta(hours=1))
    assert await store.records(engine, 10) == [DoseRecord(MONDAY_7, DoseState.MISSED)]
