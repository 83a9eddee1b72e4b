"""Engine drills with real `tipbot run` processes against the fake Bot API, at Telegram's limits.

Each prints its counts at the end of the run (see tests/conftest.py) and asserts what must hold:
- a burst of 900 commands: 900 confirmations and no 429;
- a broadcast of 2,000 with 100 daily tips falling due during it: every tip before the broadcast
  is over;
- the SQLite file locked by another process for 45 s mid-broadcast: /healthz answers 503 during
  the lock, and nothing is lost after it;
- a revoked token mid-broadcast: nothing marked rejected (or blocked), nothing lost.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.drills.harness import (
    NOTES,
    BotProcess,
    add_due_subscribers,
    minute_of_day,
    percentile,
    tally,
)
from tests.drills.test_fault_drills import IN_FLIGHT, finish, seeded, sqlite_file
from tests.fakebot.server import FakeBotApi
from tests.test_web import free_port
from tipbot.storage import db
from tipbot.storage import deliveries as store
from tipbot.storage.tables import DeliveryStatus, SubscriberState, deliveries, subscribers

pytestmark = pytest.mark.slow


async def wait_until_polling(fake: FakeBotApi, bot: BotProcess) -> None:
    """Polling is not a change the fake signals, so this one polls the fake's counters."""
    async with asyncio.timeout(30):
        while fake.method_counts["getUpdates"] == 0:
            assert bot.process is not None and bot.process.poll() is None, bot.log[-2000:]
            await asyncio.sleep(0.1)


