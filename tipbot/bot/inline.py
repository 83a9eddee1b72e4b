"""Inline mode: `@bot almonds` typed in any chat answers with cards from the bank to share.

Thin on purpose: the cards and the matching live in `tipbot.content.inline_search`, built once
per process and language. The answer depends on the asker's language, so Telegram may cache it
for a day, but per user (`is_personal`): otherwise a German user could get Spanish cards.
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

from tipbot.bot.language import language_of
from tipbot.bot.services import services

#: Public content that changes only with a new release: let Telegram reuse an answer for a day.
CACHE_SECONDS = 24 * 60 * 60


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    if query is None:
        return
    language = await language_of(update, context)
    cards = services(context).inline_for(language).search(query.query)
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
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
