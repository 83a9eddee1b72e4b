"""Sending one delivery under Telegram's limits, and classifying what went wrong.

Telegram allows about 30 messages a second per bot and about one a second per chat. The pacer
spaces sends evenly at the configured rate (no bursts, so a server counting per second never sees
more than the rate), a 429 pauses every delivery send for its `retry_after` and the message is
tried again, never dropped. Replies to users do not pass through here, so they stay fast.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from tipbot.observe import Metrics
from tipbot.storage.tables import DeliveryStatus

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0


def retry_after_seconds(error: RetryAfter) -> float:
    """PTB gives `RetryAfter.retry_after` as seconds or as a timedelta (PTB_TIMEDELTA), and warns
    about the change on every read; both forms are accepted and the warning is not repeated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


Waiter = Callable[[float], Awaitable[bool]]


class Pacer:
    """Sends spaced `1/rate` apart, measured from the actual send times.

    One sender at a time waits for the next slot (a lock, so waiting tasks queue in order and do
    not all wake together). The schedule keeps its cadence when a sender wakes a little late (timer
    delays do not add up), but after the event loop stalls (a garbage collection, say) it restarts
    from the current time, with at most one extra message, instead of catching up in a burst that
    would exceed Telegram's limit. A `pause` (a 429) holds back even the sender already waiting.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next: float | None = None  # None: nothing sent yet
        self._lock = asyncio.Lock()

    async def acquire(self, wait: Waiter) -> bool:
        """Wait for the next slot and take it; False if `wait` gave up (shutdown)."""
        async with self._lock:
            while self._next is not None and (delay := self._next - self._clock()) > 0:
                if not await wait(delay):
                    return False
            now = self._clock()
            planned = now if self._next is None else self._next
            self._next = max(planned, now - self.interval) + self.interval
            return True

    def pause(self, seconds: float) -> None:
        resume = self._clock() + seconds
        self._next = resume if self._next is None else max(self._next, resume)


class ChatSpacing:
    """At most one delivery per chat per second (a tip and an announcement may meet)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, interval: float = PER_CHAT_INTERVAL
    ) -> None:
        self._clock = clock
        self.interval = interval
        self._last: dict[int, float] = {}

    def reserve(self, chat_id: int) -> float:
        now = self._clock()
        if len(self._last) > 10_000:
            self._last = {c: t for c, t in self._last.items() if now - t < self.interval}
        last = self._last.get(chat_id)
        slot = now if last is None else max(now, last + self.interval)
        self._last[chat_id] = slot
        return slot - now


@dataclass(frozen=True)
class SendResult:
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None


SendFn = Callable[..., Awaitable[Any]]


class Sender:
    def __init__(
        self,
        send_message: SendFn,
        rate: float,
        retry_budget: float,
        metrics: Metrics,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send_message = send_message
        self.pacer = Pacer(rate, clock)
        self.chats = ChatSpacing(clock)
        self._retry_budget = retry_budget
        self._metrics = metrics
        self._sleep = sleep
        self._clock = clock
        #: Set at shutdown: a send still waiting (for its slot, a 429 or a backoff) gives up and
        #: is handed back as PENDING, so another process or the restart sends it promptly.
        self.stopping = asyncio.Event()

    async def _wait(self, seconds: float) -> bool:
        """Sleep for `seconds` in short steps; False as soon as shutdown has begun."""
        end = self._clock() + seconds
        while not self.stopping.is_set():
            left = end - self._clock()
            if left <= 0:
                return True
            await self._sleep(min(left, 0.5))
        return False

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> SendResult:
        deadline = self._clock() + self._retry_budget
        backoff = 0.5
        while True:
            took_slot = await self._wait(self.chats.reserve(chat_id)) and await self.pacer.acquire(
                self._wait
            )
            if not took_slot:
                return SendResult(DeliveryStatus.PENDING, error="handed back at shutdown")
            started = self._clock()
            try:
                message = await self._send_message(
                    chat_id=chat_id,
                    text=text,
                    reply_markup=markup,
                )
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self._metrics.retry_after.inc()
                log.warning("Telegram asked to slow down: pausing deliveries for %.0f s", seconds)
                self.pacer.pause(seconds)
                continue
            except Forbidden as exc:
                return SendResult(DeliveryStatus.BLOCKED, error=exc.message)
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    return SendResult(DeliveryStatus.BLOCKED, error=exc.message)
                log.error("Telegram rejected a delivery to chat %s: %s", chat_id, exc.message)
                return SendResult(DeliveryStatus.REJECTED, error=exc.message)
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                if self._clock() + backoff > deadline:
                    return SendResult(DeliveryStatus.FAILED, error=f"network: {exc.message}")
                if not await self._wait(backoff):
                    return SendResult(DeliveryStatus.PENDING, error="handed back at shutdown")
                backoff = min(backoff * 2, 30.0)
                continue
            except TelegramError as exc:
                return SendResult(DeliveryStatus.REJECTED, error=exc.message)
            self._metrics.send_latency.observe(self._clock() - started)
            return SendResult(DeliveryStatus.SENT, message_id=message.message_id)
