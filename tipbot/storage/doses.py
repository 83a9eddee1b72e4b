"""Dose companion storage: the plan (one per chat), the log (one row per scheduled dose), and the
outbox rows that carry the reminders (`storage.deliveries.plan_keyed`).

Each change is one transaction with the outbox rows it implies: setting a plan up cancels the
old plan's queued reminders; /dose off and a pause cancel them at once; a press on Taken cancels
the follow-up and plans the "wait is over" messages; a snooze plans the next reminder and moves
the follow-up. Health data: nothing here logs a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tipbot.companion.doses import (
    CATCH_UP,
    DoseSchedule,
    Occurrence,
    Repeat,
    after_taken,
    next_occurrence,
    snoozed_until,
)
from tipbot.companion.history import DoseRecord, DoseState, Press
from tipbot.content.models import DoseRule
from tipbot.delivery.dose_planning import (
    dose_key,
    follow_up_due,
    plan_dose,
    reminder_expires,
)
from tipbot.delivery.kinds import REMINDER_KINDS
from tipbot.storage.deliveries import KeyedRow, cancel_keyed, plan_keyed
from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import (
    OPEN,
    DeliveryKind,
    DeliveryStatus,
    deliveries,
    dose_log,
    dose_plans,
)

#: The reminder kinds a new schedule, a pause or /dose off cancel (a "wait is over" message
#: after a dose already taken still comes, except after /dose off).
SCHEDULED_KINDS = (DeliveryKind.DOSE, DeliveryKind.DOSE_FOLLOWUP, DeliveryKind.APPOINTMENT)
#: Snoozes per dose: after these, Snooze is a stale button (Taken and Skip still work).
MAX_SNOOZES = 8


@dataclass(frozen=True)
class DosePlan:
    chat_id: int
    medicine: str
    schedule: DoseSchedule
    next_due_at: datetime | None
    paused: bool


def _schedule(row: object) -> DoseSchedule:
    m = row._mapping  # type: ignore[attr-defined]
    return DoseSchedule(
        Repeat(m["repeat"]),
        m["minute"],
        m["tz"],
        weekday=m["weekday"],
        month_day=m["month_day"],
        last_day=bool(m["last_day"]),
        every_days=m["every_days"],
        anchor=m["anchor"],
    )


def _plan(row: object) -> DosePlan:
    m = row._mapping  # type: ignore[attr-defined]
    return DosePlan(m["chat_id"], m["medicine"], _schedule(row), m["next_due_at"], m["paused"])


def _schedule_values(schedule: DoseSchedule) -> dict[str, object]:
    return {
        "repeat": schedule.repeat.value,
        "minute": schedule.minute,
        "tz": schedule.zone,
        "weekday": schedule.weekday,
        "month_day": schedule.month_day,
        "last_day": schedule.last_day,
        "every_days": schedule.every_days,
        "anchor": schedule.anchor,
    }


async def get_plan(engine: AsyncEngine, chat_id: int) -> DosePlan | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(dose_plans).where(dose_plans.c.chat_id == chat_id))
        ).first()
    return _plan(row) if row is not None else None


async def save_plan(
    engine: AsyncEngine, chat_id: int, medicine: str, schedule: DoseSchedule, now: datetime
) -> tuple[DosePlan, bool]:
    """Set up (or replace) the chat's plan; return it and whether it is the chat's first (the
    reply then says once that this is a reminder, not medical advice). The old plan's queued
    reminders are cancelled in the same transaction; the log is kept."""
    due = next_occurrence(schedule, now).at
    async with engine.begin() as conn:
        existed = (
            await conn.scalar(select(dose_plans.c.chat_id).where(dose_plans.c.chat_id == chat_id))
        ) is not None
        values = {
            **_schedule_values(schedule),
            "medicine": medicine,
            "next_due_at": due,
            "paused": False,
            "updated_at": now,
        }
        stmt = upsert(conn)(dose_plans).values(chat_id=chat_id, created_at=now, **values)
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=[dose_plans.c.chat_id], set_=values)
        )
        await cancel_keyed(conn, chat_id, SCHEDULED_KINDS, now)
        first = not existed and not await _has_log(conn, chat_id)
    return DosePlan(chat_id, medicine, schedule, due, False), first


async def _has_log(conn: AsyncConnection, chat_id: int) -> bool:
    found = await conn.scalar(select(dose_log.c.chat_id).where(dose_log.c.chat_id == chat_id))
    return found is not None


async def stop(engine: AsyncEngine, chat_id: int, now: datetime) -> bool:
    """/dose off: the plan goes and every queued reminder of the chat is cancelled at once; the
    log stays (it is the person's record; /forget deletes it). False if there was no plan."""
    async with engine.begin() as conn:
        gone = (
            await conn.execute(delete(dose_plans).where(dose_plans.c.chat_id == chat_id))
        ).rowcount
        await cancel_keyed(conn, chat_id, sorted(REMINDER_KINDS), now)
    return bool(gone)


async def set_paused(engine: AsyncEngine, chat_id: int, paused: bool, now: datetime) -> bool:
    """Pause (queued reminders cancelled, none planned) or resume (from the next moment after
    now) the chat's reminders; False if there is no plan or nothing changed."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(select(dose_plans).where(dose_plans.c.chat_id == chat_id))
        ).first()
        if row is None or bool(row.paused) == paused:
            return False
        due = None if paused else next_occurrence(_schedule(row), now).at
        await conn.execute(
            update(dose_plans)
            .where(dose_plans.c.chat_id == chat_id)
            .values(paused=paused, next_due_at=due, updated_at=now)
        )
        if paused:
            await cancel_keyed(conn, chat_id, SCHEDULED_KINDS, now)
    return True


async def next_due(engine: AsyncEngine) -> datetime | None:
    """When the next plan's reminder falls due (the start of the `next_due_at` index)."""
    async with engine.connect() as conn:
        value = await conn.scalar(select(func.min(dose_plans.c.next_due_at)))
    return value if isinstance(value, datetime) else None


async def plan_due_doses(engine: AsyncEngine, now: datetime, limit: int = 1000) -> tuple[int, int]:
    """Plan the reminders of every plan due at `now` (the rules: `dose_planning.plan_dose`):
    the reminder and its one follow-up as outbox rows, a `not_logged` log row for the dose
    (a press changes it), a `missed` one for each dose more than an hour late. Returns how
    many outbox rows were added and how many plans were examined (`limit`: call again). Plans
    are locked (PostgreSQL), so replicas plan disjoint sets, and the outbox's unique (chat,
    kind, ref) stays the last line of defence."""
    async with engine.begin() as conn:
        query = (
            select(dose_plans)
            .where(dose_plans.c.next_due_at <= now)
            .order_by(dose_plans.c.next_due_at)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await conn.execute(query)).all()
        keyed: list[KeyedRow] = []
        logged: list[dict[str, object]] = []
        moved: list[dict[str, object]] = []
        for row in rows:
            plan = _plan(row)
            assert plan.next_due_at is not None
            step = plan_dose(plan.schedule, plan.next_due_at, now)
            moved.append({"b_chat": plan.chat_id, "b_due": step.next_due_at})
            if step.send is not None:
                keyed += _reminder_rows(plan, step.send)
                if not plan.schedule.repeat.is_appointment:
                    logged.append(_log_row(plan, step.send.at, DoseState.NOT_LOGGED))
            if not plan.schedule.repeat.is_appointment:
                logged += [_log_row(plan, m.at, DoseState.MISSED) for m in step.missed]
        if not rows:
            return 0, 0
        added = await plan_keyed(conn, keyed)
        if logged:
            await conn.execute(
                upsert(conn)(dose_log).on_conflict_do_nothing(
                    index_elements=[dose_log.c.chat_id, dose_log.c.scheduled_at]
                ),
                logged,
            )
        await conn.execute(
            update(dose_plans)
            .where(dose_plans.c.chat_id == bindparam("b_chat"))
            .values(next_due_at=bindparam("b_due")),
            moved,
        )
    return added, len(rows)


def _reminder_rows(plan: DosePlan, send: Occurrence) -> list[KeyedRow]:
    """The outbox rows of one reminder: an appointment's, or a dose's with its one follow-up."""
    at = send.at
    expires = reminder_expires(plan.schedule, at)
    if plan.schedule.repeat.is_appointment:
        assert send.appointment is not None
        ref = send.appointment.isoformat()
        return [KeyedRow(plan.chat_id, DeliveryKind.APPOINTMENT, ref, at, expires, plan.medicine)]
    key = dose_key(at)
    follow = follow_up_due(at)
    return [
        KeyedRow(plan.chat_id, DeliveryKind.DOSE, key, at, expires, plan.medicine),
        KeyedRow(
            plan.chat_id,
            DeliveryKind.DOSE_FOLLOWUP,
            key,
            follow,
            reminder_expires(plan.schedule, follow),
            plan.medicine,
        ),
    ]


def _log_row(plan: DosePlan, at: datetime, state: DoseState) -> dict[str, object]:
    return {
        "chat_id": plan.chat_id,
        "scheduled_at": at,
        "medicine": plan.medicine,
        "state": state.value,
        "tz": plan.schedule.zone,
        "snoozes": 0,
    }


@dataclass(frozen=True)
class PressResult:
    """What a press on a reminder's button did."""

    state: DoseState | None  # the dose's state after the press; None: no such dose any more
    changed: bool  # False: a stale button (the dose was already taken or skipped)
    medicine: str | None = None
    tz: str = "UTC"  # the plan's zone when the dose was planned, for the times in the reply
    snoozed_until: datetime | None = None
    waits: tuple[tuple[str, datetime], ...] = ()  # the "wait is over" messages planned


async def press(
    engine: AsyncEngine,
    chat_id: int,
    scheduled_at: datetime,
    pressed: Press,
    now: datetime,
    rule_for: dict[str, DoseRule],
) -> PressResult:
    """Record a press on the reminder of the dose at `scheduled_at` and plan what follows.

    Taken and Skip are final: the follow-up and any snoozed reminder are cancelled, and Taken
    plans the "wait is over" messages at the label's waits (`companion.doses.after_taken`). A
    later press of Taken over Skip (or the reverse) corrects it. Snooze plans the reminder again
    in 15 minutes and moves the follow-up to an hour after that; after Taken or Skip it is a
    stale button and changes nothing."""
    key = dose_key(scheduled_at)
    async with engine.begin() as conn:
        query = select(dose_log).where(
            dose_log.c.chat_id == chat_id, dose_log.c.scheduled_at == scheduled_at
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await conn.execute(query)).first()
        if row is None:
            return PressResult(None, False)
        state = DoseState(row.state)
        if pressed is Press.SNOOZE:
            if state in (DoseState.TAKEN, DoseState.SKIPPED) or row.snoozes >= MAX_SNOOZES:
                return PressResult(state, False, row.medicine, row.tz)
            until = snoozed_until(now)
            count = int(row.snoozes) + 1
            await conn.execute(
                update(dose_log)
                .where(dose_log.c.chat_id == chat_id, dose_log.c.scheduled_at == scheduled_at)
                .values(state=DoseState.SNOOZED.value, snoozes=count, answered_at=now)
            )
            await cancel_keyed(conn, chat_id, [DeliveryKind.DOSE], now, _snooze_refs(key))
            await plan_keyed(
                conn,
                [
                    KeyedRow(
                        chat_id,
                        DeliveryKind.DOSE,
                        f"{key}s{count}",
                        until,
                        until + CATCH_UP,
                        row.medicine,
                    )
                ],
            )
            # The one follow-up, if not sent yet, comes an hour after the snoozed reminder.
            follow = follow_up_due(until)
            await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.chat_id == chat_id,
                    deliveries.c.kind == DeliveryKind.DOSE_FOLLOWUP,
                    deliveries.c.ref == key,
                    deliveries.c.status.in_(OPEN),
                )
                .values(due_at=follow, expire_at=follow_up_due(follow))
            )
            return PressResult(DoseState.SNOOZED, True, row.medicine, row.tz, snoozed_until=until)
        new_state = DoseState.TAKEN if pressed is Press.TAKEN else DoseState.SKIPPED
        if state is new_state:
            return PressResult(state, False, row.medicine, row.tz)
        await conn.execute(
            update(dose_log)
            .where(dose_log.c.chat_id == chat_id, dose_log.c.scheduled_at == scheduled_at)
            .values(state=new_state.value, answered_at=now)
        )
        await cancel_keyed(
            conn, chat_id, [DeliveryKind.DOSE, DeliveryKind.DOSE_FOLLOWUP], now, _snooze_refs(key)
        )
        await cancel_keyed(conn, chat_id, [DeliveryKind.DOSE_WAIT], now, [key, f"{key}m"])
        waits: list[tuple[str, datetime]] = []
        rule = rule_for.get(row.medicine)
        if new_state is DoseState.TAKEN and rule is not None:
            for item in after_taken(rule, now):
                ref = key if item.kind.value != "minerals" else f"{key}m"
                waits.append((item.kind.value, item.at))
                # A wait is a new row per press of Taken: the ref keeps one per dose, so a
                # corrected press moves the message rather than adding one.
                await conn.execute(
                    delete(deliveries).where(
                        deliveries.c.chat_id == chat_id,
                        deliveries.c.kind == DeliveryKind.DOSE_WAIT,
                        deliveries.c.ref == ref,
                        deliveries.c.status == DeliveryStatus.CANCELLED,
                    )
                )
                await plan_keyed(
                    conn,
                    [
                        KeyedRow(
                            chat_id,
                            DeliveryKind.DOSE_WAIT,
                            ref,
                            item.at,
                            follow_up_due(item.at),
                            f"{row.medicine}:{item.kind.value}",
                        )
                    ],
                )
        return PressResult(new_state, True, row.medicine, row.tz, waits=tuple(waits))


