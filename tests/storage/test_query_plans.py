"""The queries that run often or over many rows walk indexes, never the whole deliveries table
(checked with SQLite's EXPLAIN QUERY PLAN on every statement they send)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.storage import db
from tipbot.storage import deliveries as store
from tipbot.storage import quiz as quiz_store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import DeliveryStatus

NOW = datetime(2026, 6, 1, 8, 0)


@pytest_asyncio.fixture
async def sqlite_file(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Path]]:
    path = tmp_path / "tipbot.sqlite3"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    await db.migrate(engine)
    clock = FakeClock(NOW - timedelta(minutes=1))
    for chat in range(1, 30):
        await subs.subscribe(engine, chat, 8 * 60, "UTC", clock())
    await store.plan_due(engine, NOW, ("a", "b"), timedelta(hours=6), 100)
    await store.create_broadcast(engine, "news", 1, NOW, timedelta(hours=1))
    yield engine, path
    await engine.dispose()


async def plans_of(
    engine: AsyncEngine, path: Path, action: Callable[[], Awaitable[Any]]
) -> list[str]:
    """Run `action`, then EXPLAIN QUERY PLAN every statement it sent that reads deliveries."""
    return [d for _, details in await plans_by_statement(engine, path, action) for d in details]


async def plans_by_statement(
    engine: AsyncEngine, path: Path, action: Callable[[], Awaitable[Any]]
) -> list[tuple[str, list[str]]]:
    """Each statement about deliveries that `action` sent, with its plan's lines."""
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if "deliveries" in statement and not many and not statement.startswith("INSERT"):
            sent.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await action()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert sent, "the action sent no statement about deliveries"
    explain = sqlite3.connect(path)
    try:
        return [
            (
                statement,
                [d for *_, d in explain.execute(f"EXPLAIN QUERY PLAN {statement}", params)],
            )
            for statement, params in sent
        ]
    finally:
        explain.close()


def whole_table_scans(details: list[str]) -> list[str]:
    """Plan lines that read every row of deliveries (or every entry of one of its indexes)."""
    return [d for d in details if d.startswith("SCAN deliveries")]


async def test_stats_counts_use_indexes(sqlite_file: tuple[AsyncEngine, Path]) -> None:
    engine, path = sqlite_file
    details = await plans_of(engine, path, lambda: store.counts_since(engine, NOW))
    assert whole_table_scans(details) == []
    assert any("ix_deliveries_status_finished" in d for d in details)


async def test_prune_uses_the_finished_at_index(sqlite_file: tuple[AsyncEngine, Path]) -> None:
    engine, path = sqlite_file
    details = await plans_of(engine, path, lambda: store.prune(engine, NOW))
    assert whole_table_scans(details) == []
    assert any("ix_deliveries_status_finished" in d for d in details)


async def test_claims_and_expiry_use_indexes(sqlite_file: tuple[AsyncEngine, Path]) -> None:
    engine, path = sqlite_file
    details = await plans_of(
        engine, path, lambda: store.claim(engine, NOW, "one", 10, timedelta(seconds=60))
    )
    assert whole_table_scans(details) == []
    assert any("ix_deliveries_tips_due" in d for d in details)
    details = await plans_of(engine, path, lambda: store.expire(engine, NOW))
    assert whole_table_scans(details) == []


async def test_rows_named_by_id_are_looked_up_by_id_however_many_share_their_status(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    """The claim's compare-and-set, the recorder's ownership check and the lease renewal name
    their rows by id and repeat a condition on `status`, the first column of every index on
    deliveries. Read through that index, each walked every row of the status: a claim of 250
    during a burst of 60,000 pending tips read them all, three times over."""
    engine, path = sqlite_file
    jobs: list[store.ClaimedDelivery] = []

    async def claim() -> None:
        jobs.extend(await store.claim(engine, NOW, "one", 10, timedelta(seconds=60)))

    async def record() -> None:
        outcome = store.Outcome(jobs[0], DeliveryStatus.SENT, NOW, message_id=1)
        assert await store.record(engine, "one", [outcome]) == 1

    async def extend() -> None:
        ids = [j.id for j in jobs[1:]]
        assert await store.extend_lease(engine, ids, "one", NOW + timedelta(minutes=1)) == 9

    for action in (claim, record, extend):
        by_id = [
            (statement, details)
            for statement, details in await plans_by_statement(engine, path, action)
            if "deliveries.id IN" in statement
        ]
        assert by_id, action.__name__
        for statement, details in by_id:
            assert any("USING INTEGER PRIMARY KEY" in d for d in details), (statement, details)
            assert not [d for d in details if "ix_deliveries" in d], (statement, details)


async def test_the_sweep_lag_metric_uses_indexes(sqlite_file: tuple[AsyncEngine, Path]) -> None:
    engine, path = sqlite_file
    details = await plans_of(engine, path, lambda: store.oldest_due(engine, NOW))
    assert whole_table_scans(details) == []


async def test_the_weekly_quiz_planner_reads_only_the_opted_in_chats(
    sqlite_file: tuple[AsyncEngine, Path],
) -> None:
    """Its read runs on every planner tick: a scan would cost the whole table each time."""
    engine, path = sqlite_file

    async def read() -> None:
        async with engine.connect() as conn:
            await quiz_store.weekly_chats(conn)

    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        sent.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await read()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    explain = sqlite3.connect(path)
    try:
        details = [
            detail
            for statement, params in sent
            if "FROM subscribers" in statement
            for *_, detail in explain.execute(f"EXPLAIN QUERY PLAN {statement}", params)
        ]
    finally:
        explain.close()
    assert details and not [d for d in details if d.startswith("SCAN subscribers")], details
    assert any("ix_subscribers_quiz_weekly" in d for d in details), details
