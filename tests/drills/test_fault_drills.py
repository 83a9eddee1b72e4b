"""Fault drills with real bot processes: each reports delivered, duplicated and lost counts.

Lost must be 0; duplicated at most the number of sends in flight when the fault struck.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from tests.conftest import PG_ENV, postgres_url, reset_postgres
from tests.drills.harness import (
    BotProcess,
    add_due_subscribers,
    concurrency_for,
    tally,
    wait_until_all_delivered,
)
from tests.fakebot.server import FakeBotApi
from tipbot.storage import db
from tipbot.storage.tables import deliveries

pytestmark = pytest.mark.slow
MAX_RATE = 50


@pytest.fixture
def fast_fake(fake_api: FakeBotApi) -> FakeBotApi:
    fake_api.configure(global_rate=None, per_chat_rate=None, record_text=False)
    return fake_api


async def test_kill_9_mid_broadcast_then_restart(fast_fake: FakeBotApi, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"
    chats = range(10_000, 10_300)
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()

    bot = BotProcess(fast_fake, url, tmp_path / "bot.log")
    try:
        bot.start()
        await fast_fake.wait_for(lambda: fast_fake.sent_count >= 100, timeout=30, what="100 sends")
        bot.kill()
        sent_before_crash = fast_fake.sent_count
        assert sent_before_crash < len(chats), "the crash should come mid-broadcast"
        bot.start()
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)  # a further sweep must not send anything again
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    report = tally("kill -9 mid-broadcast", fast_fake, chats, concurrency_for(MAX_RATE))
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()


async def test_clean_sigterm_during_a_broadcast_loses_nothing(
    fast_fake: FakeBotApi, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"
    chats = range(20_000, 20_300)
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    bot = BotProcess(fast_fake, url, tmp_path / "bot.log")
    try:
        bot.start()
        await fast_fake.wait_for(lambda: fast_fake.sent_count >= 100, timeout=30, what="100 sends")
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.terminate(within=10) == 0
        assert loop.time() - started < 10
        assert fast_fake.sent_count < len(chats)
        bot.start()  # the rest goes out after the restart, nothing twice
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    report = tally("SIGTERM mid-broadcast", fast_fake, chats, 0)
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated == 0, report.line()


async def test_429_storm(fast_fake: FakeBotApi, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"
    chats = range(30_000, 30_150)
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    fast_fake.start_429_storm(seconds=3, retry_after=1)
    bot = BotProcess(fast_fake, url, tmp_path / "bot.log")
    try:
        bot.start()
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    assert fast_fake.status_counts["429"] > 0
    report = tally("429 storm", fast_fake, chats, 0)
    assert (report.lost, report.duplicated) == (0, 0), report.line()


async def test_five_percent_server_errors(fast_fake: FakeBotApi, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"
    chats = range(40_000, 40_200)
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    fast_fake.configure(server_error_probability=0.05)
    bot = BotProcess(fast_fake, url, tmp_path / "bot.log")
    try:
        bot.start()
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    assert fast_fake.status_counts["5xx"] > 0
    report = tally("5% 5xx answers", fast_fake, chats, 0)
    assert (report.lost, report.duplicated) == (0, 0), report.line()


async def test_connections_dropped_after_telegram_accepted(
    fast_fake: FakeBotApi, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"
    chats = range(50_000, 50_200)
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    fast_fake.configure(drop_after_accept_probability=0.05)
    bot = BotProcess(fast_fake, url, tmp_path / "bot.log")
    try:
        bot.start()
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    dropped = fast_fake.status_counts["dropped"]
    report = tally("connections dropped after accept", fast_fake, chats, dropped)
    assert report.lost == 0, report.line()
    assert report.duplicated <= dropped, report.line()


@pytest.fixture
async def pg_url() -> str:
    url = postgres_url()
    if not url:
        pytest.skip(f"needs PostgreSQL: set {PG_ENV}")
    engine = db.create_engine(url)
    await reset_postgres(engine)
    await engine.dispose()
    return url


async def test_two_delivery_processes_on_postgres_never_double_a_tip(
    fast_fake: FakeBotApi, tmp_path: Path, pg_url: str
) -> None:
    chats = range(60_000, 60_400)
    engine = db.create_engine(pg_url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    bots = [BotProcess(fast_fake, pg_url, tmp_path / f"bot{n}.log") for n in range(2)]
    try:
        for bot in bots:
            bot.start()
        await wait_until_all_delivered(fast_fake, chats, within=60)
        await asyncio.sleep(1.5)
        for bot in bots:
            assert await bot.terminate() == 0
    finally:
        for bot in bots:
            bot.ensure_stopped()
    report = tally("two delivery processes on PostgreSQL", fast_fake, chats, 0)
    assert (report.lost, report.duplicated) == (0, 0), report.line()
    engine = db.create_engine(pg_url)
    async with engine.connect() as conn:
        owners = await conn.scalar(select(func.count(distinct(deliveries.c.claimed_by))))
    await engine.dispose()
    assert owners == 2, "both processes should have taken part in the delivery"


def _pg_restart_command() -> list[str] | None:
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        return None
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").glob("*"))
        if Path("/etc/postgresql").exists()
        else []
    )
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


async def test_postgres_restarted_during_a_broadcast(
    fast_fake: FakeBotApi, tmp_path: Path, pg_url: str
) -> None:
    command = _pg_restart_command()
    if command is None:
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster on this machine")
    chats = range(70_000, 70_300)
    engine = db.create_engine(pg_url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    bot = BotProcess(fast_fake, pg_url, tmp_path / "bot.log")
    try:
        bot.start()
        await fast_fake.wait_for(lambda: fast_fake.sent_count >= 100, timeout=30, what="100 sends")
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: ASYNC221
        await wait_until_all_delivered(fast_fake, chats, within=90)
        await asyncio.sleep(1.5)
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    report = tally(
        "PostgreSQL restarted mid-broadcast", fast_fake, chats, concurrency_for(MAX_RATE)
    )
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()
