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
