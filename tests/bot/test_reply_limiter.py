"""Replies through the shared budget: retried through 429s for up to a minute, never dropped
silently, a full queue answered with one "busy" notice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from tipbot import messages
from tipbot.bot.reply_limiter import RepliesBusy, ReplyLimiter
from tipbot.delivery.budget import Budget, Priority
from tipbot.i18n import Translator


class Calls:
    def __init__(self, answers: list[Any] | None = None) -> None:
        self.answers = answers or []
        self.seen: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, endpoint: str, data: dict[str, Any], **_: Any) -> Any:
        self.seen.append((endpoint, data))
        answer = self.answers.pop(0) if self.answers else {"message_id": 1}
        if isinstance(answer, Exception):
            raise answer
        return answer


async def request(limiter: ReplyLimiter, calls: Calls, endpoint: str, data: dict[str, Any]) -> Any:
    return await limiter.process_request(calls, (endpoint, data), {}, endpoint, data, None)


async def test_a_reply_waits_out_429s_and_is_sent() -> None:
    budget = Budget(rate=1000)
    limiter = ReplyLimiter(budget)
    calls = Calls([RetryAfter(1), RetryAfter(1), {"message_id": 9}])
    result = await request(limiter, calls, "sendMessage", {"chat_id": 5, "text": "hi"})
    assert result == {"message_id": 9}
    assert len(calls.seen) == 3
    await budget.close()


async def test_a_reply_is_given_up_only_past_a_minute() -> None:
    now = [0.0]
    budget = Budget(rate=1000)
    limiter = ReplyLimiter(budget, clock=lambda: now[0])
    reasons: list[str] = []
    limiter.on_given_up = reasons.append
    calls = Calls([RetryAfter(0), RetryAfter(61)])
    with pytest.raises(RetryAfter):
        await request(limiter, calls, "sendMessage", {"chat_id": 5, "text": "hi"})
    assert len(calls.seen) == 2
    assert reasons == ["too_old"]
    await budget.close()


async def test_requests_that_send_no_message_bypass_the_budget() -> None:
    budget = Budget(rate=1)
    budget.pause(3600)  # nothing could get a slot for an hour
    limiter = ReplyLimiter(budget)
    calls = Calls([True])
    assert await request(limiter, calls, "answerCallbackQuery", {"callback_query_id": "1"})
    await budget.close()


async def test_a_full_queue_tells_the_user_once_and_queues_nothing_more() -> None:
    budget = Budget(rate=1)
    limiter = ReplyLimiter(budget)
    budget.waiting[Priority.REPLY] = limiter.capacity  # as if that many replies were waiting
    reasons: list[str] = []
    limiter.on_given_up = reasons.append
    calls = Calls()
    for _ in range(3):
        with pytest.raises(RepliesBusy):
            await request(limiter, calls, "sendMessage", {"chat_id": 42, "text": "reply"})
    assert [(e, d["text"], d["chat_id"]) for e, d in calls.seen] == [
        ("sendMessage", messages.BUSY, 42)
    ]
    assert reasons == ["queue_full"] * 3
    await budget.close()


async def test_the_queue_holds_a_minute_of_sending() -> None:
    budget = Budget(rate=25)
    assert ReplyLimiter(budget).capacity == 25 * 60
    await budget.close()


async def test_replies_go_ahead_of_waiting_deliveries() -> None:
    budget = Budget(rate=20)
    limiter = ReplyLimiter(budget)
    order: list[str] = []
    await budget.acquire(1, Priority.TIP)  # the next slot is an interval away

    async def tip(chat: int) -> None:
        await budget.acquire(chat, Priority.TIP)
        order.append("tip")

    tips = [asyncio.create_task(tip(c)) for c in range(10, 13)]
    await asyncio.sleep(0)
    calls = Calls()
    await request(limiter, calls, "sendMessage", {"chat_id": 99, "text": "reply"})
    order.append("reply")
    await asyncio.gather(*tips)
    assert order[0] == "reply"
    await budget.close()


async def test_the_busy_notice_is_in_the_language_the_chat_was_answered_in() -> None:
    budget = Budget(rate=1)
    limiter = ReplyLimiter(budget)
    limiter.language_of = {42: "de", 43: "en"}.__getitem__
    budget.waiting[Priority.REPLY] = limiter.capacity
    calls = Calls()
    for chat in (42, 43):
        with pytest.raises(RepliesBusy):
            await request(limiter, calls, "sendMessage", {"chat_id": chat, "text": "reply"})
    german = Translator("de").gettext(messages.BUSY)
    assert german != messages.BUSY
    assert [d["text"] for _, d in calls.seen] == [german, messages.BUSY]
    await budget.close()
