"""Everything stored about one chat, read for /mydata: the person's right to see it in one place.

Reads only; deleting all of it is `storage.subscriptions.forget`. A new table about a person
must be added to both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.companion.profile import Profile
from tipbot.storage import profiles
from tipbot.storage.subscriptions import get as get_subscriber
from tipbot.storage.tables import deliveries, subscribers
from tipbot.subscriptions import Subscriber


@dataclass(frozen=True)
class StoredData:
    subscriber: Subscriber | None
    #: Tips sent in the current round of the rotation (their ids are stored to avoid repeats).
    tips_this_round: int
    #: Delivery rows (tips and announcements) still kept for this chat.
    deliveries: int
    profile: Profile | None


async def stored_about(engine: AsyncEngine, chat_id: int) -> StoredData:
    subscriber = await get_subscriber(engine, chat_id)
    async with engine.connect() as conn:
        sent = await conn.scalar(
            select(subscribers.c.cycle_sent).where(subscribers.c.chat_id == chat_id)
        )
        count = await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.chat_id == chat_id)
        )
    profile = await profiles.get(engine, chat_id)
    return StoredData(subscriber, len((sent or "").split()), int(count or 0), profile)
