"""👍 / 👎 under a daily tip (`fb:+:<tip id>`, `fb:-:<tip id>`): store the chat's vote and answer
with a short toast; the message itself does not change, so the chat stays quiet."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from tipbot import feedback, messages
from tipbot.bot.language import translator_for
from tipbot.bot.replies import callback_part
from tipbot.bot.services import services
from tipbot.storage import votes


async def vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    svc = services(context)
    t = await translator_for(update, context)
    choice = feedback.parse_sign(callback_part(update, 1, 2))
    tip_id = callback_part(update, 2, 2)
    if choice is None or svc.bank.tip(tip_id) is None:  # forged, or the tip left the bank
        await query.answer(t.gettext(messages.FEEDBACK_UNKNOWN))
        return
    before = await votes.cast(svc.engine, chat.id, tip_id, choice, svc.clock())
    await query.answer(t.gettext(feedback.toast(before, choice)))
