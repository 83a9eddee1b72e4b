"""The language each chat is spoken to in: chosen with /language, or Telegram's `language_code`
remembered when the chat subscribed (tipbot.storage.languages).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "language_choices",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
