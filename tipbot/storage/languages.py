"""The language each chat is spoken to in: chosen with /language (`chosen`), or the user's
Telegram `language_code` remembered when they subscribed, so daily tips, which arrive with no
update to read it from, come in that language too. A choice beats what Telegram says.

Its own table rather than a column of `subscribers`: anyone may choose a language, subscribed or
not, and the subscription code (being reworked separately) need not change. Keyed by chat, as a
subscription is, so a daily tip can be sent in the language its chat chose.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, String, Table, delete, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.storage.subscriptions import upsert
from tipbot.storage.tables import metadata

language_choices = Table(
    "language_choices",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8), nullable=False),  # a tipbot.i18n.LANGUAGES code
    Column("chosen_at", DateTime, nullable=False),  # naive UTC, like every time in the schema
    # True: picked with /language; False: Telegram's language_code, remembered at /subscribe.
    Column("chosen", Boolean, nullable=False, server_default=true()),
)


async def get(engine: AsyncEngine, chat_id: int, *, chosen_only: bool = False) -> str | None:
    """The chat's language, or None. `chosen_only`: only a /language choice (a reply follows
    the user's current Telegram language otherwise, which may have changed since)."""
    query = select(language_choices.c.language).where(language_choices.c.chat_id == chat_id)
    if chosen_only:
        query = query.where(language_choices.c.chosen.is_(True))
    async with engine.connect() as conn:
        value = (await conn.execute(query)).scalar_one_or_none()
    return str(value) if value is not None else None


async def choose(engine: AsyncEngine, chat_id: int, language: str, now: datetime) -> None:
    """The user picked `language` with /language: it wins from now on."""
    await _put(engine, chat_id, language, now, chosen=True)


async def remember(engine: AsyncEngine, chat_id: int, language: str, now: datetime) -> None:
    """Telegram says the user's app is in `language`: keep it for their daily tips, unless they
    chose a language themselves (a choice is never overwritten by this)."""
    await _put(engine, chat_id, language, now, chosen=False)


async def _put(
    engine: AsyncEngine, chat_id: int, language: str, now: datetime, *, chosen: bool
) -> None:
    async with engine.begin() as conn:
        insert = upsert(conn)(language_choices).values(
            chat_id=chat_id, language=language, chosen_at=now, chosen=chosen
        )
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=[language_choices.c.chat_id],
                set_={"language": language, "chosen_at": now, "chosen": chosen},
                # Telegram's language never replaces a choice.
                where=None if chosen else language_choices.c.chosen.is_(False),
            )
        )


async def forget(engine: AsyncEngine, chat_id: int) -> int:
    """Delete the chat's choice (for /forget); return how many rows went."""
    async with engine.begin() as conn:
        result = await conn.execute(
            delete(language_choices).where(language_choices.c.chat_id == chat_id)
        )
    return int(result.rowcount or 0)
