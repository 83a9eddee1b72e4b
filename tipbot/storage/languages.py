"""The language each chat chose with /language (it beats Telegram's `language_code`).

Its own table rather than a column of `subscribers`: anyone may choose a language, subscribed or
not, and the subscription code (being reworked separately) need not change. Keyed by chat, as a
subscription is, so a daily tip can be sent in the language its chat chose.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage.tables import metadata

language_choices = Table(
    "language_choices",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8), nullable=False),  # a tipbot.i18n.LANGUAGES code
    Column("chosen_at", DateTime, nullable=False),  # naive UTC, like every time in the schema
)


async def get(engine: AsyncEngine, chat_id: int) -> str | None:
    async with engine.connect() as conn:
        row = await conn.execute(
            select(language_choices.c.language).where(language_choices.c.chat_id == chat_id)
        )
        value = row.scalar_one_or_none()
    return str(value) if value is not None else None


async def choose(engine: AsyncEngine, chat_id: int, language: str, now: datetime) -> None:
    async with engine.begin() as conn:
        module = postgresql if conn.dialect.name == "postgresql" else sqlite
        insert = module.insert(language_choices).values(
            chat_id=chat_id, language=language, chosen_at=now
        )
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=[language_choices.c.chat_id],
                set_={"language": language, "chosen_at": now},
            )
        )


async def forget(engine: AsyncEngine, chat_id: int) -> int:
    """Delete the chat's choice (for /forget); return how many rows went."""
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(language_choices).where(language_choices.c.chat_id == chat_id)
        )
    return int(result.rowcount or 0)
