"""Sending one delivery within the bot's Telegram budget, and reading Telegram's answer.

Every answer Telegram can give is sorted by `classify` into what the delivery should do next;
the sweep turns that into the row's status. The rules, and why:

- 429: pause every sender of this process for `retry_after`, then try the same message again.
- `ChatMigrated`: the group became a supergroup; the subscription moves to the new chat id and
  the message goes there.
- 403, "chat not found", no rights to write: the chat is gone for us; the subscriber becomes
  inactive and nothing is retried.
- `InvalidToken` (a revoked token, a wrong TIPBOT_API_URL): nothing is wrong with the message
  or the chat. Delivery stops and the message is handed back unmarked, to be tried after a pause.
- A 400 that names the message itself (bad HTML, too long, a bad button): "rejected", never
  retried: sending it again would fail the same way.
- Network errors, 5xx answers, any other 400 and unknown errors: retried with backoff for
  TIPBOT_SEND_RETRY_SECONDS, then marked failed and retried by a later sweep.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from tipbot.delivery.budget import Budget, BudgetClosed, Priority
from tipbot.delivery.kinds import Poll
from tipbot.observe import Metrics

log = logging.getLogger(__name__)

#: Lower-case fragments of 400 descriptions that mean "this message can never be sent".
MESSAGE_FAULTS = (
    "can't parse",
    "message is too long",
    "text is too long",
    "caption is too long",
    "message text is empty",
    "text must be non-empty",
    "message must be non-empty",
    "entities",
    "button_data_invalid",
    "button_url_invalid",
    "reply markup",
    "inline keyboard",
    "wrong file identifier",
    "unsupported html",
)
#: Lower-case fragments of 400 descriptions that mean "this chat is gone for us".
CHAT_GONE = (
    "chat not found",
    "have no rights to send",
    "not enough rights to send",
    "need administrator rights",
    "chat_write_forbidden",
    "peer_id_invalid",
    "message thread not found",  # the forum topic a group subscribed from was deleted
    "topic_closed",
)


class Verdict(StrEnum):
    """What to do after one attempt."""

    SENT = "sent"
    PAUSE = "pause"  # 429: wait retry_after, then send again
    MIGRATED = "migrated"  # send again to the new chat id
    GONE = "gone"  # the chat blocked us or no longer exists
    TOKEN = "token"  # the token was refused: stop delivering, mark nothing
    REJECTED = "rejected"  # the message itself is wrong
    RETRY = "retry"  # transient: back off and try again
    HANDED_BACK = "handed_back"  # shutdown or lost lease: not sent, someone sends it later


def retry_after_seconds(error: RetryAfter) -> float:
    """PTB gives `RetryAfter.retry_after` as seconds or as a timedelta (PTB_TIMEDELTA), and warns
    about the change on every read; both forms are accepted and the warning is not repeated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def classify(error: TelegramError) -> Verdict:
    """Sort one Telegram error into what the delivery does next (see the module docstring).

    Order matters: `ChatMigrated` and `InvalidToken` are plain TelegramErrors or subclasses of
    classes checked later, and a 400 is "rejected" only when it names the message itself.
    """
    if isinstance(error, RetryAfter):
        return Verdict.PAUSE
    if isinstance(error, ChatMigrated):
        return Verdict.MIGRATED
    if isinstance(error, InvalidToken):
        return Verdict.TOKEN
    if isinstance(error, Forbidden):
        return Verdict.GONE
    if isinstance(error, BadRequest):
        text = error.message.lower()
        if any(fragment in text for fragment in CHAT_GONE):
            return Verdict.GONE
        if any(fragment in text for fragment in MESSAGE_FAULTS):
            return Verdict.REJECTED
        return Verdict.RETRY
    return Verdict.RETRY  # NetworkError (timeouts, 5xx), Conflict, anything unknown


@dataclass(frozen=True)
class SendResult:
    verdict: Verdict
    message_id: int | None = None
    error: str | None = None
    new_chat_id: int | None = None  # set with MIGRATED: where the message went, or must go
    #: The poll Telegram made, for a poll sent (an answer names only this id; see bot/quiz.py).
    poll_id: str | None = None


SendFn = Callable[..., Awaitable[Any]]


