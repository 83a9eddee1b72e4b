"""Quiz storage: the weekly opt-in on the subscription, and each quiz poll sent to a private
chat with its answer (right or wrong, nothing else). Shown by /mydata, deleted by /forget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tipbot.content.quiz import QuizRecord, streak
from tipbot.storage.deliveries import cancel_keyed
from tipbot.storage.tables import DeliveryKind, SubscriberState, quiz_polls, subscribers

#: How many latest answers a streak is counted over (a longer streak shows as this many).
STREAK_WINDOW = 200


@dataclass(frozen=True)
class WeeklyChat:
    """An opted-in, receiving private chat, as the weekly planner needs it."""

    chat_id: int
    send_minute: int
    tz: str
    quiz_week: str | None


async def set_weekly(engine: AsyncEngine, chat_id: int, on: bool, now: datetime) -> bool:
    """Opt in or out of the weekly quiz; False when the chat has no subscription (a stale
    button). Opting out cancels a quiz already planned and not yet sent."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(subscribers)
            .where(
                subscribers.c.chat_id == chat_id,
                subscribers.c.state != SubscriberState.UNSUBSCRIBED,
            )
            .values(quiz_weekly=on, updated_at=now)
        )
        if result.rowcount and not on:
            await cancel_keyed(conn, chat_id, [DeliveryKind.QUIZ], now)
    return bool(result.rowcount)


async def is_weekly(engine: AsyncEngine, chat_id: int) -> bool:
    async with engine.connect() as conn:
        value = await conn.scalar(
            select(subscribers.c.quiz_weekly).where(subscribers.c.chat_id == chat_id)
        )
    return bool(value)


async def weekly_chats(conn: AsyncConnection) -> list[WeeklyChat]:
    """Private chats that asked for the weekly quiz and receive tips now (the quiz follows the
    subscription: paused, stopped or blocked means no quiz)."""
    rows = await conn.execute(
        select(
            subscribers.c.chat_id,
            subscribers.c.send_minute,
            subscribers.c.tz,
            subscribers.c.quiz_week,
        ).where(
            subscribers.c.quiz_weekly.is_(True),
            subscribers.c.state == SubscriberState.ACTIVE,
            subscribers.c.blocked.is_(False),
            subscribers.c.chat_id > 0,
        )
    )
    return [WeeklyChat(*row) for row in rows]


async def mark_planned(conn: AsyncConnection, chat_id: int, week: str) -> None:
    await conn.execute(
        update(subscribers).where(subscribers.c.chat_id == chat_id).values(quiz_week=week)
    )


async def asked(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, set[str]]:
    """The questions each chat was already sent, so the weekly one is new to it."""
    out: dict[int, set[str]] = {chat_id: set() for chat_id in chat_ids}
    if not chat_ids:
        return out
    rows = await conn.execute(
        select(quiz_polls.c.chat_id, quiz_polls.c.question_id).where(
            quiz_polls.c.chat_id.in_(list(chat_ids))
        )
    )
    for chat_id, question_id in rows:
        out[chat_id].add(question_id)
    return out


async def record_poll(
    engine: AsyncEngine,
    poll_id: str,
    chat_id: int,
    question_id: str,
    correct_option: int,
    now: datetime,
) -> None:
    """A quiz poll went to a private chat: remember where an answer to it belongs."""
    async with engine.begin() as conn:
        await conn.execute(
            quiz_polls.insert().values(
                poll_id=poll_id,
                chat_id=chat_id,
                question_id=question_id,
                correct_option=correct_option,
                sent_at=now,
            )
        )


async def record_answer(
    engine: AsyncEngine, poll_id: str, user_id: int, option_ids: Sequence[int], now: datetime
) -> bool | None:
    """The user's answer to a poll sent to their private chat: right or wrong, once (a quiz
    cannot be answered twice). None when the poll is not one of theirs (another chat's, a
    poll from before /forget) or already answered: nothing is stored then."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(quiz_polls.c.correct_option).where(
                    quiz_polls.c.poll_id == poll_id,
                    quiz_polls.c.chat_id == user_id,  # a private chat's id is its user's id
                    quiz_polls.c.answered_at.is_(None),
                )
            )
        ).one_or_none()
        if row is None:
            return None
        right = list(option_ids) == [row.correct_option]
        await conn.execute(
            update(quiz_polls)
            .where(quiz_polls.c.poll_id == poll_id, quiz_polls.c.answered_at.is_(None))
            .values(answered_at=now, correct=right)
        )
    return right


async def record(engine: AsyncEngine, chat_id: int) -> QuizRecord:
    """The chat's own quiz history: polls sent, answered, right, and the current streak."""
    async with engine.connect() as conn:
        sent, answered, right = (
            await conn.execute(
                select(
                    func.count(),
                    func.count(quiz_polls.c.answered_at),
                    func.count().filter(quiz_polls.c.correct.is_(True)),
                ).where(quiz_polls.c.chat_id == chat_id)
            )
        ).one()
        latest = await conn.scalars(
            select(quiz_polls.c.correct)
            .where(quiz_polls.c.chat_id == chat_id, quiz_polls.c.answered_at.isnot(None))
            .order_by(quiz_polls.c.answered_at.desc(), quiz_polls.c.sent_at.desc())
            .limit(STREAK_WINDOW)
        )
        answers = [bool(value) for value in latest]
    return QuizRecord(int(sent), int(answered), int(right), streak(answers))
