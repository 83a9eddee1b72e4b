"""Choosing a quiz question and shaping it as Telegram's quiz poll wants it.

Kept apart from the handler so the choice and the poll's fields can be tested without Telegram.
Texts are escaped here because the bot's default parse mode (HTML) also applies to a poll's
question, options and explanation: a `<` or `&` in the bank must show as written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tipbot.content import render
from tipbot.content.models import QuizQuestion


@dataclass(frozen=True)
class QuizPoll:
    """The fields of one sendPoll(type=quiz) call, as Telegram HTML."""

    question_id: str
    question: str
    options: tuple[str, ...]
    correct_option_id: int
    explanation: str


def choose(
    questions: list[QuizQuestion], rng: random.Random, last: str | None = None
) -> QuizQuestion:
    """A random question, not the one asked last time when there is any other."""
    pool = [q for q in questions if q.id != last] or questions
    return rng.choice(pool)


def as_poll(question: QuizQuestion) -> QuizPoll:
    return QuizPoll(
        question.id,
        render.esc(question.question),
        tuple(render.esc(option) for option in question.options),
        question.correct_index,
        render.esc(question.explanation),
    )


@dataclass(frozen=True)
class QuizRecord:
    """A chat's own quiz history, for /status and /mydata: how many polls it was sent, how many
    it answered and got right, and its streak (right answers in a row, the latest first)."""

    sent: int
    answered: int
    right: int
    streak: int


def streak(answers_latest_first: list[bool]) -> int:
    """Right answers in a row, counted back from the latest answer; a wrong one ends it.
    Unanswered polls are not in the list: skipping a week does not break a streak."""
    count = 0
    for right in answers_latest_first:
        if not right:
            break
        count += 1
    return count


def weekly_choice(
    questions: list[QuizQuestion], asked: set[str], chat_id: int, week: str
) -> QuizQuestion:
    """The week's question for one chat: one it was never asked while any is left, picked the
    same way on every replica (seeded by chat and week), so a re-plan never changes it."""
    pool = [q for q in questions if q.id not in asked] or questions
    return random.Random(f"{chat_id}:{week}").choice(pool)
