"""A fake Telegram Bot API server on loopback, strict about the rules that break real bots.

Telegram cannot be reached from the test machines, and a mock object would accept anything the
bot sends. This server speaks the real HTTP protocol that python-telegram-bot uses (POSTs to
``{base_url}{token}/{method}`` with form-encoded bodies whose nested objects are JSON strings,
answers in Telegram's ``{"ok": ..., "result"|"description": ...}`` envelope), and rejects what
Telegram rejects: bad HTML, over-long text, bad buttons, edits that change nothing, flooding,
blocked users. Tests act as users through `push_message` & co., and assert on what was recorded.

Faults can be injected (5xx answers, connections dropped after the message was delivered, 429
storms, latency) so the delivery code's retry and idempotency logic meets them in tests.

A separate process (the bot started with subprocess, a benchmark) can drive the same server
through the HTTP control API under ``/_control/``; see `FakeBotApi._control_routes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import ipaddress
import json
import math
import random
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tipbot.telegram_html import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_MESSAGE_LENGTH,
    ParsedHtml,
    parse_html,
    utf16_length,
)

__all__ = [
    "RATE_LIMITED_METHODS",
    "SEND_METHODS",
    "CallbackAnswer",
    "FakeBotApi",
    "FakeConfig",
    "InlineAnswer",
    "SentMessage",
    "SentPhoto",
    "SentPoll",
]

JSON = dict[str, Any]

#: Methods that deliver or change a message. Fault injection (5xx, drops, 429 storms) applies
#: to these; getUpdates and the rest always work, as they mostly do on Telegram.
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "sendphoto",
        "sendpoll",
        "senddocument",
    }
)
#: Methods counted against the global and per-chat rate limits.
RATE_LIMITED_METHODS = frozenset(
    {"sendmessage", "editmessagetext", "sendphoto", "sendpoll", "senddocument"}
)

#: Update types Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BUTTON_URL_RE = re.compile(r"(?:https?|tg)://\S+", re.IGNORECASE)
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_HTML_LIKE_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*[\s>/]|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-z]+);")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


class SentMessage(NamedTuple):
    """One message the server accepted (or one edit of it), as compact as a record can be.

    `reply_markup` is kept as the JSON text the bot sent; `markup` parses it on demand.
    """

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: str | None
    time: float  # time.time() when accepted
    method: str = "sendMessage"
    message_thread_id: int | None = None
    disable_notification: bool = False  # sent silently (the user hears no sound)

    @property
    def markup(self) -> JSON | None:
        return json.loads(self.reply_markup) if self.reply_markup else None

    @property
    def plain(self) -> str:
        """The text as the user reads it (tags removed, entities decoded)."""
        if self.parse_mode and self.parse_mode.upper() == "HTML":
            return parse_html(self.text).text
        return self.text

    @property
    def buttons(self) -> list[JSON]:
        """All inline buttons, row after row (empty without an inline keyboard)."""
        markup = self.markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def as_json(self) -> JSON:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "text": self.text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.markup,
            "time": self.time,
            "method": self.method,
            "message_thread_id": self.message_thread_id,
            "disable_notification": self.disable_notification,
        }


class CallbackAnswer(NamedTuple):
    """An answerCallbackQuery call, recorded for assertions."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    time: float


class SentPhoto(NamedTuple):
    """One accepted sendPhoto: `uploaded` is True when the bytes came with it (not a file_id)."""

    chat_id: int
    message_id: int
    file_id: str
    uploaded: bool
    caption: str | None
    parse_mode: str | None
    reply_markup: str | None
    time: float
    message_thread_id: int | None = None

    @property
    def plain_caption(self) -> str:
        if self.caption and self.parse_mode and self.parse_mode.upper() == "HTML":
            return parse_html(self.caption).text
        return self.caption or ""


class SentDocument(NamedTuple):
    """One accepted sendDocument upload: the file's name and bytes as the bot sent them."""

    chat_id: int
    message_id: int
    file_id: str
    file_name: str
    data: bytes
    caption: str | None
    parse_mode: str | None
    reply_markup: str | None
    time: float
    message_thread_id: int | None = None


class SentPoll(NamedTuple):
    """One accepted sendPoll, with what a test checks about a quiz (texts as users see them)."""

    chat_id: int
    message_id: int
    poll_id: str
    question: str
    options: tuple[str, ...]
    type: str
    correct_option_ids: tuple[int, ...]
    explanation: str | None
    is_anonymous: bool
    time: float
    message_thread_id: int | None = None


class InlineAnswer(NamedTuple):
    """One answerInlineQuery call: the results as sent, and the caching the bot asked for."""

    inline_query_id: str
    results: list[JSON]
    cache_time: int
    is_personal: bool
    next_offset: str
    time: float


@dataclasses.dataclass
class FakeConfig:
    """Everything that can be changed while the server runs (`FakeBotApi.configure`).

    A rate of None or 0 disables that limit.
    """

    #: Messages per second over a sliding 1 s window, across all chats (Telegram: about 30).
    global_rate: float | None = 30
    #: Messages per second refilled into each chat's token bucket (Telegram: about 1).
    per_chat_rate: float | None = 1.0
    #: Size of each chat's bucket: how many messages may go out back to back.
    per_chat_burst: int = 3
    #: Chance that a send method answers `server_error_status` instead of being processed.
    server_error_probability: float = 0.0
    server_error_status: int = 502
    #: Chance that an accepted send is recorded, then the connection is dropped unanswered.
    drop_after_accept_probability: float = 0.0
    #: Seconds added before every Bot API request is handled.
    latency: float = 0.0
    #: Messages per sliding minute into one group, supergroup or channel (negative chat id);
    #: Telegram: about 20.
    per_group_per_minute: int | None = 20


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


class _Current(NamedTuple):
    """The latest state of a message in a chat, for edits, deletes and callbacks."""

    text: str
    parse_mode: str | None
    reply_markup: str | None  # canonical JSON
    date: int
    from_bot: bool


class _TokenBucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


def _retry_after(wait: float) -> int:
    return max(1, math.ceil(wait))


