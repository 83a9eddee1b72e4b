"""The shared Telegram budget: priority order, the global pace, per-chat and per-group limits,
429 pauses and shutdown. Real event-loop time at high rates; assertions are about order and
spacing the budget guarantees by construction, measured on its own clock."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time

import pytest

from tipbot.delivery.budget import (
    CATCH_UP,
    CHAT_BURST,
    CHAT_RATE,
    CHAT_TRAVEL_JITTER,
    GROUP_BURST,
    GROUP_RATE,
    Budget,
    BudgetClosed,
    ChatBuckets,
    Priority,
)


async def grant_order(budget: Budget, requests: list[tuple[int, Priority]]) -> list[int]:
    """Queue all requests at once; return the indexes in the order they were granted."""
    order: list[int] = []

    async def one(index: int, chat_id: int, priority: Priority) -> None:
        await budget.acquire(chat_id, priority)
        order.append(index)

    await asyncio.gather(*(one(i, c, p) for i, (c, p) in enumerate(requests)))
    return order


async def test_replies_go_before_tips_and_tips_before_broadcasts() -> None:
    budget = Budget(rate=50)
    await budget.acquire(999, Priority.TIP)  # the next grant waits one interval: all queue up
    requests = [
        (1, Priority.BROADCAST),
        (2, Priority.BROADCAST),
        (3, Priority.TIP),
        (4, Priority.REPLY),
        (5, Priority.REMINDER),
    ]
    order = await grant_order(budget, requests)
    assert [requests[i][1] for i in order] == [
        Priority.REPLY,
        Priority.REMINDER,
        Priority.TIP,
        Priority.BROADCAST,
        Priority.BROADCAST,
    ]
    await budget.close()


async def test_grants_are_spaced_at_the_rate() -> None:
    budget = Budget(rate=20)
    stamps: list[float] = []

    async def one(chat_id: int) -> None:
        await budget.acquire(chat_id, Priority.TIP)
        stamps.append(time.monotonic())

    await asyncio.gather(*(one(chat) for chat in range(1, 21)))
    stamps.sort()
    # The pace keeps its cadence (a late wake-up is followed by an early one), so the guarantee
    # is per window: never more than rate x window + 1 grants in any stretch of time (one more
    # allowed here for the time between a grant and the waiter seeing it).
    for i, j in itertools.combinations(range(len(stamps)), 2):
        assert j - i <= (stamps[j] - stamps[i]) * 20 + 2
    assert stamps[-1] - stamps[0] >= 19 * 0.05 * 0.9
    await budget.close()


async def test_a_late_wake_grants_the_slots_it_missed_but_never_more_than_the_catch_up() -> None:
    """At 1,000 a second a slot is a millisecond, and a busy event loop wakes the dispatcher a
    few late. The slots missed meanwhile are granted at once (else the rate stays well below
    what was asked), but only those of the last CATCH_UP seconds: a long stall is no burst."""
    now = [1000.0]
    budget = Budget(rate=1000, clock=lambda: now[0])  # the budget's time moves only when told
    granted: list[int] = []

    async def one(chat_id: int) -> None:
        await budget.acquire(chat_id, Priority.TIP)
        granted.append(chat_id)

    waiters = [asyncio.create_task(one(chat)) for chat in range(1, 101)]
    await asyncio.sleep(0.05)
    assert len(granted) == 1  # the next slot is a millisecond away, and no time has passed
    now[0] += 0.005  # the dispatcher wakes five slots late
    await asyncio.sleep(0.05)
    assert len(granted) == 1 + 5
    now[0] += 0.050  # a 50 ms stall: only the last CATCH_UP's ten slots (and the due one)
    await asyncio.sleep(0.05)
    assert len(granted) == 1 + 5 + 1 + round(CATCH_UP * 1000)
    await budget.close()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_no_second_holds_more_than_the_rate_even_after_a_catch_up() -> None:
    """Slots caught up after a stall are late ones: if the stall covered the start of a second
    whose own slots then all go out on time, that second would hold ten more than the rate,
    and Telegram counts by the second (the fake Bot API's sliding window answers 429)."""
    now = [0.0]
    budget = Budget(rate=1000, clock=lambda: now[0])
    stamps: list[float] = []

    async def one(chat_id: int) -> None:
        await budget.acquire(chat_id, Priority.TIP)
        stamps.append(now[0])

    waiters = [asyncio.create_task(one(chat)) for chat in range(1, 1700)]
    # On time to 0.49 s, a stall over the ten slots before 0.5 s, on time again to 1.6 s.
    moments = [i * 0.001 for i in range(491)] + [0.5005 + i * 0.001 for i in range(1100)]
    for moment in moments:
        now[0] = moment
        budget._wake.set()  # the dispatcher sleeps on the loop's clock: wake it at each step
        for _ in range(4):
            await asyncio.sleep(0)
    stamps.sort()
    busiest = max(bisect.bisect_left(stamps, t + 1.0) - i for i, t in enumerate(stamps))
    assert busiest <= 1000
    assert len(stamps) >= 1550  # and the rate is kept: about one grant per millisecond
    await budget.close()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_a_busy_chat_waits_without_holding_up_other_chats() -> None:
    budget = Budget(rate=200)
    requests = [(7, Priority.REPLY)] * (int(CHAT_BURST) + 1) + [(8, Priority.TIP)]
    order = await grant_order(budget, requests)
    # Chat 7's fourth message must wait for a token; chat 8's tip goes before it.
    assert order.index(len(requests) - 1) < order.index(int(CHAT_BURST))
    await budget.close()


def test_chat_buckets_allow_a_short_burst_then_about_one_a_second() -> None:
    buckets = ChatBuckets()
    for _ in range(int(CHAT_BURST)):
        assert buckets.wait(5, now=100.0) == 0
        buckets.take(5, now=100.0)
    assert buckets.wait(5, now=100.0) == pytest.approx(1.0 + CHAT_TRAVEL_JITTER)
    assert buckets.wait(5, now=100.0 + 1 / CHAT_RATE) == pytest.approx(0, abs=1e-9)


def test_a_busy_chat_stays_within_telegrams_limit_when_travel_times_vary() -> None:
    """Grants for a chat that always has another message waiting, each arriving at the server
    after a travel time that varies by up to 40 ms, checked against the server's own bucket
    (one a second, a burst of three: tests/fakebot): none would be refused."""
    rng = random.Random(3)
    buckets = ChatBuckets()
    server_tokens, server_stamp = CHAT_BURST, 0.0
    now, refused, arrivals = 0.0, 0, 0.0
    for _ in range(2_000):
        now += buckets.wait(9, now)
        buckets.take(9, now)
        arrival = max(arrivals, now + rng.uniform(0.0, 0.04))  # one connection keeps order
        server_tokens = min(CHAT_BURST, server_tokens + (arrival - server_stamp))
        server_stamp = arrivals = arrival
        if server_tokens < 1:
            refused += 1
        else:
            server_tokens -= 1
    assert refused == 0
    assert now / 2_000 < 1.1  # and the chat still gets about one a second


def test_groups_never_get_more_than_twenty_in_a_minute() -> None:
    buckets = ChatBuckets()
    now, sent = 0.0, []
    while now < 300:
        wait = buckets.wait(-100, now)
        if wait == 0:
            buckets.take(-100, now)
            sent.append(now)
        now += max(wait, 0.01)
    for index, start in enumerate(sent):
        in_minute = [t for t in sent[index:] if t < start + 60]
        assert len(in_minute) <= 20
    assert len(sent) >= 300 * GROUP_RATE  # and the limit is used, not just respected
    assert GROUP_BURST + 60 * GROUP_RATE <= 20


async def test_a_429_pause_holds_back_every_priority() -> None:
    budget = Budget(rate=1000)
    await budget.acquire(1, Priority.REPLY)
    budget.pause(0.3)
    started = time.monotonic()
    await budget.acquire(2, Priority.REPLY)
    assert time.monotonic() - started >= 0.3 * 0.95
    await budget.close()


async def test_withdraw_fails_waiting_deliveries_but_not_replies() -> None:
    budget = Budget(rate=1)
    await budget.acquire(1, Priority.TIP)  # the next slot is a second away
    tip = asyncio.create_task(budget.acquire(2, Priority.TIP))
    reply = asyncio.create_task(budget.acquire(3, Priority.REPLY))
    await asyncio.sleep(0.05)
    budget.withdraw(Priority.REMINDER)
    with pytest.raises(BudgetClosed):
        await tip
    assert not reply.done()
    await budget.close()
    with pytest.raises(BudgetClosed):
        await reply
    with pytest.raises(BudgetClosed):
        await budget.acquire(4, Priority.REPLY)


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    budget = Budget(rate=20)
    await budget.acquire(1, Priority.TIP)
    first = asyncio.create_task(budget.acquire(2, Priority.TIP))
    second = asyncio.create_task(budget.acquire(3, Priority.TIP))
    await asyncio.sleep(0)
    first.cancel()
    await second  # granted although the request ahead of it was withdrawn
    assert first.cancelled()
    await budget.close()


async def test_set_rate_changes_the_pace() -> None:
    budget = Budget(rate=10)
    budget.set_rate(40)
    assert budget.rate == pytest.approx(40)
    await budget.close()


async def test_a_failing_dispatcher_restarts_and_waiting_requests_are_granted() -> None:
    budget = Budget(rate=100)
    real_wait = budget.chats.wait
    failures = [RuntimeError("a bug in the dispatcher")]

    def flaky_wait(chat_id: int, now: float) -> float:
        if failures:
            raise failures.pop()
        return real_wait(chat_id, now)

    budget.chats.wait = flaky_wait  # type: ignore[method-assign]
    async with asyncio.timeout(5):  # without the restart, this request would wait forever
        await budget.acquire(1, Priority.REPLY)
    assert failures == []
    await budget.close()
