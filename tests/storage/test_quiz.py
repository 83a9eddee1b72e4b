"""Quiz storage on SQLite and PostgreSQL: poll ids map to chat and question, an answer is kept
once as right or wrong and only from the chat the poll went to, the streak, the opt-in, /forget."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.content.quiz import QuizRecord
from tipbot.storage import quiz as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.deliveries import KeyedRow, plan_keyed
from tipbot.storage.tables import DeliveryKind, DeliveryStatus, deliveries, quiz_polls

NOW = datetime(2026, 3, 29, 8, 0)


async def test_answers_make_the_streak_and_are_kept_once(engine: AsyncEngine) -> None:
    for n, correct in enumerate([2, 0, 1, 3]):
        await store.record_poll(engine, f"p{n}", 42, f"q{n}", correct, NOW + timedelta(days=n))
    assert await store.record(engine, 42) == QuizRecord(4, 0, 0, 0)
    assert await store.record_answer(engine, "p0", 42, [2], NOW) is True
    assert await store.record_answer(engine, "p1", 42, [1], NOW + timedelta(1)) is False
    assert await store.record_answer(engine, "p2", 42, [1], NOW + timedelta(2)) is True
    assert await store.record_answer(engine, "p3", 42, [3], NOW + timedelta(3)) is True
    assert await store.record(engine, 42) == QuizRecord(4, 4, 3, 2)
    # Answered already (a quiz cannot be answered twice): nothing changes.
    assert await store.record_answer(engine, "p1", 42, [0], NOW + timedelta(4)) is None
    assert await store.record(engine, 42) == QuizRecord(4, 4, 3, 2)


async def test_an_answer_from_someone_else_or_to_an_unknown_poll_is_not_kept(
    engine: AsyncEngine,
) -> None:
    await store.record_poll(engine, "p1", 42, "q1", 0, NOW)
    assert await store.record_answer(engine, "p1", 43, [0], NOW) is None  # not their chat
    assert await store.record_answer(engine, "nope", 42, [0], NOW) is None
    assert await store.record(engine, 42) == QuizRecord(1, 0, 0, 0)


async def test_weekly_opt_in_needs_a_subscription_and_opting_out_cancels(
    engine: AsyncEngine,
) -> None:
    assert await store.set_weekly(engine, 42, True, NOW) is False  # not subscribed
    await subs.subscribe(engine, 42, 8 * 60, "UTC", NOW)
    await subs.subscribe(engine, -100_5, 8 * 60, "UTC", NOW)  # a group
    assert await store.is_weekly(engine, 42) is False  # off unless asked for
    assert await store.set_weekly(engine, 42, True, NOW) is True
    assert await store.set_weekly(engine, -100_5, True, NOW) is True
    async with engine.begin() as conn:
        chats = await store.weekly_chats(conn)
        assert [c.chat_id for c in chats] == [42]  # private chats only
        await plan_keyed(
            conn, [KeyedRow(42, DeliveryKind.QUIZ, "2026-W13", NOW, NOW + timedelta(hours=6))]
        )
    assert await store.set_weekly(engine, 42, False, NOW) is True
    async with engine.connect() as conn:
        status = await conn.scalar(select(deliveries.c.status).where(deliveries.c.chat_id == 42))
        assert status == DeliveryStatus.CANCELLED
        assert await store.weekly_chats(conn) == []


async def test_forget_deletes_the_quiz_record(engine: AsyncEngine) -> None:
    await subs.subscribe(engine, 42, 8 * 60, "UTC", NOW)
    await store.set_weekly(engine, 42, True, NOW)
    await store.record_poll(engine, "p1", 42, "q1", 0, NOW)
    await store.record_poll(engine, "p2", 43, "q1", 0, NOW)
    await store.record_answer(engine, "p1", 42, [0], NOW)
    await subs.forget(engine, 42)
    assert await store.record(engine, 42) == QuizRecord(0, 0, 0, 0)
    assert await store.is_weekly(engine, 42) is False
    async with engine.connect() as conn:
        left = (await conn.scalars(select(quiz_polls.c.chat_id))).all()
    assert left == [43]  # another chat's record stays
