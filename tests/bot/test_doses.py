"""The dose companion end to end through the fake Bot API: setting it up (one line and buttons),
the reminder and its buttons, the one follow-up, "the wait is over", snooze, skip, the hour's
catch-up, /history and its CSV, /pause and /resume, /forget, and a restart that loses nothing.

The clock starts on Monday 1 June 2026, 05:00 UTC; the sweep is driven by the test."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.bot.english import bank_texts, english_left
from tests.conftest import FakeClock, User, bot_settings
from tests.fakebot.server import FakeBotApi, SentMessage
from tipbot import messages
from tipbot.companion.history import DoseState
from tipbot.content.models import Bank
from tipbot.runner import Runner
from tipbot.storage import doses as dose_store
from tipbot.storage.tables import DeliveryKind, DeliveryStatus, deliveries, dose_log, dose_plans

pytestmark = pytest.mark.usefixtures("runner")

MONDAY_7 = datetime(2026, 6, 1, 7, 0)
KEY = "202606010700"


def data_of(message: SentMessage) -> list[str]:
    return [b["callback_data"] for b in message.buttons if "callback_data" in b]


async def sweep(runner: Runner) -> None:
    deliverer = runner.services.deliverer
    assert deliverer is not None
    assert await deliverer.sweep() is not None


async def at(runner: Runner, clock: FakeClock, moment: datetime) -> None:
    clock.now = moment
    await sweep(runner)


def reminders(fake: FakeBotApi, chat: int) -> list[SentMessage]:
    return [
        m for m in fake.messages_for(chat) if m.plain.startswith(("💊 Time for", "💊 A gentle"))
    ]


async def rows(runner: Runner, kind: DeliveryKind) -> list[tuple[str, str]]:
    async with runner.engine.connect() as conn:
        found = await conn.execute(
            select(deliveries.c.ref, deliveries.c.status)
            .where(deliveries.c.kind == kind)
            .order_by(deliveries.c.id)
        )
        return [(str(r), str(s)) for r, s in found]


async def set_up(user: User) -> SentMessage:
    [reply] = await user.send("/dose alendronate weekly mon 07:00 UTC")
    return reply


async def test_setup_then_reminder_then_taken_then_the_waits_are_over(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    reply = await set_up(user)
    assert "Reminders set: Alendronate tablets (Fosamax)" in reply.plain
    assert messages.DOSE_FIRST_NOTE.split(":")[0].removeprefix("<i>") in reply.plain
    assert "take one on the morning after you remember" in reply.plain  # the label's missed rule
    await at(runner, clock, datetime(2026, 6, 1, 6, 59))
    assert reminders(fake_api, user.chat_id) == []  # not before its minute
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    assert "Time for your Alendronate tablets (Fosamax)" in reminder.plain
    assert "full glass (6 to 8 ounces) of plain water" in reminder.plain  # the label's rule
    assert "Sources" in reminder.plain  # cited
    assert data_of(reminder) == [f"dz:t:{KEY}", f"dz:z:{KEY}", f"dz:s:{KEY}", "disc"]
    assert all(len(d.encode()) <= 64 for d in data_of(reminder))
    clock.now = datetime(2026, 6, 1, 7, 5)
    [taken] = await user.press(reminder, f"dz:t:{KEY}")
    assert "taken at 7:05" in taken.plain and "at 7:35" in taken.plain
    before = len(fake_api.messages_for(user.chat_id))
    await at(runner, clock, datetime(2026, 6, 1, 7, 34))
    assert len(fake_api.messages_for(user.chat_id)) == before  # not a minute early
    await at(runner, clock, datetime(2026, 6, 1, 7, 35))
    food = fake_api.messages_for(user.chat_id)[-1]
    assert "30-minute wait after your Alendronate" in food.plain and "breakfast" in food.plain
    await at(runner, clock, datetime(2026, 6, 1, 8, 30))  # the follow-up's time: cancelled
    assert len(fake_api.messages_for(user.chat_id)) == before + 1
    await at(runner, clock, datetime(2026, 6, 1, 9, 5))  # 120 minutes: the minerals
    minerals = fake_api.messages_for(user.chat_id)[-1]
    assert "120 minutes since your Alendronate" in minerals.plain
    assert await rows(runner, DeliveryKind.DOSE_FOLLOWUP) == [(KEY, DeliveryStatus.CANCELLED)]
    assert await dose_store.records(runner.engine, user.chat_id) == [
        dose_store.DoseRecord(MONDAY_7, DoseState.TAKEN)
    ]


async def test_no_answer_gets_one_follow_up_an_hour_later_then_nothing(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    await at(runner, clock, datetime(2026, 6, 1, 7, 59))
    assert len(reminders(fake_api, user.chat_id)) == 1
    await at(runner, clock, datetime(2026, 6, 1, 8, 0))
    _, follow = reminders(fake_api, user.chat_id)
    assert "A gentle reminder: your Alendronate" in follow.plain
    assert f"dz:t:{KEY}" in data_of(follow)
    for hour in (9, 10, 14):
        await at(runner, clock, datetime(2026, 6, 1, hour, 0))
    assert len(reminders(fake_api, user.chat_id)) == 2  # never a second follow-up
    assert await dose_store.records(runner.engine, user.chat_id) == [
        dose_store.DoseRecord(MONDAY_7, DoseState.NOT_LOGGED)  # silence is never "taken"
    ]
    # The next week's reminder comes on its day.
    await at(runner, clock, datetime(2026, 6, 8, 7, 0))
    assert len(reminders(fake_api, user.chat_id)) == 3


async def test_snooze_moves_the_reminder_and_its_follow_up(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    clock.now = datetime(2026, 6, 1, 7, 2)
    [snoozed] = await user.press(reminder, f"dz:z:{KEY}")
    assert "again at 7:17" in snoozed.plain
    await at(runner, clock, datetime(2026, 6, 1, 7, 16))
    assert len(reminders(fake_api, user.chat_id)) == 1
    await at(runner, clock, datetime(2026, 6, 1, 7, 17))
    assert len(reminders(fake_api, user.chat_id)) == 2
    await at(runner, clock, datetime(2026, 6, 1, 8, 0))  # the follow-up moved to 08:17
    assert len(reminders(fake_api, user.chat_id)) == 2
    await at(runner, clock, datetime(2026, 6, 1, 8, 17))
    assert "A gentle reminder" in reminders(fake_api, user.chat_id)[-1].plain
    assert await dose_store.records(runner.engine, user.chat_id) == [
        dose_store.DoseRecord(MONDAY_7, DoseState.SNOOZED)
    ]


async def test_skip_records_it_shows_the_missed_dose_rule_and_cancels_the_follow_up(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    [skipped] = await user.press(reminder, f"dz:s:{KEY}")
    assert "skipped today" in skipped.plain
    assert "Never take two tablets on the same day" in skipped.plain
    [again] = await user.press(reminder, f"dz:s:{KEY}")  # the same button twice: no change
    assert "already in your log" in again.plain
    await at(runner, clock, datetime(2026, 6, 1, 8, 30))
    assert len(reminders(fake_api, user.chat_id)) == 1
    assert await rows(runner, DeliveryKind.DOSE_FOLLOWUP) == [(KEY, DeliveryStatus.CANCELLED)]
    assert await dose_store.records(runner.engine, user.chat_id) == [
        dose_store.DoseRecord(MONDAY_7, DoseState.SKIPPED)
    ]


async def test_half_an_hour_late_is_still_sent_five_hours_late_is_missed_and_shown(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, datetime(2026, 6, 1, 7, 30))  # downtime until 07:30: still sent
    assert len(reminders(fake_api, user.chat_id)) == 1
    await at(runner, clock, datetime(2026, 6, 8, 12, 0))  # down over the next dose: 5 h late
    assert len(reminders(fake_api, user.chat_id)) == 1
    records = await dose_store.records(runner.engine, user.chat_id)
    assert [r.state for r in records] == [DoseState.NOT_LOGGED, DoseState.MISSED]
    [shown] = await user.send("/history")
    assert "!" in shown.plain and "?" in shown.plain
    assert "Taken: 0 of 2 doses (0%)" in shown.plain
    await at(runner, clock, datetime(2026, 6, 15, 7, 0))  # back on schedule
    assert len(reminders(fake_api, user.chat_id)) == 2


async def test_history_sends_a_csv_for_the_doctor(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    [empty] = await user.send("/history")
    assert "empty" in empty.plain
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    await user.press(reminder, f"dz:t:{KEY}")
    [shown] = await user.send("/history")
    assert "✓" in shown.plain and "Taken: 1 of 1 doses (100%)" in shown.plain
    assert "dz:csv" in data_of(shown)
    fake_api.push_callback(user.chat_id, shown.message_id, "dz:csv")
    await fake_api.wait_for(lambda: bool(fake_api.documents_for(user.chat_id)), what="the CSV")
    [document] = fake_api.documents_for(user.chat_id)
    lines = document.data.decode().splitlines()
    assert lines[0].startswith("date,time,weekday,state")
    assert lines[1].startswith("2026-06-01,07:00,Monday,taken")
    assert document.file_name.endswith(".csv")


async def test_forget_removes_every_row(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    await user.press(reminder, f"dz:t:{KEY}")
    [ask] = await user.send("/forget")
    await user.press(ask, "forget:yes")
    async with runner.engine.connect() as conn:
        for table in (dose_plans, dose_log, deliveries):
            n = await conn.scalar(
                select(func.count()).select_from(table).where(table.c.chat_id == user.chat_id)
            )
            assert n == 0, table.name
    await at(runner, clock, datetime(2026, 6, 8, 7, 0))
    assert len(reminders(fake_api, user.chat_id)) == 1  # nothing after /forget


async def test_dose_off_cancels_at_once_and_keeps_the_log(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [off] = await user.send("/dose off")
    assert "off" in off.plain
    await at(runner, clock, datetime(2026, 6, 1, 8, 0))  # not even the follow-up
    await at(runner, clock, datetime(2026, 6, 8, 7, 0))
    assert len(reminders(fake_api, user.chat_id)) == 1
    assert await rows(runner, DeliveryKind.DOSE_FOLLOWUP) == [(KEY, DeliveryStatus.CANCELLED)]
    assert len(await dose_store.records(runner.engine, user.chat_id)) == 1
    [none] = await user.send("/dose")
    assert "no dose reminders" in none.plain


async def test_pause_asks_about_reminders_and_resume_brings_them_back(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await user.send("/subscribe 20:00 UTC")
    await set_up(user)
    _, ask = await user.send("/pause", replies=2)
    assert ask.plain.startswith(messages.DOSE_PAUSE_ASK)
    await user.press(ask, "dz:p:y")
    await at(runner, clock, MONDAY_7)
    assert reminders(fake_api, user.chat_id) == []
    clock.now = datetime(2026, 6, 1, 9, 0)
    _, resumed = await user.send("/resume", replies=2)
    assert "Dose reminders resumed" in resumed.plain
    await at(runner, clock, datetime(2026, 6, 8, 7, 0))
    assert len(reminders(fake_api, user.chat_id)) == 1


async def test_pausing_the_tips_only_keeps_the_reminders(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    await user.send("/subscribe 20:00 UTC")
    await set_up(user)
    _, ask = await user.send("/pause", replies=2)
    await user.press(ask, "dz:p:n")
    await at(runner, clock, MONDAY_7)
    assert len(reminders(fake_api, user.chat_id)) == 1


async def test_guided_setup_with_buttons(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    [pick] = await user.send("/dose")
    assert "dz:m:alendronate" in data_of(pick) and "dz:m:ibandronate" in data_of(pick)
    [how_often] = await user.press(pick, "dz:m:alendronate")
    assert data_of(how_often)[:2] == ["dz:r:alendronate:daily", "dz:r:alendronate:weekly"]
    [day] = await user.press(how_often, "dz:r:alendronate:weekly")
    [time] = await user.press(day, "dz:d:alendronate:weekly:mon")
    [zone] = await user.press(time, "dz:h:alendronate:weekly:mon:420")
    [done] = await user.press(zone, "dz:w:alendronate:weekly:mon:420:0")  # UTC
    assert "Reminders set" in done.plain and "every Monday at 07:00 (UTC)" in done.plain
    [appointment] = await user.press(pick, "dz:m:denosumab")
    assert "appointment" in appointment.plain and "YYYY" not in appointment.plain
    await at(runner, clock, MONDAY_7)
    assert len(reminders(fake_api, user.chat_id)) == 1


async def test_bad_input_and_an_unknown_medicine(user: User) -> None:
    [unknown] = await user.send("/dose aspirin weekly mon 07:00 UTC")
    assert "I have no label rule for aspirin; ask your pharmacist" in unknown.plain
    [bad_day] = await user.send("/dose alendronate weekly someday 07:00 UTC")
    assert "not a day of the week" in bad_day.plain
    [bad_date] = await user.send("/dose risedronate monthly 31 08:00 UTC")
    assert "1 to 28" in bad_date.plain
    [no_zone] = await user.send("/dose alendronate weekly mon 07:00")
    assert "time zone" in no_zone.plain


async def test_appointment_reminder_a_week_before(
    user: User, runner: Runner, fake_api: FakeBotApi, clock: FakeClock
) -> None:
    [reply] = await user.send("/dose denosumab appointment 2026-06-20 09:00 UTC")
    assert "Reminders set" in reply.plain
    await at(runner, clock, datetime(2026, 6, 13, 9, 0))
    [reminder] = [m for m in fake_api.messages_for(user.chat_id) if m.plain.startswith("📅")]
    assert "June 20, 2026" in reminder.plain and "disc" in data_of(reminder)


async def test_a_restart_mid_day_loses_no_reminder(
    fake_api: FakeBotApi, sqlite_url: str, clock: FakeClock, bank: Bank, runner: Runner
) -> None:
    user = User(fake_api, 5151)
    await set_up(user)
    await at(runner, clock, MONDAY_7)
    [reminder] = reminders(fake_api, user.chat_id)
    await user.press(reminder, f"dz:t:{KEY}")
    await runner.stop()  # down from 07:01 to 07:40: the "wait is over" (07:30) is owed
    clock.now = datetime(2026, 6, 1, 7, 40)
    again = Runner(bot_settings(fake_api, sqlite_url), bank, clock=clock, schedule_sweeps=False)
    await again.start()
    try:
        await sweep(again)
        await sweep(again)
        waits = [m for m in fake_api.messages_for(user.chat_id) if "wait after" in m.plain]
        assert len(waits) == 1
        await at(again, clock, datetime(2026, 6, 8, 7, 0))
        assert len(reminders(fake_api, user.chat_id)) == 2
    finally:
        await again.stop()


# --- In the user's language ------------------------------------------------------------------


async def test_a_spanish_users_bad_dose_line_gets_a_spanish_error(
    user: User, fake_api: FakeBotApi
) -> None:
    fake_api.set_language(user.chat_id, "es-MX")
    [bad_day] = await user.send("/dose alendronate weekly xyz 07:00 UTC")
    assert bad_day.plain.startswith("xyz no es un día de la semana: escriba mon, tue")
    assert english_left(bad_day.text) == []
    [bad_date] = await user.send("/dose risedronate monthly 30 08:00 UTC")
    assert "no todos los meses tienen día 30: elija una fecha de 1 a 28" in bad_date.plain
    assert english_left(bad_date.text) == []
    [bad_zone] = await user.send("/dose alendronate daily 07:00 Mars/Olympus")
    assert bad_zone.plain.startswith("No conozco la zona horaria Mars/Olympus.")
    [bad_time] = await user.send("/dose alendronate daily 25:00 UTC")  # parse_minute's Reason
    assert "no es una hora del día" in bad_time.plain, bad_time.plain
    assert fake_api.messages_for(user.chat_id) == [bad_day, bad_date, bad_zone, bad_time]


async def test_the_dose_plan_in_german_has_no_english(
    user: User, fake_api: FakeBotApi, bank: Bank
) -> None:
    fake_api.set_language(user.chat_id, "de-AT")
    [confirmed] = await user.send("/dose alendronate weekly wed 07:00 Europe/Vienna")
    assert "jeden Mittwoch um 07:00 (Europe/Vienna)" in confirmed.plain
    [shown] = await user.send("/dose")
    assert "jeden Mittwoch um 07:00 (Europe/Vienna)" in shown.plain
    for reply in (confirmed, shown):
        assert english_left(reply.text, bank_texts(bank)) == [], reply.text
    [monthly] = await user.send("/dose risedronate monthly last 08:00 Europe/Vienna")
    assert "am letzten Tag jedes Monats um 08:00 (Europe/Vienna)" in monthly.plain
    assert english_left(monthly.text, bank_texts(bank)) == [], monthly.text


async def test_the_guided_setup_names_the_weekdays_in_the_users_language(
    user: User, fake_api: FakeBotApi
) -> None:
    fake_api.set_language(user.chat_id, "ru")
    [menu] = await user.send("/dose")
    [how_often] = await user.press(menu, "dz:m:alendronate")
    [days] = await user.press(how_often, "dz:r:alendronate:weekly")
    labels = [b["text"] for b in days.buttons if str(b.get("callback_data", "")).startswith("dz:d")]
    assert labels == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
