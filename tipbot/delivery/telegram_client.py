"""A lean `sendMessage` client for deliveries: Telegram's answers as python-telegram-bot's errors.

Why not PTB's own `ExtBot.send_message` here: a delivery needs one method, one request shape and
two fields of the answer (`message_id`, or the error), yet through PTB each tip costs building the
request object, httpx and httpcore's pool bookkeeping (which grows with the number of pooled
connections), anyio's locks, h11's state machine and a full `telegram.Message` built from the echo
of the whole message: about 70 % of the delivery CPU in bench/ (bench/RESULTS.md, "CPU per tip").
This client speaks plain HTTP/1.1 with keep-alive over asyncio protocols:

- The JSON body of each (text, keyboard, topic, quiet) is rendered once and reused; only
  `chat_id` differs between the recipients of one tip in one language.
- A connection is taken from a stack of idle ones and put back: constant work per request,
  whatever the pool size.
- Only `message_id` is kept of a successful answer, read from its first bytes (Telegram writes
  it first) instead of parsing the echo of the whole message; errors are parsed in full.

Errors are PTB's exception classes, chosen exactly as PTB's `BaseRequest._request_wrapper` and
`HTTPXRequest.do_request` choose them, so `tipbot.delivery.sender.classify` (and every test of
it) applies unchanged: `parameters.migrate_to_chat_id` -> `ChatMigrated`, `parameters.retry_after`
-> `RetryAfter`, 403 -> `Forbidden`, 401/404 -> `InvalidToken`, 400 -> `BadRequest`, 409 ->
`Conflict`, any other status -> `NetworkError`; a timeout -> `TimedOut`; a refused, reset or
dropped connection -> `NetworkError`; an answer that is not JSON -> `TelegramError`.

Replies, media and everything else keep using PTB. The token is only ever in the request line:
no error message or log line here contains the URL.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import urllib.request
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from telegram import InlineKeyboardMarkup
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

#: Rendered request bodies kept (one per tip, language and kidney caution in practice).
MAX_CACHED_BODIES = 1024
#: A response head larger than this is not from a Bot API server.
MAX_HEAD_BYTES = 65536
USER_AGENT = "tipbot-delivery"
#: How every successful answer begins (Telegram writes `message_id` first): read without
#: parsing the echo of the whole message behind it. Anything else is parsed in full.
_SENT_PREFIX = re.compile(
    rb'\s*\{\s*"ok"\s*:\s*true\s*,\s*"result"\s*:\s*\{\s*"message_id"\s*:\s*(\d+)\s*[,}]'
)


@dataclass(frozen=True, slots=True)
class Sent:
    """What a delivery keeps of Telegram's answer (the sender reads `message_id`)."""

    message_id: int


def direct_route(api_url: str) -> bool:
    """True when `api_url` is reached without a proxy (this client speaks to the server
    directly; with HTTP(S)_PROXY set for it, deliveries keep using PTB, which honours it)."""
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))


class _Exchange(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, the answer parsed as it arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._body_at = -1  # offset of the body in the buffer, once the head is parsed
        self._length = -1  # Content-Length, or -1
        self._chunked = False

    # asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._body_at >= 0 and self._length < 0 and not self._chunked:
            # No length given: the body runs until the server closes the connection.
            self._finish(bytes(self._buffer[self._body_at :]))
            return
        self._waiter = None
        waiter.set_exception(
            NetworkError(f"connection closed before the answer was complete: {exc or 'EOF'}")
        )

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # nothing was asked: the connection is out of step; drop it
            self.abort()
            return
        self._buffer += data
        try:
            self._parse()
        except ValueError as exc:
            waiter, self._waiter = self._waiter, None
            self.abort()
            if waiter is not None and not waiter.done():
                waiter.set_exception(NetworkError(f"malformed HTTP answer: {exc}"))

    # the exchange -----------------------------------------------------------------------------

    def request(self, payload: bytes) -> asyncio.Future[tuple[int, bytes]]:
        """Send `payload` (a whole request); the future gets (status, body)."""
        assert self.transport is not None
        waiter: asyncio.Future[tuple[int, bytes]] = self._loop.create_future()
        self._waiter = waiter
        self._buffer.clear()
        self._status, self._body_at, self._length, self._chunked = 0, -1, -1, False
        self.transport.write(payload)
        return waiter

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _parse(self) -> None:
        buffer = self._buffer
        while self._body_at < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise ValueError("head too large")
                return
            self._read_head(bytes(buffer[:end]))
            if 100 <= self._status < 200:  # an interim answer (100 Continue): skip it
                del buffer[: end + 4]
                continue
            self._body_at = end + 4
        if self._length >= 0:
            if len(buffer) - self._body_at >= self._length:
                self._finish(bytes(buffer[self._body_at : self._body_at + self._length]))
        elif self._chunked:
            body = _dechunk(buffer, self._body_at)
            if body is not None:
                self._finish(body)

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise ValueError("not HTTP/1.x")
        self._status = int(rest[:3])
        self.keep_alive = version == b"HTTP/1.1"
        self._length, self._chunked = -1, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self._length = int(value)
            elif name == b"transfer-encoding":
                self._chunked = b"chunked" in value.lower()
            elif name == b"connection":
                token = value.strip().lower()
                if token == b"close":
                    self.keep_alive = False
                elif token == b"keep-alive":
                    self.keep_alive = True
        if self._chunked:
            self._length = -1
        elif self._length < 0 and self._status not in (204, 304):
            self.keep_alive = False  # the body runs to the end of the connection
        elif self._length < 0:
            self._length = 0

    def _finish(self, body: bytes) -> None:
        waiter, self._waiter = self._waiter, None
        if not self.keep_alive:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))


