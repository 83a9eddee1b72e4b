"""The /foods chart as a photo: drawn off the event loop, then sent through the `PhotoCache`.

The chart is an extra: if drawing or sending it fails, the text answer still goes out, so a
broken font cache or a full disk never costs a user their food list.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError

from tipbot import messages
from tipbot.bot.services import Services
from tipbot.content import render
from tipbot.content.chart import Reference, render_chart
from tipbot.i18n import ENGLISH, Translator

log = logging.getLogger(__name__)

#: Telegram's limit on a photo caption, counted on the visible text.
MAX_CAPTION = 1024


async def send_food_chart(update: Update, svc: Services, t: Translator = ENGLISH) -> None:
    """Send the food chart for the Daily Value (a user's own reference comes with profiles),
    drawn in the reader's language (one cached picture per language)."""
    chat = update.effective_chat
    if chat is None:
        return
    table = svc.translations.bank_for(t.language).foods  # names and servings in the language
    reference = Reference(table.daily_value_mg, t.gettext(messages.CHART_REFERENCE_DV))
    try:
        drawn = svc.food_charts.get(t.language)
        if drawn is not None and drawn[0] is table:
            chart = drawn[1]
        else:
            chart = await asyncio.to_thread(
                render_chart, table, reference, svc.chart_dir, t.language
            )
            svc.food_charts[t.language] = (table, chart)
        await svc.photos.send(
            chat.get_bot(),
            chat.id,
            chart.key,
            chart.path,
            caption=render.esc(chart.alt_text[:MAX_CAPTION]),
        )
    except (OSError, ValueError, TelegramError):
        svc.food_charts.pop(t.language, None)  # e.g. the cache directory was emptied: draw again
        log.warning("could not send the food chart", exc_info=True)
