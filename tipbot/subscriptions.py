"""Subscription domain logic: the subscriber, what each command may change, reading
`/subscribe` arguments and describing when tips come.

Plain functions of plain data, so every rule is tested without Telegram or a database. Storage
(`tipbot.storage.subscriptions`) applies these rules inside a transaction; the handlers
(`tipbot.bot.subscriptions`) only translate between Telegram and them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from tipbot.delivery.schedule import (
    as_aware,
    due_on,
    format_minute,
    local_date_of,
    next_due,
    parse_minute,
    tz_from_key,
)
from tipbot.delivery.zones import ZoneMatch, find_zone
from tipbot.i18n import N_, Reason
from tipbot.storage.tables import SubscriberState


@dataclass(frozen=True)
class Subscriber:
    chat_id: int
    state: SubscriberState
    send_minute: int
    tz: str
    next_due_at: datetime | None  # when the next tip is due; None unless receiving
    blocked: bool = False  # the user blocked the bot; `state` is what they had chosen
    last_planned: date | None = None  # the local date that last had a tip planned
    thread_id: int | None = None  # the forum topic of a group that subscribed from one
    quiet: bool = False  # daily tips arrive without a notification sound

    @property
    def receiving(self) -> bool:
        """Whether anything may be sent to this chat now."""
        return self.state is SubscriberState.ACTIVE and not self.blocked

    @property
    def standing(self) -> Standing:
        return Standing.BLOCKED if self.blocked else Standing(self.state.value)


class Standing(StrEnum):
    """How a subscription looks from outside (counts, metrics): blocking hides the state."""

    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"
    UNSUBSCRIBED = "unsubscribed"


#: A rule for one command: the changed subscriber, or None when it does not apply (nothing to
#: change). `tipbot.storage.subscriptions.change` applies it inside a transaction.
Rule = Callable[[Subscriber, datetime], "Subscriber | None"]


def _scheduled(sub: Subscriber, now: datetime) -> Subscriber:
    """`sub` with its next due time: the next send time after `now` while it is receiving."""
    due = next_due(sub.send_minute, tz_from_key(sub.tz), now) if sub.receiving else None
    return replace(sub, next_due_at=due)


def subscribed(chat_id: int, minute: int, tz: str, now: datetime) -> Subscriber:
    """/subscribe (or its guided flow): an active subscription whatever came before; the user is
    talking to the bot, so it is not blocked either."""
    return _scheduled(Subscriber(chat_id, SubscriberState.ACTIVE, minute, tz, None), now)


def paused(sub: Subscriber, now: datetime) -> Subscriber | None:
    """/pause: only an active subscription pauses (None: nothing to change)."""
    if sub.state is not SubscriberState.ACTIVE:
        return None
    return _scheduled(replace(sub, state=SubscriberState.PAUSED), now)


def resumed(sub: Subscriber, now: datetime) -> Subscriber | None:
    """/resume: only a paused subscription resumes."""
    if sub.state is not SubscriberState.PAUSED:
        return None
    return _scheduled(replace(sub, state=SubscriberState.ACTIVE), now)


def unsubscribed(sub: Subscriber, now: datetime) -> Subscriber | None:
    """/unsubscribe: from active or paused."""
    if sub.state is SubscriberState.UNSUBSCRIBED:
        return None
    return _scheduled(replace(sub, state=SubscriberState.UNSUBSCRIBED), now)


def rescheduled(
    sub: Subscriber, now: datetime, minute: int | None = None, tz: str | None = None
) -> Subscriber | None:
    """A new time or zone from /settings: the state stays as it is (a paused user stays paused),
    and a settings button left over from before /unsubscribe never subscribes again."""
    if sub.state is SubscriberState.UNSUBSCRIBED:
        return None
    return _scheduled(
        replace(
            sub,
            send_minute=sub.send_minute if minute is None else minute,
            tz=sub.tz if tz is None else tz,
        ),
        now,
    )


def blocked(sub: Subscriber, now: datetime) -> Subscriber | None:
    """The user blocked the bot (403, or a my_chat_member update): nothing is sent until they
    come back, and what they had chosen is kept."""
    if sub.blocked:
        return None
    return _scheduled(replace(sub, blocked=True), now)


def unblocked(sub: Subscriber, now: datetime) -> Subscriber | None:
    """The user unblocked the bot or sent /start: back to exactly the state they had chosen."""
    if not sub.blocked:
        return None
    return _scheduled(replace(sub, blocked=False), now)


class SubscribeInputError(Reason):
    """Input that cannot become a subscription; the message says what to type instead."""


@dataclass(frozen=True)
class SubscribeRequest:
    minute: int
    zone: ZoneMatch
    zone_text: str  # the zone as typed, to quote back when it is not understood
    zone_assumed: bool  # no zone was given, so UTC is used and the reply says so


def parse_subscribe_args(args: list[str]) -> SubscribeRequest:
    """`07:30 Europe/Berlin`, `8:00 UTC-3`, `7:30 pm new york`, `07:30` (UTC assumed)."""
    if not args:
        raise SubscribeInputError(N_("give a time, for example /subscribe 07:30 Europe/Berlin"))
    time_words = 1
    if len(args) > 1 and args[1].casefold().strip(".") in {"am", "pm", "a.m", "p.m"}:
        time_words = 2
    try:
        minute = parse_minute(" ".join(args[:time_words]))
    except ValueError as exc:
        raise SubscribeInputError.of(exc) from None
    zone_text = " ".join(args[time_words:])
    if not zone_text:
        return SubscribeRequest(minute, ZoneMatch("UTC"), "", zone_assumed=True)
    return SubscribeRequest(minute, parse_zone(zone_text), zone_text, zone_assumed=False)


def parse_zone(text: str) -> ZoneMatch:
    try:
        return find_zone(text)
    except ValueError as exc:
        raise SubscribeInputError.of(exc) from None


def next_tip_at(
    sub: Subscriber, last_sent: date | None, planned: datetime | None = None
) -> datetime | None:
    """The naive-UTC moment of the next tip: one already `planned` and not yet sent (the
    delivery loop plans a minute ahead), or else the schedule's next, skipping a local day that
    already had its tip (`last_sent`, i.e. `Subscriber.last_planned`)."""
    if not sub.receiving or sub.next_due_at is None:
        return None
    if planned is not None:
        return planned
    zone = tz_from_key(sub.tz)
    due = sub.next_due_at
    day = local_date_of(due, zone)
    if last_sent is not None and day <= last_sent:
        due = due_on(last_sent + timedelta(days=1), sub.send_minute, zone)
    return due


def follow_new_time(
    planned_date: date, due_at: datetime, expire_at: datetime, after: Subscriber
) -> tuple[datetime, datetime] | None:
    """A tip planned ahead for the old time (the delivery loop plans a minute early) and a
    new time or zone: the (due, expire) moments it moves to, or None where it stays.

    It moves when the new time comes on the day it was planned for, keeping its catch-up
    window, so the user's new time holds from today. Otherwise (the new time has passed today,
    or the chat no longer receives) it stays: a day never gets two tips, and a new time that
    falls tomorrow starts tomorrow, with today's tip still at the time it was planned for."""
    if not after.receiving or after.next_due_at is None:
        return None
    if local_date_of(after.next_due_at, tz_from_key(after.tz)) != planned_date:
        return None
    return after.next_due_at, after.next_due_at + (expire_at - due_at)


def describe_local(moment: datetime, tz: str) -> str:
    """`Thu 26 Nov at 07:30` in the subscriber's zone."""
    local = as_aware(moment).astimezone(tz_from_key(tz))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def describe_schedule(sub: Subscriber) -> str:
    return f"{format_minute(sub.send_minute)} ({sub.tz.replace('_', ' ')})"
