"""The outbox's newer kinds end to end: a registered handler's text or poll goes out through the
fake Bot API with the same rules as a tip, a `Skip` is recorded as cancelled, never sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from telegram.error import Forbidden, RetryAfter

from tests.conftest import FakeClock
from tests.delivery.test_sender import Clock, FakeBudget
from tests.fakebot.server import FakeBotApi
from tipbot.bot.keyboards import plain
from tipbot.delivery.budget import Priority
from tipbot.delivery.kinds import Poll, Skip
from tipbot.delivery.sender import Sender, Verdict
from tipbot.observe import Metrics
from tipbot.runner import Runner
from tipbot.storage import deliveries as store
from tipbot.storage.deliveries import ClaimedDelivery, KeyedRow
from tipbot.storage.tables import DeliveryKind, DeliveryStatus, deliveries

NOW = datetime(2026, 6, 1, 8, 0)
QUIZ = Poll("Which food has the most magnesium?", ("Pumpkin seeds", "Rice"), 0, "Seeds.")


async def test_a_poll_kind_is_sent_with_send_poll_and_a_skip_is_cancelled(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    composer = runner.services.composer
    deliverer = runner.services.deliverer
    assert composer is not None and deliverer is not None
    seen: list[ClaimedDelivery] = []

    async def quiz(job: ClaimedDelivery) -> Poll | Skip | tuple[str, Any]:
        seen.append(job)
        if job.payload == "q3":  # a kind may also answer with a text message
            return (f"Quiz text {job.ref}", plain())
        return QUIZ if job.payload == "q1" else Skip("already answered")

    # The app registers the weekly quiz's own composer (bot/quiz.py); this test brings its own.
    composer._handlers.pop(DeliveryKind.QUIZ, None)
    composer.register(DeliveryKind.QUIZ, quiz)
    with pytest.raises(ValueError, match="already exists"):
        composer.register(DeliveryKind.QUIZ, quiz)  # one handler per kind
    clock.now = NOW
    await _subscribe(runner, clock, [7, 8, 9])
    async with runner.engine.begin() as conn:
        await store.plan_keyed(
            conn,
            [
                KeyedRow(7, DeliveryKind.QUIZ, "2026-W23", NOW, NOW + timedelta(days=1), "q1"),
                KeyedRow(8, DeliveryKind.QUIZ, "2026-W23", NOW, NOW + timedelta(days=1), "q2"),
                KeyedRow(9, DeliveryKind.QUIZ, "a", NOW, NOW + timedelta(hours=1), "q3"),
            ],
        )
    await deliverer.sweep()
    polls = fake_api.polls_for(7)
    assert [(p.question, p.options, p.type, p.correct_option_ids) for p in polls] == [
        (QUIZ.question, QUIZ.options, "quiz", (0,))
    ]
    assert fake_api.polls_for(8) == []
    assert [m.text for m in fake_api.messages_for(9)] == ["Quiz text a"]
    async with runner.engine.connect() as conn:
        rows = dict(
            (r.chat_id, (r.status, r.message_id is not None))
            for r in await conn.execute(
                select(deliveries.c.chat_id, deliveries.c.status, deliveries.c.message_id).where(
                    deliveries.c.ref.isnot(None)
                )
            )
        )
    assert rows == {
        7: (DeliveryStatus.SENT, True),
        8: (DeliveryStatus.CANCELLED, False),
        9: (DeliveryStatus.SENT, True),
    }
    assert {j.kind for j in seen} == {DeliveryKind.QUIZ} and len(seen) == 3
    await deliverer.sweep()  # nothing is sent twice
    assert len(fake_api.polls_for(7)) == 1 and len(fake_api.messages_for(9)) == 1


async def _subscribe(runner: Runner, clock: FakeClock, chats: list[int]) -> None:
    from tipbot.storage import subscriptions as subs

    for chat in chats:
        await subs.subscribe(runner.engine, chat, 20 * 60, "UTC", clock())


async def test_send_poll_meets_the_same_error_rules_as_a_text() -> None:
    clock = Clock()
    answers: list[Any] = [RetryAfter(3), SimpleNamespace(message_id=5), Forbidden("blocked")]
    calls: list[dict[str, Any]] = []

    async def send_poll(**kwargs: Any) -> Any:
        calls.append(kwargs)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def send_message(**_: Any) -> Any:
        raise AssertionError("a poll never goes as a text")

    budget = FakeBudget()
    sender = Sender(
        send_message, budget, 10.0, Metrics(), sleep=clock.sleep, clock=clock, send_poll=send_poll
    )
    first = await sender.send_poll(1, QUIZ, priority=Priority.TIP)
    assert (first.verdict, first.message_id, budget.pauses) == (Verdict.SENT, 5, [3.0])
    assert calls[0]["type"] == "quiz" and calls[0]["correct_option_ids"] == [0]
    assert calls[0]["options"] == list(QUIZ.options) and calls[0]["is_anonymous"] is False
    second = await sender.send_poll(2, QUIZ)
    assert second.verdict is Verdict.GONE
