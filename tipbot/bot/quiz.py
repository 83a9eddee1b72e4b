"""/quiz, the weekly quiz and the answers: quiz polls from the bank, non-anonymous so that
Telegram reports who answered, and so sent only in private chats (in a group everyone would see
each member's answer).

An answer (`poll_answer` update) names only the poll: each poll sent is stored with its chat and
question, and an answer in the user's own private chat is kept as right or wrong, for their
streak in /status. Nothing else about it is kept, and nothing is replied.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Poll, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer
from tipbot.bot.services import services
from tipbot.content.models import Bank
from tipbot.content.quiz import as_poll, choose, weekly_choice
from tipbot.content.translations import Translations
from tipbot.delivery import kinds, quiz_week
from tipbot.i18n import DEFAULT
from tipbot.storage import quiz as store
from tipbot.storage.deliveries import ClaimedDelivery, KeyedRow, plan_keyed
from tipbot.storage.tables import DeliveryKind

log = logging.getLogger(__name__)

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
    svc = services(context)
    # The questions in the reader's language; one not translated yet is asked in English, whole.
    questions = svc.translations.bank_for(t.language).quiz
    if not questions:
        await answer(update, t.gettext(messages.QUIZ_EMPTY), keyboards.plain(t))
        return
    chat_data = context.chat_data if context.chat_data is not None else {}
    chosen = choose(questions, random.Random(), chat_data.get(LAST_QUESTION))
    poll = as_poll(chosen)
    sent = await chat.send_poll(
        poll.question,
        list(poll.options),
        type=Poll.QUIZ,
        # Bot API 9.6 names the right answers in a list (PTB 22.8 deprecates correct_option_id).
        # PTB types the ids as literals 0-11; the bank's schema already bounds them to 0-9.
        correct_option_ids=cast(Any, [poll.correct_option_id]),
        explanation=poll.explanation,
        is_anonymous=False,
    )
    chat_data[LAST_QUESTION] = chosen.id
    if sent.poll is None:
        return
    # The poll is out already, so a failure here only loses that answer's record (one log
    # line, no error shown).
    try:
        await store.record_poll(
            svc.engine, sent.poll.id, chat.id, chosen.id, poll.correct_option_id, svc.clock()
        )
    except SQLAlchemyError:
        log.exception("could not record a quiz poll")


async def poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A vote in one of the bot's quiz polls: kept (right or wrong) only when the poll went to
    the voter's own private chat. A vote on behalf of a chat (`voter_chat`) has no user."""
    vote = update.poll_answer
    if vote is None or vote.user is None:
        return
    svc = services(context)
    await store.record_answer(
        svc.engine, vote.poll_id, vote.user.id, list(vote.option_ids), svc.clock()
    )


class WeeklyQuiz:
    """The weekly quiz's side of the outbox: plans one poll per opted-in private chat and week
    (`kinds.Planner`), composes it, and records its poll id once sent."""

    def __init__(
        self,
        bank: Bank,
        engine: AsyncEngine,
        catchup: timedelta,
        clock: Callable[[], datetime],
        translations: Translations,
    ) -> None:
        self.bank = bank
        self._translations = translations
        self._engine = engine
        self._catchup = catchup
        self._clock = clock

    async def plan(self, engine: AsyncEngine, now: datetime) -> int:
        """Plan this week's quiz for every chat it is due for; the week goes on the subscription
        (no re-planning) and into the row's unique key (exactly once, even across replicas)."""
        if not self.bank.quiz:
            return 0
        added = 0
        async with engine.begin() as conn:
            due = []
            for chat in await store.weekly_chats(conn):
                found = quiz_week.due_now(
                    chat.send_minute, chat.tz, chat.quiz_week, now, self._catchup
                )
                if found is not None:
                    due.append((chat, *found))
            asked = await store.asked(conn, [chat.chat_id for chat, _, _ in due])
            rows = []
            for chat, week, due_at in due:
                question = weekly_choice(self.bank.quiz, asked[chat.chat_id], chat.chat_id, week)
                rows.append(
                    KeyedRow(
                        chat.chat_id,
                        DeliveryKind.QUIZ,
                        week,
                        due_at,
                        due_at + self._catchup,
                        payload=question.id,
                    )
                )
                await store.mark_planned(conn, chat.chat_id, week)
            if rows:
                added = await plan_keyed(conn, rows)
        return added

    async def next_due(self, engine: AsyncEngine) -> datetime | None:
        if not self.bank.quiz:
            return None
        now = self._clock()
        async with engine.connect() as conn:
            chats = await store.weekly_chats(conn)
        times = [quiz_week.next_due(c.send_minute, c.tz, c.quiz_week, now) for c in chats]
        return min(times, default=None)

    async def compose(self, job: ClaimedDelivery) -> kinds.Poll | None:
        """The planned question as a quiz poll in the chat's language (the English question,
        whole, where not translated); None when the bank no longer has it."""
        shown = self._translations.bank_for(job.language or DEFAULT)
        question = next((q for q in shown.quiz if q.id == job.payload), None)
        if question is None:
            return None
        poll = as_poll(question)
        return kinds.Poll(
            poll.question, poll.options, poll.correct_option_id, poll.explanation, False
        )

    async def sent(self, job: ClaimedDelivery, poll_id: str) -> None:
        """The weekly poll went out: remember where its answer belongs."""
        question = next((q for q in self.bank.quiz if q.id == job.payload), None)
        if job.kind != DeliveryKind.QUIZ or question is None:
            return
        await store.record_poll(
            self._engine, poll_id, job.chat_id, question.id, question.correct_index, self._clock()
        )
