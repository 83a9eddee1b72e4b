"""The optional profile (issue 11): one row per chat, one nullable column per answer.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("age_band", sa.String(8), nullable=True),
        sa.Column("sex", sa.String(16), nullable=True),
        sa.Column("region", sa.String(4), nullable=True),
        sa.Column("medicine", sa.String(64), nullable=True),
        sa.Column("kidney", sa.String(8), nullable=True),
        sa.Column("diet", sa.String(16), nullable=True),
    )


def downgrade() -> None:
    raise NotImplementedError("tipbot migrates forward only; restore a backup to go back")
