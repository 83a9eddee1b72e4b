"""Shared fixtures: a controllable clock, databases (SQLite always, PostgreSQL when configured),
the fake Bot API server, and a running bot wired to both."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot.config import Settings
from tipbot.content.loader import load_bank
from tipbot.content.models import Bank
from tipbot.runner import Runner
from tipbot.storage import db

pytest_plugins = ["tests.fakebot.fixtures"]  # the fake_api fixture

PG_ENV = "TIPBOT_TEST_POSTGRES_URL"


class FakeClock:
    """Naive-UTC time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session", autouse=True)
def private_cache() -> Iterator[None]:
    """The suite never reads or writes the user's ~/.cache/tipbot. Its own cache (checked banks,
    /foods charts) lives in the temporary directory and is kept between runs, as the charts were
    before TIPBOT_CACHE_DIR: drawing the first chart (matplotlib) takes seconds on a busy machine,
    longer than tests that send /foods wait for a reply."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(Path(tempfile.gettempdir()) / "tipbot-test-cache")
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 6, 1, 5, 0))


@pytest.fixture(scope="session")
def bank() -> Bank:
    return load_bank().bank


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


async def reset_postgres(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[AsyncEngine]:  # type: ignore[no-untyped-def]
    """A migrated, empty database: a SQLite file, and PostgreSQL when its URL is set."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'tipbot.sqlite3'}"
    else:
        url = postgres_url() or ""
        if not url:
            pytest.skip(
                f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
            )
    eng = db.create_engine(url)
    if request.param == "postgres":
        await reset_postgres(eng)
    await db.migrate(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield f"sqlite+aiosqlite:///{tmp_path / 'tipbot.sqlite3'}"


# --- A running bot against the fake Bot API ----------------------------------------------------

ADMIN_ID = 900_001


def bot_settings(fake: FakeBotApi, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "token": fake.token,
        "api_url": f"http://127.0.0.1:{fake.port}",
        "database_url": database_url,
        "admin_ids": frozenset({ADMIN_ID}),
        "max_rate": 200.0,
        "send_retry_seconds": 10.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class User:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(self, fake: FakeBotApi, chat_id: int, first_name: str = "Ada") -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.first_name = first_name

    @property
    def inbox(self) -> list[SentMessage]:
        return self.fake.messages_for(self.chat_id)

    async def send(self, text: str, *, replies: int = 1) -> list[SentMessage]:
        """Send `text`; return the `replies` new messages it caused (waiting for them)."""
        before = len(self.inbox)
        self.fake.push_message(self.chat_id, text, first_name=self.first_name)
        await self.fake.wait_for_messages(self.chat_id, before + replies)
        return self.inbox[before:]

    async def press(
        self, message: SentMessage, data: str, *, replies: int = 1
    ) -> list[SentMessage]:
        """Tap the button with callback `data` on `message`; return new messages or edits."""
        assert data in [b.get("callback_data") for b in message.buttons], (data, message.buttons)
        before_msgs, before_edits = len(self.inbox), len(self.fake.edits_for(self.chat_id))
        self.fake.push_callback(self.chat_id, message.message_id, data)

        def changed() -> bool:
            new = (
                len(self.inbox)
                - before_msgs
                + len(self.fake.edits_for(self.chat_id))
                - before_edits
            )
            return new >= replies

        await self.fake.wait_for(changed, what=f"{replies} answer(s) to button {data}")
        return self.inbox[before_msgs:] + self.fake.edits_for(self.chat_id)[before_edits:]

    async def pages(self, message: SentMessage) -> list[SentMessage]:
        """Every screen of a long answer: `message`, then each edit its "More" button makes."""
        screens = [message]
        while True:
            more = [
                b["callback_data"]
                for b in screens[-1].buttons
                if b.get("callback_data", "").startswith("pg:")
                and int(b["callback_data"].split(":")[1]) == len(screens)
            ]
            if not more:
                return screens
            [edited] = await self.press(screens[-1], more[0])
            screens.append(edited)


@pytest_asyncio.fixture
async def runner(
    fake_api: FakeBotApi, sqlite_url: str, clock: FakeClock, bank: Bank
) -> AsyncIterator[Runner]:
    """tipbot running against the fake server, its sweep driven by the test (not by a timer)."""
    fake_api.configure(per_chat_rate=None)
    run = Runner(bot_settings(fake_api, sqlite_url), bank, clock=clock, schedule_sweeps=False)
    await run.start()
    yield run
    await run.stop()


@pytest.fixture
def user(fake_api: FakeBotApi) -> User:
    return User(fake_api, 4242)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault drills' delivered / duplicated / lost counts after the run."""
    from tests.drills.harness import NOTES, REPORTS

    if REPORTS or NOTES:
        terminalreporter.section("fault drills")
        for report in REPORTS:
            terminalreporter.write_line(report.line())
        for note in NOTES:
            terminalreporter.write_line(note)
