"""The delivery loop under faults: a recorder that raises, a pool timeout, a revoked token, a
group that became a supergroup, and a stop that must return in time whatever is stuck.

Each fault is injected into a real Runner talking to the fake Bot API; the loop (`Deliverer.run`)
runs as in production, on the test's clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.conftest import FakeClock, bot_settings
from tests.delivery.test_delivery import status_count, subscribe_many
from tests.fakebot.server import FakeBotApi
from tipbot.content.models import Bank
from tipbot.delivery import sweep
from tipbot.delivery.sweep import Deliverer
from tipbot.runner import Runner
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import DeliveryStatus, subscribers


@pytest_asyncio.fixture
async def looping(
    fake_api: FakeBotApi, sqlite_url: str, clock: FakeClock, bank: Bank
) -> AsyncIterator[Runner]:
    """A Runner whose delivery loop is started by the test (after it set up the fault)."""
    fake_api.configure(per_chat_rate=None)
    settings = bot_settings(fake_api, sqlite_url, sweep_seconds=0.5, claim_timeout_seconds=3)
    run = Runner(settings, bank, clock=clock, schedule_sweeps=False)
    await run.start()
    yield run
    await run.stop()


def deliverer_of(runner: Runner) -> Deliverer:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    return deliverer


async def eventually(predicate: Callable[[], bool], within: float = 20.0) -> None:
    """Poll `predicate` (database-side state the fake server cannot signal) until it holds."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on: the state is the database's
            await asyncio.sleep(0.05)


def failing_record(monkeypatch: pytest.MonkeyPatch, error: Exception, times: int) -> None:
    """Make the recorder's database write raise `error` the first `times` times, then work."""
    real_record = store.record
    left = [times]

    async def record(*args: Any) -> int:
        if left[0]:
            left[0] -= 1
            raise error
        return await real_record(*args)

    monkeypatch.setattr(store, "record", record)


async def deliver_all(runner: Runner, fake_api: FakeBotApi, chats: range) -> Deliverer:
    """Run the loop until every chat has its tip and every outcome is written."""
    start_loop(runner)
    await fake_api.wait_for(lambda: all(fake_api.per_chat_counts[c] for c in chats), timeout=20)
    deliverer = deliverer_of(runner)
    await eventually(lambda: deliverer._recorder.idle and not deliverer._in_hand)
    return deliverer


async def tick(clock: FakeClock) -> None:
    """Move the test's clock on a second every 0.1 s of real time, as leases expect."""
    while True:
        await asyncio.sleep(0.1)
        clock.advance(seconds=1)


def start_loop(runner: Runner) -> asyncio.Task[None]:
    task = asyncio.create_task(deliverer_of(runner).run())
    runner.services.delivery_task = task
    return task


