"""Who gets an answer, end to end against the fake Bot API, and the metric labels updates get.

Each silent case is pushed, then a known command from another user; once that command's answer has
arrived and the Application is idle, every earlier update has been handled, so an answer the case
caused would be recorded by then. The answered cases use the same helper, so it is shown to see
answers when there are some.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.fakebot.server import FakeBotApi
from tipbot import messages
from tipbot.bot.app import BUTTONS, KNOWN_COMMANDS
from tipbot.runner import Runner

GROUP = -4_001
SUPERGROUP = -1_002_000_004_001
CHANNEL = -1_003_000_004_001
MEMBER = 777
PRIVATE = 4_321
WITNESS = 5_150  # sends the known command that shows the earlier updates were handled

pytestmark = pytest.mark.usefixtures("runner")


async def settled(runner: Runner) -> None:
    """Wait until every update PTB has fetched so far has been handled."""
    app = runner.application

    def busy() -> bool:
        return not app.update_queue.empty() or app.update_processor.current_concurrent_updates > 0

    async with asyncio.timeout(5):
        while busy():  # noqa: ASYNC110 - PTB offers no event for "idle"
            await asyncio.sleep(0.01)


async def answers_to(
    fake: FakeBotApi, runner: Runner, chat_id: int, push: Callable[[], object]
) -> list[str]:
    """What the bot sent to `chat_id` because of `push()` (as sent: HTML)."""
    before = len(fake.messages_for(chat_id))
    witnessed = len(fake.messages_for(WITNESS))
    push()
    fake.push_message(WITNESS, "/about")
    await fake.wait_for_messages(WITNESS, witnessed + 1)
    await settled(runner)
    assert [m.text for m in fake.messages_for(WITNESS)[witnessed:]] == [messages.ABOUT]
    return [m.text for m in fake.messages_for(chat_id)[before:]]


# --- answered ---------------------------------------------------------------------------------


async def test_free_text_and_unknown_commands_are_answered_in_private(
    fake_api: FakeBotApi, runner: Runner
) -> None:
    hello = await answers_to(fake_api, runner, PRIVATE, say(fake_api, "hello"))
    assert hello == [messages.UNKNOWN_TEXT]
    unknown = await answers_to(fake_api, runner, PRIVATE, say(fake_api, "/frobnicate"))
    assert unknown == [messages.UNKNOWN_COMMAND]


@pytest.mark.parametrize("chat_id", [GROUP, SUPERGROUP])
@pytest.mark.parametrize("text", ["/about", "/about@tipbot_test_bot", "/ABOUT@TipBot_Test_Bot"])
async def test_a_command_for_this_bot_is_answered_in_a_group(
    fake_api: FakeBotApi, runner: Runner, chat_id: int, text: str
) -> None:
    def push() -> object:
        return fake_api.push_message(chat_id, text, user_id=MEMBER)

    assert await answers_to(fake_api, runner, chat_id, push) == [messages.ABOUT]


# --- silent ------------------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", [GROUP, SUPERGROUP])
@pytest.mark.parametrize(
    "text", ["hello everyone", "/frobnicate", "/start@otherbot", "/frobnicate@otherbot"]
)
async def test_group_talk_and_commands_for_others_get_no_answer(
    fake_api: FakeBotApi, runner: Runner, chat_id: int, text: str
) -> None:
    def push() -> object:
        return fake_api.push_message(chat_id, text, user_id=MEMBER)

    assert await answers_to(fake_api, runner, chat_id, push) == []


@pytest.mark.parametrize("text", ["/start@otherbot", "/frobnicate@otherbot"])
async def test_a_command_for_another_bot_gets_no_answer_in_private(
    fake_api: FakeBotApi, runner: Runner, text: str
) -> None:
    def push() -> object:
        return fake_api.push_message(PRIVATE, text)

    assert await answers_to(fake_api, runner, PRIVATE, push) == []


@pytest.mark.parametrize(("first", "edited"), [("/about", "/help"), ("helo", "hello")])
async def test_edited_messages_get_no_answer(
    fake_api: FakeBotApi, runner: Runner, first: str, edited: str
) -> None:
    sent = fake_api.push_message(PRIVATE, first)
    await fake_api.wait_for_messages(PRIVATE, 1)
    message_id = sent["message"]["message_id"]

    def push() -> object:
        return fake_api.push_edited_message(PRIVATE, message_id, edited)

    assert await answers_to(fake_api, runner, PRIVATE, push) == []


@pytest.mark.parametrize("text", ["A new post", "/help", "/start@tipbot_test_bot"])
async def test_channel_posts_get_no_answer(fake_api: FakeBotApi, runner: Runner, text: str) -> None:
    def push() -> object:
        return fake_api.push_channel_post(CHANNEL, text)

    assert await answers_to(fake_api, runner, CHANNEL, push) == []


async def test_service_messages_get_no_answer(fake_api: FakeBotApi, runner: Runner) -> None:
    bot_id = fake_api.bot_user["id"]
    cases: list[tuple[int, Callable[[], object]]] = [
        (GROUP, lambda: fake_api.push_service_message(GROUP, MEMBER, group_chat_created=True)),
        (GROUP, lambda: fake_api.push_new_chat_members(GROUP, [bot_id, 888], by=MEMBER)),
        (GROUP, lambda: fake_api.push_new_chat_members(GROUP, [888], by=MEMBER)),
        (GROUP, lambda: fake_api.push_service_message(GROUP, MEMBER, new_chat_title="Bones")),
        (GROUP, lambda: fake_api.push_chat_migration(GROUP, SUPERGROUP, by=MEMBER)),
        (PRIVATE, lambda: fake_api.push_service_message(PRIVATE, PRIVATE, write_access_allowed={})),
    ]
    for chat_id, push in cases:
        assert await answers_to(fake_api, runner, chat_id, push) == []
    assert fake_api.messages_for(SUPERGROUP) == []


# --- metric labels -----------------------------------------------------------------------------


def say(fake: FakeBotApi, text: str) -> Callable[[], object]:
    return lambda: fake.push_message(PRIVATE, text)


def handled_by_label(runner: Runner) -> dict[str, float]:
    registry = runner.services.metrics.registry
    return {
        sample.labels["command"]: sample.value
        for family in registry.collect()
        if family.name == "tipbot_updates_handled"
        for sample in family.samples
        if sample.name == "tipbot_updates_handled_total"
    }


async def test_forged_button_presses_cannot_create_metric_series(
    fake_api: FakeBotApi, runner: Runner
) -> None:
    fake_api.push_message(PRIVATE, "/start")
    [greeting] = await fake_api.wait_for_messages(PRIVATE, 1)
    forged = [f"forged{i}:x" if i % 2 else f"{i:064d}" for i in range(500)]
    for data in forged:
        fake_api.push_callback(PRIVATE, greeting.message_id, data)
    await fake_api.wait_for(lambda: fake_api.callback_answer_count >= 500, timeout=30)
    await settled(runner)
    assert handled_by_label(runner) == {"start": 1, "button:other": 500}


async def test_labels_come_from_fixed_sets(fake_api: FakeBotApi, runner: Runner) -> None:
    fake_api.push_message(PRIVATE, "/start")
    [greeting] = await fake_api.wait_for_messages(PRIVATE, 1)
    fake_api.push_callback(PRIVATE, greeting.message_id, "disc")
    for text in ("/about", "/about@otherbot", "/nosuchcommand", "free words"):
        await answers_to(fake_api, runner, PRIVATE, say(fake_api, text))
    await answers_to(fake_api, runner, CHANNEL, lambda: fake_api.push_channel_post(CHANNEL, "x"))
    labels = handled_by_label(runner)
    assert labels == {
        "start": 1,
        "button:disc": 1,
        "about": 1 + 5,  # once by PRIVATE, and once by WITNESS per `answers_to`
        "other": 2,  # /about@otherbot and the channel post
        "unknown_command": 1,
        "text": 1,
    }
    assert {k.removeprefix("button:") for k in labels if k.startswith("button:")} <= set(BUTTONS)
    assert {"start", "about"} <= KNOWN_COMMANDS
