"""The fake Bot API, driven by a real python-telegram-bot client over loopback HTTP.

Each test checks one Telegram rule the fake must enforce (so that the bot's own tests can rely on
it) or one way tests drive it (pushing updates, the control API, the standalone process).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import telegram
from aiohttp import web
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakebot import FakeBotApi
from tests.fakebot.fixtures import fake_api  # noqa: F401 - a fixture, used by name

REPO = Path(__file__).resolve().parents[2]
CHAT = 1001


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns on RetryAfter.retry_after unless it may return a timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest_asyncio.fixture
async def bot(fake_api: FakeBotApi) -> AsyncIterator[telegram.Bot]:  # noqa: F811
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as client:
        yield client


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


def seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --------------------------------------------------------------------------- sending


async def test_send_message_is_accepted_and_recorded(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    markup = keyboard(
        InlineKeyboardButton("Another tip", callback_data="tip:next"),
        InlineKeyboardButton("Source", url="https://ods.od.nih.gov/factsheets/Magnesium/"),
    )
    sent = await bot.send_message(
        CHAT, "<b>Tip</b> &amp; more 😀", parse_mode="HTML", reply_markup=markup
    )

    assert sent.message_id == 1
    assert sent.chat_id == CHAT
    assert sent.text == "Tip & more 😀"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3)]
    assert sent.reply_markup == markup
    assert sent.from_user is not None and sent.from_user.id == 123

    [record] = fake_api.messages_for(CHAT)
    assert record.text == "<b>Tip</b> &amp; more 😀"
    assert record.plain == "Tip & more 😀"
    assert record.parse_mode == "HTML"
    assert record.message_id == 1
    assert [b["callback_data"] for b in record.buttons if "callback_data" in b] == ["tip:next"]
    assert abs(record.time - time.time()) < 5
    assert fake_api.messages == [record]
    assert fake_api.method_counts["sendMessage"] == 1
    assert fake_api.status_counts["200"] >= 2  # getMe + sendMessage


async def test_message_ids_grow_per_chat(bot: telegram.Bot) -> None:
    first = await bot.send_message(1, "one")
    second = await bot.send_message(1, "two")
    other = await bot.send_message(2, "other")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("<b>bold", "unclosed tag <b>"),
        ("<b><i>x</b></i>", "unexpected end tag </b>"),
        ("<div>x</div>", "unsupported tag <div>"),
        ("1 < 2", "bare '<' or '&'"),
        ("salt & pepper", "bare '<' or '&'"),
        ("&nbsp;", "unknown entity &nbsp;"),
        ('<a href="javascript:alert(1)">x</a>', "a href must be"),
    ],
)
async def test_invalid_html_is_rejected(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
    text: str,
    needle: str,
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert needle in caught.value.message.lower()  # PTB re-cases it
    assert fake_api.messages == []
    assert fake_api.status_counts["400"] == 1


async def test_markup_without_html_parse_mode_is_rejected(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)parse_mode"):
        await bot.send_message(CHAT, "<b>forgot parse_mode</b>")
    await bot.send_message(CHAT, "plain text with 1 < 2 & no markup")


async def test_length_is_counted_after_parsing_in_utf16(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(per_chat_rate=None)
    await bot.send_message(CHAT, "x" * 4096)
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(CHAT, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "😀" * 2048 + "x", parse_mode="HTML")
    assert len(fake_api.messages_for(CHAT)) == 3


@pytest.mark.parametrize("text", ["", "   ", "<b> </b>"])
async def test_empty_text_is_rejected(bot: telegram.Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, text, parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_rejected(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(per_chat_rate=None)
    await bot.send_message(
        CHAT, "ok", reply_markup=keyboard(InlineKeyboardButton("a", callback_data="x" * 64))
    )
    # 22 three-byte characters are 66 bytes although only 22 characters.
    for data in ("x" * 65, "€" * 22):
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(
                CHAT, "no", reply_markup=keyboard(InlineKeyboardButton("a", callback_data=data))
            )
    assert len(fake_api.messages_for(CHAT)) == 1


@pytest.mark.parametrize(
    ("markup", "needle"),
    [
        ({"inline_keyboard": [[{"text": "a", "url": "ftp://x"}]]}, "BUTTON_URL_INVALID"),
        ({"inline_keyboard": [[{"text": "a"}]]}, "Text buttons are unallowed"),
        (
            {"inline_keyboard": [[{"text": "a", "url": "https://x.org", "callback_data": "x"}]]},
            "exactly one",
        ),
        ({"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}, "Text must be non-empty"),
        ({"inline_keyboard": [{"text": "a", "callback_data": "x"}]}, "Array of Arrays"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
async def test_bad_buttons_are_rejected(
    fake_api: FakeBotApi,  # noqa: F811
    markup: dict[str, object],
    needle: str,
    as_json: bool,
) -> None:
    # Posted by hand (as form data like PTB, or as a JSON body), since PTB's own button class
    # refuses some of these before they are sent.
    url = f"{fake_api.base_url}{fake_api.token}/sendMessage"
    fields = {"chat_id": CHAT, "text": "x", "reply_markup": markup}
    async with aiohttp.ClientSession() as http:
        if as_json:
            request = http.post(url, json=fields)
        else:
            request = http.post(
                url,
                data={
                    k: v if isinstance(v, str | int) else json.dumps(v) for k, v in fields.items()
                },
            )
        async with request as response:
            body = await response.json()
    assert response.status == 400
    assert body == {"ok": False, "error_code": 400, "description": body["description"]}
    assert body["description"].startswith("Bad Request: ")
    assert needle in body["description"]


async def test_unknown_chat_and_blocked_user(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.unknown_chats.add(404)
    fake_api.block(403)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(404, "hello")
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(403, "hello")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(403, "typing")
    fake_api.unblock(403)
    await bot.send_message(403, "hello again")
    assert fake_api.status_counts["403"] == 2


# ------------------------------------------------------------------------ rate limits


async def test_per_chat_rate_limit_raises_retry_after(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    for i in range(3):  # the burst
        await bot.send_message(CHAT, f"message {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "one too many")
    assert seconds(caught.value) >= 1
    await bot.send_message(CHAT + 1, "other chats are not affected")
    assert fake_api.status_counts["429"] == 1
    assert len(fake_api.messages_for(CHAT)) == 3


async def test_per_chat_bucket_refills(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(per_chat_rate=20.0, per_chat_burst=1)
    await bot.send_message(CHAT, "first")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "too soon")
    await asyncio.sleep(0.06)
    await bot.send_message(CHAT, "refilled")


async def test_global_rate_limit(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(global_rate=5, per_chat_rate=None)
    for chat in range(1, 6):
        await bot.send_message(chat, "hi")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(6, "hi")
    assert seconds(caught.value) == 1


async def test_rate_limits_can_be_disabled(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(global_rate=None, per_chat_rate=None)
    await asyncio.gather(*(bot.send_message(CHAT, f"m{i}") for i in range(40)))
    assert len(fake_api.messages_for(CHAT)) == 40


async def test_429_storm(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.start_429_storm(seconds=60, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert seconds(caught.value) == 7
    assert await bot.get_me()  # only sends are affected
    fake_api.stop_429_storm()
    await bot.send_message(CHAT, "x")


# ----------------------------------------------------------------------------- faults


async def test_server_error_raises_network_error(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(server_error_probability=1.0)
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway") as caught:
        await bot.send_message(CHAT, "x")
    assert not isinstance(caught.value, BadRequest)  # BadRequest subclasses NetworkError
    assert fake_api.messages == []
    assert fake_api.status_counts["5xx"] == 1


async def test_server_errors_follow_the_seed() -> None:
    async def outcomes(seed: int) -> list[bool]:
        async with (
            FakeBotApi(seed=seed, server_error_probability=0.5, per_chat_rate=None) as api,
            telegram.Bot(api.token, base_url=api.base_url) as client,
        ):
            result = []
            for _ in range(20):
                try:
                    await client.send_message(CHAT, "x")
                    result.append(True)
                except NetworkError:
                    result.append(False)
            return result

    first = await outcomes(7)
    assert first == await outcomes(7)
    assert 0 < first.count(False) < 20


async def test_dropped_connection_after_accept(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(drop_after_accept_probability=1.0)
    with pytest.raises((NetworkError, TimedOut)):
        await bot.send_message(CHAT, "delivered, but the bot never hears")
    [record] = fake_api.messages_for(CHAT)
    assert record.text == "delivered, but the bot never hears"
    assert fake_api.status_counts["dropped"] == 1
    fake_api.configure(drop_after_accept_probability=0.0)
    again = await bot.send_message(CHAT, "next one")
    assert again.message_id == 2


async def test_latency(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.configure(latency=0.2)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2


# -------------------------------------------------------------------- tokens, methods


async def test_wrong_token_is_unauthorized(fake_api: FakeBotApi) -> None:  # noqa: F811
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG", base_url=fake_api.base_url):
            pass
    assert fake_api.status_counts["401"] == 1


async def test_unknown_method_is_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_commands_round_trip(bot: telegram.Bot) -> None:
    commands = [BotCommand("tip", "A tip"), BotCommand("help", "List all commands")]
    assert await bot.set_my_commands(commands)
    assert list(await bot.get_my_commands()) == commands
    scope = telegram.BotCommandScopeAllPrivateChats()
    assert list(await bot.get_my_commands(scope=scope)) == []
    assert await bot.delete_my_commands()
    assert list(await bot.get_my_commands()) == []
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_close_and_log_out(bot: telegram.Bot) -> None:
    assert await bot.close()
    assert await bot.log_out()


# ----------------------------------------------------------------------- edits, deletes


async def test_edit_message_text(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    markup = keyboard(InlineKeyboardButton("Next", callback_data="next"))
    sent = await bot.send_message(CHAT, "<i>one</i>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>one</i>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    edited = await bot.edit_message_text("<i>two</i>", CHAT, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, telegram.Message)
    assert edited.text == "two"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without reply_markup removes the keyboard
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 999)

    current = fake_api.current(CHAT, sent.message_id)
    assert current is not None and current.text == "<i>two</i>"
    assert fake_api.messages_for(CHAT)[0].text == "<i>one</i>"  # the log keeps what was sent
    assert [e.method for e in fake_api.edits] == ["editMessageText"]


async def test_edit_reply_markup_and_delete(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    markup = keyboard(InlineKeyboardButton("Next", callback_data="next"))
    sent = await bot.send_message(CHAT, "text", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    current = fake_api.current(CHAT, sent.message_id)
    assert current is not None and current.reply_markup is None
    assert await bot.delete_message(CHAT, sent.message_id)
    assert fake_api.current(CHAT, sent.message_id) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)


# -------------------------------------------------------------------------- updates


async def test_get_updates_returns_pushed_messages_with_commands(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.push_message(CHAT, "/start", first_name="Ada")
    fake_api.push_message(CHAT, "/intake@tipbot_test_bot 45 female")
    fake_api.push_message(CHAT, "just text")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    first, second, third = (u.message for u in updates)
    assert first is not None and second is not None and third is not None
    assert first.text == "/start"
    assert first.from_user is not None and first.from_user.first_name == "Ada"
    assert first.chat.type == "private" and first.chat.id == CHAT
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bot_command", 0, 6)]
    assert [(e.type, e.offset, e.length) for e in second.entities] == [("bot_command", 0, 23)]
    assert third.entities == ()

    # The same updates come back until confirmed with offset.
    assert len(await bot.get_updates(timeout=0)) == 3
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_group_edited_channel_and_service_updates_have_telegrams_shapes(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    group, supergroup, channel, member = -5001, -1_001_000_005_001, -1_002_000_005_001, 77
    with pytest.raises(ValueError, match="needs the sender"):
        fake_api.push_message(group, "who wrote this?")
    sent = fake_api.push_message(CHAT, "/helo")
    fake_api.push_message(group, "/help@tipbot_test_bot", user_id=member)
    fake_api.push_edited_message(CHAT, sent["message"]["message_id"], "/help")
    fake_api.push_channel_post(channel, "A post")
    fake_api.push_new_chat_members(group, [fake_api.bot_user["id"], 88], by=member)
    fake_api.push_chat_migration(group, supergroup, by=member)
    with pytest.raises(LookupError):
        fake_api.push_edited_message(CHAT, 999, "never sent")

    updates = await bot.get_updates(timeout=0)
    _, in_group, edited, post, joined, moved_to, moved_from = updates
    assert in_group.message is not None and in_group.message.chat.type == "group"
    assert in_group.message.from_user is not None and in_group.message.from_user.id == member
    assert in_group.message.entities[0].length == len("/help@tipbot_test_bot")
    assert edited.edited_message is not None and edited.message is None
    assert edited.edited_message.edit_date is not None
    assert edited.edited_message.edit_date > edited.edited_message.date
    assert edited.edited_message.text == "/help"
    assert post.channel_post is not None and post.channel_post.chat.type == "channel"
    assert post.channel_post.from_user is None
    assert post.channel_post.sender_chat is not None
    assert post.channel_post.sender_chat.id == channel
    assert joined.message is not None
    assert [u.id for u in joined.message.new_chat_members] == [fake_api.bot_user["id"], 88]
    assert joined.message.new_chat_members[0].is_bot
    assert moved_to.message is not None and moved_to.message.migrate_to_chat_id == supergroup
    assert moved_from.message is not None and moved_from.message.chat.type == "supergroup"
    assert moved_from.message.migrate_from_chat_id == group


async def test_get_updates_honours_limit_and_negative_offset(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    for i in range(5):
        fake_api.push_message(CHAT, f"m{i}")
    assert [u.message.text for u in await bot.get_updates(limit=2) if u.message] == ["m0", "m1"]
    assert [u.message.text for u in await bot.get_updates(offset=-1) if u.message] == ["m4"]


async def test_long_poll_returns_when_an_update_arrives(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    async def push_later() -> None:
        await asyncio.sleep(0.2)
        fake_api.push_message(CHAT, "hello")

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    updates = await bot.get_updates(timeout=10)
    await pusher
    assert 0.15 < time.monotonic() - started < 5
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_long_poll_times_out_empty(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_allowed_updates_filters(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.push_message(CHAT, "text")
    fake_api.push_my_chat_member(CHAT, "kicked")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message is not None for u in updates] == [True]


async def test_second_poller_conflicts_with_the_first(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    async with telegram.Bot(fake_api.token, base_url=fake_api.base_url) as other:
        first = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await first
        assert await second == ()


async def test_callback_query_round_trip(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    markup = keyboard(InlineKeyboardButton("Next", callback_data="tip:next"))
    sent = await bot.send_message(CHAT, "<b>Tip</b>", parse_mode="HTML", reply_markup=markup)
    fake_api.push_callback(CHAT, sent.message_id, "tip:next")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.data == "tip:next"
    assert query.from_user.id == CHAT
    assert isinstance(query.message, telegram.Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Tip"
    assert query.message.reply_markup == markup

    assert await bot.answer_callback_query(query.id, text="Here you go")
    assert fake_api.callback_answers[0].text == "Here you go"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(LookupError):
        fake_api.push_callback(CHAT, 999, "x")


async def test_my_chat_member_blocks_and_unblocks(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    fake_api.push_my_chat_member(CHAT, "kicked")
    [update] = await bot.get_updates()
    member = update.my_chat_member
    assert member is not None
    assert member.new_chat_member.status == "kicked"
    assert member.old_chat_member.status == "member"
    assert member.new_chat_member.user.id == 123
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "are you there?")
    fake_api.push_my_chat_member(CHAT, "member")
    await bot.send_message(CHAT, "welcome back")


async def test_wait_for_messages(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    async def send_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(CHAT, "one")
        await bot.send_message(CHAT, "two")

    task = asyncio.create_task(send_later())
    messages = await fake_api.wait_for_messages(CHAT, 2, timeout=5)
    await task
    assert [m.text for m in messages] == ["one", "two"]
    with pytest.raises(TimeoutError, match=r"(?i)3 message"):
        await fake_api.wait_for_messages(CHAT, 3, timeout=0.1)


async def test_record_text_false_keeps_only_counts() -> None:
    async with (
        FakeBotApi(record_text=False, per_chat_rate=None) as api,
        telegram.Bot(api.token, base_url=api.base_url) as client,
    ):
        sent = await client.send_message(CHAT, "<b>x</b>", parse_mode="HTML")
        await client.send_message(CHAT, "y")
        await client.edit_message_text("z", CHAT, sent.message_id)
        assert api.messages == [] and api.edits == []
        assert api.per_chat_counts[CHAT] == 2 and api.sent_count == 2 and api.edit_count == 1
        assert await api.wait_for_messages(CHAT, 2) == []
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await client.edit_message_text("z", CHAT, 99)


# --------------------------------------------------------------------- PTB Application


async def test_ptb_application_polls_and_replies(fake_api: FakeBotApi) -> None:  # noqa: F811
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "<b>Welcome</b>", reply_markup=keyboard(InlineKeyboardButton("Tip", callback_data="t"))
        )

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("<i>A tip</i>", parse_mode="HTML")

    app = Application.builder().token(fake_api.token).base_url(fake_api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(tapped))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        try:
            fake_api.push_message(CHAT, "/start")
            [welcome] = await fake_api.wait_for_messages(CHAT, 1)
            assert welcome.plain == "Welcome"
            fake_api.push_callback(CHAT, welcome.message_id, "t")
            await fake_api.wait_for(lambda: len(fake_api.edits) == 1, what="the edit")
            assert fake_api.edits[0].plain == "A tip"
            assert len(fake_api.callback_answers) == 1
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake_api.method_counts["deleteWebhook"] == 1  # PTB clears any webhook first
    # PTB abandons its last long poll on stop and confirms the offset with a new getUpdates;
    # the abandoned one is not reported as a conflict.
    assert fake_api.status_counts["409"] == 0
    assert fake_api.status_counts["5xx"] == 0


# ------------------------------------------------------------------------------ webhook


async def test_webhook_delivery(
    fake_api: FakeBotApi,  # noqa: F811
    bot: telegram.Bot,
) -> None:
    received: list[tuple[dict[str, object], str | None]] = []
    got = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        got.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        fake_api.push_message(CHAT, "/start")
        await asyncio.wait_for(got.wait(), 5)
        update, secret = received[0]
        assert secret == "s3cret"
        assert isinstance(update["message"], dict) and update["message"]["text"] == "/start"
        await fake_api.wait_for(lambda: not fake_api.stats()["pending_updates"])
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
            await bot.set_webhook("https://example.org/hook")
    finally:
        await runner.cleanup()


# -------------------------------------------------------------------------- control API


async def test_control_api(fake_api: FakeBotApi, bot: telegram.Bot) -> None:  # noqa: F811
    url = fake_api.control_url
    async with aiohttp.ClientSession() as http:

        async def call(verb: str, path: str, **kwargs: object) -> object:
            async with http.request(verb, f"{url}/{path}", **kwargs) as response:  # type: ignore[arg-type]
                body = await response.json()
                assert response.status == 200, body
                assert body["ok"] is True
                return body["result"]

        pushed = await call("POST", "push_message", json={"chat_id": CHAT, "text": "/help"})
        assert isinstance(pushed, dict)
        [update] = await bot.get_updates()
        assert update.update_id == pushed["update_id"]

        sent = await bot.send_message(CHAT, "<b>Help</b>", parse_mode="HTML")
        messages = await call("GET", "messages", params={"chat_id": CHAT})
        assert messages == [fake_api.messages[0].as_json()]
        waited = await call(
            "GET", "wait_messages", params={"chat_id": CHAT, "count": 1, "timeout": 1}
        )
        assert isinstance(waited, list) and waited[0]["text"] == "<b>Help</b>"

        await call(
            "POST",
            "push_callback",
            json={"chat_id": CHAT, "message_id": sent.message_id, "data": "d"},
        )
        await call("POST", "push_my_chat_member", json={"chat_id": CHAT, "status": "kicked"})
        assert CHAT in fake_api.blocked
        edit = {"chat_id": CHAT, "message_id": pushed["message"]["message_id"], "text": "/tip"}
        await call("POST", "push_edited_message", json=edit)
        await call("POST", "push_channel_post", json={"chat_id": -1_009, "text": "post"})
        service = {"chat_id": -9, "user_id": 7, "fields": {"new_chat_title": "Bones"}}
        await call("POST", "push_service_message", json=service)
        kinds = await bot.get_updates(offset=update.update_id + 1)
        assert kinds[-3].edited_message is not None and kinds[-3].edited_message.text == "/tip"
        assert kinds[-2].channel_post is not None
        assert kinds[-1].message is not None and kinds[-1].message.new_chat_title == "Bones"

        config = await call(
            "POST", "config", json={"per_chat_rate": None, "blocked": [], "latency": 0.01}
        )
        assert isinstance(config, dict)
        assert config["per_chat_rate"] is None and config["blocked"] == []
        assert fake_api.config.latency == 0.01

        stats = await call("GET", "stats", params={"per_chat": "1"})
        assert isinstance(stats, dict)
        assert stats["messages"] == 1
        assert stats["methods"]["sendMessage"] == 1
        assert stats["per_chat"] == {str(CHAT): 1}

        async with http.post(f"{url}/config", json={"no_such_setting": 1}) as response:
            assert response.status == 400
        async with http.get(
            f"{url}/wait_messages", params={"chat_id": 5, "count": 1, "timeout": 0.1}
        ) as response:
            assert response.status == 408

        assert await call("POST", "reset") is True
        assert fake_api.messages == [] and fake_api.stats()["messages"] == 0


async def test_standalone_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakebot",
        "--port",
        "0",
        "--token",
        "42:XYZ",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.startswith("fake Bot API listening on http://127.0.0.1:")
        base_url = line.split(" on ", 1)[1].strip()
        assert base_url.endswith("/bot")
        async with telegram.Bot("42:XYZ", base_url=base_url) as client:
            await client.send_message(7, "hello")
        async with (
            aiohttp.ClientSession() as http,
            http.get(base_url.removesuffix("/bot") + "/_control/stats") as response,
        ):
            assert (await response.json())["result"]["messages"] == 1
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
