"""Clinic mode end to end: a group's or channel's admins subscribe it, topics, the bot's own
membership, and a group's tips paced by the shared budget."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import FakeClock
from tests.fakebot.server import ANONYMOUS_ADMIN_ID, FakeBotApi, SentMessage
from tipbot import messages
from tipbot.delivery.budget import Priority
from tipbot.runner import Runner
from tipbot.storage import doses as dose_store
from tipbot.storage import profiles
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import SubscriberState
from tipbot.subscriptions import Subscriber

pytestmark = pytest.mark.usefixtures("runner")

GROUP = -4001
SUPERGROUP = -1_000_000_004_002
CHANNEL = -1_000_000_004_003
ADMIN, MEMBER = 51, 52


async def said(fake: FakeBotApi, chat: int, before: int) -> SentMessage:
    await fake.wait_for_messages(chat, before + 1)
    return fake.messages_for(chat)[before]


async def in_group(fake: FakeBotApi, chat: int, text: str, user: int, **kw: Any) -> SentMessage:
    before = len(fake.messages_for(chat))
    fake.push_message(chat, text, user_id=user, **kw)
    return await said(fake, chat, before)


async def until(runner: Runner, chat: int, check: Any) -> Subscriber | None:
    """Wait until the stored subscription of `chat` passes `check` (a handler is running)."""
    async with asyncio.timeout(5):
        while True:
            sub = await subs.get(runner.engine, chat)
            if check(sub):
                return sub
            await asyncio.sleep(0.02)


async def test_a_group_admin_subscribes_the_group(runner: Runner, fake_api: FakeBotApi) -> None:
    fake_api.set_chat_member(GROUP, ADMIN, "administrator")
    reply = await in_group(fake_api, GROUP, "/subscribe 08:00 Europe/Madrid", ADMIN)
    assert "08:00 (Europe/Madrid)" in reply.plain
    sub = await subs.get(runner.engine, GROUP)
    assert sub is not None and sub.state is SubscriberState.ACTIVE
    assert (sub.send_minute, sub.tz, sub.thread_id) == (480, "Europe/Madrid", None)


async def test_a_member_who_is_not_an_admin_is_told_once_and_nothing_changes(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    fake_api.set_chat_member(SUPERGROUP, MEMBER, "member")
    reply = await in_group(fake_api, SUPERGROUP, "/subscribe 08:00 UTC", MEMBER)
    assert reply.plain == messages.CLINIC_ADMINS_ONLY
    assert await subs.get(runner.engine, SUPERGROUP) is None
    # Nor can a member stop the subscription an admin made.
    fake_api.set_chat_member(SUPERGROUP, ADMIN, "creator")
    await in_group(fake_api, SUPERGROUP, "/subscribe 08:00 UTC", ADMIN)
    reply = await in_group(fake_api, SUPERGROUP, "/unsubscribe", MEMBER)
    assert reply.plain == messages.CLINIC_ADMINS_ONLY
    sub = await subs.get(runner.engine, SUPERGROUP)
    assert sub is not None and sub.state is SubscriberState.ACTIVE
    # /status changes nothing, so anyone may ask.
    reply = await in_group(fake_api, SUPERGROUP, "/status", MEMBER)
    assert "Daily tip at 08:00 (UTC)" in reply.plain
    assert len(fake_api.messages_for(SUPERGROUP)) == 4


async def test_a_members_settings_press_is_refused_with_a_toast(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    fake_api.set_chat_member(GROUP, ADMIN, "administrator")
    await in_group(fake_api, GROUP, "/subscribe 08:00 UTC", ADMIN)
    shown = await in_group(fake_api, GROUP, "/settings", ADMIN)
    answers = len(fake_api.callback_answers)
    fake_api.push_callback(GROUP, shown.message_id, "set:unsub", user_id=MEMBER)
    await fake_api.wait_for(lambda: len(fake_api.callback_answers) > answers, what="a toast")
    assert fake_api.callback_answers[-1].text == messages.CLINIC_ADMINS_ONLY
    sub = await subs.get(runner.engine, GROUP)
    assert sub is not None and sub.state is SubscriberState.ACTIVE


async def test_a_bare_subscribe_in_a_group_explains_the_one_message_form(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    fake_api.set_chat_member(GROUP, ADMIN, "administrator")
    reply = await in_group(fake_api, GROUP, "/subscribe", ADMIN)
    assert "/subscribe 08:00 Europe/Madrid" in reply.plain
    assert await subs.get(runner.engine, GROUP) is None


async def test_an_anonymous_admin_subscribes_a_topic_and_tips_go_there(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    fake_api.push_anonymous_admin_message(SUPERGROUP, "/subscribe 08:00 UTC", message_thread_id=7)
    reply = await said(fake_api, SUPERGROUP, 0)
    assert "Subscribed" in reply.plain
    assert reply.message_thread_id == 7  # answered in the topic it was asked in
    sub = await subs.get(runner.engine, SUPERGROUP)
    assert sub is not None and sub.thread_id == 7
    assert ANONYMOUS_ADMIN_ID not in {m.chat_id for m in fake_api.messages}

    # The group's tip goes to that topic, through the shared budget (paced as a group's).
    budget = runner.services.budget
    asked: list[tuple[int, Priority]] = []
    acquire = budget.acquire

    async def spy(chat_id: int, priority: Priority) -> None:
        asked.append((chat_id, priority))
        await acquire(chat_id, priority)

    budget.acquire = spy  # type: ignore[method-assign]
    clock.now = datetime(2026, 6, 1, 8, 0)
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await deliverer.sweep()
    [tip] = [m for m in fake_api.messages_for(SUPERGROUP) if m.text.startswith("💡")]
    assert tip.message_thread_id == 7
    assert (SUPERGROUP, Priority.TIP) in asked  # the budget paces a group at 20/min


async def test_a_member_in_a_topic_subscribing_again_moves_the_tips(
    runner: Runner, fake_api: FakeBotApi
) -> None:
    fake_api.set_chat_member(SUPERGROUP, ADMIN, "administrator")
    await in_group(fake_api, SUPERGROUP, "/subscribe 08:00 UTC", ADMIN, message_thread_id=3)
    assert (await until(runner, SUPERGROUP, lambda s: s is not None)).thread_id == 3  # type: ignore[union-attr]
    await in_group(fake_api, SUPERGROUP, "/subscribe 09:00 UTC", ADMIN)
    sub = await subs.get(runner.engine, SUPERGROUP)
    assert sub is not None and (sub.send_minute, sub.thread_id) == (540, None)


async def test_a_channel_admin_subscribes_by_posting(runner: Runner, fake_api: FakeBotApi) -> None:
    fake_api.push_channel_post(CHANNEL, "/subscribe@otherbot 08:00 UTC")  # not for us
    fake_api.push_channel_post(CHANNEL, "Good morning, readers")  # an ordinary post
    fake_api.push_channel_post(CHANNEL, "/subscribe 08:00 Europe/Madrid")
    reply = await said(fake_api, CHANNEL, 0)
    assert "08:00 (Europe/Madrid)" in reply.plain
    sub = await subs.get(runner.engine, CHANNEL)
    assert sub is not None and sub.state is SubscriberState.ACTIVE
    fake_api.push_channel_post(CHANNEL, "/pause")
    reply = await said(fake_api, CHANNEL, 1)
    assert reply.plain == messages.SUB_PAUSED
    # Commands not meant for channels get no answer there.
    fake_api.push_channel_post(CHANNEL, "/foods")
    fake_api.push_channel_post(CHANNEL, "/status@" + str(fake_api.bot_user["username"]))
    reply = await said(fake_api, CHANNEL, 2)
    assert "paused" in reply.plain
    assert len(fake_api.messages_for(CHANNEL)) == 3
    handled = runner.services.metrics.registry.get_sample_value(
        "tipbot_updates_handled_total", {"command": "subscribe"}
    )
    assert handled == 1  # the post for another bot is counted as "other"


@pytest.mark.parametrize(
    ("new", "rights"),
    [
        ("kicked", {}),
        ("left", {}),
        ("restricted", {"can_send_messages": False}),
    ],
)
async def test_the_bot_removed_or_muted_stops_the_groups_tips(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, new: str, rights: dict[str, bool]
) -> None:
    await subs.subscribe(runner.engine, GROUP, 480, "UTC", clock())
    fake_api.push_bot_membership(GROUP, "member", new, by=ADMIN, **rights)
    sub = await until(runner, GROUP, lambda s: s is not None and s.blocked)
    assert sub is not None and not sub.receiving and sub.state is SubscriberState.ACTIVE
    # Allowed to write again: the subscription is back as it was.
    fake_api.push_bot_membership(GROUP, new, "member", by=ADMIN)
    sub = await until(runner, GROUP, lambda s: s is not None and not s.blocked)
    assert sub is not None and sub.receiving


async def test_a_channel_admin_without_post_rights_stops_the_channels_tips(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    fake_api.channels.add(CHANNEL)
    await subs.subscribe(runner.engine, CHANNEL, 480, "UTC", clock())
    fake_api.push_bot_membership(
        CHANNEL, "administrator", "administrator", by=ADMIN, can_post_messages=False
    )
    await until(runner, CHANNEL, lambda s: s is not None and s.blocked)


async def test_added_where_it_cannot_post_the_bot_does_nothing_and_logs_one_line(
    runner: Runner, fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.channels.add(CHANNEL)
    caplog.set_level(logging.INFO, logger="tipbot.bot.subscriptions")
    fake_api.push_bot_membership(
        CHANNEL, "left", "administrator", by=ADMIN, can_post_messages=False
    )
    async with asyncio.timeout(5):  # wait for the update to be handled
        while True:
            if any("cannot post" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    lines = [r for r in caplog.records if r.name == "tipbot.bot.subscriptions"]
    assert [r.getMessage() for r in lines] == [
        "added to a channel where the bot cannot post; nothing to do"
    ]
    assert fake_api.messages_for(CHANNEL) == []
    assert await subs.get(runner.engine, CHANNEL) is None


@pytest.mark.parametrize("command", ["/dose alendronate weekly mon 07:00", "/profile", "/history"])
async def test_health_data_commands_in_a_group_point_to_a_private_chat(
    runner: Runner, fake_api: FakeBotApi, command: str
) -> None:
    """A dose plan made in a group would remind the whole group, and a profile or a dose log
    shown there would be read by every member: such commands get one pointer and store nothing."""
    fake_api.set_chat_member(GROUP, ADMIN, "administrator")
    reply = await in_group(fake_api, GROUP, command, ADMIN)
    name = command.split()[0].lstrip("/")
    assert reply.plain == messages.PRIVATE_ONLY.format(command=name)
    assert await dose_store.get_plan(runner.engine, GROUP) is None
    assert await profiles.get(runner.engine, GROUP) is None
