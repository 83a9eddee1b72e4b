"""Admin commands: /stats and /broadcast for configured admins only."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select

from tests.conftest import ADMIN_ID, FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot import messages, subscriptions
from tipbot.content.models import Bank
from tipbot.runner import Runner
from tipbot.storage import deliveries, tables
from tipbot.storage import subscriptions as subs


async def test_stats_for_an_admin(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock, bank: Bank
) -> None:
    for chat in (1, 2, 3):
        await subs.subscribe(runner.engine, chat, 480, "UTC", clock())
    await subs.change(runner.engine, 3, clock(), subscriptions.paused)
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
    await subs.change(runner.engine, 13, clock(), subscriptions.paused)
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
    data = next(
        b["callback_data"] for b in preview.buttons if b["callback_data"].startswith("bc:no")
    )
    [cancelled] = await admin.press(preview, data)
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


async def test_a_draft_saved_by_another_replica_can_be_confirmed_here_once(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    for chat in (41, 42):
        await subs.subscribe(runner.engine, chat, 23 * 60, "UTC", clock())
    # Another replica answered /broadcast: the draft is only in the shared database.
    draft_id = await deliveries.save_draft(runner.engine, "from elsewhere", ADMIN_ID, clock())
    admin = User(fake_api, ADMIN_ID)
    [menu] = await admin.send("/help")
    for expected in ("Queued for 2", messages.BROADCAST_EXPIRED):  # a second press: no draft
        before = len(admin.inbox)
        fake_api.push_callback(ADMIN_ID, menu.message_id, f"bc:yes:{draft_id}")
        await fake_api.wait_for_messages(ADMIN_ID, before + 1)
        assert expected in admin.inbox[-1].plain
    async with runner.engine.connect() as conn:
        queued = await conn.scalar(
            select(func.count())
            .select_from(tables.deliveries)
            .where(tables.deliveries.c.broadcast_id.isnot(None))
        )
    assert queued == 2


async def test_forged_draft_ids_find_nothing(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    admin = User(fake_api, ADMIN_ID)
    [menu] = await admin.send("/help")
    for data in ("bc:yes:abc", "bc:yes:99999999999999999999999", "bc:yes:", "bc:yes:404"):
        before = len(admin.inbox)
        fake_api.push_callback(ADMIN_ID, menu.message_id, data)
        await fake_api.wait_for_messages(ADMIN_ID, before + 1)
        assert admin.inbox[-1].plain == messages.BROADCAST_EXPIRED
