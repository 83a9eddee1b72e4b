"""Helpers for fault drills: real `tipbot run` processes against the in-test fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakebot.server import FakeBotApi
from tipbot.storage import db
from tipbot.storage.tables import SubscriberState, subscribers

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DrillReport:
    name: str
    expected: int
    delivered: int
    duplicated: int
    lost: int
    in_flight_bound: int

    def line(self) -> str:
        return (
            f"{self.name}: {self.expected} due, {self.delivered} delivered, "
            f"{self.duplicated} duplicated (bound {self.in_flight_bound}), {self.lost} lost"
        )


#: Filled by the drills, printed at the end of the test run by tests/conftest.py.
REPORTS: list[DrillReport] = []
#: One line per engine drill (reply bursts, broadcasts, outages), printed the same way.
NOTES: list[str] = []


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 <= fraction <= 1)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def tally(name: str, fake: FakeBotApi, chats: range, bound: int) -> DrillReport:
    counts = [fake.per_chat_counts[c] for c in chats]
    report = DrillReport(
        name,
        expected=len(chats),
        delivered=sum(1 for n in counts if n >= 1),
        duplicated=sum(n - 1 for n in counts if n > 1),
        lost=sum(1 for n in counts if n == 0),
        in_flight_bound=bound,
    )
    REPORTS.append(report)
    return report


def minute_of_day(due: datetime) -> int:
    """The UTC send time whose moment `due` is. A drill's subscribers must have the send time of
    their due moment: with any other (they had 00:00), their next tip falls due at that time, and
    a drill running near it (around midnight UTC, a minute earlier now that tips are planned a
    minute ahead) counted the next day's tips as duplicates."""
    return due.hour * 60 + due.minute


async def add_due_subscribers(engine: AsyncEngine, chats: range) -> None:
    """Subscribers whose tip was due a minute ago (real time: the bot runs on the real clock)."""
    now = db.utcnow()
    due = now - timedelta(minutes=1)
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
            "created_at": now,
            "updated_at": now,
        }
        for chat in chats
    ]
    await db.migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(insert(subscribers), rows)


@dataclass
class BotProcess:
    """`python -m tipbot run` as a child process, logging to a file."""

    fake: FakeBotApi
    database_url: str
    log_path: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.fake.token,
            "TIPBOT_API_URL": f"http://127.0.0.1:{self.fake.port}",
            "TIPBOT_DATABASE_URL": self.database_url,
            "TIPBOT_ROLES": "delivery",
            "TIPBOT_SWEEP_SECONDS": "1",
            "TIPBOT_CLAIM_TIMEOUT_SECONDS": "3",
            "TIPBOT_MAX_RATE": "50",
            "TIPBOT_LOG_LEVEL": "INFO",
            **self.env_extra,
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tipbot", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def terminate(self, within: float = 10.0) -> int:
        """SIGTERM, then wait up to `within` seconds; return the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(within):
            while self.process.poll() is None:  # noqa: ASYNC110 - polling a child process
                await asyncio.sleep(0.05)
        return int(self.process.returncode)

    def ensure_stopped(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def wait_until_all_delivered(fake: FakeBotApi, chats: range, within: float) -> None:
    await fake.wait_for(
        lambda: all(fake.per_chat_counts[c] >= 1 for c in chats),
        timeout=within,
        what=lambda: f"{sum(1 for c in chats if fake.per_chat_counts[c] == 0)} chats still waiting",
    )
