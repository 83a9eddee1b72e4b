"""The lean delivery client: Telegram's answers become the errors PTB raises for them, so
`classify` sorts them the same way; and the HTTP plumbing (keep-alive, a bounded pool, timeouts,
dropped and odd answers) behaves.

Each answer of the fake Bot API is sent once through PTB's own `Bot.send_message` and once
through `BotApiClient.send_message`: the error class, its message, `classify`'s verdict and the
parameters the sender reads (`retry_after`, `new_chat_id`) must be the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakebot.server import FakeBotApi
from tipbot.bot.app import DEFAULTS
from tipbot.delivery.sender import Verdict, classify, retry_after_seconds
from tipbot.delivery.telegram_client import BotApiClient, Sent, _sent, direct_route

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Why?", callback_data="disclaimer")]])


def lean_client(base_url: str, token: str, **options: Any) -> BotApiClient:
    previews = DEFAULTS.link_preview_options
    assert previews is not None
    return BotApiClient(
        base_url,
        token,
        connections=options.pop("connections", 4),
        parse_mode=DEFAULTS.parse_mode,
        link_preview_options=previews.to_dict(),
        **options,
    )


@pytest_asyncio.fixture
async def fake(fake_api: FakeBotApi) -> FakeBotApi:
    fake_api.configure(global_rate=None, per_chat_rate=None)
    return fake_api


@pytest_asyncio.fixture
async def clients(fake: FakeBotApi) -> AsyncIterator[tuple[Bot, BotApiClient]]:
    """PTB's bot and the lean client, both pointed at the fake server."""
    base = fake.base_url
    ptb = Bot(fake.token, base_url=base, request=HTTPXRequest(connection_pool_size=4))
    await ptb.initialize()
    lean = lean_client(base, fake.token)
    yield ptb, lean
    await lean.close()
    await ptb.shutdown()


