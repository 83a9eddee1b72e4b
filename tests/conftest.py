"""Shared fixtures: a controllable clock, databases (SQLite always, PostgreSQL when configured),
the fake Bot API server, and a running bot wired to both."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import os
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot.config import Settings
from tipbot.content.loader import bundled_bank_dir, load_bank
from tipbot.content.models import Bank
from tipbot.content.translations import Translations, load_translations
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


@pytest.fixture(scope="session")
def bundled_translations(bank: Bank) -> Translations:
    """The bundled bank's translations, parsed once: parsing them takes most of a bot's
    start-up (about half a second), which every test with a running bot would pay."""
    return load_translations(bundled_bank_dir(), bank)


def fresh(translations: Translations) -> Translations:
    """The same translations with nothing counted or built yet, as a new process has them (a
    running bot counts the items it sent in English, for /stats)."""
    return dataclasses.replace(translations, fallbacks=Counter(), _banks={})


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


# --- Parallel runs (pytest-xdist, `-n` in pyproject's addopts) ----------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """A worker of a parallel run gets a PostgreSQL database of its own, `<database>_<worker>`,
    created once and reused: tests drop and recreate its schema, which must not happen under
    another worker's feet. The URL is put back in the environment, so the bot processes the
    drills start use it too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = postgres_url()
    if worker and url:
        os.environ[PG_ENV] = asyncio.run(_worker_database(url, worker))


async def _worker_database(url: str, worker: str) -> str:
    shared = make_url(url)
    own = shared.set(database=f"{shared.database}_{worker}")
    engine = create_async_engine(shared, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        await engine.dispose()
    return own.render_as_string(hide_password=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """In a parallel run, a test marked `alone` (it restarts PostgreSQL, or races real time on a
    compressed clock) runs while the other workers wait between two tests. A file lock shared by
    the workers: each test holds it shared, an `alone` one exclusive. A second lock, the
    turnstile, lets a waiting `alone` test in ahead of the other workers' next tests (flock alone
    is not fair)."""
    locks = _run_locks(item.config)
    if locks is None:
        return (yield)
    turnstile, run = locks
    if item.get_closest_marker("alone") is not None:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(run, fcntl.LOCK_EX)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
    else:
        fcntl.flock(turnstile, fcntl.LOCK_SH)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
        fcntl.flock(run, fcntl.LOCK_SH)
    try:
        return (yield)
    finally:
        fcntl.flock(run, fcntl.LOCK_UN)


_LOCKS: list[int] = []


def _run_locks(config: pytest.Config) -> tuple[int, int] | None:
    """The two lock files of this parallel run (None outside one), opened once per worker. They
    live in the run's temporary directory, which xdist shares out as `<basetemp>/<worker>`."""
    if getattr(config, "workerinput", None) is None or not config.option.basetemp:
        return None
    if not _LOCKS:
        shared = Path(config.option.basetemp).parent
        for name in ("turnstile.lock", "run.lock"):
            _LOCKS.append(os.open(shared / name, os.O_RDWR | os.O_CREAT, 0o600))
    return _LOCKS[0], _LOCKS[1]


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
    fake_api: FakeBotApi,
    sqlite_url: str,
    clock: FakeClock,
    bank: Bank,
    bundled_translations: Translations,
) -> AsyncIterator[Runner]:
    """tipbot running against the fake server, its sweep driven by the test (not by a timer)."""
    fake_api.configure(per_chat_rate=None)
    run = Runner(
        bot_settings(fake_api, sqlite_url),
        bank,
        clock=clock,
        schedule_sweeps=False,
        translations=fresh(bundled_translations),
    )
    await run.start()
    yield run
    await run.stop()


@pytest.fixture
def user(fake_api: FakeBotApi) -> User:
    return User(fake_api, 4242)


#: The drills' report lines and notes that parallel workers sent back (the drills fill theirs
#: in the worker that ran them).
FROM_WORKERS: dict[str, list[str]] = {"reports": [], "notes": []}


def drill_lines() -> dict[str, list[str]]:
    """The fault drills' delivered / duplicated / lost counts, and the engine drills' notes."""
    from tests.drills.harness import NOTES, REPORTS

    return {"reports": [report.line() for report in REPORTS], "notes": list(NOTES)}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A parallel worker hands its drills' lines to the main process, which prints them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["drill_lines"] = drill_lines()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    sent = getattr(node, "workeroutput", {}).get("drill_lines", {})
    for kind, lines in FROM_WORKERS.items():
        lines.extend(sent.get(kind, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault drills' delivered / duplicated / lost counts after the run, then the
    engine drills' notes."""
    here = drill_lines()
    lines = [*here["reports"], *FROM_WORKERS["reports"], *here["notes"], *FROM_WORKERS["notes"]]
    if lines:
        terminalreporter.section("fault drills")
        for line in lines:
            terminalreporter.write_line(line)
