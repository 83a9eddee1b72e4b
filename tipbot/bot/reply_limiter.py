"""Replies go through the same Telegram budget as deliveries, first in line, and are never dropped.

PTB calls `process_request` for every Bot API request of the Application's bot. Requests that
put a message in a chat take a slot from the shared budget (delivery/budget.py) at reply
priority, so a burst of commands and a broadcast together stay within Telegram's limits instead
of drawing 429s. A 429 pauses every sender of the process and the reply is tried again, for up to
a minute; only then is it given up (logged by the error handler). Other requests (answering a
button press, the command menu, getUpdates) do not count against the message limits and pass.

The queue is bounded by what the budget can send within that minute. When it is full, the reply
is not queued; instead the user is told once, at the very front of the queue, to try again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from tipbot import messages
from tipbot.delivery.budget import Budget, Priority
from tipbot.delivery.sender import retry_after_seconds
from tipbot.i18n import DEFAULT, Translator

log = logging.getLogger(__name__)

#: Bot API methods that put a message in a chat (Telegram's limits count these).
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendPoll",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
    }
)
#: A reply older than this is given up: the user has moved on, and Telegram is clearly saturated.
MAX_AGE = 60.0
#: A chat told "busy" is not told again within this many seconds.
BUSY_NOTICE_EVERY = 60.0


class RepliesBusy(TelegramError):
    """The reply queue is full; the user was told (or had been told recently)."""


Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class ReplyLimiter(BaseRateLimiter[None]):
    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._busy_told: dict[int, float] = {}
        #: Replies given up or refused, for /metrics (set by the Application builder).
        self.on_given_up: Callable[[str], None] = lambda _reason: None
        #: The language a chat was last answered in (the busy notice is said in it).
        self.language_of: Callable[[int], str] = lambda _chat_id: DEFAULT

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def capacity(self) -> int:
        """Replies that can wait: as many as the budget sends within MAX_AGE."""
        return max(30, int(self.budget.rate * MAX_AGE))

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = _chat_id(data) if endpoint in MESSAGE_METHODS else None
        if chat_id is None:
            return await callback(*args, **kwargs)
        if self.budget.waiting[Priority.REPLY] >= self.capacity:
            await self._tell_busy(callback, kwargs, data, chat_id)
            self.on_given_up("queue_full")
            raise RepliesBusy("the reply queue is full")
        started = self._clock()
        while True:
            await self.budget.acquire(chat_id, Priority.REPLY)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.budget.pause(seconds)
                if self._clock() + seconds - started > MAX_AGE:
                    self.on_given_up("too_old")
                    raise

    async def _tell_busy(
        self,
        callback: Callback,
        kwargs: dict[str, Any],
        data: dict[str, Any],
        chat_id: int,
    ) -> None:
        """Once per chat and minute: the busy notice, ahead of every queued reply."""
        now = self._clock()
        if now - self._busy_told.get(chat_id, float("-inf")) < BUSY_NOTICE_EVERY:
            return
        if len(self._busy_told) > 10_000:
            self._busy_told = {
                c: t for c, t in self._busy_told.items() if now - t < BUSY_NOTICE_EVERY
            }
        self._busy_told[chat_id] = now
        notice: dict[str, Any] = {
            key: data[key] for key in ("chat_id", "message_thread_id") if key in data
        }
        notice["text"] = Translator(self.language_of(chat_id)).gettext(messages.BUSY)
        try:
            await self.budget.acquire(chat_id, Priority.REPLY)
            await callback("sendMessage", notice, **kwargs)
        except TelegramError as exc:
            log.warning("could not send the busy notice: %s", type(exc).__name__)


def _chat_id(data: dict[str, Any]) -> int | None:
    value = data.get("chat_id")
    if value is None:  # inline-message edits have no chat
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # a @channelusername: rare for a reply; let Telegram count it
