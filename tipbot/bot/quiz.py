"""/quiz: one question from the bank at once, as a Telegram quiz poll.

The poll is non-anonymous so that a later streak feature can see who answered (Telegram reports
votes only for such polls), which is also why it is sent only in private chats: in a group,
everyone would see each member's answer.
"""

from __future__ import annotations

import random
from typing import Any, cast

from telegram import Poll, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer
from tipbot.bot.services import services
from tipbot.content.quiz import as_poll, choose

#: Remembered per chat in PTB's chat_data (memory only) so a second /quiz asks something new.
LAST_QUESTION = "quiz_last"


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    t = await translator_for(update, context)
    if chat.type != ChatType.PRIVATE:
        await answer(update, t.gettext(messages.QUIZ_PRIVATE_ONLY), keyboards.plain(t))
        return
    # The questions in the reader's language; one not translated yet is asked in English, whole.
    questions = services(context).translations.bank_for(t.language).quiz
    if not questions:
        await answer(update, t.gettext(messages.QUIZ_EMPTY), keyboards.plain(t))
        return
    chat_data = context.chat_data if context.chat_data is not None else {}
    chosen = choose(questions, random.Random(), chat_data.get(LAST_QUESTION))
    poll = as_poll(chosen)
    await chat.send_poll(
        poll.question,
        list(poll.options),
        type=Poll.QUIZ,
        # PTB types the ids as literals 0-11; the bank's schema already bounds them to 0-9.
        correct_option_ids=cast(Any, [poll.correct_option_id]),
        explanation=poll.explanation,
        is_anonymous=False,
    )
    chat_data[LAST_QUESTION] = chosen.id
