"""What a delivery says: a daily tip or an announcement, as Telegram HTML with its keyboard; or,
for the kinds other parts of the bot add (dose reminders, the weekly quiz), whatever the handler
registered for that kind returns (`Composer.register`): a message, a poll, or `Skip`.

A daily tip goes out in its chat's language (chosen with /language, or Telegram's, remembered at
/subscribe), each tip translated as a whole or else in English: never half-translated. A
broadcast sends the same few messages thousands of times, so each is rendered once and reused
(a tip by its id and language, an announcement by its broadcast id) instead of once per recipient.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup

from tipbot.bot import admin, keyboards
from tipbot.companion.profile import audience_tags
from tipbot.companion.selection import kidney_caution
from tipbot.content import render
from tipbot.content.models import AudienceTag, Bank
from tipbot.content.translations import Translations
from tipbot.delivery.kinds import Poll, Skip
from tipbot.i18n import DEFAULT, LANGUAGES, Translator
from tipbot.storage import deliveries as store
from tipbot.storage.deliveries import ClaimedDelivery
from tipbot.storage.tables import DeliveryKind

Message = tuple[str, InlineKeyboardMarkup | None]
#: What a delivery sends: a text message, a poll, or nothing (`Skip`: recorded as cancelled;
#: None: the content is gone, recorded as rejected).
Outgoing = Message | Poll | Skip
#: Composes the rows of one kind (registered with `Composer.register`).
Handler = Callable[[ClaimedDelivery], Awaitable[Outgoing | None]]
PollSent = Callable[[ClaimedDelivery, str], Awaitable[None]]
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
        self._broadcasts: dict[int, Message] = {}
        self._handlers: dict[str, Handler] = {}
        self._poll_hooks: dict[str, PollSent] = {}

    def register(self, kind: DeliveryKind, handler: Handler) -> None:
        """Compose the rows of `kind` with `handler` (one handler per kind; tips and broadcasts
        are built in). A handler reads what it needs from the row (`ref`, `payload`, `language`)
        and returns the message, a `Poll`, `Skip` when it need not be sent any more, or None
        when its content is gone."""
        if kind in (DeliveryKind.TIP, DeliveryKind.BROADCAST) or kind in self._handlers:
            raise ValueError(f"a composer for {kind!r} already exists")
        self._handlers[kind] = handler

    def on_poll_sent(self, kind: DeliveryKind, hook: PollSent) -> None:
        """Call `hook(job, poll_id)` after a poll of `kind` was delivered (an answer to a poll
        names only the poll's id, so the quiz stores where it went)."""
        self._poll_hooks[kind] = hook

    async def poll_sent(self, job: ClaimedDelivery, poll_id: str) -> None:
        hook = self._poll_hooks.get(job.kind)
        if hook is not None:
            await hook(job, poll_id)

    async def __call__(self, job: ClaimedDelivery) -> Outgoing | None:
        """What to send for `job`, or None if there is nothing to send any more."""
        if job.kind == DeliveryKind.BROADCAST or job.broadcast_id is not None:
            return await self._broadcast(job.broadcast_id or 0)
        if job.kind != DeliveryKind.TIP:
            handler = self._handlers.get(job.kind)
            # A kind nobody composes here (a newer version planned it): nothing to send.
            return await handler(job) if handler is not None else None
        language = job.language or DEFAULT  # read with the claim, once per batch
        kidney = AudienceTag.KIDNEY in audience_tags(job.profile)
        return self._tip(
            job.tip_id or "", language if language in LANGUAGES else DEFAULT, kidney=kidney
        )

    def _tip(self, tip_id: str, language: str, *, kidney: bool) -> Message | None:
        """A tip in `language` (whole, or the English tip), with the kidney caution for a profile
        with kidney disease (yes or not sure) when the tip mentions supplements. The caution is
        the bank's, in `language` when translated (else English): shown, never dropped."""
        key = (tip_id, language, kidney)
        if key not in self._tips:
            tip = self.bank.tip(tip_id)
            if tip is None:  # removed from the bank since it was planned
                return None
            t = Translator(language)
            shown = self._translations.tip(language, tip)  # the English tip if not translated
            tags = frozenset({AudienceTag.KIDNEY}) if kidney else frozenset()
            caution = kidney_caution(self._translations.bank_for(language), tip, tags)
            self._tips[key] = (
                render.tip(self.bank, shown, t, caution),
                keyboards.daily_tip(t, tip.id),
            )
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
