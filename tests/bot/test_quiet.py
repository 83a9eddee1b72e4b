"""Quiet tips: an option in /settings (default off) that sends the daily tip silently."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock, User
from tests.fakebot.server import FakeBotApi
from tipbot import messages, subscriptions
from tipbot.runner import Runner
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs

NOW = datetime(2026, 6, 1, 7, 0)


async def test_set_quiet_changes_only_a_subscription_that_exists(engine: AsyncEngine) -> None:
    assert not await subs.set_quiet(engine, 1, True, NOW)  # no subscription
    await subs.subscribe(engine, 1, 480, "UTC", NOW)
    assert (await subs.get(engine, 1)).quiet is False  # type: ignore[union-attr]
    assert await subs.set_quiet(engine, 1, True, NOW)
    assert (await subs.get(engine, 1)).quiet is True  # type: ignore[union-attr]
    await subs.subscribe(engine, 1, 540, "UTC", NOW)  # a new time keeps the choice
    assert (await subs.get(engine, 1)).quiet is True  # type: ignore[union-attr]
    await subs.change(engine, 1, NOW, subscriptions.unsubscribed)
    assert not await subs.set_quiet(engine, 1, False, NOW)  # a stale button changes nothing


async def test_quiet_from_settings_sends_the_tip_silently(
    runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    clock.now = NOW
    quiet, loud = User(fake_api, 8101), User(fake_api, 8102)
    for user in (quiet, loud):
        await user.send("/subscribe 08:00 UTC")
    [shown] = await quiet.send("/settings")
    assert messages.SETTINGS_QUIET_OFF.strip() in shown.plain
    [edited] = await quiet.press(shown, "set:quiet:on")
    assert messages.SETTINGS_QUIET_ON.strip() in edited.plain
    assert "set:quiet:off" in [b.get("callback_data") for b in edited.buttons]

    await store.create_broadcast(runner.engine, "News", 1, clock(), timedelta(hours=24))
    clock.now = datetime(2026, 6, 1, 8, 0)
    deliverer = runner.services.deliverer
    assert deliverer is not None
    await deliverer.sweep()

    def sent(user: User) -> dict[str, bool]:
        return {m.text[:1]: m.disable_notification for m in user.inbox[-2:]}

    # The tip is silent for the quiet user only; an announcement still notifies everyone.
    assert sent(quiet) == {"💡": True, "📣": False}
    assert sent(loud) == {"💡": False, "📣": False}
