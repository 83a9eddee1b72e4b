"""A partial index on the chats that opted in to the weekly quiz (issue 14): its planner reads
them on every tick, which scanned the whole subscribers table (1.7 s per tick at 1 M
subscribers on SQLite) and now reads only the opted-in rows.

Revision ID: 0010
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    opted_in = sa.column("quiz_weekly").is_(True)
    op.create_index(
        "ix_subscribers_quiz_weekly",
        "subscribers",
        ["chat_id"],
        sqlite_where=opted_in,
        postgresql_where=opted_in,
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
