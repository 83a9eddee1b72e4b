"""Webhook mode with Telegram's secret token, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
import pytest
import pytest_asyncio

from tests.conftest import FakeClock, User, bot_settings
from tests.fakebot.server import FakeBotApi
from tipbot.content.models import Bank
from tipbot.runner import Runner
from tipbot.storage import db
from tipbot.storage import subscriptions as subs
from tipbot.web import SECRET_HEADER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture
async def webhook_runner(
    fake_api: FakeBotApi, sqlite_url: str, bank: Bank
) -> AsyncIterator[Runner]:
    port = free_port()
    settings = bot_settings(
        fake_api,
        sqlite_url,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        listen="127.0.0.1",
        port=port,
        sweep_seconds=1.0,
        webhook_secret="shared-by-every-replica_1",
    )
    run = Runner(settings, bank)
    await run.start()
    yield run
    await run.stop()


async def post_update(port: int, secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 77, "type": "private"},
            "from": {"id": 77, "is_bot": False, "first_name": "Mallory"},
            "text": "/foods",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/telegram"
        async with session.post(url, json=update, headers=headers) as response:
            return response.status


async def test_webhook_updates_are_answered(webhook_runner: Runner, fake_api: FakeBotApi) -> None:
    user = User(fake_api, 4343)
    [reply] = await user.send("/foods")
    assert "Pumpkin seeds" in reply.plain


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_webhook_without_the_secret_is_refused_and_ignored(
    webhook_runner: Runner, fake_api: FakeBotApi, secret: str | None
) -> None:
    assert await post_update(webhook_runner.settings.port, secret) == 403
    await asyncio.sleep(0.3)
    assert fake_api.messages_for(77) == []


async def test_webhook_with_the_secret_is_processed(
    webhook_runner: Runner, fake_api: FakeBotApi
) -> None:
    assert webhook_runner.webhook_secret == "shared-by-every-replica_1"  # as configured
    assert await post_update(webhook_runner.settings.port, webhook_runner.webhook_secret) == 200
    await fake_api.wait_for_messages(77, 1)


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def test_healthz_is_ok_when_the_database_answers_and_the_sweep_ticks(
    webhook_runner: Runner,
) -> None:
    port = webhook_runner.settings.port
    for _ in range(50):
        status, body = await get(port, "/healthz")
        if status == 200:
            break
        await asyncio.sleep(0.1)
    assert (status, '"ok"' in body) == (200, True)


async def test_healthz_says_what_is_wrong(webhook_runner: Runner) -> None:
    services = webhook_runner.services
    services.engine = db.create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert services.deliverer is not None
    services.deliverer.health.progress_at = float("-inf")  # due work, nothing sent for ages
    services.deliverer.health.token_refused = True
    status, body = await get(webhook_runner.settings.port, "/healthz")
    assert status == 503
    assert all(word in body for word in ("database", "progress", "token")), body
    _, metrics = await get(webhook_runner.settings.port, "/metrics")
    assert 'tipbot_health_problem{check="token"} 1.0' in metrics
    assert 'tipbot_health_problem{check="recorder"} 0.0' in metrics


async def test_healthz_answers_quickly_when_the_database_hangs(webhook_runner: Runner) -> None:
    """A locked SQLite file must not make /healthz hang: the ping gives up after two seconds."""
    services = webhook_runner.services
    release = asyncio.Event()

    async def hanging_ping() -> None:
        await release.wait()

    services.health_ping = asyncio.create_task(hanging_ping())
    try:
        status, body = await get(webhook_runner.settings.port, "/healthz")
    finally:
        release.set()
    assert status == 503
    assert "no answer within" in body


async def test_metrics_after_deliveries(
    fake_api: FakeBotApi, sqlite_url: str, bank: Bank, clock: FakeClock
) -> None:
    port = free_port()
    settings = bot_settings(fake_api, sqlite_url, health_port=port, listen="127.0.0.1")
    run = Runner(settings, bank, clock=clock, schedule_sweeps=False)
    await run.start()
    try:
        clock.now = datetime(2026, 6, 1, 7, 0)
        for chat in range(1, 6):
            await subs.subscribe(run.engine, chat, 8 * 60, "UTC", clock())
        await subs.subscribe(run.engine, 6, 9 * 60, "UTC", clock())
        clock.now = datetime(2026, 6, 1, 8, 0)
        fake_api.block(5)
        assert run.services.deliverer is not None
        await run.services.deliverer.sweep()
        await User(fake_api, 9).send("/foods")
        status, text = await get(port, "/metrics")
    finally:
        await run.stop()
    assert status == 200
    assert 'tipbot_deliveries_sent_total{kind="tip"} 4.0' in text
    assert 'tipbot_deliveries_failed_total{reason="blocked"} 1.0' in text
    assert 'tipbot_subscribers{state="active"} 5.0' in text
    assert 'tipbot_subscribers{state="blocked"} 1.0' in text
    assert 'tipbot_updates_handled_total{command="foods"} 1.0' in text
    assert "tipbot_send_latency_seconds_count 4.0" in text
    assert "tipbot_sweep_lag_seconds 0.0" in text
    assert "tipbot_telegram_429_total 0.0" in text
