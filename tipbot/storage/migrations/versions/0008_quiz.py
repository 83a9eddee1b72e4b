"""The weekly quiz (issue 13): the opt-in and the week last planned on each subscription, and
one row per quiz poll sent to a private chat (poll id -> chat and question) with its answer.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(
            sa.Column("quiz_weekly", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("quiz_week", sa.String(8), nullable=True))
    op.create_table(
        "quiz_polls",
        sa.Column("poll_id", sa.String(64), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("correct_option", sa.SmallInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_quiz_polls_chat", "quiz_polls", ["chat_id", "sent_at"])


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
