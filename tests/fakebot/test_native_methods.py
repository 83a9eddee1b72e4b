"""The fake Bot API's photos, quiz polls, inline queries, chat members, topics and group pacing,
driven by a real python-telegram-bot client: each test is one Telegram rule the bot relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import telegram
from telegram import (
    InlineQueryResultArticle,
    InputPollOption,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, RetryAfter

from tests.fakebot import FakeBotApi
from tests.fakebot.fixtures import fake_api  # noqa: F401 - a fixture, used by name
from tests.fakebot.images import png
from tests.fakebot.server import ANONYMOUS_ADMIN_ID

CHAT = 1001
GROUP = -1_001_234_567_890


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest_asyncio.fixture
async def bot(fake_api: FakeBotApi) -> AsyncIterator[telegram.Bot]:  # noqa: F811
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as client:
        yield client


async def pushed(bot: telegram.Bot, fake: FakeBotApi) -> list[Update]:
    """The queued updates, parsed by PTB as the bot would see them."""
    return list(await bot.get_updates(timeout=0))


# --------------------------------------------------------------------------------- photos


async def test_photo_upload_then_send_by_file_id(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    first = await bot.send_photo(
        CHAT, png(40, 20), caption="<b>Chart</b> &amp; more", parse_mode=ParseMode.HTML
    )
    file_id = first.photo[-1].file_id
    assert (first.photo[-1].width, first.photo[-1].height) == (40, 20)
    assert first.caption == "Chart & more"
    second = await bot.send_photo(CHAT + 1, file_id)
    assert second.photo[-1].file_id == file_id
    assert fake_api.photo_uploads == 1
    assert [p.uploaded for p in fake_api.photos] == [True, False]
    assert fake_api.photos_for(CHAT)[0].plain_caption == "Chart & more"


async def test_photo_with_an_unknown_file_id_or_not_an_image_is_rejected(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(CHAT, "AgACnotarealid")
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(CHAT, b"GIF89a not a photo")
    with pytest.raises(BadRequest, match=r"(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(CHAT, png(2100, 100))
    assert fake_api.photos == []
    assert fake_api.photo_uploads == 0


async def test_photo_caption_is_checked_like_text(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(CHAT, png(10, 10), caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_photo(CHAT, png(10, 10), caption="<b>unclosed", parse_mode=ParseMode.HTML)
    accepted = await bot.send_photo(
        CHAT, png(10, 10), caption="&lt;" * 1024, parse_mode=ParseMode.HTML
    )
    assert accepted.caption == "<" * 1024


# ---------------------------------------------------------------------------------- polls


async def test_quiz_poll_is_recorded_and_answers_come_back(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    message = await bot.send_poll(
        CHAT,
        "Which has more magnesium?",
        ["Almonds", InputPollOption("Rice &amp; beans", text_parse_mode=ParseMode.HTML)],
        type="quiz",
        correct_option_ids=[0],
        explanation="Almonds: 80 mg per ounce.",
        is_anonymous=False,
    )
    assert message.poll is not None
    [poll] = fake_api.polls_for(CHAT)
    assert (poll.type, poll.correct_option_ids, poll.is_anonymous) == ("quiz", (0,), False)
    assert poll.options == ("Almonds", "Rice & beans")
    assert poll.explanation == "Almonds: 80 mg per ounce."

    fake_api.push_poll_answer(poll.poll_id, 77, [1])
    with pytest.raises(LookupError, match=r"(?i)only once"):
        fake_api.push_poll_answer(poll.poll_id, 77, [0])
    answers = [u.poll_answer for u in await pushed(bot, fake_api) if u.poll_answer]
    assert [(a.poll_id, a.user.id if a.user else None, a.option_ids) for a in answers] == [
        (poll.poll_id, 77, (1,))
    ]


@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendPoll'")
async def test_old_correct_option_id_is_accepted(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    # PTB turns correct_option_id into the list; send the old field raw, as older clients do.
    await bot.do_api_request(
        "sendPoll",
        api_kwargs={
            "chat_id": CHAT,
            "question": "Q?",
            "options": '["a", "b", "c"]',
            "type": "quiz",
            "correct_option_id": 2,
        },
    )
    assert fake_api.polls[-1].correct_option_ids == (2,)
    assert fake_api.polls[-1].is_anonymous is True


@pytest.mark.parametrize(
    ("question", "options", "correct", "explanation", "error"),
    [
        ("q" * 301, ["a", "b"], [0], None, "question length"),
        ("Q?", ["only one"], [0], None, "2-10 options"),
        ("Q?", [str(n) for n in range(11)], [0], None, "2-10 options"),
        ("Q?", ["a", "b" * 101], [0], None, "1-100 characters"),
        ("Q?", ["a", "b"], [2], None, "wrong correct option"),
        ("Q?", ["a", "b"], [0], "e" * 201, "explanation length"),
    ],
)
async def test_quiz_limits(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
    question: str,
    options: list[str],
    correct: list[int],
    explanation: str | None,
    error: str,
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)" + error):
        await bot.send_poll(
            CHAT,
            question,
            options,
            type="quiz",
            correct_option_ids=correct,
            explanation=explanation,
        )
    assert fake_api.polls == []


async def test_votes_in_anonymous_polls_are_not_reported(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    await bot.send_poll(CHAT, "Q?", ["a", "b"], type="quiz", correct_option_ids=[1])
    with pytest.raises(LookupError, match=r"(?i)anonymous"):
        fake_api.push_poll_answer(fake_api.polls[-1].poll_id, 5, [0])


# ---------------------------------------------------------------------------- inline mode


def article(result_id: str, text: str = "Almonds: <b>80 mg</b>") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, "Almonds", InputTextMessageContent(text, parse_mode=ParseMode.HTML)
    )


async def test_inline_query_round_trip(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    with pytest.raises(LookupError, match=r"(?i)setinline"):
        fake_api.push_inline_query(55, "almonds")
    fake_api.set_inline_mode()
    fake_api.push_inline_query(55, "almonds")
    [update] = await pushed(bot, fake_api)
    assert update.inline_query is not None
    assert update.inline_query.query == "almonds"
    await bot.answer_inline_query(
        update.inline_query.id, [article("a1"), article("a2")], cache_time=86400, is_personal=False
    )
    [answer] = fake_api.inline_answers
    assert [r["id"] for r in answer.results] == ["a1", "a2"]
    assert (answer.cache_time, answer.is_personal) == (86400, False)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(update.inline_query.id, [])


@pytest.mark.parametrize(
    ("results", "error"),
    [
        ([article(str(n)) for n in range(51)], "RESULTS_TOO_MUCH"),
        ([article("same"), article("same")], "RESULT_ID_DUPLICATE"),
        ([article("x" * 65)], "RESULT_ID_INVALID"),
        ([article("bad", "<b>unclosed")], "can't parse entities"),
    ],
)
async def test_inline_answer_limits(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
    results: list[InlineQueryResultArticle],
    error: str,
) -> None:
    fake_api.set_inline_mode()
    query_id = fake_api.push_inline_query(55, "x")["inline_query"]["id"]
    with pytest.raises(BadRequest, match=r"(?i)" + error):
        await bot.answer_inline_query(query_id, results)
    assert fake_api.inline_answers == []


# --------------------------------------------------------------------------- chat members


async def test_get_chat_member_statuses(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    for user_id, status in [
        (1, "creator"),
        (2, "administrator"),
        (3, "member"),
        (4, "left"),
        (5, "kicked"),
    ]:
        fake_api.set_chat_member(GROUP, user_id, status)
    got = [(await bot.get_chat_member(GROUP, u)).status for u in range(1, 7)]
    assert got == [
        ChatMemberStatus.OWNER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.LEFT,
        ChatMemberStatus.BANNED,
        ChatMemberStatus.LEFT,  # nobody configured: not in the group
    ]
    fake_api.set_chat_member(GROUP, 2, "administrator", can_post_messages=True)
    admin = await bot.get_chat_member(GROUP, 2)
    assert isinstance(admin, telegram.ChatMemberAdministrator)
    assert admin.can_post_messages is True
    assert (await bot.get_chat_member(CHAT, CHAT)).status == ChatMemberStatus.MEMBER
    with pytest.raises(ValueError, match=r"(?i)unknown chat member status"):
        fake_api.set_chat_member(GROUP, 9, "owner")


async def test_anonymous_admin_message_comes_from_the_group(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    fake_api.push_anonymous_admin_message(GROUP, "/subscribe 08:00", message_thread_id=7)
    [update] = await pushed(bot, fake_api)
    message = update.message
    assert message is not None and message.sender_chat is not None
    assert message.sender_chat.id == GROUP
    assert message.from_user is not None and message.from_user.id == ANONYMOUS_ADMIN_ID
    assert message.message_thread_id == 7
    assert message.text == "/subscribe 08:00"
    assert message.entities[0].type == "bot_command"


# ----------------------------------------------------------------- topics and group pacing


async def test_message_thread_id_is_recorded(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    await bot.send_message(GROUP, "in a topic", message_thread_id=42)
    await bot.send_photo(GROUP, png(10, 10), message_thread_id=42)
    await bot.send_message(GROUP, "general")
    assert [m.message_thread_id for m in fake_api.messages_for(GROUP)] == [42, None]
    assert fake_api.photos_for(GROUP)[0].message_thread_id == 42
    with pytest.raises(BadRequest, match=r"(?i)thread not found"):
        await bot.send_message(GROUP, "x", message_thread_id=0)


async def test_groups_are_paced_at_twenty_a_minute(
    bot: telegram.Bot,
    fake_api: FakeBotApi,  # noqa: F811
) -> None:
    fake_api.configure(per_chat_rate=None, global_rate=None)
    for n in range(20):
        await bot.send_message(GROUP, f"tip {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "one too many")
    wait = caught.value.retry_after
    seconds = wait.total_seconds() if not isinstance(wait, int) else wait
    assert 50 <= seconds <= 60
    # Private chats and other groups are not affected.
    for n in range(25):
        await bot.send_message(CHAT, f"private {n}")
    await bot.send_message(GROUP - 1, "another group")
    assert fake_api.per_chat_counts[GROUP] == 20
