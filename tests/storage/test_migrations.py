"""Alembic migrations: a database created by 0.1.0 upgrades in place with nothing lost, fresh
installs and upgraded ones end with the same schema, and the schema matches tables.py."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, TableClause, column, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import postgres_url, reset_postgres
from tipbot.storage import db, tables

LEGACY = Path(__file__).parent / "legacy"
LEGACY_SQLITE = LEGACY / "tipbot-0.1.0.sqlite3"
LEGACY_PG_DDL = LEGACY / "schema-0.1.0-postgresql.sql"
#: The tables 0.1.0 kept data in, in an order that lets their rows be loaded.
DATA_TABLES = ("subscribers", "broadcasts", "deliveries", "schema_version")

Rows = dict[str, list[tuple[Any, ...]]]


def _legacy_columns(conn: Connection) -> dict[str, TableClause]:
    """0.1.0's tables as found in the database (names and types), before any migration."""
    inspector = inspect(conn)
    return {
        name: table(name, *[column(c["name"], c["type"]) for c in inspector.get_columns(name)])
        for name in DATA_TABLES
    }


async def snapshot(engine: AsyncEngine, legacy_tables: dict[str, TableClause]) -> Rows:
    """Every row of the 0.1.0 tables, read through 0.1.0's columns, in primary-key order."""
    rows: Rows = {}
    async with engine.connect() as conn:
        for name, t in legacy_tables.items():
            if name == "schema_version":
                continue
            result = await conn.execute(select(t).order_by(next(iter(t.c))))
            rows[name] = [tuple(r) for r in result]
    return rows


async def load_legacy_postgres(engine: AsyncEngine) -> None:
    """0.1.0's PostgreSQL schema (its DDL), holding the same rows as the SQLite fixture."""
    source = db.create_engine(f"sqlite+aiosqlite:///{LEGACY_SQLITE}")
    try:
        async with source.connect() as conn:
            legacy_tables = await conn.run_sync(_legacy_columns)
            data = {
                name: [dict(r._mapping) for r in await conn.execute(select(t))]
                for name, t in legacy_tables.items()
            }
    finally:
        await source.dispose()
    await reset_postgres(engine)
    async with engine.begin() as conn:
        for statement in LEGACY_PG_DDL.read_text().split(";"):
            if statement.strip():
                await conn.execute(text(statement))
        for name, t in legacy_tables.items():
            if data[name]:
                await conn.execute(t.insert(), data[name])
        for name in ("broadcasts", "deliveries"):  # as if 0.1.0 had inserted them
            await conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}")
            )


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database exactly as 0.1.0 left it (not yet migrated by this code)."""
    if request.param == "sqlite":
        copy = tmp_path / "old.sqlite3"
        shutil.copy(LEGACY_SQLITE, copy)
        engine = db.create_engine(f"sqlite+aiosqlite:///{copy}")
    else:
        url = postgres_url()
        if not url:
            pytest.skip("PostgreSQL tests need TIPBOT_TEST_POSTGRES_URL")
        engine = db.create_engine(url)
        await load_legacy_postgres(engine)
    yield engine
    await engine.dispose()


async def test_a_0_1_0_database_upgrades_with_every_row_kept(legacy: AsyncEngine) -> None:
    async with legacy.connect() as conn:
        columns = await conn.run_sync(_legacy_columns)
    before = await snapshot(legacy, columns)
    assert len(before["subscribers"]) == 7 and len(before["deliveries"]) == 9

    assert await db.migrate(legacy) == db.head_revision()

    # One change by design: 0.1.0's "blocked" state is now the blocked flag beside the state.
    expected = dict(before)
    expected["subscribers"] = [
        (r[0], "active", *r[2:]) if r[1] == "blocked" else r for r in before["subscribers"]
    ]
    assert [r[0] for r in before["subscribers"] if r[1] == "blocked"] == [105]
    after = await snapshot(legacy, columns)
    assert after == expected
    async with legacy.connect() as conn:
        flagged = (
            await conn.execute(
                select(tables.subscribers.c.chat_id).where(tables.subscribers.c.blocked)
            )
        ).scalars()
        assert list(flagged) == [105]
        finished = (
            await conn.execute(
                select(tables.deliveries.c.sent_at, tables.deliveries.c.finished_at).where(
                    tables.deliveries.c.status == "sent"
                )
            )
        ).all()
        assert len(finished) == 2 and all(f == s for s, f in finished)
        leases = (
            await conn.execute(
                select(tables.deliveries.c.due_at, tables.deliveries.c.lease_until).where(
                    tables.deliveries.c.status == "sending"
                )
            )
        ).all()
    # 0.1.0 kept a claimed row's lease in due_at; it moved to lease_until.
    assert leases and all(lease == due for due, lease in leases)
    assert await db.migrate(legacy) == db.head_revision()  # a second start changes nothing
    assert await snapshot(legacy, columns) == expected


def _schema_differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            # The pre-Alembic record, only read to adopt old databases.
            "include_object": lambda _obj, name, *_rest: name != "schema_version",
        },
    )
    return list(compare_metadata(context, tables.metadata))


async def test_the_migrated_schema_is_what_tables_py_describes(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_schema_differences) == []


def _partial_index_conditions(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Each partial index's condition as the database holds it and as tables.py gives it to this
    dialect, in one spelling (lower case, no brackets, no table name): Alembic's comparison above
    does not look at conditions."""

    def plain(condition: str, table_name: str) -> str:
        return condition.lower().replace("(", "").replace(")", "").replace(f"{table_name}.", "")

    name = conn.dialect.name
    inspector = inspect(conn)
    found: dict[str, str] = {}
    declared: dict[str, str] = {}
    for index in tables.PARTIAL_INDEXES:
        assert index.table is not None
        table_name = index.table.name
        where = index.dialect_options[name]["where"]
        assert where is not None, f"{index.name} has no {name} condition"
        compiled = where.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        declared[str(index.name)] = plain(str(compiled), table_name)
        for reflected in inspector.get_indexes(table_name):
            if reflected["name"] == index.name:
                condition = reflected.get("dialect_options", {}).get(f"{name}_where")
                found[str(index.name)] = plain(str(condition), table_name)
    return found, declared


