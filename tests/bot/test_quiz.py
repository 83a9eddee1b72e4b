"""/quiz end to end: a non-anonymous quiz poll from the bank, in private chats only."""

from __future__ import annotations

import pytest

from tests.conftest import User
from tests.fakebot.server import FakeBotApi, SentPoll
from tipbot import messages
from tipbot.content.models import Bank

pytestmark = pytest.mark.usefixtures("runner")


async def ask_quiz(fake: FakeBotApi, chat_id: int) -> SentPoll:
    before = len(fake.polls_for(chat_id))
    fake.push_message(chat_id, "/quiz")
    await fake.wait_for(lambda: len(fake.polls_for(chat_id)) > before, what="a quiz poll")
    return fake.polls_for(chat_id)[-1]


async def test_quiz_sends_a_question_from_the_bank(fake_api: FakeBotApi, bank: Bank) -> None:
    poll = await ask_quiz(fake_api, 4242)
    assert (poll.type, poll.is_anonymous) == ("quiz", False)
    [question] = [q for q in bank.quiz if q.question == poll.question]
    assert poll.options == tuple(question.options)
    assert poll.correct_option_ids == (question.options.index(question.answer),)
    assert poll.explanation == question.explanation
    assert fake_api.messages_for(4242) == []  # the poll is the whole answer


async def test_a_second_quiz_asks_another_question(fake_api: FakeBotApi) -> None:
    first = await ask_quiz(fake_api, 4243)
    second = await ask_quiz(fake_api, 4243)
    assert first.question != second.question


async def test_an_answer_gets_no_reply_and_no_error(fake_api: FakeBotApi) -> None:
    poll = await ask_quiz(fake_api, 4244)
    fake_api.push_poll_answer(poll.poll_id, 4244, [0])
    # A command queued after the vote is a marker: once it is answered, the vote was handled.
    [marker] = await User(fake_api, 4244).send("/about")
    assert fake_api.messages_for(4244) == [marker]
    assert marker.text == messages.ABOUT


async def test_in_a_group_it_points_to_a_private_chat(fake_api: FakeBotApi) -> None:
    fake_api.push_message(-100_555, "/quiz", user_id=4245)
    [reply] = await fake_api.wait_for_messages(-100_555, 1)
    assert reply.plain == messages.QUIZ_PRIVATE_ONLY
    assert fake_api.polls == []
