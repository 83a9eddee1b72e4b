"""The sender's reactions to each Telegram answer, with a fake send function and a fake clock,
and the classifier that sorts Telegram's errors."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from tipbot.delivery.budget import Budget, Priority
from tipbot.delivery.sender import Sender, Verdict, classify
from tipbot.observe import Metrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeBudget(Budget):
    """Grants at once; remembers pauses (the real pacing is tested in test_budget.py)."""

    def __init__(self) -> None:
        super().__init__(rate=10)
        self.pauses: list[float] = []
        self.grants: list[tuple[int, Priority]] = []

    async def acquire(self, chat_id: int, priority: Priority) -> None:
        self.grants.append((chat_id, priority))

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


def sender_for(
    answers: list[Any], clock: Clock, retry_budget: float = 10.0
) -> tuple[Sender, list[int], FakeBudget]:
    calls: list[int] = []

    async def send_message(**kwargs: Any) -> Any:
        calls.append(kwargs["chat_id"])
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(message_id=answer)

    budget = FakeBudget()
    sender = Sender(send_message, budget, retry_budget, Metrics(), sleep=clock.sleep, clock=clock)
    return sender, calls, budget


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (RetryAfter(5), Verdict.PAUSE),
        (ChatMigrated(-1001234), Verdict.MIGRATED),
        (InvalidToken("Unauthorized"), Verdict.TOKEN),
        (InvalidToken("Not Found"), Verdict.TOKEN),
        (Forbidden("Forbidden: bot was blocked by the user"), Verdict.GONE),
        (Forbidden("Forbidden: user is deactivated"), Verdict.GONE),
        (BadRequest("Bad Request: chat not found"), Verdict.GONE),
        (BadRequest("Bad Request: have no rights to send a message"), Verdict.GONE),
        (BadRequest("Bad Request: can't parse entities: unclosed tag"), Verdict.REJECTED),
        (BadRequest("Bad Request: message is too long"), Verdict.REJECTED),
        (BadRequest("Bad Request: BUTTON_DATA_INVALID"), Verdict.REJECTED),
        (BadRequest("Bad Request: message text is empty"), Verdict.REJECTED),
        (BadRequest("Bad Request: message thread not found"), Verdict.GONE),
        (BadRequest("Bad Request: TOPIC_CLOSED"), Verdict.GONE),
        (BadRequest("Bad Request: something new"), Verdict.RETRY),
        (NetworkError("Bad Gateway"), Verdict.RETRY),
        (TimedOut(), Verdict.RETRY),
        (Conflict("Conflict"), Verdict.RETRY),
        (TelegramError("an error nobody has seen yet"), Verdict.RETRY),
    ],
)
def test_classify(error: TelegramError, verdict: Verdict) -> None:
    assert classify(error) is verdict


@pytest.mark.parametrize("retry_after", [3, timedelta(seconds=3)])
async def test_429_pauses_the_budget_then_sends(retry_after: Any) -> None:
    sender, calls, budget = sender_for([RetryAfter(retry_after), 7], Clock())
    result = await sender.send(1, "hi", None)
    assert (result.verdict, result.message_id) == (Verdict.SENT, 7)
    assert calls == [1, 1]
    assert budget.pauses == [3.0]


async def test_every_attempt_takes_a_slot_at_its_priority() -> None:
    sender, _, budget = sender_for([RetryAfter(1), 7], Clock())
    await sender.send(1, "hi", None, priority=Priority.BROADCAST)
    assert budget.grants == [(1, Priority.BROADCAST), (1, Priority.BROADCAST)]


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), Verdict.GONE),
        (BadRequest("Chat not found"), Verdict.GONE),
        (BadRequest("Can't parse entities"), Verdict.REJECTED),
        (InvalidToken("Unauthorized"), Verdict.TOKEN),
    ],
)
async def test_final_answers_are_not_retried(error: Exception, verdict: Verdict) -> None:
    sender, calls, _ = sender_for([error], Clock())
    result = await sender.send(1, "hi", None)
    assert result.verdict is verdict
    assert calls == [1]


async def test_a_migrated_group_is_sent_to_its_new_chat_id() -> None:
    sender, calls, _ = sender_for([ChatMigrated(-100777), 12], Clock())
    result = await sender.send(-55, "hi", None)
    assert calls == [-55, -100777]
    assert (result.verdict, result.new_chat_id, result.message_id) == (
        Verdict.MIGRATED,
        -100777,
        12,
    )


async def test_a_migrated_group_that_is_gone_reports_both() -> None:
    sender, _, _ = sender_for([ChatMigrated(-100777), Forbidden("Forbidden: kicked")], Clock())
    result = await sender.send(-55, "hi", None)
    assert (result.verdict, result.new_chat_id) == (Verdict.GONE, -100777)


async def test_network_errors_are_retried_with_backoff() -> None:
    clock = Clock()
    sender, calls, _ = sender_for([NetworkError("Bad Gateway"), TimedOut(), 9], clock)
    result = await sender.send(1, "hi", None)
    assert result.verdict is Verdict.SENT
    assert len(calls) == 3
    assert clock.now - 100.0 >= 0.5 + 1.0  # two backoffs, doubling


async def test_unknown_errors_are_retried_not_rejected() -> None:
    sender, calls, _ = sender_for(
        [TelegramError("odd"), BadRequest("Bad Request: new"), 4], Clock()
    )
    result = await sender.send(1, "hi", None)
    assert result.verdict is Verdict.SENT
    assert len(calls) == 3


async def test_network_errors_give_up_after_the_retry_budget() -> None:
    sender, calls, _ = sender_for([NetworkError("Bad Gateway")] * 50, Clock(), retry_budget=5.0)
    result = await sender.send(1, "hi", None)
    assert result.verdict is Verdict.RETRY
    assert 2 < len(calls) < 10


async def test_a_send_at_shutdown_is_handed_back_unsent() -> None:
    sender, calls, _ = sender_for([5], Clock())
    sender.stopping.set()
    result = await sender.send(1, "hi", None)
    assert result.verdict is Verdict.HANDED_BACK
    assert calls == []


async def test_a_send_whose_lease_ran_out_is_handed_back_unsent() -> None:
    owned = iter([True, False])  # owned when it starts waiting, lost by the time of its slot
    sender, calls, _ = sender_for([5], Clock())
    result = await sender.send(1, "hi", None, owned=lambda: next(owned))
    assert result.verdict is Verdict.HANDED_BACK
    assert calls == []


async def test_a_lease_lost_during_a_429_is_not_sent_again() -> None:
    owned = iter([True, True, False])
    sender, calls, _ = sender_for([RetryAfter(30), 5], Clock())
    result = await sender.send(1, "hi", None, owned=lambda: next(owned))
    assert result.verdict is Verdict.HANDED_BACK
    assert calls == [1]


async def test_the_topic_and_quiet_flag_reach_telegram() -> None:
    """Clinic mode's forum topic and the quiet option travel with the send (None/False: the
    chat itself, with a sound)."""
    seen: list[dict[str, Any]] = []

    async def send_message(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return SimpleNamespace(message_id=len(seen))

    sender = Sender(send_message, FakeBudget(), 10.0, Metrics())
    await sender.send(-100123, "tip", None, thread_id=7, quiet=True)
    await sender.send(42, "tip", None)
    assert [(s["message_thread_id"], s["disable_notification"]) for s in seen] == [
        (7, True),
        (None, False),
    ]
