"""The dose companion's drill (issue 11): 2,000 users whose weekly reminder falls due at the same
minute as their daily tip, sent by a real `tipbot run` that is killed with -9 mid-way and
restarted. Every reminder must go out, none twice beyond the sends in flight at the crash, and
reminders go ahead of the tips in the one budget's queue (their lateness is reported, never
asserted as a time: performance is shown, not tested)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from tests.drills.harness import (
    NOTES,
    REPORTS,
    BotProcess,
    DrillReport,
    add_due_subscribers,
    percentile,
)
from tests.drills.test_fault_drills import (
    IN_FLIGHT,
    finish,
    sent_but_unrecorded,
    sqlite_file,
    start_and_wait_for_sends,
)
from tests.fakebot.server import FakeBotApi
from tipbot.storage import db
from tipbot.storage.tables import dose_plans

pytestmark = pytest.mark.slow
USERS = 2000


async def seed(url: str, chats: range) -> float:
    """Subscribers due a minute ago, each with a weekly alendronate reminder at that minute;
    return the due moment as a Unix time (the fake server's clock)."""
    engine = db.create_engine(url)
    await add_due_subscribers(engine, chats)
    due = db.utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1)
    async with engine.begin() as conn:
        await conn.execute(
            insert(dose_plans),
            [
                {
                    "chat_id": chat,
                    "medicine": "alendronate",
                    "repeat": "weekly",
                    "minute": due.hour * 60 + due.minute,
                    "tz": "UTC",
                    "weekday": due.weekday(),
                    "last_day": False,
                    "next_due_at": due,
                    "paused": False,
                    "created_at": due,
                    "updated_at": due,
                }
                for chat in chats
            ],
        )
    await engine.dispose()
    return (due - db.utcnow()).total_seconds()


async def test_2000_weekly_reminders_and_their_tips_at_one_minute_with_a_kill_9(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    fake_api.configure(global_rate=None, per_chat_rate=None)
    chats = range(30_000, 30_000 + USERS)
    url = sqlite_file(tmp_path)
    due_offset = await seed(url, chats)
    bot = BotProcess(fake_api, url, tmp_path / "bot.log")
    try:
        await start_and_wait_for_sends(bot, fake_api, 600)
        bot.kill()
        unrecorded = await sent_but_unrecorded(url, fake_api)
        bot.start()
        await fake_api.wait_for(
            lambda: all(fake_api.per_chat_counts[c] >= 2 for c in chats),
            timeout=240,
            what=lambda: (
                f"{sum(1 for c in chats if fake_api.per_chat_counts[c] < 2)} chats "
                "still waiting for their reminder or tip"
            ),
        )
    finally:
        await finish(fake_api, chats, bot, within=5)
    reminders = {
        c: [m for m in fake_api.messages_for(c) if "Time for your" in m.plain] for c in chats
    }
    tips = {c: [m for m in fake_api.messages_for(c) if m.plain.startswith("💡")] for c in chats}
    lost = sum(1 for c in chats if not reminders[c])
    doubled = sum(len(r) - 1 for r in reminders.values() if len(r) > 1)
    tips_lost = sum(1 for c in chats if not tips[c])
    tips_doubled = sum(len(t) - 1 for t in tips.values() if len(t) > 1)
    bound = max(unrecorded, 0)
    report = DrillReport(
        "2,000 dose reminders + their tips, kill -9",
        expected=2 * USERS,
        delivered=2 * USERS - lost - tips_lost,
        duplicated=doubled + tips_doubled,
        lost=lost + tips_lost,
        in_flight_bound=bound,
    )
    REPORTS.append(report)
    # The due moment in the fake server's clock: a minute before seeding.
    first_send = min(m.time for ms in reminders.values() for m in ms)
    late = [r[0].time - first_send for r in reminders.values() if r]
    tip_late = [t[0].time - first_send for t in tips.values() if t]
    ahead = sum(
        1 for c in chats if reminders[c] and tips[c] and reminders[c][0].time <= tips[c][0].time
    )
    NOTES.append(
        f"dose drill: {USERS} reminders, {USERS - lost} sent, {doubled} doubled, {lost} lost; "
        f"tips {USERS - tips_lost} sent, {tips_doubled} doubled; reminders after the first send: "
        f"p50 {percentile(late, 0.5):.1f} s, p99 {percentile(late, 0.99):.1f} s, max "
        f"{max(late):.1f} s (tips: max {max(tip_late):.1f} s); reminder before its chat's tip: "
        f"{ahead}/{USERS}; in flight at the kill: {bound} (bound {IN_FLIGHT}); "
        f"due offset {due_offset:.0f} s"
    )
    assert lost == 0 and tips_lost == 0, bot.log[-3000:]
    assert report.duplicated <= report.in_flight_bound, report.line()
