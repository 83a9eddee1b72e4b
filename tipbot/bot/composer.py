"""What a delivery says: a daily tip or an announcement, as Telegram HTML with its keyboard.

A broadcast sends the same few messages thousands of times, so each is rendered once and reused
(a tip by its id, an announcement by its broadcast id) instead of once per recipient.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup

from tipbot.bot import admin, keyboards
from tipbot.companion.profile import audience_tags
from tipbot.companion.selection import kidney_caution
from tipbot.content import render
from tipbot.content.models import AudienceTag, Bank
from tipbot.storage import deliveries as store
from tipbot.storage.deliveries import ClaimedDelivery

Message = tuple[str, InlineKeyboardMarkup | None]
#: Announcements are rare; keep the latest few in memory.
MAX_CACHED_BROADCASTS = 16


class Composer:
    def __init__(self, bank: Bank, engine: AsyncEngine) -> None:
        self._bank = bank
        self._engine = engine
        self._tips: dict[tuple[str, bool], Message] = {}
        self._broadcasts: dict[int, Message] = {}

    async def __call__(self, job: ClaimedDelivery) -> Message | None:
        """The message for `job`, or None if there is nothing to send any more."""
        if job.broadcast_id is not None:
            return await self._broadcast(job.broadcast_id)
        return self._tip(job.tip_id or "", kidney=AudienceTag.KIDNEY in audience_tags(job.profile))

    def _tip(self, tip_id: str, *, kidney: bool) -> Message | None:
        """A tip, with the kidney caution for a profile with kidney disease (yes or not sure)
        when the tip mentions supplements (`companion.selection.kidney_caution`)."""
        key = (tip_id, kidney)
        if key not in self._tips:
            tip = self._bank.tip(tip_id)
            if tip is None:  # removed from the bank since it was planned
                return None
            tags = frozenset({AudienceTag.KIDNEY}) if kidney else frozenset()
            caution = kidney_caution(self._bank, tip, tags)
            self._tips[key] = (render.tip(self._bank, tip, caution), keyboards.daily_tip())
        return self._tips[key]

    async def _broadcast(self, broadcast_id: int) -> Message | None:
        if broadcast_id not in self._broadcasts:
            text = await store.broadcast_text(self._engine, broadcast_id)
            if text is None:
                return None
            if len(self._broadcasts) >= MAX_CACHED_BROADCASTS:
                self._broadcasts.pop(next(iter(self._broadcasts)))
            self._broadcasts[broadcast_id] = (admin.broadcast_html(text), keyboards.plain())
        return self._broadcasts[broadcast_id]