def _snooze_refs(key: str) -> list[str]:
    return [key, *(f"{key}s{n}" for n in range(1, MAX_SNOOZES + 1))]


async def dose_state(
    engine: AsyncEngine, chat_id: int, scheduled_at: datetime
) -> tuple[DoseState, str] | None:
    """The logged state of one dose and its zone (the composer checks the state before each
    reminder, follow-up and "wait is over"); None when the dose is not in the log any more."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(dose_log.c.state, dose_log.c.tz).where(
                    dose_log.c.chat_id == chat_id, dose_log.c.scheduled_at == scheduled_at
                )
            )
        ).first()
    return (DoseState(row.state), str(row.tz)) if row is not None else None


async def records(engine: AsyncEngine, chat_id: int) -> list[DoseRecord]:
    """The chat's whole log, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(dose_log.c.scheduled_at, dose_log.c.state)
            .where(dose_log.c.chat_id == chat_id)
            .order_by(dose_log.c.scheduled_at)
        )
        return [DoseRecord(at, DoseState(state)) for at, state in rows]


async def log_size(engine: AsyncEngine, chat_id: int) -> tuple[int, date | None]:
    """How many doses the log holds and since when (for /mydata)."""
    found = await records(engine, chat_id)
    return len(found), (found[0].scheduled_at.date() if found else None)


async def forget(conn: AsyncConnection, chat_id: int) -> int:
    """Delete the chat's plan and log (inside /forget's transaction); return how many rows."""
    gone = (await conn.execute(delete(dose_plans).where(dose_plans.c.chat_id == chat_id))).rowcount
    gone += (await conn.execute(delete(dose_log).where(dose_log.c.chat_id == chat_id))).rowcount
    return int(gone)


def rules_by_id(rules: Sequence[DoseRule]) -> dict[str, DoseRule]:
    return {rule.id: rule for rule in rules}
