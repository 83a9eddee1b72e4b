"""Admin commands, registered only for the user ids in TIPBOT_ADMIN_IDS.

Anyone else who types /stats or /broadcast falls through to the ordinary unknown-command answer,
so nothing hints that admin commands exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer, callback_part
from tipbot.bot.services import Services, services
from tipbot.content.render import esc
from tipbot.i18n import ENGLISH, FALLBACKS, LANGUAGES, NATIVE_NAMES, Translator
from tipbot.storage import deliveries, sources, votes
from tipbot.storage import subscriptions as subscription_store
from tipbot.storage.tables import DeliveryStatus
from tipbot.subscriptions import Standing

Context = ContextTypes.DEFAULT_TYPE
#: Room left in a 4096-character message for the "Announcement" framing.
MAX_BROADCAST_CHARS = 3500
BROADCAST_EXPIRY = timedelta(hours=24)


def broadcast_html(text: str, t: Translator = ENGLISH) -> str:
    """The announcement as sent: the heading in the reader's language, then the admin's words
    (in the one language they were written in), escaped like any other dynamic text."""
    return f"{t.gettext(messages.BROADCAST_HEADING)}\n\n{esc(text)}"


async def stats(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    states = await subscription_store.count_by_state(svc.engine)
    since = svc.clock() - timedelta(hours=24)
    counts = await deliveries.counts_since(svc.engine, since)
    failed = sum(
        counts[s]
        for s in (
            DeliveryStatus.FAILED,
            DeliveryStatus.BLOCKED,
            DeliveryStatus.REJECTED,
            DeliveryStatus.EXPIRED,
        )
    )
    text = t.gettext(messages.ADMIN_STATS).format(
        active=states[Standing.ACTIVE],
        paused=states[Standing.PAUSED],
        blocked=states[Standing.BLOCKED],
        unsubscribed=states[Standing.UNSUBSCRIBED],
        sent=counts[DeliveryStatus.SENT],
        failed=failed,
        pending=counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.SENDING],
        tips=len(svc.bank.tips),
        sources=len(svc.bank.sources),
    )
    text += await _codes_and_votes(svc, t)
    text += fallbacks_text(FALLBACKS, svc.translations.fallbacks, t)
    await answer(update, text, keyboards.plain(t))


def fallbacks_text(strings: Mapping[str, int], tips: Mapping[str, int], t: Translator) -> str:
    """Per language, how many fixed strings and bank items were shown in English because their
    translation was missing, since this process started (`tipbot.i18n.FALLBACKS` and
    `Translations.fallbacks`): the list of what translators should fill in next."""
    rows = [
        t.gettext(messages.ADMIN_STATS_FALLBACK).format(
            language=NATIVE_NAMES[language], strings=strings[language], tips=tips[language]
        )
        for language in LANGUAGES[1:]
        if strings.get(language, 0) or tips.get(language, 0)
    ]
    if not rows:
        return t.gettext(messages.ADMIN_STATS_NO_FALLBACKS)
    return t.gettext(messages.ADMIN_STATS_FALLBACKS) + "".join(rows)


#: Rows of each /stats table: enough to act on, and well inside one 4096-character message.
STATS_ROWS = 15


async def _codes_and_votes(svc: Services, t: Translator) -> str:
    """Subscribers per deep-link code, and tips by 👎 / 👍, when there are any."""
    text = ""
    codes = await sources.counts_by_code(svc.engine, STATS_ROWS)
    if codes:
        text += t.gettext(messages.ADMIN_STATS_CODES) + "".join(
            t.gettext(messages.ADMIN_STATS_CODE).format(
                code=esc(c.code), chats=c.chats, subscribers=c.subscribers, active=c.active
            )
            for c in codes
        )
    tallies = await votes.counts(svc.engine, STATS_ROWS)
    if tallies:
        row = t.gettext(messages.ADMIN_STATS_VOTE)
        text += t.gettext(messages.ADMIN_STATS_VOTES) + "".join(
            row.format(tip=esc(v.tip_id), down=v.down, up=v.up) for v in tallies
        )
    return text


async def broadcast(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    message = update.effective_message
    raw = (message.text or "") if message else ""
    parts = raw.split(maxsplit=1)
    text = parts[1].strip() if len(parts) > 1 else ""
    if not text:
        await answer(update, t.gettext(messages.BROADCAST_USAGE), keyboards.plain(t))
        return
    if len(text) > MAX_BROADCAST_CHARS:
        too_long = t.gettext(messages.BROADCAST_TOO_LONG)
        await answer(
            update, too_long.format(length=len(text), limit=MAX_BROADCAST_CHARS), keyboards.plain(t)
        )
        return
    user = update.effective_user
    draft_id = await deliveries.save_draft(svc.engine, text, user.id if user else 0, svc.clock())
    count = (await subscription_store.count_by_state(svc.engine))[Standing.ACTIVE]
    await answer(update, t.ngettext(messages.BROADCAST_PREVIEW, count).format(count=count))
    await answer(update, broadcast_html(text, t), keyboards.broadcast_confirm(str(draft_id), t))


async def broadcast_button(update: Update, context: Context) -> None:
    """`bc:yes:<draft>` queues the announcement through the delivery pipeline; `bc:no:<draft>`
    drops it. Drafts live in the database, so the press may reach any replica."""
    svc = services(context)
    user = update.effective_user
    if user is None or user.id not in svc.settings.admin_ids:
        if update.callback_query:
            await update.callback_query.answer()
        return
    t = await translator_for(update, context)
    part = callback_part(update, 2)
    draft_id = int(part) if part.isdecimal() and len(part) < 19 else None  # forged: no draft
    if callback_part(update, 1) != "yes":
        if draft_id is not None:
            await deliveries.drop_draft(svc.engine, draft_id)
        await answer(update, t.gettext(messages.BROADCAST_CANCELLED), keyboards.plain(t))
        return
    queued = None
    if draft_id is not None:
        queued = await deliveries.broadcast_draft(
            svc.engine, draft_id, user.id, svc.clock(), BROADCAST_EXPIRY
        )
    if queued is None:
        await answer(update, t.gettext(messages.BROADCAST_EXPIRED), keyboards.plain(t))
        return
    queued_text = t.ngettext(messages.BROADCAST_QUEUED, queued[1]).format(count=queued[1])
    await answer(update, queued_text, keyboards.plain(t))
    if svc.deliverer is not None:
        # Start at once rather than at the next scheduled sweep.
        context.application.create_task(svc.deliverer.sweep(), name="tipbot-sweep-now")
