"""Leases in their own column, tips claimed before broadcasts, process heartbeats.

`due_at` keeps one meaning (when a delivery is due); a claim's lease goes to `lease_until`.
Rows 0.1.0 left `sending` kept their lease in `due_at`, so it is copied over. (The numbered
migration 3 of the pre-Alembic code made the same changes.)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.execute("UPDATE deliveries SET lease_until = due_at WHERE status = 'sending'")
    tips = sa.text("local_date IS NOT NULL")
    op.create_index(
        "ix_deliveries_tips_due",
        "deliveries",
        ["status", "due_at"],
        sqlite_where=tips,
        postgresql_where=tips,
    )
    op.create_table(
        "processes",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