def _dechunk(buffer: bytearray, start: int) -> bytes | None:
    """The body of a complete chunked message in `buffer[start:]`, or None if not all there."""
    parts: list[bytes] = []
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return b"".join(parts) if buffer.find(b"\r\n\r\n", line_end) >= 0 else None
        chunk_at = line_end + 2
        if len(buffer) < chunk_at + size + 2:
            return None
        parts.append(bytes(buffer[chunk_at : chunk_at + size]))
        at = chunk_at + size + 2


class BotApiClient:
    """`send_message` for deliveries over at most `connections` keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connections: int,
        parse_mode: str | None = "HTML",
        link_preview_options: dict[str, Any] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        pool_timeout: float = 30.0,
    ) -> None:
        """`base_url` is PTB's: the token is appended to it (e.g. `https://api.telegram.org/bot`);
        `parse_mode` and `link_preview_options` are the bot's defaults (tipbot.bot.app.DEFAULTS)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the Bot API URL must be http:// or https://")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._https = parts.scheme == "https"
        #: Made at the first connection: loading the system's certificates takes ~25 ms, and
        #: nothing is delivered before the bot receives updates (bench/RESULTS.md, start-up).
        self._ssl: ssl.SSLContext | None = None
        host_header = parts.netloc.rsplit("@", 1)[-1]
        self._head = (
            f"POST {parts.path}{token}/sendMessage HTTP/1.1\r\n"
            f"Host: {host_header}\r\n"
            f"User-Agent: {USER_AGENT}\r\n"
            "Accept: application/json\r\n"
            "Content-Type: application/json\r\n"
            "Connection: keep-alive\r\n"
            "Content-Length: "
        ).encode("latin-1")
        self._defaults: dict[str, Any] = {}
        if parse_mode:
            self._defaults["parse_mode"] = parse_mode
        if link_preview_options:
            self._defaults["link_preview_options"] = link_preview_options
        self._max = max(1, connections)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._idle: list[_Exchange] = []
        self._open = 0  # connections open or being opened
        self._waiters: deque[asyncio.Future[_Exchange | None]] = deque()
        self._bodies: dict[tuple[int, int, int | None, bool], tuple[str, object, bytes]] = {}
        self._closed = False

    async def send_message(
        self,
        *,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
        message_thread_id: int | None = None,
        disable_notification: bool = False,
    ) -> Sent:
        """Send one message; raise PTB's TelegramError subclasses as PTB would."""
        body = self._body(int(chat_id), text, reply_markup, message_thread_id, disable_notification)
        status, answer = await self._exchange(b"%b%d\r\n\r\n%b" % (self._head, len(body), body))
        return _sent(status, answer)

    async def close(self) -> None:
        """Close every connection; later sends fail with NetworkError."""
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        for connection in self._idle:
            if connection.transport is not None:
                connection.transport.close()
        self._idle.clear()

    # ------------------------------------------------------------------ request bodies

    def _body(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        thread_id: int | None,
        quiet: bool,
    ) -> bytes:
        """The JSON body: everything but `chat_id` rendered once per message (the composer
        hands out the same text and keyboard objects for every recipient of a tip)."""
        key = (id(text), id(markup), thread_id, quiet)
        entry = self._bodies.get(key)
        if entry is None or entry[0] is not text or entry[1] is not markup:
            fields: dict[str, Any] = {"text": text, **self._defaults}
            if markup is not None:
                fields["reply_markup"] = markup.to_dict()
            if thread_id is not None:
                fields["message_thread_id"] = thread_id
            if quiet:
                fields["disable_notification"] = True
            rendered = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
            if len(self._bodies) >= MAX_CACHED_BODIES:
                self._bodies.clear()
            # The entry holds the text and keyboard themselves, so their ids stay theirs.
            entry = (text, markup, rendered[1:].encode())
            self._bodies[key] = entry
        return b'{"chat_id":%d,%b' % (chat_id, entry[2])

    # ------------------------------------------------------------------ connections

    async def _exchange(self, payload: bytes) -> tuple[int, bytes]:
        connection = await self._acquire()
        reusable = False
        try:
            waiter = connection.request(payload)
            timer = asyncio.get_running_loop().call_later(self._read_timeout, _expire, waiter)
            try:
                answer = await waiter
            finally:
                timer.cancel()
            reusable = connection.keep_alive and not connection.closed
            return answer
        finally:
            self._release(connection, reusable)

    async def _acquire(self) -> _Exchange:
        while True:
            if self._closed:
                raise NetworkError("the delivery client is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
                self._open -= 1
            if self._open < self._max:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake_one()
                    raise
            waiter: asyncio.Future[_Exchange | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(self._pool_timeout):
                    handed = await waiter
            except BaseException as exc:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if waiter.done() and not waiter.cancelled():
                    # Handed a connection (or a free slot) just as we gave up: pass it on.
                    given = waiter.result()
                    if given is not None:
                        self._release(given, True)
                    else:
                        self._wake_one()
                if isinstance(exc, TimeoutError):
                    raise TimedOut(
                        "Pool timeout: all connections are busy; the request was not sent"
                    ) from None
                raise
            if handed is not None:
                return handed
            # None: a connection closed, so there is room to open one; loop round.

    async def _connect(self) -> _Exchange:
        loop = asyncio.get_running_loop()
        if self._https and self._ssl is None:
            self._ssl = ssl.create_default_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Exchange(loop),
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl else None,
                )
        except TimeoutError:
            raise TimedOut("connect timeout") from None
        except OSError as exc:
            raise NetworkError(f"cannot connect to the Bot API server: {exc}") from exc
        return connection

    def _release(self, connection: _Exchange, reusable: bool) -> None:
        if not reusable or self._closed:
            connection.abort()
            self._open -= 1
            self._wake_one()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def _wake_one(self) -> None:
        """A connection closed: the first waiter may open a new one."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimedOut())


def _sent(status: int, body: bytes) -> Sent:
    """Telegram's answer as PTB reads it (`BaseRequest._request_wrapper` and `post`)."""
    if 200 <= status <= 299:
        prefix = _SENT_PREFIX.match(body)
        if prefix is not None:
            return Sent(int(prefix[1]))
        data = _json(body)
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise TelegramError("Invalid server response")
        return Sent(result["message_id"])
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    parsing_error: TelegramError | None = None
    try:
        data = _json(body)
        if not isinstance(data, dict):
            raise TelegramError("Invalid server response")
    except TelegramError as exc:
        message += f". Parsing the server response {body!r} failed"
        parsing_error = exc
    else:
        message = data.get("description") or message
        parameters = data.get("parameters")
        if parameters:
            migrate_to_chat_id = parameters.get("migrate_to_chat_id")
            if migrate_to_chat_id:
                raise ChatMigrated(migrate_to_chat_id)
            retry_after = parameters.get("retry_after")
            if retry_after:
                raise RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    error: TelegramError
    if status == HTTPStatus.FORBIDDEN:
        error = Forbidden(message)
    elif status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        error = InvalidToken(message)
    elif status == HTTPStatus.BAD_REQUEST:
        error = BadRequest(message)
    elif status == HTTPStatus.CONFLICT:
        error = Conflict(message)
    else:
        error = NetworkError(message)
    if parsing_error is not None:
        raise error from parsing_error
    raise error


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8", "replace"))
    except ValueError as exc:
        raise TelegramError("Invalid server response") from exc
