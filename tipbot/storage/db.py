"""Engine creation and versioned schema migrations.

Migrations are a numbered list of functions applied in order and recorded in `schema_version`;
on PostgreSQL an advisory lock makes replicas that start together apply each one exactly once.
This replaces Alembic deliberately: the schema is three tables, and a list of plain functions is
easier to read and ship inside the wheel than an Alembic environment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from tipbot.storage import tables

log = logging.getLogger(__name__)

#: An arbitrary constant shared by all tipbot processes on one PostgreSQL database.
MIGRATION_LOCK_ID = 0x7469_7062


def utcnow() -> datetime:
    """Naive UTC, the storage convention (see tables.py)."""
    return datetime.now(UTC).replace(tzinfo=None)


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 5
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers (commands) run while the sweep writes; synchronous=NORMAL is durable in WAL
    mode against process crashes (only an OS crash can lose the last commits)."""
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock at BEGIN: a deferred transaction that reads and then writes fails
    at once with "database is locked" when another writer got in between, instead of waiting."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _v1_initial(conn: Connection) -> None:
    tables.metadata.create_all(
        conn, tables=[tables.subscribers, tables.broadcasts, tables.deliveries]
    )


def _v2_expiry_index(conn: Connection) -> None:
    """Expiring old deliveries must not scan every pending row of a large broadcast."""
    tables.ix_status_expire.create(conn, checkfirst=True)


def _v3_leases_and_processes(conn: Connection) -> None:
    """Leases get their own column (`due_at` keeps meaning "due"), claims walk tips first, and
    processes announce themselves so replicas can share the bot's rate.

    Migration 1 creates today's tables on a fresh install, so the column may already exist.
    """
    columns = {c["name"] for c in inspect(conn).get_columns("deliveries")}
    if "lease_until" not in columns:
        conn.execute(text("ALTER TABLE deliveries ADD COLUMN lease_until TIMESTAMP"))
        # Rows claimed by 0.1.0 kept their lease in due_at.
        conn.execute(text("UPDATE deliveries SET lease_until = due_at WHERE status = 'sending'"))
    tables.ix_tips_due.create(conn, checkfirst=True)
    tables.processes.create(conn, checkfirst=True)


#: Append new migrations; never edit one that has shipped.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_initial,
    _v2_expiry_index,
    _v3_leases_and_processes,
]


def _migrate(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    tables.schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(tables.schema_version.c.version)).scalars().all()
    version = max(current, default=0)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        log.info("applying schema migration %d (%s)", number, migration.__name__)
        migration(conn)
        conn.execute(insert(tables.schema_version).values(version=number, applied_at=utcnow()))
    return len(MIGRATIONS)


async def migrate(engine: AsyncEngine) -> int:
    """Bring the schema to the newest version; safe to call from several processes at once."""
    async with engine.begin() as conn:
        return await conn.run_sync(_migrate)


async def table_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: inspect(c).get_table_names())