@pytest.mark.alone  # the kept batch races the lease (0.3 s of real time): the CPU must be free
async def test_a_recorder_that_raises_is_restarted_and_nothing_is_lost(
    looping: Runner, fake_api: FakeBotApi, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = range(500, 520)
    await subscribe_many(looping, clock, chats)
    failing_record(monkeypatch, RuntimeError("a bug in the recorder"), times=1)
    # Sends cut short by the crash leave their rows to the lease (3 s here), which must run out
    # on the test's clock before the restarted loop may take them over: the clock moves on.
    ticking = asyncio.create_task(tick(clock))
    try:
        deliverer = await deliver_all(looping, fake_api, chats)
    finally:
        ticking.cancel()
    assert await status_count(looping, DeliveryStatus.SENT) == len(chats)
    assert deliverer.health.crashed == "RuntimeError"
    # Reported by /healthz only until the restarted loop makes progress again.
    assert "supervisor" not in deliverer.health.problems(time.monotonic(), 60)
    deliverer.health.crashed_at = time.monotonic()
    assert "supervisor" in deliverer.health.problems(time.monotonic(), 60)
    restarts = looping.services.metrics.registry.get_sample_value(
        "tipbot_delivery_restarts_total", {"error": "RuntimeError"}
    )
    assert restarts == 1
    assert max(fake_api.per_chat_counts[c] for c in chats) == 1  # the lost batch was kept


async def test_a_pool_timeout_is_waited_out_not_a_crash(
    looping: Runner, fake_api: FakeBotApi, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = range(600, 610)
    await subscribe_many(looping, clock, chats)
    failing_record(monkeypatch, PoolTimeout("QueuePool limit of size 5 overflow 5 reached"), 3)
    deliverer = await deliver_all(looping, fake_api, chats)
    assert await status_count(looping, DeliveryStatus.SENT) == len(chats)
    assert deliverer.health.crashed is None
    assert deliverer.health.recorder_failures == 0  # recovered


async def test_stop_returns_within_its_grace_even_when_the_database_hangs(
    looping: Runner, fake_api: FakeBotApi, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = range(700, 705)
    await subscribe_many(looping, clock, chats)
    forever = asyncio.Event()

    async def hanging_record(*args: Any) -> int:
        await forever.wait()
        return 0

    monkeypatch.setattr(store, "record", hanging_record)
    task = start_loop(looping)
    await fake_api.wait_for(lambda: fake_api.sent_count >= 1, timeout=20)
    started = time.monotonic()
    await deliverer_of(looping).stop(grace=1.0)
    assert time.monotonic() - started < 3.0
    task.cancel()


async def test_a_revoked_token_marks_nothing_and_delivery_resumes(
    looping: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    chats = range(800, 810)
    await subscribe_many(looping, clock, chats)
    fake_api.refuse_token(3600)
    deliverer = deliverer_of(looping)
    await deliverer.sweep()
    assert deliverer.health.token_refused
    for status in (DeliveryStatus.REJECTED, DeliveryStatus.BLOCKED, DeliveryStatus.SENT):
        assert await status_count(looping, status) == 0
    async with looping.engine.connect() as conn:
        states = set((await conn.execute(select(subscribers.c.state))).scalars())
    assert states == {"active"}
    fake_api.refuse_token(0)
    deliverer._token_retry_at = 0.0  # the pause is over
    await deliverer.sweep()
    assert await status_count(looping, DeliveryStatus.SENT) == len(chats)
    assert not deliverer.health.token_refused


async def test_a_group_that_became_a_supergroup_gets_its_tip_there(
    looping: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await subscribe_many(looping, clock, range(-4001, -4000))
    fake_api.migrate(-4001, -1004001)
    await deliverer_of(looping).sweep()
    assert fake_api.per_chat_counts[-1004001] == 1
    assert fake_api.per_chat_counts[-4001] == 0
    assert await subs.get(looping.engine, -4001) is None
    moved = await subs.get(looping.engine, -1004001)
    assert moved is not None and moved.state == "active"
    assert await status_count(looping, DeliveryStatus.SENT) == 1
    assert await status_count(looping, DeliveryStatus.REJECTED) == 0


async def test_the_planner_sleeps_until_the_next_tip_is_due_not_a_whole_interval(
    fake_api: FakeBotApi, sqlite_url: str, clock: FakeClock, bank: Bank
) -> None:
    settings = bot_settings(fake_api, sqlite_url, sweep_seconds=30, claim_timeout_seconds=60)
    run = Runner(settings, bank, clock=clock, schedule_sweeps=False)
    await run.start()
    try:
        deliverer = deliverer_of(run)
        assert await deliverer._until_next_due() == 30  # nobody subscribed: the interval
        await subscribe_many(run, clock, range(900, 901))  # due at 08:00; the clock is 08:00
        # Four seconds before the tip is planned (a minute ahead of its moment).
        clock.now -= sweep.PLAN_AHEAD + timedelta(seconds=4)
        assert await deliverer._until_next_due() == pytest.approx(4)
        clock.now += timedelta(seconds=54)  # planned now, ten seconds before its moment
        await deliverer._plan()
        assert await deliverer._until_next_due() == pytest.approx(10)  # wakes to send it
        clock.now -= timedelta(minutes=5)  # far ahead: capped at the interval
        assert await deliverer._until_next_due() == 30
    finally:
        await run.stop()


async def test_sending_starts_after_the_first_planned_batch_not_after_all_of_them(
    fake_api: FakeBotApi,
    sqlite_url: str,
    clock: FakeClock,
    bank: Bank,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many tips due in one minute are planned in batches; the first batch goes out while the
    rest are being planned (a dispatcher that waited for every batch would start seconds late).
    The planner's second batch waits here until a claim has taken rows: with a long sweep
    interval, only the planner's signal can wake the dispatcher in time."""
    fake_api.configure(per_chat_rate=None)
    monkeypatch.setattr(sweep, "PLAN_BATCH", 2)
    settings = bot_settings(fake_api, sqlite_url, sweep_seconds=30, claim_timeout_seconds=60)
    run = Runner(settings, bank, clock=clock, schedule_sweeps=False)
    await run.start()
    real_plan, real_claim = store.plan_due, store.claim
    claimed = asyncio.Event()
    waits: list[bool] = []

    async def plan_due(*args: Any) -> Any:
        if any(r.planned for r in planned):  # a batch is planned already: was it sent?
            try:
                await asyncio.wait_for(claimed.wait(), 5)
                waits.append(True)
            except TimeoutError:
                waits.append(False)
        result = await real_plan(*args)
        planned.append(result)
        return result

    async def claim(*args: Any) -> Any:
        jobs = await real_claim(*args)
        if jobs:
            claimed.set()
        return jobs

    planned: list[store.PlanResult] = []
    monkeypatch.setattr(store, "plan_due", plan_due)
    monkeypatch.setattr(store, "claim", claim)
    chats = range(950, 956)
    try:
        await subscribe_many(run, clock, chats)
        await deliver_all(run, fake_api, chats)
    finally:
        await run.stop()
    assert sum(r.planned for r in planned) == len(chats)
    assert waits and waits[0], "nothing was claimed until every batch had been planned"