async def outcome(send: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
    try:
        return await send(**kwargs)
    except TelegramError as exc:
        return exc


def describe(error: TelegramError) -> tuple[Any, ...]:
    """What the sender and the delivery row take from an error."""
    extra: Any = None
    if isinstance(error, RetryAfter):
        extra = retry_after_seconds(error)
    elif isinstance(error, ChatMigrated):
        extra = error.new_chat_id
    return type(error), error.message, classify(error), extra


async def test_a_sent_message_arrives_as_ptb_would_send_it(
    fake: FakeBotApi, clients: tuple[Bot, BotApiClient]
) -> None:
    ptb, lean = clients
    text = "<b>Magnesium</b> &amp; bones"
    await ptb.send_message(
        chat_id=1,
        text=text,
        reply_markup=MARKUP,
        parse_mode="HTML",
        message_thread_id=7,
        disable_notification=True,
    )
    sent = await lean.send_message(
        chat_id=2, text=text, reply_markup=MARKUP, message_thread_id=7, disable_notification=True
    )
    assert isinstance(sent, Sent)
    by_ptb, by_lean = fake.messages_for(1)[0], fake.messages_for(2)[0]
    assert sent.message_id == by_lean.message_id
    for field in ("text", "parse_mode", "markup", "message_thread_id"):
        assert getattr(by_lean, field) == getattr(by_ptb, field), field
    assert by_lean.disable_notification is True
    assert by_lean.parse_mode == "HTML"


async def test_the_body_is_rendered_once_per_message_and_only_the_chat_differs() -> None:
    bodies: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            bodies.append(await reader.readexactly(length))
            writer.write(ok_response({"ok": True, "result": {"message_id": len(bodies)}}))
            await writer.drain()

    async with RawServer(answer) as (url, accepted):
        client = lean_client(url, "1:T")
        text = "Tip ü"
        for chat in (5, -1001234):
            await client.send_message(chat_id=chat, text=text, reply_markup=MARKUP)
        await client.send_message(chat_id=6, text=text, reply_markup=None)
        await client.close()
    first, second, third = (json.loads(b) for b in bodies)
    assert first["chat_id"] == 5 and second["chat_id"] == -1001234
    assert {k: v for k, v in first.items() if k != "chat_id"} == {
        k: v for k, v in second.items() if k != "chat_id"
    }
    assert first["text"] == "Tip ü" and first["parse_mode"] == "HTML"
    assert first["link_preview_options"] == {"is_disabled": True}
    assert first["reply_markup"] == MARKUP.to_dict()
    assert "reply_markup" not in third
    assert "message_thread_id" not in first and "disable_notification" not in first
    assert accepted == [1]  # one keep-alive connection for all three


ERROR_CASES: list[tuple[str, dict[str, Any], int, str, Verdict]] = [
    ("429 storm", {"storm": {"seconds": 30, "retry_after": 7}}, 1, "<b>x</b>", Verdict.PAUSE),
    ("blocked", {"blocked": [11]}, 11, "x", Verdict.GONE),
    ("chat not found", {"unknown_chats": [12]}, 12, "x", Verdict.GONE),
    ("migrated group", {"migrated": {-13: -1000000000013}}, -13, "x", Verdict.MIGRATED),
    ("bad HTML", {}, 14, "<b>unclosed", Verdict.REJECTED),
    ("too long", {}, 15, "x" * 5000, Verdict.REJECTED),
    ("token refused", {"refuse_token": 30}, 16, "x", Verdict.TOKEN),
    (
        "server error",
        {"server_error_probability": 1.0, "server_error_status": 502},
        17,
        "x",
        Verdict.RETRY,
    ),
    (
        "500",
        {"server_error_probability": 1.0, "server_error_status": 500},
        18,
        "x",
        Verdict.RETRY,
    ),
]


@pytest.mark.parametrize(
    ("case", "config", "chat_id", "text", "verdict"),
    ERROR_CASES,
    ids=[c[0] for c in ERROR_CASES],
)
async def test_each_error_is_the_one_ptb_raises(
    fake: FakeBotApi,
    clients: tuple[Bot, BotApiClient],
    case: str,
    config: dict[str, Any],
    chat_id: int,
    text: str,
    verdict: Verdict,
) -> None:
    ptb, lean = clients
    fake.configure(**config)
    kwargs = {"chat_id": chat_id, "text": text, "reply_markup": MARKUP}
    by_ptb = await outcome(ptb.send_message, parse_mode="HTML", **kwargs)
    by_lean = await outcome(lean.send_message, **kwargs)
    assert isinstance(by_ptb, TelegramError), by_ptb
    assert isinstance(by_lean, TelegramError), by_lean
    assert describe(by_lean) == describe(by_ptb)
    assert classify(by_lean) is verdict


async def test_the_expected_classes(fake: FakeBotApi, clients: tuple[Bot, BotApiClient]) -> None:
    """The parity test above could pass with both sides wrong; pin the classes themselves."""
    _, lean = clients
    fake.configure(blocked=[21], unknown_chats=[22], migrated={-23: -1000000000023})
    assert isinstance(await outcome(lean.send_message, chat_id=21, text="x"), Forbidden)
    assert isinstance(await outcome(lean.send_message, chat_id=22, text="x"), BadRequest)
    migrated = await outcome(lean.send_message, chat_id=-23, text="x")
    assert isinstance(migrated, ChatMigrated) and migrated.new_chat_id == -1000000000023
    fake.configure(storm={"seconds": 30, "retry_after": 9})
    storm = await outcome(lean.send_message, chat_id=24, text="x")
    assert isinstance(storm, RetryAfter) and retry_after_seconds(storm) == 9
    fake.configure(storm=None, refuse_token=30)
    assert isinstance(await outcome(lean.send_message, chat_id=25, text="x"), InvalidToken)


async def test_a_connection_dropped_after_the_send_is_a_network_error(fake: FakeBotApi) -> None:
    fake.configure(drop_after_accept_probability=1.0, record_text=True)
    client = lean_client(fake.base_url, fake.token)
    error = await outcome(client.send_message, chat_id=31, text="x")
    assert type(error) is NetworkError and classify(error) is Verdict.RETRY
    assert fake.per_chat_counts[31] == 1  # accepted: the retry may duplicate, as with PTB
    fake.configure(drop_after_accept_probability=0.0)
    sent = await client.send_message(chat_id=32, text="x")  # a fresh connection
    assert sent.message_id > 0
    await client.close()


async def test_a_slow_answer_times_out(fake: FakeBotApi) -> None:
    fake.configure(latency=1.0)
    client = lean_client(fake.base_url, fake.token, read_timeout=0.2)
    error = await outcome(client.send_message, chat_id=41, text="x")
    assert isinstance(error, TimedOut) and classify(error) is Verdict.RETRY
    await client.close()


async def test_a_refused_connection_is_a_network_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = lean_client(f"http://127.0.0.1:{port}/bot", "1:T")
    error = await outcome(client.send_message, chat_id=1, text="x")
    assert type(error) is NetworkError and classify(error) is Verdict.RETRY
    assert "1:T" not in error.message  # never the token
    await client.close()


# ------------------------------------------------------------------ odd answers, raw


def ok_response(body: Any, *, extra: bytes = b"") -> bytes:
    data = json.dumps(body).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%b\r\n%b" % (len(data), extra, data)


class RawServer:
    """A TCP server whose answers the test writes byte by byte; counts accepted connections."""

    def __init__(
        self, handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
    ) -> None:
        self.handler = handler
        self.accepted: list[int] = [0]
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> tuple[str, list[int]]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted[0] += 1
            try:
                await self.handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot", self.accepted

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


def answering(*responses: bytes, close: bool = False) -> Any:
    """A handler that answers each request with the next response (then closes if `close`)."""
    queue = list(responses)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while queue:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            writer.write(queue.pop(0))
            await writer.drain()
            if close:
                return

    return handler


RESULT = {"ok": True, "result": {"message_id": 77, "chat": {"id": 1}}}


@pytest.mark.parametrize(
    "response",
    [
        # chunked, in two chunks
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%b\r\n" % (10, json.dumps(RESULT).encode()[:10])
        + b"%x\r\n%b\r\n" % (len(json.dumps(RESULT)) - 10, json.dumps(RESULT).encode()[10:])
        + b"0\r\n\r\n",
        # an interim 100 Continue first
        b"HTTP/1.1 100 Continue\r\n\r\n" + ok_response(RESULT),
        # HTTP/1.0 with Connection: close
        ok_response(RESULT, extra=b"Connection: close\r\n").replace(b"HTTP/1.1", b"HTTP/1.0"),
    ],
    ids=["chunked", "100-continue", "http-1.0-close"],
)
async def test_valid_http_variants_are_read(response: bytes) -> None:
    async with RawServer(answering(response, response)) as (url, _):
        client = lean_client(url, "1:T")
        assert (await client.send_message(chat_id=1, text="x")).message_id == 77
        assert (await client.send_message(chat_id=1, text="x")).message_id == 77
        await client.close()


async def test_a_body_that_runs_to_the_close_is_read() -> None:
    body = json.dumps(RESULT).encode()
    async with RawServer(answering(b"HTTP/1.1 200 OK\r\n\r\n" + body, close=True)) as (url, _):
        client = lean_client(url, "1:T")
        assert (await client.send_message(chat_id=1, text="x")).message_id == 77
        await client.close()


@pytest.mark.parametrize(
    ("response", "error_type", "verdict"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", TelegramError, Verdict.RETRY),
        (ok_response({"ok": True, "result": True}), TelegramError, Verdict.RETRY),
        (
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\n<html>",
            NetworkError,
            Verdict.RETRY,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}", NetworkError, Verdict.RETRY),
        (b"SMTP ready\r\n\r\n", NetworkError, Verdict.RETRY),
        (b"", NetworkError, Verdict.RETRY),
    ],
    ids=["not-json", "no-message", "html-500", "cut-short", "not-http", "closed-unanswered"],
)
async def test_odd_answers_are_retried_like_ptb(
    response: bytes, error_type: type[TelegramError], verdict: Verdict
) -> None:
    async with RawServer(answering(response, close=True)) as (url, _):
        client = lean_client(url, "1:T")
        error = await outcome(client.send_message, chat_id=1, text="x")
        assert type(error) is error_type, error
        assert classify(error) is verdict
        await client.close()


async def test_an_html_500_reads_as_ptb_reads_it() -> None:
    response = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\n<html>"
    async with RawServer(answering(response, response, close=False)) as (url, _):
        ptb = Bot("1:T", base_url=url, request=HTTPXRequest(connection_pool_size=1))
        client = lean_client(url, "1:T")
        by_ptb = await outcome(ptb.send_message, chat_id=1, text="x")
        by_lean = await outcome(client.send_message, chat_id=1, text="x")
        assert (type(by_lean), by_lean.message) == (type(by_ptb), by_ptb.message)
        await client.close()
        await ptb.shutdown()


async def test_the_pool_never_opens_more_connections_than_allowed() -> None:
    in_flight = 0
    most = 0

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, most
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            writer.write(ok_response(RESULT))
            await writer.drain()

    async with RawServer(slow) as (url, accepted):
        client = lean_client(url, "1:T", connections=3)
        sent = await asyncio.gather(*(client.send_message(chat_id=i, text="x") for i in range(12)))
        await client.close()
    assert [s.message_id for s in sent] == [77] * 12
    assert accepted == [3] and most == 3


async def test_a_full_pool_times_out_without_sending() -> None:
    hold = asyncio.Event()

    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await hold.wait()

    async with RawServer(stuck) as (url, accepted):
        client = lean_client(url, "1:T", connections=1, pool_timeout=0.1, read_timeout=5)
        first = asyncio.create_task(client.send_message(chat_id=1, text="x"))
        await asyncio.sleep(0.05)
        error = await outcome(client.send_message, chat_id=2, text="x")
        assert isinstance(error, TimedOut) and "not sent" in error.message
        first.cancel()
        hold.set()
        await asyncio.gather(first, return_exceptions=True)
        await client.close()
    assert accepted == [1]


async def test_a_cancelled_send_frees_its_connection() -> None:
    """Shutdown cancels sends under way: the pool must not lose the slot (or reuse a
    connection whose answer is still to come)."""
    answers = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answers
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            body = json.loads(await reader.readexactly(length))
            if body["chat_id"] == 1:
                await asyncio.sleep(0.3)  # answered after the cancel, on a dropped connection
            answers += 1
            writer.write(ok_response({"ok": True, "result": {"message_id": body["chat_id"]}}))
            await writer.drain()

    async with RawServer(handler) as (url, accepted):
        client = lean_client(url, "1:T", connections=1, pool_timeout=1.0)
        first = asyncio.create_task(client.send_message(chat_id=1, text="x"))
        await asyncio.sleep(0.05)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        assert (await client.send_message(chat_id=2, text="x")).message_id == 2
        await client.close()
    assert accepted == [2]


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    answers = answering(ok_response(RESULT), ok_response(RESULT), close=True)
    async with RawServer(answers) as (url, accepted):
        client = lean_client(url, "1:T", connections=1)
        assert (await client.send_message(chat_id=1, text="x")).message_id == 77
        await asyncio.sleep(0.05)  # the server has closed its end meanwhile
        assert (await client.send_message(chat_id=1, text="x")).message_id == 77
        await client.close()
    assert accepted == [2]


def test_a_proxy_for_the_api_keeps_deliveries_on_ptb(monkeypatch: pytest.MonkeyPatch) -> None:
    for scheme in ("https", "http", "all", "no"):
        monkeypatch.delenv(f"{scheme}_proxy", raising=False)
        monkeypatch.delenv(f"{scheme.upper()}_PROXY", raising=False)
    assert direct_route("https://api.telegram.org")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    assert not direct_route("https://api.telegram.org")
    monkeypatch.setenv("no_proxy", "api.telegram.org")
    assert direct_route("https://api.telegram.org")
    assert not direct_route("ftp://api.telegram.org")


@pytest.mark.parametrize(
    ("body", "message_id"),
    [
        (b'{"ok":true,"result":{"message_id":5,"text":"\\"message_id\\":9"}}', 5),
        (b'{ "ok": true, "result": { "message_id": 6 } }', 6),
        # message_id not first: read in full, the nested one is not taken
        (b'{"ok":true,"result":{"reply_to_message":{"message_id":1},"message_id":7}}', 7),
        (b'{"result":{"message_id":8},"ok":true}', 8),
    ],
)
def test_the_message_id_is_the_results_own(body: bytes, message_id: int) -> None:
    assert _sent(200, body) == Sent(message_id)


def test_deliveries_use_the_lean_client_unless_told_or_proxied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tipbot.bot.app import uses_lean_client
    from tipbot.config import DeliveryHttp, Settings

    for scheme in ("https", "http", "all", "no"):
        monkeypatch.delenv(f"{scheme}_proxy", raising=False)
        monkeypatch.delenv(f"{scheme.upper()}_PROXY", raising=False)
    monkeypatch.setenv("TIPBOT_DELIVERY_HTTP", "ptb")
    assert Settings().delivery_http is DeliveryHttp.PTB
    monkeypatch.setenv("TIPBOT_DELIVERY_HTTP", "curl")
    with pytest.raises(ValueError, match="delivery_http"):
        Settings()
    monkeypatch.delenv("TIPBOT_DELIVERY_HTTP")
    lean = Settings(token="1:T")
    assert uses_lean_client(lean, None)
    assert not uses_lean_client(lean.model_copy(update={"delivery_http": DeliveryHttp.PTB}), None)
    assert not uses_lean_client(lean, HTTPXRequest())  # an injected request (the console's)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert not uses_lean_client(lean, None)