class Sender:
    """Sends one message (a text, or a poll with `send_poll`) at a time per call, within the
    shared budget, retrying what is worth it."""

    def __init__(
        self,
        send_message: SendFn,
        budget: Budget,
        retry_budget: float,
        metrics: Metrics,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        send_poll: SendFn | None = None,
    ) -> None:
        self._send_message = send_message
        self._send_poll = send_poll
        self.budget = budget
        self._retry_budget = retry_budget
        self._metrics = metrics
        self._sleep = sleep
        self._clock = clock
        #: Set at shutdown: a send still waiting (for its slot or a backoff) gives up and is
        #: handed back, so another process or the restart sends it promptly.
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
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        *,
        priority: Priority = Priority.TIP,
        owned: Callable[[], bool] = lambda: True,
        thread_id: int | None = None,
        quiet: bool = False,
    ) -> SendResult:
        """Send one message, into forum topic `thread_id` if given, without a notification sound
        if `quiet`. `owned` says whether this process still holds the delivery's lease:
        it is asked right before each attempt, and a delivery whose lease ran out is handed back,
        never sent (the row may already belong to another process)."""

        async def attempt(to: int) -> Any:
            return await self._send_message(
                chat_id=to,
                text=text,
                reply_markup=markup,
                message_thread_id=thread_id,
                disable_notification=quiet,
            )

        return await self._deliver(chat_id, attempt, priority, owned)

    async def send_poll(
        self,
        chat_id: int,
        poll: Poll,
        *,
        priority: Priority = Priority.TIP,
        owned: Callable[[], bool] = lambda: True,
        thread_id: int | None = None,
        quiet: bool = False,
    ) -> SendResult:
        """Send a poll (a quiz when `poll.correct_option_id` is set) with exactly the rules of
        `send`: the same budget, the same reading of Telegram's errors, the same hand-back."""
        if self._send_poll is None:
            raise RuntimeError("this sender was built without a send_poll function")
        send_poll = self._send_poll
        quiz = poll.correct_option_id is not None

        async def attempt(to: int) -> Any:
            return await send_poll(
                chat_id=to,
                question=poll.question,
                options=list(poll.options),
                is_anonymous=poll.is_anonymous,
                type="quiz" if quiz else "regular",
                # Bot API 9.6 names the right answers in a list (correct_option_id is deprecated).
                correct_option_ids=[poll.correct_option_id] if quiz else None,
                explanation=poll.explanation,
                message_thread_id=thread_id,
                disable_notification=quiet,
            )

        return await self._deliver(chat_id, attempt, priority, owned)

    async def _deliver(
        self,
        chat_id: int,
        attempt: Callable[[int], Awaitable[Any]],
        priority: Priority,
        owned: Callable[[], bool],
    ) -> SendResult:
        """Make `attempt(chat_id)` within the budget until Telegram gives an answer that settles
        it (see the module docstring); one loop for every kind of message, so a poll and a text
        message meet exactly the same rules."""
        deadline = self._clock() + self._retry_budget
        backoff = 0.5
        migrated_to: int | None = None
        while True:
            if self.stopping.is_set() or not owned():
                return SendResult(Verdict.HANDED_BACK, error="not sent: shutdown or lease lost")
            try:
                await self.budget.acquire(chat_id, priority)
            except BudgetClosed:
                return SendResult(Verdict.HANDED_BACK, error="not sent: shutdown")
            if not owned():
                return SendResult(Verdict.HANDED_BACK, error="not sent: lease lost")
            started = self._clock()
            try:
                message = await attempt(chat_id)
            except TelegramError as exc:
                verdict = classify(exc)
                if verdict is Verdict.PAUSE:
                    assert isinstance(exc, RetryAfter)
                    seconds = retry_after_seconds(exc)
                    self._metrics.retry_after.inc()
                    log.warning("Telegram asked to slow down: pausing sends for %.0f s", seconds)
                    self.budget.pause(seconds)
                    continue
                if verdict is Verdict.MIGRATED:
                    assert isinstance(exc, ChatMigrated)
                    if migrated_to is not None:  # migrated twice in one send: let the sweep decide
                        return SendResult(Verdict.RETRY, error="chat migrated twice")
                    migrated_to = chat_id = int(exc.new_chat_id)
                    continue
                if verdict is Verdict.RETRY:
                    if self._clock() + backoff > deadline:
                        return SendResult(Verdict.RETRY, error=_describe(exc))
                    if not await self._wait(backoff):
                        return SendResult(Verdict.HANDED_BACK, error="not sent: shutdown")
                    backoff = min(backoff * 2, 30.0)
                    continue
                if verdict is Verdict.REJECTED:
                    log.error("Telegram rejected a delivery to chat %s: %s", chat_id, exc.message)
                return SendResult(verdict, error=_describe(exc), new_chat_id=migrated_to)
            self._metrics.send_latency.observe(self._clock() - started)
            verdict = Verdict.MIGRATED if migrated_to is not None else Verdict.SENT
            poll = getattr(message, "poll", None)
            return SendResult(
                verdict,
                message_id=message.message_id,
                new_chat_id=migrated_to,
                poll_id=poll.id if poll is not None else None,
            )


def _describe(error: TelegramError) -> str:
    """A short reason for the delivery row (Telegram's description; never a URL or token)."""
    return f"{type(error).__name__}: {error.message}"[:200]
