"""Clinic mode, deep links, quiet tips and tip feedback (issue 13).

- `subscribers.thread_id`: the forum topic a group subscribed from; its tips are posted there.
- `subscribers.quiet`: the daily tip is sent without a notification sound (default off).
- `chat_sources`: the deep-link code (`t.me/<bot>?start=<code>`) a chat first came with.
- `tip_votes`: one 👍 / 👎 per chat and tip, so editors see which tips to improve.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("thread_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "subscribers",
        sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "chat_sources",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_chat_sources_code", "chat_sources", ["code"])
    op.create_table(
        "tip_votes",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("tip_id", sa.String(64), primary_key=True),
        sa.Column("vote", sa.SmallInteger(), nullable=False),
        sa.Column("voted_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
