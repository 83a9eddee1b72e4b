"""Fault drills with real bot processes: each reports delivered, duplicated and lost counts.

Lost must be 0; duplicated at most the number of sends in flight when the fault struck.
"""

from __future__ import annotations

import asyncio
import math
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
    tally,
    wait_until_all_delivered,
)
from tests.fakebot.server import FakeBotApi
from tipbot.bot.app import delivery_concurrency
from tipbot.delivery.sweep import LINGER_SECONDS
from tipbot.storage import db
from tipbot.storage.tables import DeliveryStatus, deliveries

pytestmark = pytest.mark.slow
MAX_RATE = 50
#: Sends that can be "in flight" at a crash: on the wire (the delivery concurrency) or sent but
#: still waiting for the recorder's group commit (its linger at the configured rate).
IN_FLIGHT = delivery_concurrency(MAX_RATE) + math.ceil(MAX_RATE * LINGER_SECONDS)


@pytest.fixture
def fast_fake(fake_api: FakeBotApi) -> FakeBotApi:
    fake_api.configure(global_rate=None, per_chat_rate=None, record_text=False)
    return fake_api


async def seeded(url: str, chats: range) -> str:
    """Put `chats` in the database at `url` as subscribers whose tip is due now."""
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    await engine.dispose()
    return url


def sqlite_file(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'drill.sqlite3'}"


async def finish(fake: FakeBotApi, chats: range, *bots: BotProcess, within: float = 60) -> None:
    """Wait until every chat has its tip, give a further sweep the chance to (wrongly) send again,
    then stop each bot with SIGTERM, which must end in exit status 0."""
    try:
        await wait_until_all_delivered(fake, chats, within=within)
        await asyncio.sleep(1.5)
        for bot in bots:
            assert await bot.terminate() == 0
    finally:
        for bot in bots:
            bot.ensure_stopped()


async def sent_but_unrecorded(url: str, fake: FakeBotApi) -> int:
    """Rows still claimed (`sending`) after a crash whose chat already got its message."""
    engine = db.create_engine(url)
    async with engine.connect() as conn:
        claimed = (
            await conn.execute(
                select(deliveries.c.chat_id).where(deliveries.c.status == DeliveryStatus.SENDING)
            )
        ).scalars()
        count = sum(1 for chat in claimed if fake.per_chat_counts[chat] >= 1)
    await engine.dispose()
    return count


async def start_and_wait_for_sends(bot: BotProcess, fake: FakeBotApi, sends: int) -> None:
    bot.start()
    await fake.wait_for(lambda: fake.sent_count >= sends, timeout=30, what=f"{sends} sends")


async def test_kill_9_mid_broadcast_then_restart(fast_fake: FakeBotApi, tmp_path: Path) -> None:
    chats = range(10_000, 10_300)
    bot = BotProcess(fast_fake, await seeded(sqlite_file(tmp_path), chats), tmp_path / "bot.log")
    try:
        await start_and_wait_for_sends(bot, fast_fake, 100)
        bot.kill()
        assert fast_fake.sent_count < len(chats), "the crash should come mid-broadcast"
        unrecorded = await sent_but_unrecorded(bot.database_url, fast_fake)
        bot.start()
    finally:
        await finish(fast_fake, chats, bot)
    # Exactly the messages sent but not yet recorded at the crash may go out again, and no more;
    # how many that is depends on the machine's load (the recorder's commit time), so it is
    # counted rather than estimated.
    report = tally("kill -9 mid-broadcast", fast_fake, chats, unrecorded)
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()


async def test_clean_sigterm_during_a_broadcast_loses_nothing(
    fast_fake: FakeBotApi, tmp_path: Path
) -> None:
    chats = range(20_000, 20_300)
    bot = BotProcess(fast_fake, await seeded(sqlite_file(tmp_path), chats), tmp_path / "bot.log")
    try:
        await start_and_wait_for_sends(bot, fast_fake, 100)
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.terminate(within=10) == 0
        assert loop.time() - started < 10
        assert fast_fake.sent_count < len(chats)
        bot.start()  # the rest goes out after the restart, nothing twice
    finally:
        await finish(fast_fake, chats, bot)
    report = tally("SIGTERM mid-broadcast", fast_fake, chats, 0)
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated == 0, report.line()


@pytest.mark.parametrize(
    ("name", "fault", "counter"),
    [
        ("429 storm", {"storm": {"seconds": 3, "retry_after": 1}}, "429"),
        ("5% 5xx answers", {"server_error_probability": 0.05}, "5xx"),
        ("connections dropped after accept", {"drop_after_accept_probability": 0.05}, "dropped"),
    ],
)
async def test_telegram_faults(
    fast_fake: FakeBotApi, tmp_path: Path, name: str, fault: dict[str, object], counter: str
) -> None:
    chats = range(30_000, 30_200)
    bot = BotProcess(fast_fake, await seeded(sqlite_file(tmp_path), chats), tmp_path / "bot.log")
    try:
        # The fault strikes mid-broadcast, whatever the time the bot takes to start.
        await start_and_wait_for_sends(bot, fast_fake, 20)
        fast_fake.configure(**fault)
    finally:
        await finish(fast_fake, chats, bot)
    faults = fast_fake.status_counts[counter]
    assert faults > 0
    # Only a message whose answer was lost in transit can be sent twice.
    bound = faults if counter == "dropped" else 0
    report = tally(name, fast_fake, chats, bound)
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= bound, report.line()


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
    await seeded(pg_url, chats)
    bots = [BotProcess(fast_fake, pg_url, tmp_path / f"bot{n}.log") for n in range(2)]
    for bot in bots:
        bot.start()
    await finish(fast_fake, chats, *bots)
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


@pytest.mark.alone  # every worker's PostgreSQL tests would lose their connections
async def test_postgres_restarted_during_a_broadcast(
    fast_fake: FakeBotApi, tmp_path: Path, pg_url: str
) -> None:
    command = _pg_restart_command()
    if command is None:
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster on this machine")
    chats = range(70_000, 70_300)
    bot = BotProcess(fast_fake, await seeded(pg_url, chats), tmp_path / "bot.log")
    try:
        await start_and_wait_for_sends(bot, fast_fake, 100)
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: ASYNC221
    finally:
        await finish(fast_fake, chats, bot, within=90)
    report = tally("PostgreSQL restarted mid-broadcast", fast_fake, chats, IN_FLIGHT)
    assert report.lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()
