"""Alembic's entry point: run the revisions on the connection `tipbot.storage.db.migrate` passes.

tipbot never connects from here: migrations run at start inside the caller's transaction, which
already holds the PostgreSQL advisory lock (or SQLite's write lock), so replicas that start
together apply each revision exactly once.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection), "run migrations through tipbot.storage.db.migrate"
context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
