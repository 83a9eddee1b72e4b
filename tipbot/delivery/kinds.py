"""Delivery kinds: what each kind of outbox row may do, in one place.

The outbox (`deliveries`) carries every message the bot sends on its own: daily tips and
announcements, and since issue 11 dose reminders, their follow-up, the "wait is over" message,
appointment reminders and the weekly quiz poll. They share the exactly-once machinery (claim
with a lease, record only while owned) and the one Telegram budget; what differs per kind is
said here and nowhere else:

- the budget priority of its send (a dose reminder goes before a tip, a tip before a broadcast);
- who may receive it: tips, broadcasts and quizzes need an active subscription, while the dose
  companion's messages only need a chat that has not blocked the bot (a user may pause the tips
  and keep the reminders, or use /dose without subscribing at all);
- whether the chat's "quiet" wish (/settings) applies: it is for the daily routine, never for a
  dose reminder or an announcement.

Adding a kind: add it to `tables.DeliveryKind`, put it in the sets below, plan its rows with
`storage.deliveries.plan_keyed` (a unique `ref` per chat and kind) and register its composer
handler (`Composer.register`). See the README section "The outbox" for an example.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from tipbot.delivery.budget import Priority
from tipbot.storage.tables import DeliveryKind

#: The dose companion's kinds: sent at REMINDER priority, claimed before tips, to any chat that
#: has not blocked the bot (no subscription needed); cancelled by /dose off and /forget.
REMINDER_KINDS: frozenset[str] = frozenset(
    {
        DeliveryKind.DOSE,
        DeliveryKind.DOSE_FOLLOWUP,
        DeliveryKind.DOSE_WAIT,
        DeliveryKind.APPOINTMENT,
    }
)
#: Kinds that follow the subscription: sent only while it is active, cancelled by /pause and
#: /stop.
SUBSCRIPTION_KINDS: frozenset[str] = frozenset(
    {DeliveryKind.TIP, DeliveryKind.BROADCAST, DeliveryKind.QUIZ}
)
#: Kinds the chat's quiet wish applies to (sent without a notification sound when asked).
QUIET_KINDS: frozenset[str] = frozenset({DeliveryKind.TIP, DeliveryKind.QUIZ})


def priority(kind: str) -> Priority:
    """The budget priority of a delivery of `kind` (an unknown kind waits like a broadcast)."""
    if kind in REMINDER_KINDS:
        return Priority.REMINDER
    if kind in (DeliveryKind.TIP, DeliveryKind.QUIZ):
        return Priority.TIP
    return Priority.BROADCAST


@dataclass(frozen=True)
class Poll:
    """A poll to send instead of a text message (a quiz: `correct_option_id` set). The composer
    returns it for a kind that is a poll; the sender sends it with sendPoll, with the same error
    rules as a text message. Texts are plain (Telegram shows poll texts as they are)."""

    question: str
    options: tuple[str, ...]
    correct_option_id: int | None = None  # None: a regular poll
    explanation: str | None = None  # shown after a quiz answer (<= 200 characters)
    is_anonymous: bool = False  # a quiz bot wants to know who answered


@dataclass(frozen=True)
class Skip:
    """The composer's answer when a row no longer needs sending (e.g. the follow-up of a dose
    already marked taken): the row is recorded `cancelled` with `reason`, never sent."""

    reason: str


class Planner(Protocol):
    """Plans rows of some kind into the outbox; the delivery loop runs every planner it was
    given on each planning pass, beside the daily tips' planning."""

    async def plan(self, engine: AsyncEngine, now: datetime) -> int:
        """Plan what is due at `now` (idempotent: `plan_keyed` never plans a row twice);
        return how many rows were added."""
        ...

    async def next_due(self, engine: AsyncEngine) -> datetime | None:
        """When this planner next has something to plan (None: nothing scheduled), so the loop
        wakes on that minute rather than up to a sweep interval late."""
        ...


#: The type of a function that plans rows for one kind (for planners that are plain functions).
PlanFn = Callable[[AsyncEngine, datetime], Awaitable[int]]