async def test_the_partial_indexes_have_the_conditions_tables_py_gives(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        found, declared = await conn.run_sync(_partial_index_conditions)
    assert found == declared
    assert len(declared) == 3


async def test_an_upgraded_0_1_0_schema_is_what_tables_py_describes(legacy: AsyncEngine) -> None:
    await db.migrate(legacy)
    async with legacy.connect() as conn:
        assert await conn.run_sync(_schema_differences) == []


async def test_replicas_starting_together_migrate_once() -> None:
    url = postgres_url()
    if not url:
        pytest.skip("PostgreSQL tests need TIPBOT_TEST_POSTGRES_URL")
    engines = [db.create_engine(url) for _ in range(3)]
    try:
        await reset_postgres(engines[0])
        revisions = await asyncio.gather(*(db.migrate(e) for e in engines))
        assert revisions == [db.head_revision()] * 3
        async with engines[0].connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar() == 1
    finally:
        for e in engines:
            await e.dispose()


def test_the_shipped_head_read_without_alembic_is_alembics_head() -> None:
    """`migrate` skips Alembic on a database at `shipped_head()`, so it must be the real head."""
    assert db.shipped_head() == db.head_revision()


async def test_a_database_at_the_head_is_not_migrated_again(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(conn: object) -> str:
        raise AssertionError("Alembic ran on an up-to-date database")

    monkeypatch.setattr(db, "_migrate", must_not_run)
    assert await db.current_revision(engine) == db.head_revision()
    assert await db.migrate(engine) == db.head_revision()


async def test_a_database_behind_the_head_is_migrated(sqlite_url: str) -> None:
    engine = db.create_engine(sqlite_url)
    try:
        assert await db.current_revision(engine) is None  # no alembic_version table yet
        async with engine.begin() as conn:  # an older release's database: 0005, no profiles yet
            await conn.run_sync(lambda c: command.upgrade(db._alembic_config(c), "0005"))
        assert await db.current_revision(engine) == "0005"
        assert "profiles" not in await db.table_names(engine)
        assert await db.migrate(engine) == db.head_revision()
        assert "profiles" in await db.table_names(engine)
    finally:
        await engine.dispose()
