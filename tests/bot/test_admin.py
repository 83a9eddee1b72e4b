"""Admin commands: /stats and /broadcast for configured admins only."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tests.conftest import ADMIN_ID, FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot import messages
from tipbot.content.models import Bank
from tipbot.runner import Runner
from tipbot.storage import subscribers as subs
from tipbot.storage.tables import SubscriberState


async def test_stats_for_an_admin(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    for chat in (1, 2, 3):
        await subs.subscribe(runner.engine, chat, 480, "UTC", clock())
    await subs.set_state(runner.engine, 3, SubscriberState.PAUSED, clock())
    admin = User(fake_api, ADMIN_ID)
    [reply] = await admin.send("/stats")
    assert "2 active, 1 paused, 0 blocked" in reply.plain
    assert f"Tip bank: {len(bank.tips)} tips, {len(bank.sources)} sources" in reply.plain


async def test_broadcast_previews_then_sends_once_to_active_subscribers(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 6, 1, 7, 0)
    for chat in (11, 12, 13):
        await subs.subscribe(runner.engine, chat, 23 * 60, "UTC", clock())
    await subs.set_state(runner.engine, 13, SubscriberState.PAUSED, clock())
    admin = User(fake_api, ADMIN_ID)
    intro, preview = await admin.send("/broadcast New <tips> & more", replies=2)
    assert "2 active subscribers" in intro.plain
    assert "New <tips> & more" in preview.plain
    assert fake_api.messages_for(11) == []  # nothing sent before the confirmation
    data = next(
        b["callback_data"] for b in preview.buttons if b["callback_data"].startswith("bc:yes")
    )
    [queued] = await admin.press(preview, data)
    assert "Queued for 2" in queued.plain
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await fake_api.wait_for_messages(11, 1)
    await fake_api.wait_for_messages(12, 1)
    while deliverer.running:  # noqa: ASYNC110 - the sweep the confirmation started
        await asyncio.sleep(0.01)
    await deliverer.sweep()  # a second sweep sends nothing again
    for chat in (11, 12):
        [announcement] = fake_api.messages_for(chat)
        assert "&lt;tips&gt; &amp; more" in announcement.text
    assert fake_api.messages_for(13) == []


async def test_broadcast_cancel_sends_nothing(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subs.subscribe(runner.engine, 21, 480, "UTC", clock())
    admin = User(fake_api, ADMIN_ID)
    _, preview = await admin.send("/broadcast hello", replies=2)
    [cancelled] = await admin.press(preview, "bc:no")
    assert cancelled.plain == messages.BROADCAST_CANCELLED
    assert fake_api.messages_for(21) == []


async def test_a_non_admin_cannot_confirm_a_broadcast(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subs.subscribe(runner.engine, 31, 480, "UTC", clock())
    admin = User(fake_api, ADMIN_ID)
    _, preview = await admin.send("/broadcast hello", replies=2)
    data = next(
        b["callback_data"] for b in preview.buttons if b["callback_data"].startswith("bc:yes")
    )
    answers = len(fake_api.callback_answers)
    fake_api.push_callback(ADMIN_ID, preview.message_id, data, user_id=555)
    await fake_api.wait_for(lambda: len(fake_api.callback_answers) > answers)
    assert fake_api.messages_for(31) == []
