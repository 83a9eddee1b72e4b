"""The sender's reactions to each Telegram answer, with a fake send function and a fake clock."""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from tipbot.delivery.sender import ChatSpacing, Pacer, Sender
from tipbot.observe import Metrics
from tipbot.storage.tables import DeliveryStatus


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def sender_for(answers: list[Any], clock: Clock, budget: float = 10.0) -> tuple[Sender, list[int]]:
    calls: list[int] = []

    async def send_message(**kwargs: Any) -> Any:
        calls.append(kwargs["chat_id"])
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(message_id=answer)

    sender = Sender(send_message, 10.0, budget, Metrics(), sleep=clock.sleep, clock=clock)
    return sender, calls


@pytest.mark.parametrize("retry_after", [3, timedelta(seconds=3)])
async def test_429_pauses_for_retry_after_then_sends(retry_after: Any) -> None:
    clock = Clock()
    sender, calls = sender_for([RetryAfter(retry_after), 7], clock)
    result = await sender.send(1, "hi", None)
    assert (result.status, result.message_id) == (DeliveryStatus.SENT, 7)
    assert calls == [1, 1]
    assert sum(clock.slept) >= 3


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), DeliveryStatus.BLOCKED),
        (BadRequest("Chat not found"), DeliveryStatus.BLOCKED),
        (BadRequest("Can't parse entities"), DeliveryStatus.REJECTED),
    ],
)
async def test_permanent_answers_are_not_retried(error: Exception, status: DeliveryStatus) -> None:
    sender, calls = sender_for([error], Clock())
    result = await sender.send(1, "hi", None)
    assert result.status is status
    assert calls == [1]


async def test_network_errors_are_retried_with_backoff() -> None:
    clock = Clock()
    sender, calls = sender_for([NetworkError("Bad Gateway"), TimedOut(), 9], clock)
    result = await sender.send(1, "hi", None)
    assert result.status is DeliveryStatus.SENT
    assert len(calls) == 3
    assert clock.now - 100.0 >= 0.5 + 1.0  # two backoffs, doubling


async def test_network_errors_give_up_after_the_budget() -> None:
    clock = Clock()
    sender, calls = sender_for([NetworkError("Bad Gateway")] * 50, clock, budget=5.0)
    result = await sender.send(1, "hi", None)
    assert result.status is DeliveryStatus.FAILED
    assert 2 < len(calls) < 10


async def test_a_send_waiting_at_shutdown_is_handed_back() -> None:
    clock = Clock()
    sender, calls = sender_for([RetryAfter(30), 5], clock)
    sender.stopping.set()
    result = await sender.send(1, "hi", None)
    assert result.status is DeliveryStatus.PENDING
    assert calls == []


async def send_times(pacer: Pacer, clock: Clock, count: int) -> list[float]:
    async def wait(seconds: float) -> bool:
        await clock.sleep(seconds)
        return True

    times = []
    for _ in range(count):
        assert await pacer.acquire(wait)
        times.append(clock.now)
    return times


async def test_pacer_spaces_sends_evenly() -> None:
    clock = Clock()
    times = await send_times(Pacer(25, clock), clock, 4)
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([0.04] * 3)


async def test_pacer_does_not_burst_after_a_stall() -> None:
    clock = Clock()
    pacer = Pacer(25, clock)
    await send_times(pacer, clock, 2)
    clock.now += 1.0  # the event loop was blocked for a second
    times = await send_times(pacer, clock, 4)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.0, 0.04, 0.04])  # one extra message, then the rate again


async def test_pacer_keeps_its_cadence_when_senders_wake_late() -> None:
    clock = Clock()
    pacer = Pacer(25, clock)

    async def late_wait(seconds: float) -> bool:
        await clock.sleep(seconds + 0.002)  # every timer fires 2 ms late
        return True

    times = []
    for _ in range(26):
        assert await pacer.acquire(late_wait)
        times.append(clock.now)
    assert times[-1] - times[0] == pytest.approx(1.0, abs=0.003)  # 25 intervals, no drift


async def test_pacer_pause_holds_back_the_next_send() -> None:
    clock = Clock()
    pacer = Pacer(25, clock)
    await send_times(pacer, clock, 1)
    pacer.pause(2.0)
    [later] = await send_times(pacer, clock, 1)
    assert later - 100.0 >= 2.0


def test_chat_spacing_is_one_second_per_chat() -> None:
    clock = Clock()
    spacing = ChatSpacing(clock)
    assert spacing.reserve(1) == 0
    assert spacing.reserve(2) == 0
    assert spacing.reserve(1) == pytest.approx(1.0)