class FakeBotApi:
    """An in-process fake of the Telegram Bot API, on a free loopback port.

    Use as ``async with FakeBotApi() as api: bot = telegram.Bot(api.token,
    base_url=api.base_url)``. All state lives in the event loop that started the server; touch
    it only from that loop.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        global_rate: float | None = 30,
        per_chat_rate: float | None = 1.0,
        per_chat_burst: int = 3,
        seed: int = 0,
        server_error_probability: float = 0.0,
        server_error_status: int = 502,
        drop_after_accept_probability: float = 0.0,
        latency: float = 0.0,
        blocked: Iterable[int] = (),
        unknown_chats: Iterable[int] = (),
        record_text: bool = True,
        bot_username: str = "tipbot_test_bot",
        bot_first_name: str = "TipBot (test)",
    ) -> None:
        self.token = token
        self.config = FakeConfig(
            global_rate=global_rate,
            per_chat_rate=per_chat_rate,
            per_chat_burst=per_chat_burst,
            server_error_probability=server_error_probability,
            server_error_status=server_error_status,
            drop_after_accept_probability=drop_after_accept_probability,
            latency=latency,
        )
        #: Chats whose user blocked the bot: sends answer 403.
        self.blocked: set[int] = set(blocked)
        #: Chats that answer 400 "chat not found" (every other id exists).
        self.unknown_chats: set[int] = set(unknown_chats)
        #: Groups upgraded to supergroups: old chat id -> new chat id. Sends to the old id answer
        #: 400 with `migrate_to_chat_id`, as Telegram does.
        self.migrated: dict[int, int] = {}
        #: Until when (monotonic) every request answers 401 Unauthorized: a revoked token.
        self.token_refused_until = 0.0
        #: Chats that are channels (added by `push_channel_post`).
        self.channels: set[int] = set()
        #: False keeps only counts (for benchmarks): no texts, no message log, no edit checks.
        self.record_text = record_text
        self._rng = random.Random(seed)
        prefix = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        self._method_table = self._methods()
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._closing = False

        # Ids keep growing across reset() so a running bot never sees one reused.
        self._next_update_id = 100_000
        self._last_message_id: dict[int, int] = {}
        self._callback_seq = 0
        self._names: dict[int, str] = {}

        # Webhook delivery.
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake: asyncio.Event | None = None
        self._webhook_error: tuple[int, str] | None = None

        # Kept across reset(), as Telegram keeps them: uploaded files, chat membership, the
        # inline-mode switch (BotFather's /setinline).
        self._files: dict[str, tuple[int, int, int]] = {}  # file_id -> width, height, size
        self._members: dict[tuple[int, int], JSON] = {}
        self._poll_seq = 0
        self._inline_seq = 0

        #: Bot API requests being handled right now.
        self.in_flight = 0
        self._reset_state()

    # ------------------------------------------------------------------ state

    def _reset_state(self) -> None:
        #: Every sendMessage the server accepted, in order (only with record_text).
        self.messages: list[SentMessage] = []
        #: Every accepted editMessageText / editMessageReplyMarkup, in order.
        self.edits: list[SentMessage] = []
        #: answerCallbackQuery calls and deleted (chat_id, message_id), only with record_text.
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []
        self.callback_answer_count = 0
        self.delete_count = 0
        self._by_chat: dict[int, list[SentMessage]] = {}
        self._current: dict[tuple[int, int], _Current] = {}
        #: Accepted sendMessage calls per chat (kept with or without record_text).
        self.per_chat_counts: Counter[int] = Counter()
        #: time.time() of the first accepted sendMessage per chat (kept without record_text too).
        self.first_send_at: dict[int, float] = {}
        self.sent_count = 0
        self.edit_count = 0
        #: Requests per Bot API method (as the client spelled it).
        self.method_counts: Counter[str] = Counter()
        #: Answers per status: "200", "400", "401", "403", "404", "409", "429", "5xx", "dropped"
        #: (accepted, then the connection was cut on purpose) and "client_gone" (the client
        #: disconnected before the answer was ready).
        self.status_counts: Counter[str] = Counter()
        self.method_status_counts: dict[str, Counter[str]] = {}
        #: The most Bot API requests handled at once (long polls included): whether the bot
        #: sent side by side or one after another.
        self.max_in_flight = 0
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        #: setMyDescription / setMyShortDescription texts by language_code ("" for everyone).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        #: The `language_code` each user's Telegram reports (set_language); "en" when unset.
        self.language_codes: dict[int, str | None] = {}
        self._updates: deque[JSON] = deque()
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_waiter: asyncio.Future[str] | None = None
        self._open_callbacks: set[str] = set()
        self._global_window: deque[float] = deque()
        self._buckets: dict[int, _TokenBucket] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._prune_at = 50_000
        self._storm_until = 0.0
        self._storm_retry_after = 5
        self._change_waiters: list[asyncio.Future[None]] = []
        self._reset_native_state()

    def reset(self) -> None:
        """Forget messages, counters, queued updates, rate-limit state and any 429 storm.

        Kept: the configuration, the blocked and unknown chats, the webhook, and the id
        counters (update and message ids keep growing, as a running bot expects).
        """
        waiter, watchers = self._poll_waiter, self._change_waiters
        self._reset_state()
        if waiter is not None and not waiter.done():
            waiter.set_result("update")  # the poller re-reads the (now empty) queue
        self._change_waiters = watchers
        self._notify_change()

    def configure(self, **changes: Any) -> FakeConfig:
        """Change `FakeConfig` fields at run time (unknown names raise TypeError).

        Besides the config fields: ``blocked`` / ``unknown_chats`` (replace the sets),
        ``storm`` ({"seconds": T, "retry_after": K} or None), ``seed`` (reseed the fault RNG).
        """
        names = {f.name for f in dataclasses.fields(FakeConfig)}
        for key, value in changes.items():
            if key in names:
                setattr(self.config, key, value)
                if key in ("global_rate", "per_chat_rate", "per_chat_burst"):
                    self._global_window.clear()
                    self._buckets.clear()
                if key == "per_group_per_minute":
                    self._group_windows.clear()
            elif key == "blocked":
                self.blocked = {int(c) for c in value}
            elif key == "unknown_chats":
                self.unknown_chats = {int(c) for c in value}
            elif key == "refuse_token":
                self.refuse_token(float(value))
            elif key == "migrated":
                self.migrated = {int(old): int(new) for old, new in dict(value).items()}
            elif key == "storm":
                if value:
                    self.start_429_storm(float(value["seconds"]), int(value.get("retry_after", 5)))
                else:
                    self.stop_429_storm()
            elif key == "seed":
                self._rng = random.Random(value)
            elif key == "record_text":
                self.record_text = bool(value)
            else:
                raise TypeError(f"unknown setting {key!r}")
        return self.config

    def start_429_storm(self, seconds: float, retry_after: int = 5) -> None:
        """Answer every send with 429 retry_after=`retry_after` for the next `seconds`."""
        self._storm_until = time.monotonic() + seconds
        self._storm_retry_after = max(1, int(retry_after))

    def stop_429_storm(self) -> None:
        self._storm_until = 0.0

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    def refuse_token(self, seconds: float) -> None:
        """Answer every request 401 Unauthorized for the next `seconds` (a revoked token)."""
        self.token_refused_until = time.monotonic() + seconds

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group `chat_id` became the supergroup `new_chat_id`."""
        self.migrated[chat_id] = new_chat_id

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    # --------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/bot"

    @property
    def control_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/_control"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`:`port` (0 picks a free port; see `port` and `base_url`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        for name, handler in self._control_routes().items():
            app.router.add_route("*", f"/_control/{name}", handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        site = web.SockSite(runner, sock)
        await site.start()
        self.host = host
        self.port = sock.getsockname()[1]
        self._runner = runner
        self._closing = False

    async def stop(self) -> None:
        """Release every waiting request, then close the server."""
        self._closing = True
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("closing")
        self._notify_change()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------ assertions

    def messages_for(self, chat_id: int) -> list[SentMessage]:
        """Messages sent to `chat_id`, oldest first (as sent; see `current` for edits)."""
        return list(self._by_chat.get(chat_id, ()))

    def edits_for(self, chat_id: int) -> list[SentMessage]:
        return [e for e in self.edits if e.chat_id == chat_id]

    def current(self, chat_id: int, message_id: int) -> SentMessage | None:
        """A message as it stands now (after edits), or None if unknown or deleted."""
        state = self._current.get((chat_id, message_id))
        if state is None:
            return None
        return SentMessage(
            chat_id, message_id, state.text, state.parse_mode, state.reply_markup, state.date
        )

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain number is what test code wants to pass
        what: str | Callable[[], str] = "condition",
    ) -> None:
        """Wait until `predicate()` holds; it is re-checked after every recorded change.

        Raises TimeoutError naming `what` (a callable is called then, to describe the state).
        """
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                    self._change_waiters.append(future)
                    await future
        except TimeoutError:
            described = what() if callable(what) else what
            raise TimeoutError(
                f"fake Bot API: timed out after {timeout}s waiting for {described}"
            ) from None

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for
    ) -> list[SentMessage]:
        """Wait until at least `count` messages were sent to `chat_id`; return them all.

        With record_text=False only the count is kept, and the list is empty.
        """

        def describe() -> str:
            have = [m.plain[:60] for m in self._by_chat.get(chat_id, [])[-5:]]
            return (
                f"{count} message(s) to chat {chat_id}; it has {self.per_chat_counts[chat_id]}"
                f" (last ones: {have})"
            )

        await self.wait_for(lambda: self.per_chat_counts[chat_id] >= count, timeout, describe)
        return self.messages_for(chat_id)

    def stats(self, *, per_chat: bool = False) -> JSON:
        result: JSON = {
            "messages": self.sent_count,
            "edits": self.edit_count,
            "deleted": self.delete_count,
            "callback_answers": self.callback_answer_count,
            "chats": len(self.per_chat_counts),
            "pending_updates": len(self._updates),
            "methods": dict(self.method_counts),
            "statuses": dict(self.status_counts),
            "method_statuses": {m: dict(c) for m, c in self.method_status_counts.items()},
        }
        if per_chat:
            result["per_chat"] = {str(c): n for c, n in self.per_chat_counts.items()}
        return result

    def _notify_change(self) -> None:
        waiters, self._change_waiters = self._change_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    # ------------------------------------------------------------ user input

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The language of the user's Telegram app, sent in every update's `from` (None: the
        field is left out, as Telegram does when it does not know it)."""
        self.language_codes[user_id] = language_code

    def _user(self, user_id: int, first_name: str) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        code = self.language_codes.get(user_id, "en")
        if code is not None:
            user["language_code"] = code
        return user

    def _chat(self, chat_id: int) -> JSON:
        if chat_id > 0:
            return {
                "id": chat_id,
                "type": "private",
                "first_name": self._names.get(chat_id, "Test"),
            }
        if chat_id in self.channels:
            return {"id": chat_id, "type": "channel", "title": "Test channel"}
        kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": "Test group"}

    def _sender(self, chat_id: int, user_id: int | None, first_name: str) -> JSON:
        """A message's `from`: the chat's own user in a private chat, a named member in a group."""
        if user_id is None:
            if chat_id < 0:
                raise ValueError(f"a message in group {chat_id} needs the sender's user_id")
            user_id = chat_id
        return self._user(user_id, first_name)

    @staticmethod
    def _text_fields(text: str) -> JSON:
        """`text` and, for bot commands, the ``bot_command`` entities Telegram adds (UTF-16)."""
        fields: JSON = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_length(text[: m.start()]),
                "length": utf16_length(m.group(0)),
            }
            for m in _COMMAND_RE.finditer(text)
            if m.start() == 0 or text[m.start() - 1].isspace()
        ]
        if entities:
            fields["entities"] = entities
        return fields

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _enqueue(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        if self._webhook_wake is not None:
            self._webhook_wake.set()
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        message_thread_id: int | None = None,
    ) -> JSON:
        """Queue a text message from a user; return the Update dict.

        A positive `chat_id` is a private chat with that user; a negative one is a group (a
        supergroup below -10**12), where `user_id` names the member who wrote. Bot commands get
        ``bot_command`` entities, as Telegram adds them (offsets in UTF-16).
        """
        sender = self._sender(chat_id, user_id, first_name)
        if first_name != "Test" or chat_id in self._names:  # keep the dict small in benchmarks
            self._names[chat_id] = first_name
        now = int(time.time())
        message_id = self._new_message_id(chat_id)
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": self._chat(chat_id),
            "date": now,
            **self._text_fields(text),
        }
        if message_thread_id is not None:  # a message in a forum topic
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        if self.record_text:
            self._current[(chat_id, message_id)] = _Current(text, None, None, now, False)
        return self._enqueue("message", message)

    def push_edited_message(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
    ) -> JSON:
        """Queue the user's edit of a message they sent earlier: an ``edited_message`` update
        carrying the original `date`, an `edit_date` and the new text."""
        state = self._current.get((chat_id, message_id))
        if self.record_text and (state is None or state.from_bot):
            raise LookupError(f"the user sent no message {message_id} to chat {chat_id}")
        now = int(time.time())
        date = state.date if state else now
        message: JSON = {
            "message_id": message_id,
            "from": self._sender(chat_id, user_id, first_name),
            "chat": self._chat(chat_id),
            "date": date,
            "edit_date": max(now, date + 1),
            **self._text_fields(text),
        }
        if self.record_text:
            self._current[(chat_id, message_id)] = _Current(text, None, None, date, False)
        return self._enqueue("edited_message", message)

    def push_channel_post(self, chat_id: int, text: str) -> JSON:
        """Queue a post in a channel where the bot is an administrator.

        Channel posts have no `from`; `sender_chat` is the channel itself. The id is remembered
        as a channel's, so later sends to it are addressed to a channel chat.
        """
        if chat_id >= 0:
            raise ValueError("channel ids are negative")
        self.channels.add(chat_id)
        chat = self._chat(chat_id)
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            **self._text_fields(text),
        }
        return self._enqueue("channel_post", message)

    def push_service_message(self, chat_id: int, user_id: int, **fields: Any) -> JSON:
        """Queue a service message (`fields` such as ``group_chat_created=True`` or
        ``new_chat_title="..."``) caused by user `user_id`; return the Update dict."""
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "from": self._user(user_id, "Test"),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **fields,
        }
        return self._enqueue("message", message)

    def push_new_chat_members(self, chat_id: int, user_ids: Iterable[int], *, by: int) -> JSON:
        """Queue "`by` added these members"; the bot's own id in `user_ids` adds the bot."""
        members = [
            self._bot_user_short() if uid == self.bot_user["id"] else self._user(uid, "Test")
            for uid in user_ids
        ]
        return self.push_service_message(chat_id, by, new_chat_members=members)

    def push_chat_migration(self, old_chat_id: int, new_chat_id: int, *, by: int) -> list[JSON]:
        """Queue what Telegram sends when a group becomes a supergroup: `migrate_to_chat_id` in
        the old group, then `migrate_from_chat_id` in the new supergroup."""
        if not new_chat_id < -1_000_000_000_000 < old_chat_id < 0:
            raise ValueError("migration goes from a group id to a supergroup id (-100...)")
        return [
            self.push_service_message(old_chat_id, by, migrate_to_chat_id=new_chat_id),
            self.push_service_message(new_chat_id, by, migrate_from_chat_id=old_chat_id),
        ]

    def push_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
    ) -> JSON:
        """Queue a tap on an inline button of a message the bot sent; return the Update dict."""
        state = self._current.get((chat_id, message_id))
        if self.record_text and (state is None or not state.from_bot):
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
        if not self.record_text and not 0 < message_id <= self._last_message_id.get(chat_id, 0):
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        self._callback_seq += 1
        query_id = f"{chat_id}-{self._callback_seq}"
        self._open_callbacks.add(query_id)
        message: JSON = {
            "message_id": message_id,
            "from": self._bot_user_short(),
            "chat": self._chat(chat_id),
            "date": state.date if state else int(time.time()),
        }
        if state is not None:
            message.update(self._rendered(state.text, state.parse_mode, state.reply_markup))
        return self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": self._user(user_id if user_id is not None else chat_id, first_name),
                "message": message,
                "chat_instance": str(chat_id),
                "data": data,
            },
        )

    def push_my_chat_member(self, chat_id: int, status: str) -> JSON:
        """Queue the bot's own membership change in a private chat; return the Update dict.

        "kicked" is what Telegram sends when the user blocks the bot, "member" when they
        unblock (or restart) it. The blocked set follows, so later sends answer 403 / succeed.
        """
        old = "member" if status == "kicked" else "kicked"
        now = int(time.time())

        def member(state: str) -> JSON:
            result: JSON = {"user": self._bot_user_short(), "status": state}
            if state == "kicked":
                result["until_date"] = 0
            return result

        if status == "kicked":
            self.blocked.add(chat_id)
        elif status == "member":
            self.blocked.discard(chat_id)
        return self._enqueue(
            "my_chat_member",
            {
                "chat": self._chat(chat_id),
                "from": self._user(chat_id, self._names.get(chat_id, "Test")),
                "date": now,
                "old_chat_member": member(old),
                "new_chat_member": member(status),
            },
        )

    def push_bot_membership(
        self, chat_id: int, old: str, new: str, *, by: int, **rights: Any
    ) -> JSON:
        """Queue the bot's own membership change in a group or channel (my_chat_member), made by
        user `by`: e.g. "left" -> "member" (added), "member" -> "kicked" (removed), "member" ->
        "restricted" with ``can_send_messages=False`` (muted), "administrator" with or without
        ``can_post_messages`` in a channel. Sends to the chat then succeed or answer 403."""
        if chat_id >= 0:
            raise ValueError("use push_my_chat_member for private chats")

        def member(state: str, fields: JSON) -> JSON:
            result: JSON = {"user": self._bot_user_short(), "status": state}
            if state == "restricted":
                result.update({"is_member": True, "until_date": 0, **_RESTRICTED_RIGHTS})
            elif state == "kicked":
                result["until_date"] = 0
            elif state == "administrator":
                result.update(_ADMIN_RIGHTS)
            return {**result, **fields}

        new_member = member(new, rights)
        can_write = new in ("member", "creator") or bool(
            new_member.get("can_send_messages") or new_member.get("can_post_messages")
        )
        if chat_id in self.channels:
            can_write = new == "creator" or bool(new_member.get("can_post_messages"))
        if can_write:
            self.blocked.discard(chat_id)
        else:
            self.blocked.add(chat_id)
        return self._enqueue(
            "my_chat_member",
            {
                "chat": self._chat(chat_id),
                "from": self._user(by, "Admin"),
                "date": int(time.time()),
                "old_chat_member": member(old, {}),
                "new_chat_member": new_member,
            },
        )

    # --------------------------------------------------------- HTTP plumbing

    def _envelope(
        self, method: str, status: int, result: Any = None, error: _ApiError | None = None
    ) -> web.Response:
        self._count(method, "5xx" if status >= 500 else str(status))
        if error is None:
            return web.json_response({"ok": True, "result": result})
        body: JSON = {"ok": False, "error_code": status, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=status)

    def _count(self, method: str, status: str) -> None:
        self.method_counts[method] += 1
        self.status_counts[status] += 1
        self.method_status_counts.setdefault(method, Counter())[status] += 1

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token or time.monotonic() < self.token_refused_until:
            return self._envelope(method, 401, error=_ApiError(401, "Unauthorized"))
        handler = self._method_table.get(method.lower())
        if handler is None:
            return self._envelope(method, 404, error=_ApiError(404, "Not Found: method not found"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer_api(request, method, handler)
        finally:
            self.in_flight -= 1

    async def _answer_api(
        self, request: web.Request, method: str, handler: Callable[[JSON], Awaitable[Any]]
    ) -> web.StreamResponse:
        if self.config.latency > 0:
            await asyncio.sleep(self.config.latency)
        key = method.lower()
        result: Any = None
        answer: _ApiError | None
        try:
            params = await _read_params(request)
            if key in SEND_METHODS:
                self._inject_send_faults()
            result = await handler(params)
        except _ApiError as error:
            status, answer = error.status, error
        else:
            status, answer = 200, None
            if key in SEND_METHODS and self._roll(self.config.drop_after_accept_probability):
                self._count(method, "dropped")
                if request.transport is not None:
                    request.transport.abort()
                return web.Response()  # never reaches the client: the connection is gone
        if request.transport is None or request.transport.is_closing():
            # The client gave up (e.g. PTB cancelled a long poll on shutdown) and will never see
            # this answer; count it apart so it does not pass for a real 409 or 200.
            self._count(method, "client_gone")
            return web.Response()
        return self._envelope(method, status, result, answer)

    def _roll(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability

    def _inject_send_faults(self) -> None:
        if self._roll(self.config.server_error_probability):
            status = self.config.server_error_status
            raise _ApiError(status, _REASONS.get(status, "Internal Server Error"))
        wait = self._storm_until - time.monotonic()
        if wait > 0:
            retry = self._storm_retry_after
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _check_rate(self, chat_id: int) -> None:
        """Apply the global sliding window and the per-chat token bucket; consume on success."""
        now = time.monotonic()
        cfg = self.config
        window = self._global_window
        if cfg.global_rate:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= cfg.global_rate:
                retry = _retry_after(window[0] + 1.0 - now)
                raise _ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        bucket = None
        if cfg.per_chat_rate:
            burst = max(1, cfg.per_chat_burst)
            bucket = self._buckets.get(chat_id)
            if bucket is None:
                if len(self._buckets) >= self._prune_at:
                    self._prune_buckets(now)
                bucket = self._buckets[chat_id] = _TokenBucket(burst, now)
            else:
                bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * cfg.per_chat_rate)
                bucket.stamp = now
            if bucket.tokens < 1:
                retry = _retry_after((1 - bucket.tokens) / cfg.per_chat_rate)
                raise _ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        group_window = self._group_window(chat_id, now)
        if group_window is not None and len(group_window) >= (cfg.per_group_per_minute or 0):
            retry = _retry_after(group_window[0] + 60.0 - now)
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if cfg.global_rate:
            window.append(now)
        if bucket is not None:
            bucket.tokens -= 1
        if group_window is not None:
            group_window.append(now)

    def _group_window(self, chat_id: int, now: float) -> deque[float] | None:
        """The sends of the last minute into a group or channel (None for private chats)."""
        if chat_id >= 0 or not self.config.per_group_per_minute:
            return None
        window = self._group_windows.setdefault(chat_id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        return window

    def _prune_buckets(self, now: float) -> None:
        """Drop buckets that have refilled completely: they behave like new ones."""
        rate = self.config.per_chat_rate or 1.0
        burst = max(1, self.config.per_chat_burst)
        self._buckets = {
            chat: b
            for chat, b in self._buckets.items()
            if b.tokens + (now - b.stamp) * rate < burst
        }
        # Amortised: the next prune waits until the dict has doubled again.
        self._prune_at = max(50_000, 2 * len(self._buckets))

    # ------------------------------------------------------------ validation

    def _chat_id(self, params: JSON) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad("chat not found") from None  # "@username" of a chat we do not know
        if chat_id in self.unknown_chats or chat_id == 0:
            raise _bad("chat not found")
        return chat_id

    def _check_blocked(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )

    def _check_text(
        self,
        params: JSON,
        field: str = "text",
        mode_field: str = "parse_mode",
        limit: int = MAX_MESSAGE_LENGTH,
        too_long: str = "message is too long",
    ) -> tuple[str, str | None]:
        """Check a text field as Telegram does: HTML that parses, visible length within `limit`."""
        text = params.get(field)
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parse_mode = params.get(mode_field) or None
        if parse_mode is not None and str(parse_mode).upper() != "HTML":
            raise _bad(f"unsupported parse_mode {parse_mode!r} (the fake Bot API implements HTML)")
        if parse_mode is None:
            if _HTML_LIKE_RE.search(text):
                raise _bad(
                    "can't parse entities: the text has HTML markup but parse_mode is not HTML "
                    "(fake Bot API rule: tipbot always sends HTML)"
                )
            visible = text
        else:
            parsed = _parsed(text)
            if parsed.problems:
                raise _bad(f"can't parse entities: {parsed.problems[0]}")
            visible = parsed.text
        if not visible.strip():
            raise _bad("message text is empty")
        if _utf16(visible) > limit:
            raise _bad(too_long)
        return text, parse_mode

    def _check_markup(self, params: JSON) -> str | None:
        """Validate reply_markup; return it as canonical JSON (None when absent)."""
        raw = params.get("reply_markup")
        if raw is None or raw == "":
            return None
        try:
            markup = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise _bad("can't parse reply keyboard markup JSON object") from None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        elif not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            raise _bad("can't parse reply keyboard markup JSON object")
        return json.dumps(markup, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def _message_id(self, params: JSON) -> int:
        raw = params.get("message_id")
        if raw is None or raw == "":
            if params.get("inline_message_id"):
                raise _bad("inline messages are not supported by the fake Bot API")
            raise _bad("message identifier is not specified")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise _bad("message identifier is not specified") from None

    def _exists(self, chat_id: int, message_id: int) -> bool:
        """Without record_text, any id the chat has used counts as existing."""
        if self.record_text:
            return (chat_id, message_id) in self._current
        return 0 < message_id <= self._last_message_id.get(chat_id, 0)

    # ------------------------------------------------------------ rendering

    def _bot_user_short(self) -> JSON:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _rendered(self, text: str, parse_mode: str | None, markup: str | None) -> JSON:
        """The text/entities/reply_markup part of a Message, as Telegram returns it."""
        out: JSON = {}
        if parse_mode:
            parsed = _parsed(text)
            out["text"] = parsed.text
            if parsed.entities:
                out["entities"] = parsed.entities
        else:
            out["text"] = text
        if markup:
            loaded = json.loads(markup)
            if "inline_keyboard" in loaded:  # Telegram echoes inline keyboards only
                out["reply_markup"] = loaded
        return out

    def _message_json(
        self,
        chat_id: int,
        message_id: int,
        date: int,
        text: str,
        parse_mode: str | None,
        markup: str | None,
        edit_date: int | None = None,
    ) -> JSON:
        message: JSON = {
            "message_id": message_id,
            "from": self._bot_user_short(),
            "chat": self._chat(chat_id),
            "date": date,
        }
        if edit_date is not None:
            message["edit_date"] = edit_date
        message.update(self._rendered(text, parse_mode, markup))
        return message

    # --------------------------------------------------------------- methods

    def _methods(self) -> dict[str, Callable[[JSON], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendchataction": self._send_chat_action,
            "deletemessage": self._delete_message,
            **self._native_methods(),
            "close": self._true,
            "logout": self._true,
        }

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return dict(self.bot_user)

    async def _send_message(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        text, parse_mode = self._check_text(params)
        markup = self._check_markup(params)
        thread_id = self._thread_id(params)
        message_id, now = self._accept_send(chat_id)
        self.sent_count += 1
        self.per_chat_counts[chat_id] += 1
        self.first_send_at.setdefault(chat_id, now)
        if self.record_text:
            record = SentMessage(
                chat_id,
                message_id,
                text,
                parse_mode,
                markup,
                now,
                message_thread_id=thread_id,
                disable_notification=params.get("disable_notification") in (True, "true"),
            )
            self.messages.append(record)
            self._by_chat.setdefault(chat_id, []).append(record)
            self._current[(chat_id, message_id)] = _Current(
                text, parse_mode, markup, int(now), True
            )
        self._notify_change()
        return self._message_json(chat_id, message_id, int(now), text, parse_mode, markup)

    def _editable(self, chat_id: int, message_id: int) -> _Current | None:
        if not self._exists(chat_id, message_id):
            raise _bad("message to edit not found")
        state = self._current.get((chat_id, message_id))
        if state is not None and not state.from_bot:
            raise _bad("message can't be edited")
        return state

    async def _edit_message_text(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        text, parse_mode = self._check_text(params)
        markup = self._check_markup(params)
        state = self._editable(chat_id, message_id)
        if state is not None and (state.text, state.parse_mode, state.reply_markup) == (
            text,
            parse_mode,
            markup,
        ):
            raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._accept_edit(
            "editMessageText", chat_id, message_id, state, text, parse_mode, markup
        )

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        markup = self._check_markup(params)
        state = self._editable(chat_id, message_id)
        if state is not None and state.reply_markup == markup:
            raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
        text = state.text if state else ""
        parse_mode = state.parse_mode if state else None
        return self._accept_edit(
            "editMessageReplyMarkup", chat_id, message_id, state, text, parse_mode, markup
        )

    def _accept_edit(
        self,
        method: str,
        chat_id: int,
        message_id: int,
        state: _Current | None,
        text: str,
        parse_mode: str | None,
        markup: str | None,
    ) -> JSON:
        self._check_blocked(chat_id)
        if method.lower() in RATE_LIMITED_METHODS:
            self._check_rate(chat_id)
        now = time.time()
        date = state.date if state else int(now)
        self.edit_count += 1
        if self.record_text:
            self.edits.append(
                SentMessage(chat_id, message_id, text, parse_mode, markup, now, method)
            )
            self._current[(chat_id, message_id)] = _Current(text, parse_mode, markup, date, True)
        self._notify_change()
        return self._message_json(
            chat_id, message_id, date, text, parse_mode, markup, edit_date=int(now)
        )

    async def _delete_message(self, params: JSON) -> bool:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        if not self._exists(chat_id, message_id):
            raise _bad("message to delete not found")
        self._current.pop((chat_id, message_id), None)
        self.delete_count += 1
        if self.record_text:
            self.deleted.append((chat_id, message_id))
        self._notify_change()
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        show_alert = _as_bool(params.get("show_alert"))
        self.callback_answer_count += 1
        if self.record_text:
            self.callback_answers.append(CallbackAnswer(query_id, text, show_alert, time.time()))
        self._notify_change()
        return True

    async def _send_chat_action(self, params: JSON) -> bool:
        chat_id = self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._check_blocked(chat_id)
        return True

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = _as_json(params.get("scope"), "scope") or {"type": "default"}
        return (
            json.dumps(scope, sort_keys=True, separators=(",", ":")),
            str(params.get("language_code") or ""),
        )

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = _as_json(params.get("commands"), "commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _BOT_COMMAND_RE.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("command description must be 1-256 characters")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return list(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    # ------------------------------- photos, polls, inline mode, chat members

    def _reset_native_state(self) -> None:
        #: Accepted sendPhoto calls, and how many of them carried the file's bytes.
        self.photos: list[SentPhoto] = []
        self.photo_uploads = 0
        #: Accepted sendDocument calls (uploads), by order.
        self.documents: list[SentDocument] = []
        #: Accepted sendPoll calls, by order; answers already pushed, per poll id.
        self.polls: list[SentPoll] = []
        self._poll_voters: dict[str, set[int]] = {}
        #: answerInlineQuery calls; ids of inline queries not answered yet.
        self.inline_answers: list[InlineAnswer] = []
        self._open_inline: set[str] = set()

    def _native_methods(self) -> dict[str, Callable[[JSON], Awaitable[Any]]]:
        return {
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendpoll": self._send_poll,
            "answerinlinequery": self._answer_inline_query,
            "getchatmember": self._get_chat_member,
            "setmydescription": self._set_my_description,
            "getmydescription": self._get_my_description,
            "setmyshortdescription": self._set_my_short_description,
            "getmyshortdescription": self._get_my_short_description,
        }

    # Telegram: description 0-512 characters, short description 0-120; an empty text removes
    # the one for that language_code, and a user with no language-specific text gets the default.
    async def _set_my_description(self, params: JSON) -> bool:
        return self._set_text(self.descriptions, params, "description", 512)

    async def _set_my_short_description(self, params: JSON) -> bool:
        return self._set_text(self.short_descriptions, params, "short_description", 120)

    async def _get_my_description(self, params: JSON) -> JSON:
        return {"description": self._get_text(self.descriptions, params)}

    async def _get_my_short_description(self, params: JSON) -> JSON:
        return {"short_description": self._get_text(self.short_descriptions, params)}

    @staticmethod
    def _set_text(store: dict[str, str], params: JSON, field: str, limit: int) -> bool:
        text = params.get(field) or ""
        if not isinstance(text, str):
            raise _bad(f"can't parse {field}")
        if len(text) > limit:
            raise _bad(f"{field.upper()}_TOO_LONG")
        code = str(params.get("language_code") or "")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad("LANGUAGE_CODE_INVALID")
        if text:
            store[code] = text
        else:
            store.pop(code, None)
        return True

    @staticmethod
    def _get_text(store: dict[str, str], params: JSON) -> str:
        code = str(params.get("language_code") or "")
        return store.get(code, store.get("", ""))

    def photos_for(self, chat_id: int) -> list[SentPhoto]:
        return [p for p in self.photos if p.chat_id == chat_id]

    def documents_for(self, chat_id: int) -> list[SentDocument]:
        return [d for d in self.documents if d.chat_id == chat_id]

    def polls_for(self, chat_id: int) -> list[SentPoll]:
        return [p for p in self.polls if p.chat_id == chat_id]

    def forget_files(self) -> None:
        """Make every file_id handed out so far unknown, as after Telegram expires them."""
        self._files.clear()

    def set_inline_mode(self, enabled: bool = True) -> None:
        """What BotFather's /setinline does: without it Telegram sends no inline queries."""
        self.bot_user["supports_inline_queries"] = enabled

    def set_chat_member(self, chat_id: int, user_id: int, status: str, **fields: Any) -> None:
        """Make getChatMember(chat_id, user_id) answer `status` (creator, administrator,
        member, left, kicked); `fields` add or override rights such as can_post_messages."""
        if status not in _MEMBER_FIELDS:
            raise ValueError(f"unknown chat member status {status!r}")
        self._members[(chat_id, user_id)] = {"status": status, **fields}

    def push_inline_query(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str = "sender",
        first_name: str = "Test",
    ) -> JSON:
        """Queue what Telegram sends while a user types ``@bot query`` in any chat."""
        if not self.bot_user["supports_inline_queries"]:
            raise LookupError("inline mode is off for this bot (BotFather: /setinline)")
        if len(query) > 256:
            raise ValueError("inline queries are at most 256 characters")
        self._inline_seq += 1
        query_id = f"iq{self._inline_seq}"
        self._open_inline.add(query_id)
        return self._enqueue(
            "inline_query",
            {
                "id": query_id,
                "from": self._user(user_id, first_name),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            },
        )

    def push_poll_answer(
        self, poll_id: str, user_id: int, option_ids: list[int], *, first_name: str = "Test"
    ) -> JSON:
        """Queue a user's vote in a poll the bot sent (then the poll's new state, as Telegram).

        Telegram reports votes only in non-anonymous polls, and a quiz can be answered once.
        """
        poll = next((p for p in self.polls if p.poll_id == poll_id), None)
        if poll is None:
            raise LookupError(f"the bot sent no poll {poll_id!r}")
        if poll.is_anonymous:
            raise LookupError("votes in anonymous polls are not reported to the bot")
        voters = self._poll_voters.setdefault(poll_id, set())
        if poll.type == "quiz" and user_id in voters:
            raise LookupError("a quiz can be answered only once")
        if not option_ids or any(not 0 <= i < len(poll.options) for i in option_ids):
            raise ValueError(f"option ids {option_ids} out of range")
        voters.add(user_id)
        update = self._enqueue(
            "poll_answer",
            {
                "poll_id": poll_id,
                "user": self._user(user_id, first_name),
                "option_ids": list(option_ids),
                "option_persistent_ids": [str(i) for i in option_ids],
            },
        )
        self._enqueue("poll", self._poll_json(poll, voters=len(voters)))
        return update

    def push_anonymous_admin_message(
        self, chat_id: int, text: str, *, message_thread_id: int | None = None
    ) -> JSON:
        """Queue a group message from an admin posting anonymously: Telegram sends it from
        GroupAnonymousBot with the group itself as `sender_chat`."""
        if chat_id >= 0:
            raise ValueError("anonymous admins exist in groups and supergroups only")
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "from": {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": self._chat(chat_id),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        return self._enqueue("message", message)

    def _accept_send(self, chat_id: int) -> tuple[int, float]:
        """What every send passes after checking its own fields: the blocked check and the
        rate limits; then the new message's id and time."""
        self._check_blocked(chat_id)
        self._check_rate(chat_id)
        return self._new_message_id(chat_id), time.time()

    def _thread_id(self, params: JSON) -> int | None:
        raw = params.get("message_thread_id")
        if raw is None or raw == "":
            return None
        thread_id = _as_int(raw, "message_thread_id", 0)
        if thread_id <= 0:
            raise _bad("message thread not found")
        return thread_id

    def _member_json(self, chat_id: int, user_id: int) -> JSON:
        user = (
            self._bot_user_short()
            if user_id == self.bot_user["id"]
            else self._user(user_id, "Test")
        )
        configured = self._members.get((chat_id, user_id))
        if configured is None:
            # A private chat holds its user and the bot; in a group nobody is known as a member
            # unless a test says so (the bot itself is a plain member there).
            known = user_id == chat_id or user_id == self.bot_user["id"]
            configured = {"status": "member" if known else "left"}
        status = configured["status"]
        return {"user": user, "status": status, **_MEMBER_FIELDS[status], **configured}

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        user_id = _as_int(params.get("user_id"), "user_id", 0)
        if user_id <= 0:
            raise _bad("invalid user_id specified")
        if chat_id > 0 and user_id not in (chat_id, self.bot_user["id"]):
            raise _bad("user not found")
        return self._member_json(chat_id, user_id)

    def _upload(self, field: Any) -> tuple[str, int, int, int]:
        """Store an uploaded photo like Telegram: check it is an image, hand out a file_id."""
        data = field.file.read() if isinstance(field, web.FileField) else b""
        if not data:
            raise _bad("there is no photo in the request")
        if len(data) > 10 * 1024 * 1024:
            raise _bad("PHOTO_INVALID_DIMENSIONS: the photo is larger than 10 MB")
        width, height = _image_size(data)
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        file_id = f"AgACAgFake{len(self._files) + 1:06d}{self._rng.getrandbits(32):08x}"
        self._files[file_id] = (width, height, len(data))
        return file_id, width, height, len(data)

    async def _send_photo(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo.removeprefix("attach://"))
        caption, parse_mode = None, None
        if params.get("caption"):
            caption, parse_mode = self._check_text(
                params, "caption", limit=1024, too_long="message caption is too long"
            )
        markup = self._check_markup(params)
        thread_id = self._thread_id(params)
        uploaded = isinstance(photo, web.FileField)
        if not uploaded:
            if not isinstance(photo, str) or photo not in self._files:
                raise _bad("wrong file identifier/HTTP URL specified")
            file_id = photo
        self._check_blocked(chat_id)
        self._check_rate(chat_id)
        if uploaded:
            file_id, *_ = self._upload(photo)
            self.photo_uploads += 1
        width, height, size = self._files[file_id]
        message_id, now = self._new_message_id(chat_id), time.time()
        self.photos.append(
            SentPhoto(
                chat_id, message_id, file_id, uploaded, caption, parse_mode, markup, now, thread_id
            )
        )
        self._notify_change()
        message: JSON = {
            "message_id": message_id,
            "from": self._bot_user_short(),
            "chat": self._chat(chat_id),
            "date": int(now),
            "photo": [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id[-12:],
                    "width": width,
                    "height": height,
                    "file_size": size,
                }
            ],
        }
        rendered = self._rendered(caption or "", parse_mode, markup)
        shown = rendered.pop("text")
        if caption is not None:
            message["caption"] = shown
            if "entities" in rendered:
                message["caption_entities"] = rendered.pop("entities")
        message.update(rendered)  # the inline keyboard, as Telegram echoes it
        return message

    async def _send_document(self, params: JSON) -> JSON:
        """Like Telegram: an uploaded file (multipart) of 1 byte to 50 MB, an optional caption
        (<= 1024 characters) and keyboard; re-sending by file_id is not modelled."""
        chat_id = self._chat_id(params)
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document.removeprefix("attach://"))
        if not isinstance(document, web.FileField):
            raise _bad("wrong file identifier/HTTP URL specified")
        data = document.file.read()
        if not data:
            raise _bad("file must be non-empty")
        if len(data) > 50 * 1024 * 1024:
            raise _bad("file is too big")
        caption, parse_mode = None, None
        if params.get("caption"):
            caption, parse_mode = self._check_text(
                params, "caption", limit=1024, too_long="message caption is too long"
            )
        markup = self._check_markup(params)
        thread_id = self._thread_id(params)
        self._check_blocked(chat_id)
        self._check_rate(chat_id)
        message_id, now = self._new_message_id(chat_id), time.time()
        file_id = f"BQACAgFake{len(self.documents) + 1:06d}{self._rng.getrandbits(32):08x}"
        name = document.filename or "document"
        self.documents.append(
            SentDocument(
                chat_id,
                message_id,
                file_id,
                name,
                data,
                caption,
                parse_mode,
                markup,
                now,
                thread_id,
            )
        )
        self._notify_change()
        message: JSON = {
            "message_id": message_id,
            "from": self._bot_user_short(),
            "chat": self._chat(chat_id),
            "date": int(now),
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "file_name": name,
                "file_size": len(data),
            },
        }
        rendered = self._rendered(caption or "", parse_mode, markup)
        shown = rendered.pop("text")
        if caption is not None:
            message["caption"] = shown
            if "entities" in rendered:
                message["caption_entities"] = rendered.pop("entities")
        message.update(rendered)
        return message

    async def _send_poll(self, params: JSON) -> JSON:
        chat_id = self._chat_id(params)
        question = _visible(
            *self._check_text(
                params,
                "question",
                "question_parse_mode",
                limit=300,
                too_long="poll question length must not exceed 300",
            )
        )
        raw_options = _as_json(params.get("options"), "options")
        if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= 10:
            raise _bad("poll must have 2-10 options")
        options: list[str] = []
        for option in raw_options:
            text = option.get("text") if isinstance(option, dict) else option
            mode = option.get("text_parse_mode") if isinstance(option, dict) else None
            if not isinstance(text, str):
                raise _bad("poll options length must be 1-100 characters")
            if mode is not None and str(mode).upper() == "HTML" and parse_html(text).problems:
                raise _bad(f"can't parse option entities: {parse_html(text).problems[0]}")
            text = _visible(text, mode)
            if not 1 <= utf16_length(text.strip()) <= 100:
                raise _bad("poll options length must be 1-100 characters")
            options.append(text)
        kind = str(params.get("type") or "regular")
        if kind not in ("regular", "quiz"):
            raise _bad("wrong poll type specified")
        correct: tuple[int, ...] = ()
        if kind == "quiz":
            ids = _as_json(params.get("correct_option_ids"), "correct_option_ids")
            if ids is None and params.get("correct_option_id") not in (None, ""):
                ids = [_as_int(params.get("correct_option_id"), "correct_option_id", -1)]
            if (
                not isinstance(ids, list)
                or not ids
                or not all(isinstance(i, int) and 0 <= i < len(options) for i in ids)
                or ids != sorted(set(ids))
            ):
                raise _bad("wrong correct option ID specified")
            correct = tuple(ids)
        explanation = None
        if kind == "quiz" and params.get("explanation"):
            explanation = _visible(
                *self._check_text(
                    params,
                    "explanation",
                    "explanation_parse_mode",
                    limit=200,
                    too_long="poll explanation length must not exceed 200",
                )
            )
            if explanation.count("\n") > 2:
                raise _bad("poll explanation may have at most 2 line feeds")
        # Telegram's default is an anonymous poll.
        raw_anonymous = params.get("is_anonymous")
        anonymous = True if raw_anonymous in (None, "") else _as_bool(raw_anonymous)
        markup = self._check_markup(params)
        thread_id = self._thread_id(params)
        message_id, now = self._accept_send(chat_id)
        self._poll_seq += 1
        poll = SentPoll(
            chat_id,
            message_id,
            f"poll{self._poll_seq}",
            question,
            tuple(options),
            kind,
            correct,
            explanation,
            anonymous,
            now,
            thread_id,
        )
        self.polls.append(poll)
        self._notify_change()
        message: JSON = {
            "message_id": message_id,
            "from": self._bot_user_short(),
            "chat": self._chat(chat_id),
            "date": int(now),
            "poll": self._poll_json(poll, voters=0),
        }
        if markup:
            message["reply_markup"] = json.loads(markup)
        return message

    @staticmethod
    def _poll_json(poll: SentPoll, *, voters: int) -> JSON:
        data: JSON = {
            "id": poll.poll_id,
            "question": poll.question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": str(n)}
                for n, text in enumerate(poll.options)
            ],
            "total_voter_count": voters,
            "is_closed": False,
            "is_anonymous": poll.is_anonymous,
            "type": poll.type,
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        if poll.type == "quiz":
            data["correct_option_ids"] = list(poll.correct_option_ids)
            if poll.explanation:
                data["explanation"] = poll.explanation
        return data

    async def _answer_inline_query(self, params: JSON) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        results = _as_json(params.get("results"), "results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            _check_inline_result(result)
            if result["id"] in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result["id"])
        cache_time = _as_int(params.get("cache_time"), "cache_time", 300)
        self._open_inline.discard(query_id)
        self.inline_answers.append(
            InlineAnswer(
                query_id,
                results,
                cache_time,
                _as_bool(params.get("is_personal")),
                str(params.get("next_offset") or ""),
                time.time(),
            )
        )
        self._notify_change()
        return True

    # --------------------------------------------------------------- updates

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
        else:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()

    def _select(self, limit: int) -> list[JSON]:
        allowed = self._allowed_updates
        if any(_kind(u) not in allowed for u in self._updates):
            # Telegram never creates updates of types the bot did not ask for.
            self._updates = deque(u for u in self._updates if _kind(u) in allowed)
        return [self._updates[i] for i in range(min(limit, len(self._updates)))]

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self._webhook_url:
            raise _ApiError(409, _CONFLICT_WEBHOOK)
        offset = _as_int(params.get("offset"), "offset", 0)
        limit = min(100, max(1, _as_int(params.get("limit"), "limit", 100)))
        timeout = max(0.0, _as_float(params.get("timeout"), "timeout", 0.0))
        allowed = _as_json(params.get("allowed_updates"), "allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES

        # A newer getUpdates terminates one still waiting, as on Telegram.
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("conflict")
        if offset:
            self._confirm(offset)
        deadline = time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while True:
            batch = self._select(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = waiter
            try:
                outcome = await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except TimeoutError:
                return []
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if outcome == "conflict":
                raise _ApiError(409, _CONFLICT_POLL)
            if outcome == "closing":
                return []

    # --------------------------------------------------------------- webhook

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not _is_loopback(parts.hostname or ""):
            raise _bad("bad webhook: the fake Bot API delivers only to http(s) URLs on loopback")
        allowed = _as_json(params.get("allowed_updates"), "allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        self._webhook_secret = str(params.get("secret_token") or "") or None
        await self._stop_webhook()
        self._webhook_url = url
        self._webhook_error = None
        self._webhook_wake = asyncio.Event()
        self._webhook_wake.set()
        self._webhook_task = asyncio.create_task(self._webhook_loop(url))
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        await self._stop_webhook()
        self._webhook_url = ""
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _stop_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        self._webhook_wake = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_loop(self, url: str) -> None:
        """Post queued updates one at a time, in order, retrying until the bot answers 2xx."""
        headers = {"Content-Type": "application/json"}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                wake = self._webhook_wake
                if wake is None:
                    return
                if not self._updates:
                    wake.clear()
                    await wake.wait()
                    continue
                update = self._updates[0]
                try:
                    async with session.post(url, data=json.dumps(update), headers=headers) as r:
                        await r.read()
                        ok = 200 <= r.status < 300
                        error = f"Wrong response from the webhook: {r.status} {r.reason}"
                except (ClientError, OSError, TimeoutError) as exc:
                    ok, error = False, f"Connection failed: {exc!r}"
                if ok:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                else:
                    self._webhook_error = (int(time.time()), error)
                    await asyncio.sleep(0.5)

    # ----------------------------------------------------------- control API

    def _control_routes(self) -> dict[str, Callable[[web.Request], Awaitable[web.Response]]]:
        """The HTTP control API (JSON in, Telegram-style envelope out).

        POST push_message {chat_id, text, user_id?, first_name?}     -> the Update
        POST push_callback {chat_id, message_id, data, user_id?}     -> the Update
        POST push_my_chat_member {chat_id, status}                   -> the Update
        POST push_edited_message {chat_id, message_id, text, user_id?} -> the Update
        POST push_channel_post {chat_id, text}                       -> the Update
        POST push_service_message {chat_id, user_id, fields: {...}}  -> the Update
        GET  messages?chat_id=&since=                                -> sent messages
        GET  edits?chat_id=                                          -> accepted edits
        GET  callback_answers                                        -> answerCallbackQuery log
        GET  wait_messages?chat_id=&count=&timeout=                  -> messages, or 408
        GET  stats?per_chat=1                                        -> counters
        GET  config / POST config {field: value, blocked, unknown_chats, storm, seed}
        POST reset                                                   -> true
        """
        return {
            "push_message": self._c_push_message,
            "push_callback": self._c_push_callback,
            "push_my_chat_member": self._c_push_my_chat_member,
            "push_edited_message": self._c_push_edited_message,
            "push_channel_post": self._c_push_channel_post,
            "push_service_message": self._c_push_service_message,
            "messages": self._c_messages,
            "edits": self._c_edits,
            "callback_answers": self._c_callback_answers,
            "wait_messages": self._c_wait_messages,
            "stats": self._c_stats,
            "config": self._c_config,
            "reset": self._c_reset,
        }

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _fail(status: int, description: str) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": status, "description": description}, status=status
        )

    @staticmethod
    async def _body(request: web.Request) -> JSON:
        if not request.can_read_body:
            return {}
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    async def _control(self, request: web.Request, action: Callable[[JSON], Any]) -> web.Response:
        try:
            params: JSON = dict(request.query)
            if request.method == "POST":
                params.update(await self._body(request))
            result = action(params)
            if asyncio.iscoroutine(result):
                result = await result
        except (KeyError, TypeError, ValueError, LookupError) as exc:
            return self._fail(400, f"Bad Request: {type(exc).__name__}: {exc}")
        except TimeoutError as exc:
            return self._fail(408, str(exc))
        return self._ok(result)

    async def _c_push_message(self, request: web.Request) -> web.Response:
        return await self._control(
            request,
            lambda p: self.push_message(
                int(p["chat_id"]),
                str(p["text"]),
                user_id=int(p["user_id"]) if p.get("user_id") is not None else None,
                first_name=str(p.get("first_name") or "Test"),
            ),
        )

    async def _c_push_callback(self, request: web.Request) -> web.Response:
        return await self._control(
            request,
            lambda p: self.push_callback(
                int(p["chat_id"]),
                int(p["message_id"]),
                str(p["data"]),
                user_id=int(p["user_id"]) if p.get("user_id") is not None else None,
            ),
        )

    async def _c_push_edited_message(self, request: web.Request) -> web.Response:
        return await self._control(
            request,
            lambda p: self.push_edited_message(
                int(p["chat_id"]),
                int(p["message_id"]),
                str(p["text"]),
                user_id=int(p["user_id"]) if p.get("user_id") is not None else None,
            ),
        )

    async def _c_push_channel_post(self, request: web.Request) -> web.Response:
        return await self._control(
            request, lambda p: self.push_channel_post(int(p["chat_id"]), str(p["text"]))
        )

    async def _c_push_service_message(self, request: web.Request) -> web.Response:
        return await self._control(
            request,
            lambda p: self.push_service_message(
                int(p["chat_id"]), int(p["user_id"]), **dict(p["fields"])
            ),
        )

    async def _c_push_my_chat_member(self, request: web.Request) -> web.Response:
        return await self._control(
            request, lambda p: self.push_my_chat_member(int(p["chat_id"]), str(p["status"]))
        )

    async def _c_messages(self, request: web.Request) -> web.Response:
        def action(p: JSON) -> list[JSON]:
            chosen = self.messages_for(int(p["chat_id"])) if "chat_id" in p else self.messages
            return [m.as_json() for m in chosen[int(p.get("since", 0)) :]]

        return await self._control(request, action)

    async def _c_edits(self, request: web.Request) -> web.Response:
        def action(p: JSON) -> list[JSON]:
            chosen = self.edits_for(int(p["chat_id"])) if "chat_id" in p else self.edits
            return [m.as_json() for m in chosen]

        return await self._control(request, action)

    async def _c_callback_answers(self, request: web.Request) -> web.Response:
        return await self._control(request, lambda p: [a._asdict() for a in self.callback_answers])

    async def _c_wait_messages(self, request: web.Request) -> web.Response:
        async def action(p: JSON) -> list[JSON]:
            found = await self.wait_for_messages(
                int(p["chat_id"]), int(p.get("count", 1)), float(p.get("timeout", 5.0))
            )
            return [m.as_json() for m in found]

        return await self._control(request, action)

    async def _c_stats(self, request: web.Request) -> web.Response:
        return await self._control(
            request, lambda p: self.stats(per_chat=_as_bool(p.get("per_chat")))
        )

    async def _c_config(self, request: web.Request) -> web.Response:
        def action(p: JSON) -> JSON:
            if request.method == "POST":
                self.configure(**p)
            return {
                **dataclasses.asdict(self.config),
                "blocked": sorted(self.blocked),
                "unknown_chats": sorted(self.unknown_chats),
                "record_text": self.record_text,
                "storm_seconds_left": max(0.0, self._storm_until - time.monotonic()),
            }

        return await self._control(request, action)

    async def _c_reset(self, request: web.Request) -> web.Response:
        def action(p: JSON) -> bool:
            self.reset()
            return True

        return await self._control(request, action)


#: The user Telegram shows as the sender of an anonymous group admin's messages.
ANONYMOUS_ADMIN_ID = 1087968824

_ADMIN_RIGHTS: JSON = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}
#: A restricted member's rights (ChatMemberRestricted): muted, unless a test grants some.
_RESTRICTED_RIGHTS: JSON = {
    name: False
    for name in (
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_send_messages",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_manage_topics",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_edit_tag",
        "can_react_to_messages",
    )
}
#: The fields each ChatMember kind carries besides `user` and `status`.
_MEMBER_FIELDS: dict[str, JSON] = {
    "creator": {"is_anonymous": False},
    "administrator": _ADMIN_RIGHTS,
    "member": {},
    "left": {},
    "kicked": {"until_date": 0},
}
_INLINE_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _kind(update: JSON) -> str:
    return next(k for k in update if k != "update_id")


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > 100:
        raise _bad("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad("can't parse inline keyboard button: InlineKeyboardButton expected")
            if not isinstance(button.get("text"), str) or not button["text"].strip():
                raise _bad("can't parse inline keyboard button: Text must be non-empty")
            actions = [a for a in _BUTTON_ACTIONS if a in button]
            if not actions:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                    "keyboard"
                )
            if len(actions) > 1:
                raise _bad(
                    "can't parse inline keyboard button: a button must have exactly one of "
                    + ", ".join(actions)
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not _BUTTON_URL_RE.fullmatch(url):
                    raise _bad("BUTTON_URL_INVALID")


def _visible(text: str, parse_mode: str | None) -> str:
    """The text as a user reads it: HTML tags removed and entities decoded."""
    if parse_mode is not None and str(parse_mode).upper() == "HTML":
        return parse_html(text).text
    return text


def _command_entities(text: str) -> list[JSON]:
    """bot_command entities as Telegram adds them (offsets in UTF-16)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: m.start()]),
            "length": utf16_length(m.group(0)),
        }
        for m in _COMMAND_RE.finditer(text)
        if m.start() == 0 or text[m.start() - 1].isspace()
    ]


def _check_inline_result(result: Any) -> None:
    """An InlineQueryResult as Telegram checks it: id, type, and an article's message."""
    if not isinstance(result, dict):
        raise _bad("can't parse inline query result")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= 64:
        raise _bad("RESULT_ID_INVALID")
    if result.get("type") not in _INLINE_RESULT_TYPES:
        raise _bad("RESULT_TYPE_INVALID")
    if "reply_markup" in result:
        markup = result["reply_markup"]
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise _bad("REPLY_MARKUP_INVALID")
        _check_inline_keyboard(markup["inline_keyboard"])
    if result["type"] != "article":
        return
    if not isinstance(result.get("title"), str) or not result["title"].strip():
        raise _bad("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict) or "message_text" not in content:
        raise _bad("MESSAGE_EMPTY")
    text = content["message_text"]
    parse_mode = content.get("parse_mode")
    if not isinstance(text, str) or not text.strip():
        raise _bad("MESSAGE_EMPTY")
    if parse_mode is not None and str(parse_mode).upper() == "HTML":
        parsed = parse_html(text)
        if parsed.problems:
            raise _bad(f"can't parse entities: {parsed.problems[0]}")
        text = parsed.text
    elif _HTML_LIKE_RE.search(text):
        raise _bad("can't parse entities: the text has HTML markup but parse_mode is not HTML")
    if utf16_length(text) > MAX_MESSAGE_LENGTH:
        raise _bad("MESSAGE_TOO_LONG")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; anything else is not a photo to Telegram."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                return int.from_bytes(data[i + 7 : i + 9], "big"), height
            i += 2 + length
    raise _bad("IMAGE_PROCESS_FAILED")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _as_int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"wrong parameter {name} in request") from None


def _as_float(value: Any, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"wrong parameter {name} in request") from None


def _as_json(value: Any, name: str) -> Any:
    """Nested objects arrive as JSON text in form bodies and as objects in JSON bodies."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise _bad(f"can't parse {name} JSON object") from None


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> ParsedHtml:
    """`parse_html`, remembered: a benchmark sends the same few tips thousands of times, and
    parsing each one again (twice per send) was three quarters of this server's CPU, enough to
    cap the rates bench/ measures. The result is only read, never changed."""
    return parse_html(text)


@functools.lru_cache(maxsize=512)
def _utf16(text: str) -> int:
    return utf16_length(text)


async def _read_params(request: web.Request) -> JSON:
    """Query string plus body: JSON, form-urlencoded or multipart (file parts as FileField)."""
    params: JSON = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON body") from None
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str | web.FileField)})
    else:
        await request.read()
    return params
