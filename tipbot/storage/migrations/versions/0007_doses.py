"""Delivery kinds for the dose companion (issue 11) and the weekly quiz.

- `deliveries.kind`: what a row is (tip, broadcast, dose, dose_followup, dose_wait, appointment,
  quiz). Existing rows are tips, or broadcasts where they carry a broadcast id.
- `deliveries.ref` and `deliveries.payload`: for the newer kinds, the key that makes a row unique
  within its chat and kind (unique constraint `uq_deliveries_chat_kind_ref`: each scheduled dose
  is planned exactly once), and a short value the composer needs.
- `ix_deliveries_keyed_due`: a partial index, so claims find due reminders before tips cheaply.
- `dose_plans` (one per chat: the schedule and the next reminder due) and `dose_log` (one row per
  scheduled dose: taken, skipped, snoozed, not logged, missed).

SQLite cannot add a constraint to a table: the table is rebuilt (Alembic's batch mode), with its
partial index dropped first and made again after, as batch mode would not keep its WHERE.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_tips_due", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="tip"))
        batch.add_column(sa.Column("ref", sa.String(64), nullable=True))
        batch.add_column(sa.Column("payload", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_deliveries_chat_kind_ref", ["chat_id", "kind", "ref"])
    op.execute("UPDATE deliveries SET kind = 'broadcast' WHERE broadcast_id IS NOT NULL")
    op.create_index(
        "ix_deliveries_tips_due",
        "deliveries",
        ["status", "due_at"],
        sqlite_where=sa.text("local_date IS NOT NULL"),
        postgresql_where=sa.text("local_date IS NOT NULL"),
    )
    op.create_index(
        "ix_deliveries_keyed_due",
        "deliveries",
        ["status", "due_at"],
        sqlite_where=sa.text("ref IS NOT NULL"),
        postgresql_where=sa.text("ref IS NOT NULL"),
    )

    op.create_table(
        "dose_plans",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("medicine", sa.String(64), nullable=False),
        sa.Column("repeat", sa.String(16), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("month_day", sa.SmallInteger(), nullable=True),
        sa.Column("last_day", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("anchor", sa.Date(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dose_plans_next_due_at", "dose_plans", ["next_due_at"])
    op.create_table(
        "dose_log",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("scheduled_at", sa.DateTime(), primary_key=True),
        sa.Column("medicine", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("snoozes", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
