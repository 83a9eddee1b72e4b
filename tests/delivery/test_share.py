"""Every live process takes an equal share of the bot's rate, whatever its roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tipbot.delivery import share
from tipbot.delivery.budget import Budget


async def test_processes_split_the_rate_and_take_over_a_silent_ones_share(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    poller, replica = Budget(rate=30), Budget(rate=30)
    await share.renew(engine, "poller", ["updates", "delivery"], poller, 30, clock())
    await share.renew(engine, "replica", ["delivery"], replica, 30, clock())
    await share.renew(engine, "poller", ["updates", "delivery"], poller, 30, clock())
    assert (poller.rate, replica.rate) == (pytest.approx(15), pytest.approx(15))
    clock.advance(seconds=share.TTL.total_seconds() + 1)  # the replica died without leaving
    await share.renew(engine, "poller", ["updates", "delivery"], poller, 30, clock())
    assert poller.rate == pytest.approx(30)
    await poller.close()
    await replica.close()


async def test_an_updates_only_process_counts_too(engine: AsyncEngine, clock: FakeClock) -> None:
    webhook, delivery = Budget(rate=25), Budget(rate=25)
    await share.renew(engine, "web", ["updates"], webhook, 25, clock())
    assert await share.renew(engine, "dlv", ["delivery"], delivery, 25, clock()) == 2
    assert delivery.rate == pytest.approx(12.5)
    await share.leave(engine, "web")
    await share.renew(engine, "dlv", ["delivery"], delivery, 25, clock() + timedelta(seconds=1))
    assert delivery.rate == pytest.approx(25)
    await webhook.close()
    await delivery.close()
