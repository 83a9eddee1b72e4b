"""One Telegram budget per bot token, shared by replies and deliveries.

Telegram counts every message a bot sends against the same limits, whichever part of the bot
sends it: about 30 messages a second in all, about one a second per chat (a short burst is fine),
about 20 a minute per group, and a 429 holds back the whole bot for its `retry_after`. So a reply
to a user and a daily tip draw from one budget here, and the budget hands out send slots in order
of priority: replies first (a person is waiting), then dose reminders, daily tips, broadcasts.

A single dispatcher task grants slots. At the moment of a grant it takes both the global slot and
the chat's token, and the caller sends at once: sends leave in the order and at the pace that was
granted, so they cannot bunch up behind a long queue and then overrun a chat's limit. A waiter
whose chat has no token yet is parked until it has one, without blocking other chats.

Several processes of one bot (delivery replicas) each get a share of `TIPBOT_MAX_RATE`: the
heartbeat counts the live processes and calls `set_rate` (see delivery/sweep.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

log = logging.getLogger(__name__)

#: Private chats: about one message a second, with a short burst (e.g. a reply and an edit).
#: The refill keeps CHAT_TRAVEL_JITTER in hand: a message's trip to Telegram varies by a few
#: milliseconds, so sends granted exactly a second apart can arrive 0.99 s apart and be refused,
#: and a 429 pauses the whole process. A user asking again as soon as the limit allowed got 58
#: answers refused in 15 minutes (`bench.replies_during_broadcast --users 20 --every 2`).
CHAT_TRAVEL_JITTER = 0.05
CHAT_RATE = 1.0 / (1.0 + CHAT_TRAVEL_JITTER)
CHAT_BURST = 3.0
#: Groups, supergroups and channels (negative chat ids): at most 20 messages in any minute.
#: A burst of 2 and 18 a minute never exceed 20 in a sliding minute.
GROUP_RATE = 18 / 60
GROUP_BURST = 2.0
#: How far behind its cadence the budget may catch up. A busy event loop wakes the dispatcher a
#: few milliseconds late; at 30 a second that is less than a slot, but at a paid broadcast's
#: 1,000 a second (a slot a millisecond) each late wake lost slots for good, and the rate stayed
#: near 880 (bench/RESULTS.md). Only the last CATCH_UP's slots are caught up, so a stall never
#: ends in a burst of more than rate x CATCH_UP (10 at 1,000/s; at 30/s, where a slot is longer,
#: just the due one), and no second ever holds more than the rate (`Budget._last_second`).
CATCH_UP = 0.01


class Priority(IntEnum):
    """Lower goes first."""

    REPLY = 0
    REMINDER = 1
    TIP = 2
    BROADCAST = 3


class BudgetClosed(Exception):
    """The budget is shutting down; the caller hands its message back."""


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class ChatBuckets:
    """A token bucket per chat: private chats refill at 1/s, groups at 18/min."""

    def __init__(
        self,
        private: tuple[float, float] = (CHAT_RATE, CHAT_BURST),
        group: tuple[float, float] = (GROUP_RATE, GROUP_BURST),
    ) -> None:
        self._private = private  # (refill per second, burst)
        self._group = group
        self._buckets: dict[int, _Bucket] = {}

    def _shape(self, chat_id: int) -> tuple[float, float]:
        return self._group if chat_id < 0 else self._private

    def _refilled(self, chat_id: int, now: float) -> _Bucket:
        rate, burst = self._shape(chat_id)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if len(self._buckets) > 50_000:
                self._prune(now)
            bucket = self._buckets[chat_id] = _Bucket(burst, now)
        else:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
        return bucket

    def wait(self, chat_id: int, now: float) -> float:
        """Seconds until the chat has a whole token (0: it has one now)."""
        bucket = self._refilled(chat_id, now)
        rate, _ = self._shape(chat_id)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / rate

    def take(self, chat_id: int, now: float) -> None:
        self._refilled(chat_id, now).tokens -= 1

    def _prune(self, now: float) -> None:
        """Forget buckets that are full again: a new bucket behaves the same."""
        keep: dict[int, _Bucket] = {}
        for chat_id, bucket in self._buckets.items():
            rate, burst = self._shape(chat_id)
            if bucket.tokens + (now - bucket.stamp) * rate < burst:
                keep[chat_id] = bucket
        self._buckets = keep


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat_id: int = field(compare=False)
    future: asyncio.Future[None] = field(compare=False)


class Budget:
    """Grants send slots: at most `rate` a second overall, per-chat limits, priority order."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.interval = 1.0 / rate
        self.chats = ChatBuckets()
        self._next: float | None = None  # the next global slot; None: nothing sent yet
        #: When the grants of the last second were made: the cadence alone lets a second hold a
        #: few more than the rate (the slots caught up at its start), Telegram's window does not.
        self._last_second: deque[float] = deque()
        self._ready: list[_Waiter] = []
        self._parked: list[tuple[float, _Waiter]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        #: How many waiters of each priority are queued (for the reply queue's bound).
        self.waiting: dict[Priority, int] = dict.fromkeys(Priority, 0)
        #: Until when (monotonic) a 429 holds every sender back.
        self.paused_until = 0.0

    @property
    def rate(self) -> float:
        return 1.0 / self.interval

    def set_rate(self, rate: float) -> None:
        """This process's share of the bot's rate (the heartbeat divides it between replicas)."""
        if rate > 0 and abs(1.0 / rate - self.interval) > 1e-9:
            self.interval = 1.0 / rate
            self._wake.set()

    def pause(self, seconds: float) -> None:
        """Telegram answered 429: no message leaves this process for `seconds`."""
        self.paused_until = max(self.paused_until, self._clock() + seconds)
        self._wake.set()

    async def acquire(self, chat_id: int, priority: Priority) -> None:
        """Wait for a slot to send one message to `chat_id`; send right after this returns.

        Raises BudgetClosed at shutdown. Cancelling the caller withdraws the request.
        """
        if self._closed:
            raise BudgetClosed
        self._ensure_dispatcher()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._ready, _Waiter(priority, next(self._seq), chat_id, future))
        self.waiting[priority] += 1
        self._wake.set()
        try:
            await future
        finally:
            self.waiting[priority] -= 1

    def withdraw(self, lowest: Priority) -> None:
        """Fail the waiting requests of priority `lowest` and below (deliveries at shutdown: they
        are handed back at once while replies still go out)."""
        for waiter in [*self._ready, *(w for _, w in self._parked)]:
            if waiter.priority >= lowest and not waiter.future.done():
                waiter.future.set_exception(BudgetClosed())
        self._wake.set()

    async def close(self) -> None:
        """Refuse new requests and fail the waiting ones (they hand their messages back)."""
        self._closed = True
        for waiter in [*self._ready, *(w for _, w in self._parked)]:
            if not waiter.future.done():
                waiter.future.set_exception(BudgetClosed())
        self._ready.clear()
        self._parked.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _ensure_dispatcher(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._dispatch(), name="tipbot-budget")
            self._task.add_done_callback(self._dispatcher_ended)

    def _dispatcher_ended(self, task: asyncio.Task[None]) -> None:
        """The dispatcher never ends on its own: if a bug ends it, log once and start it again at
        once, so requests already waiting are not left waiting forever."""
        if task.cancelled() or self._closed:
            return
        log.error("send budget dispatcher failed; restarting", exc_info=task.exception())
        self._ensure_dispatcher()

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            while self._parked and self._parked[0][0] <= now:
                heapq.heappush(self._ready, heapq.heappop(self._parked)[1])
            while self._ready and self._ready[0].future.done():  # withdrawn by its caller
                heapq.heappop(self._ready)
            if not self._ready:
                await self._sleep(self._parked[0][0] if self._parked else None)
                continue
            slot = max(self.paused_until, now if self._next is None else self._next)
            recent = self._last_second
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= max(1, int(self.rate + 1e-9)):
                slot = max(slot, recent[0] + 1.0)
            if slot > now:
                await self._sleep(slot)
                continue
            waiter = self._ready[0]  # popped only once nothing below can fail: never lost
            chat_wait = self.chats.wait(waiter.chat_id, now)
            heapq.heappop(self._ready)
            if chat_wait > 0:
                heapq.heappush(self._parked, (now + chat_wait, waiter))
                continue
            self.chats.take(waiter.chat_id, now)
            # Keep the cadence when the loop wakes a little late: slots missed in the last
            # CATCH_UP seconds (or the last one) are granted at once, older ones are lost, so no
            # burst ever follows a pause.
            planned = now if self._next is None else self._next
            self._next = max(planned, now - max(self.interval, CATCH_UP)) + self.interval
            recent.append(now)
            waiter.future.set_result(None)

    async def _sleep(self, until: float | None) -> None:
        """Sleep until `until` (monotonic) or until something changes (a new waiter, a 429)."""
        if until is None:
            await self._wake.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, until - self._clock())):
                await self._wake.wait()
