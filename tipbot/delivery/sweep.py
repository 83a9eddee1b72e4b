"""The delivery sweep: plan due tips -> claim -> send under the limits -> record.

One JobQueue job calls `Deliverer.sweep` every few seconds; a sweep that is already running keeps
going until nothing is due, so a later call just returns. Outcomes are written by a single
recorder task that commits whatever has accumulated in one transaction (group commit): alone
when the rate is low, in batches when it is high, so durable bookkeeping stays cheap per message.
Only messages sent but not yet committed at the instant of a crash can be sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup

from tipbot.delivery.sender import Sender
from tipbot.observe import Metrics
from tipbot.storage import deliveries as store
from tipbot.storage.deliveries import ClaimedDelivery, Outcome
from tipbot.storage.tables import DeliveryStatus

log = logging.getLogger(__name__)

PLAN_BATCH = 1000
LINGER_SECONDS = 0.025
#: A delivery that failed after its in-process retries is tried again by a later sweep.
RETRY_FAILED_AFTER = timedelta(seconds=30)
DB_ERRORS = (OperationalError, DBAPIError, OSError)

#: Turns a claimed job into the message to send (None: nothing to send any more, e.g. a tip
#: that was removed from the bank).
Compose = Callable[[ClaimedDelivery], Awaitable[tuple[str, InlineKeyboardMarkup | None] | None]]


@dataclass
class SweepReport:
    planned: int = 0
    skipped_days: int = 0
    sent: int = 0
    failed: int = 0


def default_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Recorder:
    """Group commit of outcomes; retries the write until the database answers again."""

    def __init__(
        self, engine: AsyncEngine, owner: str, on_recorded: Callable[[Outcome], None]
    ) -> None:
        self._engine = engine
        self._owner = owner
        self._queue: asyncio.Queue[Outcome] = asyncio.Queue()
        self._on_recorded = on_recorded
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tipbot-recorder")

    def put(self, outcome: Outcome) -> None:
        self._queue.put_nowait(outcome)

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        await self.flush()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Paced sends finish one at a time; lingering briefly lets a commit carry many of them.
            # Only these few milliseconds of sends could repeat after a crash.
            await asyncio.sleep(LINGER_SECONDS)
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            delay = 0.2
            while True:
                try:
                    await store.record(self._engine, self._owner, batch)
                    break
                except DB_ERRORS as exc:
                    log.warning("cannot record %d deliveries yet (%s); retrying", len(batch), exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            for outcome in batch:
                self._on_recorded(outcome)
                self._queue.task_done()


class Deliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: Sender,
        compose: Compose,
        tip_ids: tuple[str, ...],
        metrics: Metrics,
        *,
        clock: Callable[[], datetime],
        catchup: timedelta,
        lease: timedelta,
        concurrency: int,
        owner: str | None = None,
    ) -> None:
        self._engine = engine
        self._sender = sender
        self._compose = compose
        self._tip_ids = tuple(sorted(tip_ids))
        self._metrics = metrics
        self._clock = clock
        self._catchup = catchup
        self._lease = lease
        self._concurrency = max(1, concurrency)
        self.owner = owner or default_owner()
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._in_hand: dict[int, ClaimedDelivery] = {}
        self._report = SweepReport()

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def sweep(self) -> SweepReport | None:
        """Deliver everything due now; None if another sweep in this process is already running."""
        if self._lock.locked() or self._stopping.is_set():
            return None
        async with self._lock:
            self._report = SweepReport()
            try:
                await self._plan()
                await self._dispatch()
            except DB_ERRORS as exc:
                log.warning("delivery sweep stopped early, database unavailable: %s", exc)
                return self._report
            self._metrics.last_sweep.set_to_current_time()
            return self._report

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let in-flight sends finish for up to `grace` seconds, record them."""
        self._stopping.set()
        self._sender.stopping.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                async with self._lock:
                    pass

    async def _plan(self) -> None:
        while not self._stopping.is_set():
            result = await store.plan_due(
                self._engine, self._clock(), self._tip_ids, self._catchup, PLAN_BATCH
            )
            self._report.planned += result.planned
            self._report.skipped_days += result.skipped
            if result.examined < PLAN_BATCH:
                return

    def _batch_size(self) -> int:
        """Claim no more than can be sent well within one lease at the configured rate."""
        per_lease = int(self._lease.total_seconds() / 4 / self._sender.pacer.interval)
        return max(self._concurrency, min(1000, per_lease))

    async def _dispatch(self) -> None:
        recorder = Recorder(self._engine, self.owner, self._recorded)
        recorder.start()
        heartbeat = asyncio.create_task(self._heartbeat(), name="tipbot-lease-heartbeat")
        slots = asyncio.Semaphore(self._concurrency)
        tasks: set[asyncio.Task[None]] = set()
        try:
            await store.expire(self._engine, self._clock())  # once a sweep, not once a batch
            while not self._stopping.is_set():
                jobs = await store.claim(
                    self._engine, self._clock(), self.owner, self._batch_size(), self._lease
                )
                if not jobs:
                    break
                self._in_hand.update((job.id, job) for job in jobs)
                for index, job in enumerate(jobs):
                    await slots.acquire()
                    if self._stopping.is_set():  # hand unstarted jobs back at once
                        slots.release()
                        await self._release(jobs[index:])
                        break
                    task = asyncio.create_task(self._deliver(job, recorder, slots))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if tasks and len(jobs) < self._batch_size():
                    await asyncio.gather(*tasks)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await recorder.close()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _deliver(
        self, job: ClaimedDelivery, recorder: Recorder, slots: asyncio.Semaphore
    ) -> None:
        try:
            message = await self._compose(job)
            if message is None:
                recorder.put(Outcome(job, DeliveryStatus.REJECTED, self._clock(), error="gone"))
                return
            text, markup = message
            result = await self._sender.send(job.chat_id, text, markup)
            now = self._clock()
            retry_at = {
                DeliveryStatus.FAILED: now + RETRY_FAILED_AFTER,
                DeliveryStatus.PENDING: now,  # handed back at shutdown: due again at once
            }.get(result.status)
            recorder.put(
                Outcome(job, result.status, now, result.message_id, result.error, retry_at)
            )
        except Exception:
            log.exception("delivery %d failed unexpectedly", job.id)
            now = self._clock()
            recorder.put(
                Outcome(
                    job,
                    DeliveryStatus.FAILED,
                    now,
                    error="internal error",
                    retry_at=now + RETRY_FAILED_AFTER,
                )
            )
        finally:
            slots.release()

    def _recorded(self, outcome: Outcome) -> None:
        self._in_hand.pop(outcome.job.id, None)
        kind = "broadcast" if outcome.job.broadcast_id is not None else "tip"
        if outcome.status is DeliveryStatus.SENT:
            self._report.sent += 1
            self._metrics.delivered.labels(kind).inc()
        elif outcome.status is not DeliveryStatus.PENDING:  # handed back, not failed
            self._report.failed += 1
            self._metrics.failed.labels(outcome.status.value).inc()

    async def _release(self, jobs: list[ClaimedDelivery]) -> None:
        now = self._clock()
        outcomes = [Outcome(j, DeliveryStatus.PENDING, now, retry_at=now) for j in jobs]
        await store.record(self._engine, self.owner, outcomes)
        for job in jobs:
            self._in_hand.pop(job.id, None)

    async def _heartbeat(self) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await store.extend_lease(
                    self._engine, list(self._in_hand), self.owner, self._clock() + self._lease
                )
            except DB_ERRORS as exc:
                log.warning("cannot extend delivery leases: %s", exc)
