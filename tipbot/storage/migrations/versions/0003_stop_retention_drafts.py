"""Stop means stop, data that stays small, drafts any replica can confirm.

- `subscribers.blocked`: blocking the bot is a flag beside the state, so a user who had paused
  and blocked the bot is still paused after unblocking it. 0.1.0's `blocked` state becomes
  state `active` + the flag (0.1.0 did not keep what the state was before).
- `subscribers.last_planned`: the local date of the last tip planned, so "one tip a day" no
  longer reads old deliveries (filled from them here).
- `deliveries.finished_at`: when a row reached a final status, so pruning and /stats read an
  index instead of the whole table; `due_at` goes back to meaning only "due". Rows 0.1.0
  finished get the time it recorded then (kept in `sent_at`, or in `due_at`).
- `broadcast_drafts`: an admin's /broadcast preview, so the confirm button works on any replica.
- `schema_version`, the pre-Alembic record, is dropped.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "subscribers",
        sa.Column("blocked", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE subscribers SET blocked = true, state = 'active' WHERE state = 'blocked'")
    op.add_column("subscribers", sa.Column("last_planned", sa.Date(), nullable=True))
    op.execute(
        "UPDATE subscribers SET last_planned = (SELECT max(d.local_date) FROM deliveries d"
        " WHERE d.chat_id = subscribers.chat_id)"
    )
    op.add_column("deliveries", sa.Column("finished_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE deliveries SET finished_at = COALESCE(sent_at, due_at)"
        " WHERE status IN ('sent', 'blocked', 'rejected', 'expired', 'cancelled')"
    )
    op.create_index("ix_deliveries_status_finished", "deliveries", ["status", "finished_at"])
    op.create_table(
        "broadcast_drafts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.execute("DROP TABLE IF EXISTS schema_version")


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
