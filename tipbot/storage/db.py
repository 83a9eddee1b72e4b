"""Engine creation and versioned schema migrations.

Migrations are Alembic revisions shipped inside the package (`migrations/`), applied at start
by `migrate` on the async engine; on PostgreSQL an advisory lock makes replicas that start
together apply each one exactly once. The first revision is the 0.1.0 schema, so a database
created by 0.1.0 (which recorded a `schema_version` instead) is stamped and upgraded in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, select, text
from sqlalchemy import Engine as SyncEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from tipbot.storage import tables

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

#: An arbitrary constant shared by all tipbot processes on one PostgreSQL database.
MIGRATION_LOCK_ID = 0x7469_7062


def utcnow() -> datetime:
    """Naive UTC, the storage convention (see tables.py)."""
    return datetime.now(UTC).replace(tzinfo=None)


#: Execution option set on the connections `Engine.begin` hands out (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "tipbot_write"


#: How long a write waits for its turn or for SQLite's lock (the busy timeout), in seconds.
SQLITE_WRITE_WAIT_S = 30


class Engine(AsyncEngine):
    """An AsyncEngine whose `begin()` marks its transaction as a write.

    On SQLite, `engine.begin()` (every write in tipbot) takes the write lock at BEGIN, so a
    transaction that reads and then writes waits its turn instead of failing with "database is
    locked"; `engine.connect()` (reads) begins a deferred transaction, which in WAL mode neither
    blocks the writer nor waits for it. On PostgreSQL the mark changes nothing.

    On SQLite the writes of one process also queue on an asyncio lock, first come first served,
    before they ask SQLite. SQLite's busy handler polls, sleeping up to 100 ms between tries, so a
    writer that found the lock taken woke late and could lose it again to a newer one: while
    60,000 tips were planned, sent and recorded at once, writes waited up to 1.9 s and 13 s in
    all (issue 14). Writers in other processes still meet in SQLite's busy handler.
    """

    def __init__(self, sync_engine: SyncEngine) -> None:
        super().__init__(sync_engine)
        self._serialize_writes = sync_engine.dialect.name == "sqlite"
        # One queue per event loop: an asyncio.Lock belongs to the loop that first waits on it.
        self._write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._write_turns = weakref.WeakKeyDictionary()

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._write_turn(), self.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        if not self._serialize_writes:
            yield
            return
        loop = asyncio.get_running_loop()
        turn = self._write_turns.get(loop)
        if turn is None:
            turn = self._write_turns[loop] = asyncio.Lock()
        # Bounded like SQLite's own wait, so a write that never gets its turn fails, not hangs.
        async with asyncio.timeout(SQLITE_WRITE_WAIT_S):
            await turn.acquire()
        try:
            yield
        finally:
            turn.release()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_WRITE_WAIT_S}
    else:
        tables.declare_postgresql_where()  # the partial indexes' condition (see tables.py)
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 5
    engine = Engine(create_async_engine(parsed, **kwargs).sync_engine)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers (commands) run while the sweep writes; synchronous=NORMAL is durable in WAL
    mode against process crashes (only an OS crash can lose the last commits)."""
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_WRITE_WAIT_S * 1000}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """A write takes SQLite's write lock at BEGIN: a deferred transaction that reads and then
    writes fails at once with "database is locked" when another writer got in between, instead
    of waiting. A read stays deferred, so it never holds the writer up."""
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


#: Where the Alembic revisions live: inside the package, so they ship in the wheel.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: The pre-Alembic `schema_version` of a database and the Alembic revision with the same schema
#: (0.1.0 ended at 2; the unreleased migration 3 matches revision 0002).
LEGACY_REVISIONS = {2: "0001", 3: "0002"}


def _alembic_config(conn: Connection | None = None) -> Config:
    # Alembic (and Mako, which it loads) is imported only when a migration may be needed: a
    # start on an up-to-date database skips it (see `migrate`).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _adopt_legacy(conn: Connection, config: Config) -> None:
    """A database made before Alembic records its version in `schema_version`: tell Alembic
    which revision that schema is, so only the later revisions run on it."""
    from alembic import command

    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names or "schema_version" not in names:
        return
    version = max(conn.execute(select(tables.schema_version.c.version)).scalars(), default=0)
    if version == 1:  # 0.1.0's first migration ran, its second (an index) did not
        tables.ix_status_expire.create(conn, checkfirst=True)
        version = 2
    if version not in LEGACY_REVISIONS:
        raise RuntimeError(f"unknown schema_version {version}; is this a newer tipbot's database?")
    revision = LEGACY_REVISIONS[version]
    log.info("adopting schema_version %d as Alembic revision %s", version, revision)
    command.stamp(config, revision)


def _migrate(conn: Connection) -> str:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    config = _alembic_config(conn)
    _adopt_legacy(conn, config)
    command.upgrade(config, "head")
    current = MigrationContext.configure(conn).get_current_revision()
    assert current is not None
    return current


_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:\"(\w+)\"|'(\w+)'|None)\s*$", re.MULTILINE
)


def shipped_head() -> str | None:
    """The head revision, read from the revision files' `revision = "..."` lines without
    importing Alembic (a tenth of a start-up); None when the files are not a simple chain
    (a merge, an unusual spelling), which sends `migrate` the full way."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = {m[1]: m[2] or m[3] or None for m in _REVISION_LINE.finditer(path.read_text())}
        if "revision" not in found or found["revision"] is None or "down_revision" not in found:
            return None
        revisions[found["revision"]] = found["down_revision"]
    heads = set(revisions) - {down for down in revisions.values() if down is not None}
    return heads.pop() if len(heads) == 1 else None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's Alembic revision, or None (no table yet, or more than one head)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


async def migrate(engine: AsyncEngine) -> str:
    """Bring the schema to the newest Alembic revision and return it; safe to call from several
    processes at once (PostgreSQL: an advisory lock; SQLite: the write lock).

    A database already at the shipped head is left alone without loading Alembic: the check is
    one read, and a database is only ever moved forward, so "at the head" stays true."""
    head = shipped_head()
    if head is not None and await current_revision(engine) == head:
        return head
    async with engine.begin() as conn:
        return await conn.run_sync(_migrate)


async def table_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: inspect(c).get_table_names())
