"""SQLite takes its write lock only for writes: a read never holds a writer up, and a write
transaction holds the lock from BEGIN, so its read-then-write cannot fail half-way. Within one
process, writes queue for their turn before they ask SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Connection, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage import db
from tipbot.storage.tables import subscribers


@pytest_asyncio.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Path]]:
    path = tmp_path / "tipbot.sqlite3"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await db.migrate(engine)
    yield engine, path
    await engine.dispose()


@contextmanager
def other_process(path: Path) -> Iterator[sqlite3.Connection]:
    """Another writer that gives up at once (timeout 0) if it cannot get the write lock."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def write_from_elsewhere(conn: sqlite3.Connection, chat_id: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO subscribers (chat_id, state, send_minute, tz, cycle, cycle_sent, seed,"
        " created_at, updated_at) VALUES (?, 'active', 0, 'UTC', 0, '', 1, '2026-06-01',"
        " '2026-06-01')",
        (chat_id,),
    )
    conn.execute("COMMIT")


async def test_an_open_read_does_not_hold_a_writer(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    engine, path = sqlite_file
    async with engine.connect() as reader:
        assert await reader.scalar(select(func.count()).select_from(subscribers)) == 0
        # The read's transaction is still open; a writer elsewhere gets the lock at once.
        with other_process(path) as writer:
            write_from_elsewhere(writer, 1)
        # ... and the read keeps its snapshot until it ends.
        assert await reader.scalar(select(func.count()).select_from(subscribers)) == 0
    async with engine.connect() as reader:
        assert await reader.scalar(select(func.count()).select_from(subscribers)) == 1


async def test_a_write_transaction_holds_the_write_lock_from_its_first_read(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    engine, path = sqlite_file
    async with engine.begin() as conn:
        await conn.scalar(select(func.count()).select_from(subscribers))
        with other_process(path) as writer, pytest.raises(sqlite3.OperationalError, match="locked"):
            write_from_elsewhere(writer, 2)
    with other_process(path) as writer:
        write_from_elsewhere(writer, 3)  # free again once the transaction ended


async def test_writes_of_one_process_take_turns_before_asking_sqlite(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    """A second write waits on the process's own queue, not in SQLite's busy handler, which
    polls with sleeps of up to 100 ms and is not first come first served."""
    engine, _ = sqlite_file
    began: list[str] = []

    def count_begin(conn: Connection, cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("BEGIN"):
            began.append(statement)  # recorded before SQLite is asked

    event.listen(engine.sync_engine, "before_cursor_execute", count_begin)
    order: list[str] = []

    async def write(name: str) -> None:
        async with engine.begin() as conn:
            await conn.scalar(select(func.count()).select_from(subscribers))
            order.append(name)

    async with engine.begin() as conn:
        await conn.scalar(select(func.count()).select_from(subscribers))
        second = asyncio.create_task(write("second"))
        await asyncio.sleep(0.01)
        third = asyncio.create_task(write("third"))
        await asyncio.sleep(0.2)  # ample time for both to reach SQLite, were they not queued
        assert began == ["BEGIN IMMEDIATE"]
        order.append("first")
    await asyncio.gather(second, third)
    assert order == ["first", "second", "third"]
    assert began == ["BEGIN IMMEDIATE"] * 3


async def test_a_write_that_never_gets_its_turn_fails_instead_of_hanging(
    sqlite_file: tuple[AsyncEngine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = sqlite_file
    monkeypatch.setattr(db, "SQLITE_WRITE_WAIT_S", 0.05)
    async with engine.begin():
        with pytest.raises(TimeoutError):
            async with engine.begin():
                pass  # pragma: no cover - never entered
