"""Build the 0.1.0 fixture database with 0.1.0's own code (run by hand, not by pytest).

    mkdir /tmp/tipbot-0.1.0 && git archive 2116256 tipbot | tar -x -C /tmp/tipbot-0.1.0
    PYTHONPATH=/tmp/tipbot-0.1.0 .venv/bin/python tests/storage/legacy/build_0_1_0.py

writes `tipbot-0.1.0.sqlite3` (the schema and rows 0.1.0 leaves behind: subscribers in every
state, deliveries in several statuses, a claimed row whose lease 0.1.0 kept in `due_at`, a
broadcast) and `schema-0.1.0-postgresql.sql` (the DDL 0.1.0's migrations run on PostgreSQL),
beside this file. The upgrade tests load both and check that every row survives.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

import tipbot.storage.deliveries as store
import tipbot.storage.subscribers as subs
from tipbot.storage import db, tables
from tipbot.storage.tables import DeliveryStatus, SubscriberState

HERE = Path(__file__).parent
TIPS = ("a", "b", "c")


async def build(path: Path) -> None:
    assert hasattr(store, "Job"), "run this with 0.1.0's sources first on PYTHONPATH"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    assert await db.migrate(engine) == 2
    at = datetime(2026, 6, 1, 4, 0)
    for chat, minute, zone in [
        (101, 8 * 60, "UTC"),
        (102, 7 * 60 + 30, "Europe/Berlin"),
        (103, 9 * 60, "UTC+05:30"),
        (104, 8 * 60, "UTC"),
        (105, 8 * 60, "America/New_York"),
        (106, 8 * 60, "UTC"),
        (107, 8 * 60, "UTC"),
    ]:
        await subs.subscribe(engine, chat, minute, zone, at)
    now = datetime(2026, 6, 1, 8, 0)
    await store.plan_due(engine, now, TIPS, timedelta(hours=6), 100)
    jobs = {
        j.chat_id: j
        for j in await store.claim(engine, now, "old-owner", 100, timedelta(seconds=60))
    }
    await store.record(
        engine,
        [
            store.Outcome(jobs[101], DeliveryStatus.SENT, now, message_id=5001),
            store.Outcome(jobs[102], DeliveryStatus.SENT, now, message_id=5002),
            store.Outcome(jobs[107], DeliveryStatus.FAILED, now, error="timed out", retry_at=now),
        ],
    )  # 106 stays `sending`, its lease in due_at
    await subs.set_state(engine, 103, SubscriberState.PAUSED, now)
    await subs.set_state(engine, 104, SubscriberState.UNSUBSCRIBED, now)
    await subs.set_state(engine, 105, SubscriberState.BLOCKED, now)
    await store.create_broadcast(engine, "Hello & <welcome>", 900_001, now, timedelta(hours=24))
    await engine.dispose()


def postgres_ddl() -> str:
    """What 0.1.0's migrations 1 and 2 create on PostgreSQL, as SQL."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = []
    for table in (tables.schema_version, tables.subscribers, tables.broadcasts, tables.deliveries):
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return ";\n\n".join(statements) + ";\n"


if __name__ == "__main__":
    (HERE / "tipbot-0.1.0.sqlite3").unlink(missing_ok=True)
    asyncio.run(build(HERE / "tipbot-0.1.0.sqlite3"))
    (HERE / "schema-0.1.0-postgresql.sql").write_text(postgres_ddl())
