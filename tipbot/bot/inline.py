"""Inline mode: `@bot almonds` typed in any chat answers with cards from the bank to share.

Thin on purpose: the cards and the matching live in `tipbot.content.inline_search`, built once
per process. The answer involves no user data, so Telegram may cache it for everyone for a day.
"""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from tipbot.bot.services import services

#: Public content that changes only with a new release: let Telegram reuse an answer for a day.
CACHE_SECONDS = 24 * 60 * 60


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    if query is None:
        return
    cards = services(context).inline.search(query.query)
    results = [
        InlineQueryResultArticle(
            id=card.id,
            title=card.title,
            description=card.description,
            input_message_content=InputTextMessageContent(
                card.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )
        for card in cards
    ]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)
