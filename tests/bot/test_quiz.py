"""/quiz end to end: a non-anonymous quiz poll from the bank, in private chats only."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock, User
from tests.fakebot.server import FakeBotApi, SentMessage, SentPoll
from tipbot import messages
from tipbot.content.models import Bank
from tipbot.content.quiz import QuizRecord
from tipbot.runner import Runner
from tipbot.storage import quiz as quiz_store

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


# --- Answers, the streak, the weekly quiz (issue 13) ---------------------------------------------


async def recorded(engine: AsyncEngine, chat_id: int, what: Callable[[QuizRecord], bool]) -> None:
    """Wait until the chat's quiz record satisfies `what`: updates are handled concurrently, so
    a vote is stored in its own time (and the poll's own record right after it was sent)."""
    for _ in range(250):  # up to about 5 s
        if what(await quiz_store.record(engine, chat_id)):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"the quiz record of chat {chat_id} did not change")


async def answer_and_check(
    runner: Runner, fake: FakeBotApi, user: User, poll: SentPoll, option: int
) -> SentMessage:
    """Vote once the poll is on record, wait for the vote to be stored, then ask /status."""
    before = await quiz_store.record(runner.engine, user.chat_id)
    await recorded(runner.engine, user.chat_id, lambda r: r.sent > before.answered)
    fake.push_poll_answer(poll.poll_id, user.chat_id, [option])
    await recorded(runner.engine, user.chat_id, lambda r: r.answered > before.answered)
    [status] = await user.send("/status")
    return status


def right_and_wrong(poll: SentPoll) -> tuple[int, int]:
    right = poll.correct_option_ids[0]
    return right, (right + 1) % len(poll.options)


async def test_answers_make_the_users_streak_in_status(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    user = User(fake_api, 4250)
    [status] = await user.send("/status")
    assert "Quiz" not in status.plain  # nothing before the first quiz
    first = await ask_quiz(fake_api, 4250)
    status = await answer_and_check(runner, fake_api, user, first, right_and_wrong(first)[0])
    assert messages.QUIZ_STATUS.format(right=1, answered=1, streak=1) in status.plain
    clock.advance(minutes=1)
    second = await ask_quiz(fake_api, 4250)
    status = await answer_and_check(runner, fake_api, user, second, right_and_wrong(second)[1])
    assert messages.QUIZ_STATUS.format(right=1, answered=2, streak=0) in status.plain
    clock.advance(minutes=1)
    third = await ask_quiz(fake_api, 4250)
    status = await answer_and_check(runner, fake_api, user, third, right_and_wrong(third)[0])
    assert messages.QUIZ_STATUS.format(right=2, answered=3, streak=1) in status.plain


SUNDAY = datetime(2026, 6, 7, 8, 0)  # the fixture's clock starts on Monday 1 June 2026


async def opt_in(user: User) -> SentMessage:
    await user.send("/subscribe 08:00 Europe/Berlin")
    [shown] = await user.send("/settings")
    assert messages.SETTINGS_QUIZ_OFF in shown.plain  # off unless asked for
    [edited] = await user.press(shown, "set:quiz:on")
    assert messages.SETTINGS_QUIZ_ON in edited.plain
    assert "set:quiz:off" in [b.get("callback_data") for b in edited.buttons]
    return edited


async def test_the_weekly_quiz_goes_through_the_outbox_once_a_week(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    user, other = User(fake_api, 4260), User(fake_api, 4261)
    await opt_in(user)
    await other.send("/subscribe 08:00 Europe/Berlin")  # tips only: no quiz
    clock.now = SUNDAY - timedelta(hours=2, minutes=1)  # 07:59 in Berlin (summer time)
    await deliverer.sweep()
    assert fake_api.polls_for(4260) == []
    clock.now = SUNDAY - timedelta(hours=2)  # 08:00 in Berlin
    await deliverer.sweep()
    await deliverer.sweep()  # planning and sending again change nothing: exactly once
    clock.advance(hours=3)
    await deliverer.sweep()
    [poll] = fake_api.polls_for(4260)
    assert (poll.type, poll.is_anonymous) == ("quiz", False)
    [question] = [q for q in bank.quiz if q.question == poll.question]
    assert poll.correct_option_ids == (question.correct_index,)
    assert fake_api.polls_for(4261) == []
    # The answer to the weekly poll counts like any other.
    status = await answer_and_check(runner, fake_api, user, poll, question.correct_index)
    assert messages.QUIZ_STATUS.format(right=1, answered=1, streak=1) in status.plain
    # Next Sunday: a question this chat has not had yet.
    clock.now = SUNDAY + timedelta(days=7) - timedelta(hours=2)
    await deliverer.sweep()
    first, second = fake_api.polls_for(4260)
    assert second.question != first.question


async def test_no_weekly_quiz_while_paused_or_after_opting_out(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    paused, out = User(fake_api, 4270), User(fake_api, 4271)
    await opt_in(paused)
    await paused.send("/pause")
    shown = await opt_in(out)
    [edited] = await out.press(shown, "set:quiz:off")
    assert messages.SETTINGS_QUIZ_OFF in edited.plain
    clock.now = SUNDAY - timedelta(hours=2)
    await deliverer.sweep()
    assert fake_api.polls_for(4270) == [] and fake_api.polls_for(4271) == []


async def test_mydata_shows_and_forget_deletes_the_quiz_record(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    user = User(fake_api, 4280)
    await opt_in(user)
    poll = await ask_quiz(fake_api, 4280)
    await answer_and_check(runner, fake_api, user, poll, 0)
    [mine] = await user.send("/mydata")
    weekly = messages.MYDATA_QUIZ_ON
    expected = messages.MYDATA_QUIZ.format(weekly=weekly, sent=1, answered=1)
    assert html.unescape(re.sub("<[^>]+>", "", expected)) in mine.plain
    [ask] = await user.send("/forget")
    await user.press(ask, "forget:yes")
    assert await quiz_store.record(runner.engine, 4280) == QuizRecord(0, 0, 0, 0)
    [status] = await user.send("/status")
    assert "Quiz" not in status.plain


async def test_groups_get_no_weekly_quiz_button(fake_api: FakeBotApi) -> None:
    fake_api.set_chat_member(-100_777, 4290, "administrator")
    fake_api.push_message(-100_777, "/subscribe 08:00 UTC", user_id=4290)
    await fake_api.wait_for_messages(-100_777, 1)
    fake_api.push_message(-100_777, "/settings", user_id=4290)
    [_, settings] = await fake_api.wait_for_messages(-100_777, 2)
    assert "set:quiet:on" in [b.get("callback_data") for b in settings.buttons]
    assert not [b for b in settings.buttons if b.get("callback_data", "").startswith("set:quiz")]
