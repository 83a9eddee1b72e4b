"""Each process's share of the bot's Telegram rate, renewed through the heartbeat table.

Telegram's limit is per bot token, however many processes send for it. Every live process, with
either role (an updates process sends replies, a delivery process sends tips), announces itself in
the `processes` table and takes `TIPBOT_MAX_RATE` divided by the number of live processes; one that
stops beating drops out of the count after `ttl`, and the others take over its share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.delivery.budget import Budget
from tipbot.storage import processes
from tipbot.storage.errors import DB_ERRORS

log = logging.getLogger(__name__)

#: How often a process without the delivery role renews its share (a delivery process renews it
#: with its lease heartbeat instead).
RENEW_SECONDS = 10.0
#: A process silent this long no longer counts.
TTL = timedelta(seconds=60)


async def renew(
    engine: AsyncEngine,
    owner: str,
    roles: Iterable[str],
    budget: Budget,
    max_rate: float,
    now: datetime,
    ttl: timedelta = TTL,
) -> int:
    """Beat, count the live processes, and set this process's rate; return the count."""
    live = await processes.beat(engine, owner, roles, now, ttl)
    budget.set_rate(max_rate / max(1, live))
    return live


async def keep_share(
    engine: AsyncEngine,
    owner: str,
    roles: Iterable[str],
    budget: Budget,
    max_rate: float,
    clock: Callable[[], datetime],
) -> None:
    """Renew the share until cancelled; a database outage keeps the last share (logged once)."""
    roles = tuple(roles)
    outage = False
    while True:
        try:
            await renew(engine, owner, roles, budget, max_rate, clock())
            outage = False
        except DB_ERRORS as exc:
            if not outage:
                log.warning("cannot renew this process's share of the rate: %s", exc)
            outage = True
        except Exception:  # never end silently: log, keep the last share, try again
            log.exception("renewing this process's share of the rate failed")
        await asyncio.sleep(RENEW_SECONDS)


async def leave(engine: AsyncEngine, owner: str) -> None:
    """At shutdown: drop out of the count at once, so the others take over the share."""
    with contextlib.suppress(*DB_ERRORS, TimeoutError):
        async with asyncio.timeout(1.0):
            await processes.leave(engine, owner)
