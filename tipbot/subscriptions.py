"""Subscription domain logic: reading `/subscribe` arguments and describing when tips come.

Plain functions of plain data, so every case of user input is tested without Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tipbot.delivery.schedule import (
    as_aware,
    due_on,
    format_minute,
    local_date_of,
    parse_minute,
    tz_from_key,
)
from tipbot.delivery.zones import ZoneMatch, find_zone
from tipbot.storage.subscribers import Subscriber
from tipbot.storage.tables import SubscriberState


class SubscribeInputError(ValueError):
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
        raise SubscribeInputError("give a time, for example /subscribe 07:30 Europe/Berlin")
    time_words = 1
    if len(args) > 1 and args[1].casefold().strip(".") in {"am", "pm", "a.m", "p.m"}:
        time_words = 2
    try:
        minute = parse_minute(" ".join(args[:time_words]))
    except ValueError as exc:
        raise SubscribeInputError(str(exc)) from None
    zone_text = " ".join(args[time_words:])
    if not zone_text:
        return SubscribeRequest(minute, ZoneMatch("UTC"), "", zone_assumed=True)
    return SubscribeRequest(minute, parse_zone(zone_text), zone_text, zone_assumed=False)


def parse_zone(text: str) -> ZoneMatch:
    try:
        return find_zone(text)
    except ValueError as exc:
        raise SubscribeInputError(str(exc)) from None


def next_tip_at(sub: Subscriber, last_sent: date | None) -> datetime | None:
    """The naive-UTC moment of the next tip, skipping a local day that already had its tip."""
    if sub.state is not SubscriberState.ACTIVE or sub.next_due_at is None:
        return None
    zone = tz_from_key(sub.tz)
    due = sub.next_due_at
    day = local_date_of(due, zone)
    if last_sent is not None and day <= last_sent:
        due = due_on(last_sent + timedelta(days=1), sub.send_minute, zone)
    return due


def describe_local(moment: datetime, tz: str) -> str:
    """`Thu 26 Nov at 07:30` in the subscriber's zone."""
    local = as_aware(moment).astimezone(tz_from_key(tz))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def describe_schedule(sub: Subscriber) -> str:
    return f"{format_minute(sub.send_minute)} ({sub.tz.replace('_', ' ')})"
