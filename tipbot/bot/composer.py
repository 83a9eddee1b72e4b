"""What a delivery says: a daily tip or an announcement, as Telegram HTML with its keyboard.

A daily tip goes out in its chat's language (chosen with /language, or Telegram's, remembered at
/subscribe), each tip translated as a whole or else in English: never half-translated. A
broadcast sends the same few messages thousands of times, so each is rendered once and reused
(a tip by its id and language, an announcement by its broadcast id) instead of once per recipient.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup

from tipbot.bot import admin, keyboards
from tipbot.companion.profile import audience_tags
from tipbot.companion.selection import kidney_caution
from tipbot.content import render
from tipbot.content.models import AudienceTag, Bank
from tipbot.content.translations import Translations
from tipbot.i18n import DEFAULT, LANGUAGES, Translator
from tipbot.storage import deliveries as store
from tipbot.storage.deliveries import ClaimedDelivery

Message = tuple[str, InlineKeyboardMarkup | None]
#: Announcements are rare; keep the latest few in memory.
MAX_CACHED_BROADCASTS = 16


class Composer:
    def __init__(
        self, bank: Bank, engine: AsyncEngine, translations: Translations | None = None
    ) -> None:
        self.bank = bank
        self._engine = engine
        self._translations = translations or Translations(bank)
        self._tips: dict[tuple[str, str, bool], Message] = {}
        self._broadcasts: dict[tuple[int, str], Message] = {}

    async def __call__(self, job: ClaimedDelivery) -> Message | None:
        """The message for `job`, or None if there is nothing to send any more."""
        language = job.language or DEFAULT  # read with the claim, once per batch
        if language not in LANGUAGES:
            language = DEFAULT
        if job.broadcast_id is not None:
            return await self._broadcast(job.broadcast_id, language)
        kidney = AudienceTag.KIDNEY in audience_tags(job.profile)
        return self._tip(job.tip_id or "", language, kidney=kidney)

    def _tip(self, tip_id: str, language: str, *, kidney: bool) -> Message | None:
        """A tip in `language` (whole, or the English tip), with the kidney caution for a profile
        with kidney disease (yes or not sure) when the tip mentions supplements. The caution is
        the bank's English text until the bank's tables are translated: shown, never dropped."""
        key = (tip_id, language, kidney)
        if key not in self._tips:
            tip = self.bank.tip(tip_id)
            if tip is None:  # removed from the bank since it was planned
                return None
            t = Translator(language)
            shown = self._translations.tip(language, tip)  # the English tip if not translated
            tags = frozenset({AudienceTag.KIDNEY}) if kidney else frozenset()
            caution = kidney_caution(self.bank, tip, tags)
            self._tips[key] = (
                render.tip(self.bank, shown, t, caution),
                keyboards.daily_tip(t, tip.id),
            )
        return self._tips[key]

    async def _broadcast(self, broadcast_id: int, language: str) -> Message | None:
        """The admin's words as written, under a heading and a disclaimer button in the
        reader's language."""
        key = (broadcast_id, language)
        if key not in self._broadcasts:
            text = await store.broadcast_text(self._engine, broadcast_id)
            if text is None:
                return None
            if len(self._broadcasts) >= MAX_CACHED_BROADCASTS * len(LANGUAGES):
                self._broadcasts.pop(next(iter(self._broadcasts)))
            t = Translator(language)
            self._broadcasts[key] = (admin.broadcast_html(text, t), keyboards.plain(t))
        return self._broadcasts[key]
