"""The delivery loop: plan what is due -> claim with a lease -> send within the budget -> record.

`Deliverer.run` is the process's delivery role. It runs four tasks under one supervisor (an
asyncio TaskGroup): the planner (turns subscribers due within `plan_ahead` into outbox rows,
each due at its own moment, a little before it and at least every sweep interval, also while a
long broadcast is being sent), the dispatcher (claims due rows, daily tips ahead of
broadcasts, and sends them), the recorder (group commit of outcomes) and the heartbeat (keeps
leases and this process's share of the rate). An unexpected failure in any of them is logged
once, counted in /metrics, shown by /healthz, and the whole loop restarts after a short pause;
database outages are waited out inside each task. Nothing waits without a time limit, so a stop
always finishes within its grace.

`Deliverer.sweep` runs the same steps once, until nothing is due: the tests drive time with it.

Exactly once: a row is claimed with a lease before it is sent, and its outcome is written only
while this process still owns it. Only a message sent but not yet recorded at the instant of a
crash can go out twice; a send whose lease has run out locally is handed back, never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup

from tipbot.companion.selection import Audience
from tipbot.delivery import kinds, share
from tipbot.delivery.budget import Priority
from tipbot.delivery.kinds import Planner, Poll, Skip
from tipbot.delivery.sender import Sender, SendResult, Verdict
from tipbot.observe import Metrics
from tipbot.storage import deliveries as store
from tipbot.storage import subscriptions as subscription_store
from tipbot.storage.deliveries import ClaimedDelivery, Outcome
from tipbot.storage.errors import DB_ERRORS
from tipbot.storage.tables import DELIVERY_ROLE, DeliveryKind, DeliveryStatus

log = logging.getLogger(__name__)

#: How far ahead `tipbot run` plans a tip (the row then waits for its moment). Many subscribers
#: choose the same round minute, and planning costs about a fifth of a send: planned in the minute
#: before, 60,000 tips due at 08:00 go out from 08:00 at the full rate instead of sharing the
#: first ten seconds with their own planning (bench/RESULTS.md). A change of time within that
#: minute moves the planned tip with it (`storage.subscriptions`).
PLAN_AHEAD = timedelta(seconds=60)
#: Subscribers planned per transaction: one batch holds the event loop (and SQLite's write lock)
#: about 20 ms; batches of 1,000 held them 100-160 ms and delayed replies (bench/RESULTS.md).
PLAN_BATCH = 200
LINGER_SECONDS = 0.025
#: A delivery that failed after its in-process retries is tried again by a later sweep.
RETRY_FAILED_AFTER = timedelta(seconds=30)
#: Pause before the supervisor restarts the loop after an unexpected failure.
RESTART_PAUSE = 2.0
#: Finished deliveries older than the retention are deleted about this often.
PRUNE_EVERY = 3600.0

#: Turns a claimed row into what to send: a text message (HTML, keyboard), a `Poll`, `Skip`
#: (nothing to send any more, recorded as cancelled: e.g. the follow-up of a dose already taken)
#: or None (the content is gone, e.g. a tip removed from the bank: recorded as rejected).
Compose = Callable[
    [ClaimedDelivery], Awaitable[tuple[str, InlineKeyboardMarkup | None] | Poll | Skip | None]
]


@dataclass
class SweepReport:
    planned: int = 0
    skipped_days: int = 0
    sent: int = 0
    failed: int = 0


@dataclass
class DeliveryHealth:
    """What /healthz reports for the delivery role, kept up to date by the loop itself."""

    #: Monotonic time of the last sign of progress: outcomes recorded, or nothing due.
    progress_at: float = field(default_factory=time.monotonic)
    #: Set while Telegram refuses the token.
    token_refused: bool = False
    #: Consecutive failed recorder writes, planner runs; the last unexpected failure.
    recorder_failures: int = 0
    planner_failures: int = 0
    #: The last unexpected failure, and when: reported until the loop shows progress again.
    crashed: str | None = None
    crashed_at: float = float("-inf")

    def problems(self, now: float, stall_after: float) -> dict[str, str]:
        found: dict[str, str] = {}
        if now - self.progress_at > stall_after:
            found["progress"] = f"due deliveries, none sent or recorded for {stall_after:.0f} s"
        if self.token_refused:
            found["token"] = "Telegram refuses the bot token"
        if self.recorder_failures:
            found["recorder"] = f"{self.recorder_failures} failed writes in a row"
        if self.planner_failures:
            found["planner"] = f"{self.planner_failures} failed runs in a row"
        if self.crashed and self.progress_at <= self.crashed_at:
            found["supervisor"] = f"restarted after {self.crashed}, no progress since"
        return found


def default_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Recorder:
    """Group commit of outcomes; retries the write until the database answers again.

    Only rows this process still owns are written (see storage.record); the rest lost their
    lease to another process, which now decides their fate.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        owner: str,
        health: DeliveryHealth,
        on_recorded: Callable[[Outcome], None],
    ) -> None:
        self._engine = engine
        self._owner = owner
        self._health = health
        #: None is the end mark `close` puts in: `run` writes everything before it, then ends.
        self._queue: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._on_recorded = on_recorded
        #: The batch being written: kept across a restart of the loop, so nothing is lost.
        self._batch: list[Outcome] = []

    def put(self, outcome: Outcome) -> None:
        self._queue.put_nowait(outcome)

    def close(self) -> None:
        """`run` ends once everything put so far is written."""
        self._queue.put_nowait(None)

    def holding(self) -> set[int]:
        """Ids of the rows whose outcome is waiting to be written."""
        queued = [o.job.id for o in self._queue._queue if o is not None]  # type: ignore[attr-defined]
        return {o.job.id for o in self._batch} | set(queued)

    @property
    def idle(self) -> bool:
        return self._queue.empty() and not self._batch

    async def drain(self, within: float) -> bool:
        """Wait until everything queued is written, for at most `within` seconds."""
        deadline = time.monotonic() + within
        while not self.idle:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def run(self) -> None:
        closing = False
        while not closing:
            if not self._batch:
                first = await self._queue.get()
                if first is None:
                    return
                self._batch = [first]
                # Paced sends finish one at a time; lingering briefly lets a commit carry many of
                # them. Only these few milliseconds of sends could repeat after a crash.
                await asyncio.sleep(LINGER_SECONDS)
            while not self._queue.empty():
                outcome = self._queue.get_nowait()
                if outcome is None:
                    closing = True
                else:
                    self._batch.append(outcome)
            await self._write(self._batch)
            for outcome in self._batch:
                self._on_recorded(outcome)
            self._batch = []
            self._health.progress_at = time.monotonic()

    async def _write(self, batch: list[Outcome]) -> None:
        delay = 0.2
        while True:
            try:
                written = await store.record(self._engine, self._owner, batch)
            except DB_ERRORS as exc:
                self._health.recorder_failures += 1
                if self._health.recorder_failures == 1:
                    log.warning("cannot record %d deliveries yet (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if self._health.recorder_failures:
                log.info("recording deliveries again")
            self._health.recorder_failures = 0
            if written < len(batch):
                log.warning(
                    "%d delivery outcomes not recorded: their lease had passed to another process",
                    len(batch) - written,
                )
            return


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
        sweep_interval: float = 15.0,
        max_rate: float | None = None,
        retention: timedelta = timedelta(days=90),
        owner: str | None = None,
        roles: tuple[str, ...] = (DELIVERY_ROLE,),
        audiences: Mapping[str, Audience] | None = None,
        planners: Sequence[Planner] = (),
        on_poll_sent: Callable[[ClaimedDelivery, str], Awaitable[None]] | None = None,
        plan_ahead: timedelta = timedelta(0),
    ) -> None:
        self._engine = engine
        #: Subscribers due within this are planned now, each row due at its own moment.
        self._plan_ahead = plan_ahead
        #: Told the poll id of each poll delivered (the quiz maps answers by it).
        self._on_poll_sent = on_poll_sent
        #: Planners of the other kinds (dose reminders, the weekly quiz), run with the tips'.
        self._planners = tuple(planners)
        #: The bank's tagged tips, so subscribers with a profile get the tips that fit them.
        self._audiences = dict(audiences or {})
        self._sender = sender
        self._compose = compose
        self._tip_ids = tuple(sorted(tip_ids))
        self._metrics = metrics
        self._clock = clock
        self._catchup = catchup
        self._lease = lease
        self._concurrency = max(1, concurrency)
        self._interval = sweep_interval
        self._max_rate = max_rate or sender.budget.rate
        self._retention = retention
        self.owner = owner or default_owner()
        self._roles = roles  # this process's roles, announced with the heartbeat
        self.health = DeliveryHealth()
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._work = asyncio.Event()  # the planner found (or may have found) new work
        #: Claimed rows not yet recorded, with the monotonic time their lease runs out here.
        self._in_hand: dict[int, ClaimedDelivery] = {}
        self._lease_ends: dict[int, float] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self._token_retry_at = 0.0
        self._pruned_at = float("-inf")
        self._report = SweepReport()
        self._recorder = Recorder(engine, self.owner, self.health, self._recorded)

    @property
    def running(self) -> bool:
        return self._lock.locked()

    def stall_after(self) -> float:
        """/healthz calls delivery stalled after two sweep intervals without progress (but never
        sooner than a lease, the longest a healthy send can wait)."""
        return max(2 * self._interval, self._lease.total_seconds())

    # ------------------------------------------------------------------ the two entry points

    async def sweep(self) -> SweepReport | None:
        """Deliver everything due now (and plan what falls due within `plan_ahead`); None if a
        sweep or the loop is already running."""
        if self._lock.locked() or self._stopping.is_set():
            return None
        async with self._lock:
            self._report = SweepReport()
            recorder = asyncio.create_task(self._recorder.run(), name="tipbot-recorder")
            try:
                await self._plan()
                await self._dispatch()
                await self._recorder.drain(within=30.0)
            except DB_ERRORS as exc:
                log.warning("delivery sweep stopped early, database unavailable: %s", exc)
            finally:
                recorder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recorder
            self._metrics.last_sweep.set_to_current_time()
            return self._report

    async def run(self) -> None:
        """The delivery role: plan, dispatch, record and beat until `stop`; restart on failure."""
        async with self._lock:
            while not self._stopping.is_set():
                try:
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._recorder.run(), name="tipbot-recorder")
                        group.create_task(self._heartbeat_loop(), name="tipbot-heartbeat")
                        group.create_task(self._plan_loop(), name="tipbot-planner")
                        group.create_task(self._dispatch_loop(), name="tipbot-dispatcher")
                except* Exception as failure:
                    for exc in failure.exceptions:
                        log.error("delivery loop failed; restarting", exc_info=exc)
                        self._metrics.delivery_restarts.labels(type(exc).__name__[:40]).inc()
                        self.health.crashed = type(exc).__name__
                        self.health.crashed_at = time.monotonic()
                    await self._settle_after_crash()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), RESTART_PAUSE)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let sends under way finish and be recorded within `grace` seconds;
        hand everything else back. Returns within about `grace` seconds whatever happens."""
        self._stopping.set()
        self._work.set()
        self._sender.stopping.set()
        self._sender.budget.withdraw(Priority.REMINDER)
        deadline = time.monotonic() + grace
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=max(0.1, grace * 0.6))
        self._recorder.close()  # the loop ends when the recorder has written what it holds
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                async with self._lock:  # the loop has seen `stopping` and ended
                    pass
        await share.leave(self._engine, self.owner)

    # ------------------------------------------------------------------ the loop's tasks

    async def _plan_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._plan()
                await self._housekeeping()
                self.health.planner_failures = 0
            except DB_ERRORS as exc:
                self.health.planner_failures += 1
                if self.health.planner_failures == 1:
                    log.warning("cannot plan deliveries, database unavailable: %s", exc)
            self._metrics.last_sweep.set_to_current_time()
            self._work.set()
            await self._rest(await self._until_next_due())

    async def next_due_at(self) -> datetime | None:
        """The next moment something falls due: a tip, a row planned ahead, another kind's
        planner (for `tipbot console`'s clock; the loop itself uses `_until_next_due`)."""
        found = [await store.next_due(self._engine, self._clock())]
        found += [await p.next_due(self._engine) for p in self._planners]
        times = [d for d in found if d is not None]
        return min(times) if times else None

    async def _until_next_due(self) -> float:
        """Sleep until the next tip is to be planned (its moment less the look-ahead) or a
        planned row falls due, so it goes out on its minute rather than up to a sweep interval
        late; but never longer than the interval, so a subscription made meanwhile (perhaps by
        another process) is planned on time too."""
        try:
            found = [await store.next_due(self._engine, self._clock(), self._plan_ahead)]
            found += [await p.next_due(self._engine) for p in self._planners]
        except DB_ERRORS:
            return self._interval
        times = [d for d in found if d is not None]
        if not times:
            return self._interval
        due = min(times)
        wait = (due - self._clock()).total_seconds()
        return min(self._interval, max(0.05, wait))

    async def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            await self._rest_until_work()
            try:
                await self._dispatch()
            except DB_ERRORS as exc:
                log.warning("cannot claim deliveries, database unavailable: %s", exc)
                await self._rest(min(5.0, self._interval))

    async def _heartbeat_loop(self) -> None:
        interval = min(self._lease.total_seconds() / 3, 10.0)
        outage = False
        while not self._stopping.is_set():
            try:
                await self._beat()
                if outage:
                    log.info("database answers again: leases and rate share renewed")
                outage = False
            except DB_ERRORS as exc:
                if not outage:
                    log.warning("cannot renew delivery leases: %s", exc)
                outage = True
            await self._rest(interval)

    async def _rest(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _rest_until_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), self._interval)
        self._work.clear()
        wait = self._token_retry_at - time.monotonic()
        if wait > 0:
            await self._rest(wait)

    # ------------------------------------------------------------------ the steps

    async def _plan(self) -> None:
        # The other kinds' planners first: a dose reminder due at the same minute as a tip is
        # planned (and so claimed) first, as its budget priority says.
        for planner in self._planners:
            if self._stopping.is_set():
                return
            self._report.planned += await planner.plan(self._engine, self._clock())
        while not self._stopping.is_set():
            result = await store.plan_due(
                self._engine,
                self._clock(),
                self._tip_ids,
                self._catchup,
                PLAN_BATCH,
                self._audiences,
                self._plan_ahead,
            )
            self._report.planned += result.planned
            self._report.skipped_days += result.skipped
            if result.planned:
                # Wake the dispatcher now: with many tips due in one minute, the first batch
                # goes out while the rest are planned, not after all of them (bench.on_time).
                self._work.set()
            if result.examined < PLAN_BATCH:
                return

    async def _housekeeping(self) -> None:
        """Expire rows whose catch-up window closed; now and then, delete old finished rows."""
        now = self._clock()
        await store.expire(self._engine, now)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = time.monotonic()
            removed = await store.prune(self._engine, now - self._retention)
            if removed:
                log.info("pruned %d finished deliveries older than the retention", removed)

    def _batch_size(self) -> int:
        """Small batches (about a quarter second of sending): a tip planned during a long
        broadcast is claimed ahead of the broadcast's rows at once, and reading a batch never
        holds the event loop long enough to delay a reply."""
        return max(self._concurrency, min(1000, int(self._sender.budget.rate * 0.25)))

    async def _dispatch(self) -> None:
        """Claim and send until nothing is due (or shutdown, or the token is refused)."""
        slots = asyncio.Semaphore(self._concurrency)
        try:
            await store.expire(self._engine, self._clock())
            # Claim nothing while outcomes wait to be written: a row sent but not yet recorded
            # must not be claimed again once its lease has run out during the outage.
            while (
                not self._stopping.is_set()
                and time.monotonic() >= self._token_retry_at
                and not self.health.recorder_failures
            ):
                jobs = await store.claim(
                    self._engine, self._clock(), self.owner, self._batch_size(), self._lease
                )
                if not jobs:
                    if self._recorder.idle:
                        self.health.progress_at = time.monotonic()  # nothing due is progress
                    break
                lease_end = time.monotonic() + self._lease.total_seconds() * 0.9
                for job in jobs:
                    self._in_hand[job.id] = job
                    self._lease_ends[job.id] = lease_end
                for index, job in enumerate(jobs):
                    await slots.acquire()
                    if self._stopping.is_set() or time.monotonic() < self._token_retry_at:
                        slots.release()
                        await self._release(jobs[index:])
                        break
                    task = asyncio.create_task(self._deliver(job, slots))
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)
        finally:
            if self._sending:
                await asyncio.gather(*self._sending, return_exceptions=True)

    async def _deliver(self, job: ClaimedDelivery, slots: asyncio.Semaphore) -> None:
        try:
            message = await self._compose(job)
            if message is None:
                self._put(job, DeliveryStatus.REJECTED, error="gone from the bank")
                return
            if isinstance(message, Skip):
                self._put(job, DeliveryStatus.CANCELLED, error=message.reason)
                return
            kind = job.kind if job.broadcast_id is None else DeliveryKind.BROADCAST
            priority = kinds.priority(kind)
            # Quiet is for the daily routine; an announcement or a dose reminder is meant to be
            # noticed.
            quiet = job.quiet and kind in kinds.QUIET_KINDS

            def owned() -> bool:
                return time.monotonic() < self._lease_ends.get(job.id, 0.0)

            if isinstance(message, Poll):
                result = await self._sender.send_poll(
                    job.chat_id,
                    message,
                    priority=priority,
                    owned=owned,
                    thread_id=job.thread_id,
                    quiet=quiet,
                )
            else:
                text, markup = message
                result = await self._sender.send(
                    job.chat_id,
                    text,
                    markup,
                    priority=priority,
                    owned=owned,
                    thread_id=job.thread_id,
                    quiet=quiet,
                )
            await self._conclude(job, result)
            if result.poll_id is not None and self._on_poll_sent is not None:
                await self._poll_sent(job, result.poll_id)
        except Exception:
            log.exception("delivery %d failed unexpectedly", job.id)
            now = self._clock()
            self._put(
                job,
                DeliveryStatus.FAILED,
                error="internal error",
                retry_at=now + RETRY_FAILED_AFTER,
            )
        finally:
            slots.release()

    async def _poll_sent(self, job: ClaimedDelivery, poll_id: str) -> None:
        """The poll went out: whatever happens here, it must not count as a failed send (that
        would send it again), so a failure only loses the answer's record, with one log line."""
        assert self._on_poll_sent is not None
        try:
            await self._on_poll_sent(job, poll_id)
        except Exception:
            log.exception("recording sent poll of delivery %d failed", job.id)

    async def _conclude(self, job: ClaimedDelivery, result: SendResult) -> None:
        """Turn the sender's verdict into the row's outcome (see delivery/sender.py)."""
        if result.new_chat_id is not None:
            await subscription_store.move_chat(self._engine, job.chat_id, result.new_chat_id)
            log.info("a group became a supergroup; its subscription moved to the new chat id")
            job = dataclasses.replace(job, chat_id=result.new_chat_id)
        now = self._clock()
        verdict = result.verdict
        if verdict is Verdict.TOKEN:
            self._token_refused()
        elif verdict in (Verdict.SENT, Verdict.MIGRATED) and self.health.token_refused:
            log.info("Telegram accepts the token again: delivery resumes")
            self.health.token_refused = False
        if verdict in (Verdict.SENT, Verdict.MIGRATED) and result.message_id is not None:
            self._put(job, DeliveryStatus.SENT, message_id=result.message_id)
        elif verdict is Verdict.GONE:
            self._put(job, DeliveryStatus.BLOCKED, error=result.error)
        elif verdict is Verdict.REJECTED:
            self._put(job, DeliveryStatus.REJECTED, error=result.error)
        elif verdict is Verdict.RETRY:
            self._put(
                job, DeliveryStatus.FAILED, error=result.error, retry_at=now + RETRY_FAILED_AFTER
            )
        else:  # TOKEN, HANDED_BACK: not sent, due again at once (and nothing marked)
            self._put(job, DeliveryStatus.PENDING, error=result.error, retry_at=now)

    def token_pause(self) -> float:
        """After Telegram refused the token, delivery rests this long before trying again:
        two sweep intervals, between 5 and 30 seconds."""
        return min(30.0, max(5.0, 2 * self._interval))

    def _token_refused(self) -> None:
        """Log once per outage; stop claiming for a while; hand everything back unmarked."""
        if not self.health.token_refused:
            log.error(
                "Telegram refused the bot token: delivery paused, retrying every %.0f s "
                "(check TELEGRAM_BOT_TOKEN and TIPBOT_API_URL)",
                self.token_pause(),
            )
        self.health.token_refused = True
        self._token_retry_at = time.monotonic() + self.token_pause()

    def _put(
        self,
        job: ClaimedDelivery,
        status: DeliveryStatus,
        *,
        message_id: int | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        self._recorder.put(Outcome(job, status, self._clock(), message_id, error, retry_at))

    def _recorded(self, outcome: Outcome) -> None:
        self._in_hand.pop(outcome.job.id, None)
        self._lease_ends.pop(outcome.job.id, None)
        kind = "broadcast" if outcome.job.broadcast_id is not None else outcome.job.kind
        if kind not in {k.value for k in DeliveryKind}:
            kind = "other"  # only known kinds become metric labels
        if outcome.status is DeliveryStatus.SENT:
            self._report.sent += 1
            self._metrics.delivered.labels(kind).inc()
        elif outcome.status is not DeliveryStatus.PENDING:  # handed back, not failed
            self._report.failed += 1
            self._metrics.failed.labels(outcome.status.value).inc()

    async def _release(self, jobs: list[ClaimedDelivery]) -> None:
        """Hand unstarted rows back at once, so another process (or the restart) takes them."""
        now = self._clock()
        outcomes = [Outcome(j, DeliveryStatus.PENDING, now, retry_at=now) for j in jobs]
        await store.record(self._engine, self.owner, outcomes)
        for job in jobs:
            self._in_hand.pop(job.id, None)
            self._lease_ends.pop(job.id, None)

    async def _beat(self) -> None:
        """Renew the leases of rows in hand and this process's share of the bot's rate."""
        now = self._clock()
        ids = list(self._in_hand)
        renewed_until = time.monotonic() + self._lease.total_seconds() * 0.9
        await store.extend_lease(self._engine, ids, self.owner, now + self._lease)
        for job_id in ids:
            if job_id in self._lease_ends:
                self._lease_ends[job_id] = renewed_until
        await share.renew(
            self._engine, self.owner, self._roles, self._sender.budget, self._max_rate, now
        )

    async def _settle_after_crash(self) -> None:
        """After a failure: sends under way were cancelled with the loop, so whether they went
        out is unknown. Their rows are left to their lease, which now runs out (the heartbeat
        stops renewing them), and then any process takes them over. Outcomes the recorder still
        holds are kept and written after the restart."""
        for task in list(self._sending):
            task.cancel()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        self._sending.clear()
        held = self._recorder.holding()
        for job_id in [j for j in self._in_hand if j not in held]:
            self._in_hand.pop(job_id, None)
            self._lease_ends.pop(job_id, None)