async def test_900_commands_in_15_seconds_all_confirmed_without_a_429(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """What a mention in a popular channel brings, at Telegram's real limits (30/s, 1/s a chat)."""
    fake_api.configure(record_text=True)
    url = sqlite_file(tmp_path)
    bot = BotProcess(
        fake_api,
        url,
        tmp_path / "bot.log",
        env_extra={"TIPBOT_ROLES": "updates,delivery", "TIPBOT_MAX_RATE": "25"},
    )
    chats = range(40_000, 40_900)
    pushed: dict[int, float] = {}
    try:
        bot.start()
        await wait_until_polling(fake_api, bot)
        for second in range(15):
            for chat in chats[second * 60 : (second + 1) * 60]:
                fake_api.push_message(chat, "/subscribe 07:30 UTC")
                pushed[chat] = time.time()
            await asyncio.sleep(1.0)
        await fake_api.wait_for(
            lambda: all(fake_api.per_chat_counts[c] >= 1 for c in chats),
            timeout=120,
            what=lambda: f"{sum(1 for c in chats if not fake_api.per_chat_counts[c])} unanswered",
        )
        assert await bot.terminate() == 0
    finally:
        bot.ensure_stopped()
    confirmed = [c for c in chats if any("Subscribed" in m.text for m in fake_api.messages_for(c))]
    waits = [fake_api.messages_for(c)[0].time - pushed[c] for c in chats]
    too_many = fake_api.status_counts["429"]
    NOTES.append(
        f"900 /subscribe in 15 s at TIPBOT_MAX_RATE=25: {len(confirmed)} confirmations, "
        f"{too_many} answers 429, reply wait p50 {percentile(waits, 0.5):.1f} s, "
        f"p99 {percentile(waits, 0.99):.1f} s"
    )
    assert len(confirmed) == len(chats), bot.log[-3000:]
    assert too_many == 0, NOTES[-1]


async def test_daily_tips_due_during_a_broadcast_go_out_before_it_ends(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    fake_api.configure(global_rate=120, record_text=False)
    url = sqlite_file(tmp_path)
    engine = db.create_engine(url)
    audience = range(50_000, 52_000)
    tips = range(52_000, 52_100)
    await add_due_subscribers(engine, audience)
    async with engine.begin() as conn:  # the audience's own tips are due tomorrow
        await conn.execute(subscribers.update().values(next_due_at=db.utcnow() + timedelta(days=1)))
    now = db.utcnow()
    await store.create_broadcast(engine, "News for everyone", 1, now, timedelta(hours=6))
    due_at = time.time() + 8
    await add_later_due_subscribers(engine, tips, now + timedelta(seconds=8))
    await engine.dispose()
    bot = BotProcess(fake_api, url, tmp_path / "bot.log", env_extra={"TIPBOT_MAX_RATE": "100"})
    bot.start()
    await finish(fake_api, range(50_000, 52_100), bot, within=120)
    last_broadcast = max(first_send_time(fake_api, c) for c in audience)
    lateness = [first_send_time(fake_api, c) - due_at for c in tips]
    NOTES.append(
        f"broadcast of 2,000 at 100/s with 100 tips due 8 s in: tips late p50 "
        f"{percentile(lateness, 0.5):.1f} s, max {max(lateness):.1f} s; broadcast ended "
        f"{last_broadcast - due_at:.1f} s after they fell due"
    )
    assert max(first_send_time(fake_api, c) for c in tips) < last_broadcast, NOTES[-1]
    report = tally("broadcast with tips due during it", fake_api, range(50_000, 52_100), 0)
    assert (report.lost, report.duplicated) == (0, 0), report.line()


async def add_later_due_subscribers(engine: AsyncEngine, chats: range, due: datetime) -> None:
    rows = [
        {
            "chat_id": chat,
            "state": SubscriberState.ACTIVE,
            "send_minute": minute_of_day(due),
            "tz": "UTC",
            "next_due_at": due,
            "cycle": 0,
            "cycle_sent": "",
            "seed": chat % 4096,
            "created_at": db.utcnow(),
            "updated_at": db.utcnow(),
        }
        for chat in chats
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(subscribers), rows)


def first_send_time(fake: FakeBotApi, chat_id: int) -> float:
    """When the fake first accepted a message for `chat_id` (recorded only with record_text, so
    the fake keeps first-send times separately)."""
    return fake.first_send_at[chat_id]


async def health_status(port: int) -> int:
    """/healthz's status; a request that takes over 5 s counts as no answer (0)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        return 0


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


async def test_sqlite_locked_for_45_seconds_mid_broadcast(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    fake_api.configure(global_rate=None, per_chat_rate=None, record_text=False)
    chats = range(80_000, 80_600)
    url = await seeded(sqlite_file(tmp_path), chats)
    port = free_port()
    bot = BotProcess(
        fake_api,
        url,
        tmp_path / "bot.log",
        env_extra={"TIPBOT_MAX_RATE": "20", "TIPBOT_HEALTH_PORT": str(port)},
    )
    statuses: list[int] = []
    try:
        bot.start()
        await fake_api.wait_for(lambda: fake_api.sent_count >= 100, timeout=30, what="100 sends")
        locker = subprocess.Popen(  # noqa: ASYNC220 - a child that holds the lock, waited below
            [sys.executable, "-c", LOCKER, str(tmp_path / "drill.sqlite3"), "45"],
            stdout=subprocess.PIPE,
        )
        assert locker.stdout is not None
        assert await asyncio.to_thread(locker.stdout.readline) == b"locked\n"
        lock_ends = time.monotonic() + 45
        while time.monotonic() < lock_ends - 1:
            statuses.append(await health_status(port))
            await asyncio.sleep(1.0)
        await asyncio.to_thread(locker.wait, 15)
    finally:
        await finish(fake_api, chats, bot, within=120)
    report = tally("SQLite locked 45 s mid-broadcast", fake_api, chats, IN_FLIGHT)
    NOTES.append(
        f"SQLite locked 45 s mid-broadcast: /healthz answered {sum(1 for s in statuses if s)} of "
        f"{len(statuses)} checks, {statuses.count(503)} with 503; {report.lost} lost, "
        f"{report.duplicated} duplicated"
    )
    assert 0 not in statuses, NOTES[-1]  # always answered
    assert statuses.count(503) >= len(statuses) // 2, NOTES[-1]
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()


async def test_revoked_token_mid_broadcast_marks_nothing(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    fake_api.configure(global_rate=None, per_chat_rate=None, record_text=False)
    chats = range(90_000, 90_300)
    url = await seeded(sqlite_file(tmp_path), chats)
    port = free_port()
    bot = BotProcess(
        fake_api, url, tmp_path / "bot.log", env_extra={"TIPBOT_HEALTH_PORT": str(port)}
    )
    statuses: list[int] = []
    try:
        bot.start()
        await fake_api.wait_for(lambda: fake_api.sent_count >= 100, timeout=30, what="100 sends")
        fake_api.refuse_token(15)
        refused_until = time.monotonic() + 15
        while time.monotonic() < refused_until - 1:
            statuses.append(await health_status(port))
            await asyncio.sleep(1.0)
    finally:
        await finish(fake_api, chats, bot, within=90)
    engine = db.create_engine(url)
    async with engine.connect() as conn:
        marked = await conn.scalar(
            select(func.count()).where(
                deliveries.c.status.in_([DeliveryStatus.REJECTED, DeliveryStatus.BLOCKED])
            )
        )
        inactive = await conn.scalar(
            select(func.count()).where(subscribers.c.state != SubscriberState.ACTIVE)
        )
    await engine.dispose()
    report = tally("revoked token for 15 s mid-broadcast", fake_api, chats, 0)
    refusals = fake_api.status_counts["401"]
    NOTES.append(
        f"revoked token for 15 s mid-broadcast: {refusals} answers 401, {marked} rows marked "
        f"rejected or blocked, {inactive} subscribers made inactive, {report.lost} lost; "
        f"/healthz 503 in {statuses.count(503)} of {len(statuses)} checks"
    )
    assert (marked, inactive) == (0, 0), NOTES[-1]
    assert report.lost == 0 and report.duplicated == 0, report.line()
    assert refusals > 0
    assert statuses.count(503) >= len(statuses) // 2, NOTES[-1]
    assert bot.log.count("Telegram refused the bot token") == 1, bot.log[-3000:]
