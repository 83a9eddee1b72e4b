"""Dose schedules: weekly, monthly (29-31 and last), every N days, appointments, DST both ways,
snooze across midnight, the follow-ups, catch-up, and the one-line form with its errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import islice

import pytest

from tests.bot.english import english_left
from tipbot.companion.doses import (
    AfterTaken,
    DoseInputError,
    DoseOff,
    DoseSchedule,
    DoseSetup,
    Due,
    Repeat,
    add_months,
    after_taken,
    catch_up,
    follow_up_at,
    missed_rule,
    next_occurrence,
    occurrences,
    parse_dose_command,
    snoozed_until,
)
from tipbot.companion.medicines import MedicineCatalogue
from tipbot.content.models import Bank, DoseKind
from tipbot.delivery.schedule import as_aware, format_minute, tz_from_key
from tipbot.i18n import FALLBACKS, Translator

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args)  # naive UTC, the storage convention


def local(moment: datetime, zone: str = BERLIN) -> datetime:
    return as_aware(moment).astimezone(tz_from_key(zone)).replace(tzinfo=None)


def take(schedule: DoseSchedule, after: datetime, count: int) -> list[datetime]:
    return [o.at for o in islice(occurrences(schedule, after), count)]


@pytest.fixture(scope="module")
def catalogue(bank: Bank) -> MedicineCatalogue:
    return MedicineCatalogue(bank)


# --- schedule maths ------------------------------------------------------------------------------


def test_daily_in_utc() -> None:
    schedule = DoseSchedule(Repeat.DAILY, 6 * 60 + 30, "UTC")
    assert take(schedule, utc(2026, 3, 1, 6, 30), 2) == [
        utc(2026, 3, 2, 6, 30),
        utc(2026, 3, 3, 6, 30),
    ]


def test_weekly_on_monday_in_berlin() -> None:
    schedule = DoseSchedule(Repeat.WEEKLY, 7 * 60, BERLIN, weekday=0)
    got = take(schedule, utc(2026, 1, 7, 12), 3)  # a Wednesday
    assert got == [utc(2026, 1, 12, 6), utc(2026, 1, 19, 6), utc(2026, 1, 26, 6)]
    assert all(local(t).weekday() == 0 and local(t).hour == 7 for t in got)


def test_weekly_due_today_later_is_today() -> None:
    schedule = DoseSchedule(Repeat.WEEKLY, 7 * 60, BERLIN, weekday=0)
    assert next_occurrence(schedule, utc(2026, 1, 12, 5, 59)).at == utc(2026, 1, 12, 6)
    assert next_occurrence(schedule, utc(2026, 1, 12, 6)).at == utc(2026, 1, 19, 6)


def test_weekly_in_a_zone_ahead_of_utc_across_the_date_line() -> None:
    # 07:00 on Monday in Auckland is Sunday evening UTC.
    schedule = DoseSchedule(Repeat.WEEKLY, 7 * 60, "Pacific/Auckland", weekday=0)
    first = next_occurrence(schedule, utc(2026, 1, 11, 0))
    assert first.at == utc(2026, 1, 11, 18)  # NZDT is UTC+13
    assert first.local_date == date(2026, 1, 12)


@pytest.mark.parametrize("day", [1, 15, 28])
def test_monthly_on_a_date(day: int) -> None:
    schedule = DoseSchedule(Repeat.MONTHLY, 8 * 60, BERLIN, month_day=day)
    got = [local(t) for t in take(schedule, utc(2026, 1, 1, 12), 14)]
    assert [t.day for t in got] == [day] * 14
    first_month = 2 if day == 1 else 1  # 1 January 08:00 is already past at 12:00 UTC
    months = [(first_month - 1 + n) % 12 + 1 for n in range(14)]
    assert [t.month for t in got] == months
    assert all(t.hour == 8 for t in got)


def test_monthly_last_day_follows_each_months_length() -> None:
    schedule = DoseSchedule(Repeat.MONTHLY, 8 * 60, BERLIN, last_day=True)
    got = [local(o.at).date() for o in islice(occurrences(schedule, utc(2027, 12, 15)), 15)]
    assert got == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),  # a leap year
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
        date(2028, 7, 31),
        date(2028, 8, 31),
        date(2028, 9, 30),
        date(2028, 10, 31),
        date(2028, 11, 30),
        date(2028, 12, 31),
        date(2029, 1, 31),
        date(2029, 2, 28),
    ]


def test_monthly_last_day_crossing_the_year_in_utc() -> None:
    # 00:30 on 31 Dec in Berlin is 23:30 on 30 Dec UTC: the local date decides, not the UTC one.
    schedule = DoseSchedule(Repeat.MONTHLY, 30, BERLIN, last_day=True)
    occurrence = next_occurrence(schedule, utc(2026, 12, 30, 12))
    assert occurrence.at == utc(2026, 12, 30, 23, 30)
    assert occurrence.local_date == date(2026, 12, 31)


@pytest.mark.parametrize("day", [0, 29, 30, 31])
def test_a_schedule_cannot_hold_a_day_past_28(day: int) -> None:
    with pytest.raises(ValueError, match="incomplete monthly"):
        DoseSchedule(Repeat.MONTHLY, 8 * 60, BERLIN, month_day=day)


def test_every_n_days_from_its_first_day() -> None:
    schedule = DoseSchedule(
        Repeat.EVERY_N_DAYS, 9 * 60, "UTC", every_days=3, anchor=date(2026, 5, 1)
    )
    assert take(schedule, utc(2026, 4, 1), 3) == [
        utc(2026, 5, 1, 9),
        utc(2026, 5, 4, 9),
        utc(2026, 5, 7, 9),
    ]
    # Asked mid-way, it keeps the same rhythm rather than restarting.
    assert take(schedule, utc(2026, 5, 5), 2) == [utc(2026, 5, 7, 9), utc(2026, 5, 10, 9)]
    assert take(schedule, utc(2026, 5, 7, 8), 1) == [utc(2026, 5, 7, 9)]


# --- DST: Europe/Berlin, spring forward on 29 March 2026, fall back on 25 October 2026 ------------


def test_spring_forward_a_time_in_the_skipped_hour_is_an_hour_later_on_the_wall() -> None:
    schedule = DoseSchedule(Repeat.WEEKLY, 2 * 60 + 30, BERLIN, weekday=6)  # Sundays 02:30
    before, on_the_day, after = take(schedule, utc(2026, 3, 20), 3)
    assert before == utc(2026, 3, 22, 1, 30)  # CET, UTC+1
    assert on_the_day == utc(2026, 3, 29, 1, 30)  # 02:30 does not exist: 03:30 CEST
    assert local(on_the_day) == datetime(2026, 3, 29, 3, 30)
    assert after == utc(2026, 4, 5, 0, 30)  # CEST, UTC+2


def test_spring_forward_an_ordinary_time_keeps_its_wall_clock() -> None:
    schedule = DoseSchedule(Repeat.DAILY, 7 * 60, BERLIN)
    got = take(schedule, utc(2026, 3, 28), 2)
    assert [local(t) for t in got] == [datetime(2026, 3, 28, 7), datetime(2026, 3, 29, 7)]
    assert got[1] - got[0] == timedelta(hours=23)


def test_fall_back_a_repeated_time_is_reminded_once_at_its_first_occurrence() -> None:
    schedule = DoseSchedule(Repeat.WEEKLY, 2 * 60 + 30, BERLIN, weekday=6)
    got = take(schedule, utc(2026, 10, 20), 2)
    assert got[0] == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, the first of the two
    assert got[1] == utc(2026, 11, 1, 1, 30)  # a week later, CET
    daily = DoseSchedule(Repeat.DAILY, 2 * 60 + 30, BERLIN)
    on_the_day = [t for t in take(daily, utc(2026, 10, 24), 3) if t.date() == date(2026, 10, 25)]
    assert on_the_day == [utc(2026, 10, 25, 0, 30)]  # once, not twice


def test_monthly_on_fall_back_day() -> None:
    schedule = DoseSchedule(Repeat.MONTHLY, 2 * 60 + 15, BERLIN, month_day=25)
    october = [t for t in take(schedule, utc(2026, 9, 1), 3) if t.month == 10]
    assert october == [utc(2026, 10, 25, 0, 15)]


# --- appointments ---------------------------------------------------------------------------------


def test_denosumab_gets_a_reminder_a_week_before_each_appointment() -> None:
    schedule = DoseSchedule(Repeat.EVERY_6_MONTHS, 9 * 60, BERLIN, anchor=date(2026, 8, 31))
    got = list(islice(occurrences(schedule, utc(2026, 8, 1)), 3))
    assert [o.appointment for o in got] == [date(2026, 8, 31), date(2027, 2, 28), date(2027, 8, 31)]
    assert [o.local_date for o in got] == [date(2026, 8, 24), date(2027, 2, 21), date(2027, 8, 24)]
    assert local(got[0].at) == datetime(2026, 8, 24, 9)


def test_zoledronic_acid_yearly() -> None:
    schedule = DoseSchedule(Repeat.YEARLY, 10 * 60, "UTC", anchor=date(2028, 2, 29))
    got = list(islice(occurrences(schedule, utc(2028, 1, 1)), 3))
    assert [o.appointment for o in got] == [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28)]
    assert got[0].at == utc(2028, 2, 22, 10)


def test_zoledronic_acid_every_two_years() -> None:
    schedule = DoseSchedule(Repeat.EVERY_2_YEARS, 10 * 60, "UTC", anchor=date(2027, 5, 10))
    got = list(islice(occurrences(schedule, utc(2027, 1, 1)), 2))
    assert [o.appointment for o in got] == [date(2027, 5, 10), date(2029, 5, 10)]


def test_an_appointment_schedule_needs_its_date() -> None:
    with pytest.raises(ValueError, match="needs its next date"):
        DoseSchedule(Repeat.YEARLY, 600, "UTC")


def test_add_months_clamps_to_the_month_end_but_keeps_the_anchor_day() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 8, 31), 12) == date(2027, 8, 31)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


# --- snooze, follow-up, after Taken, catch-up ---------------------------------------------------


def test_snooze_across_midnight() -> None:
    # A reminder at 23:50 Berlin snoozed at once comes back at 00:05 on the next local day.
    schedule = DoseSchedule(Repeat.DAILY, 23 * 60 + 50, BERLIN)
    reminder = next_occurrence(schedule, utc(2026, 6, 1))
    again = snoozed_until(reminder.at)
    assert local(again) == datetime(2026, 6, 2, 0, 5)
    assert again - reminder.at == timedelta(minutes=15)


def test_snooze_across_midnight_on_a_dst_night() -> None:
    pressed = utc(2026, 3, 28, 22, 55)  # 23:55 CET on the night clocks go forward
    assert local(snoozed_until(pressed)) == datetime(2026, 3, 29, 0, 10)


def test_follow_up_is_an_hour_after_the_reminder() -> None:
    assert follow_up_at(utc(2026, 6, 1, 5)) == utc(2026, 6, 1, 6)


def test_after_taken_alendronate(bank: Bank) -> None:
    rule = {r.id: r for r in bank.doses}["alendronate"]
    taken = utc(2026, 6, 1, 5, 10)
    food, minerals = after_taken(rule, taken)
    assert (food.kind, food.at) == (AfterTaken.FOOD, taken + timedelta(minutes=30))
    assert (minerals.kind, minerals.at) == (AfterTaken.MINERALS, taken + timedelta(hours=2))


def test_after_taken_ibandronate_waits_an_hour(bank: Bank) -> None:
    rule = {r.id: r for r in bank.doses}["ibandronate"]
    taken = utc(2026, 6, 1, 5)
    assert after_taken(rule, taken)[0].at == utc(2026, 6, 1, 6)


def test_after_taken_risedronate_has_no_timed_mineral_message(bank: Bank) -> None:
    rule = {r.id: r for r in bank.doses}["risedronate"]
    [food] = after_taken(rule, utc(2026, 6, 1, 5))
    assert food.kind is AfterTaken.FOOD and food.at == utc(2026, 6, 1, 5, 30)


@pytest.mark.parametrize("rule_id", ["atelvia", "denosumab", "zoledronic-acid"])
def test_no_eat_now_message_when_the_label_has_no_fasting_wait(bank: Bank, rule_id: str) -> None:
    rule = {r.id: r for r in bank.doses}[rule_id]
    assert after_taken(rule, utc(2026, 6, 1, 5)) == []


def test_snoozing_moves_the_eat_now_message(bank: Bank) -> None:
    rule = {r.id: r for r in bank.doses}["alendronate"]
    reminder = utc(2026, 6, 1, 5)
    taken_after_snooze = snoozed_until(reminder)
    assert after_taken(rule, taken_after_snooze)[0].at == utc(2026, 6, 1, 5, 45)


@pytest.mark.parametrize(
    ("late", "due"),
    [
        (timedelta(minutes=-1), Due.NOT_YET),
        (timedelta(0), Due.SEND),
        (timedelta(minutes=59), Due.SEND),
        (timedelta(hours=1), Due.SEND),
        (timedelta(hours=1, seconds=1), Due.MISSED),
        (timedelta(hours=5), Due.MISSED),
    ],
)
def test_catch_up_at_most_an_hour_late(late: timedelta, due: Due) -> None:
    scheduled = utc(2026, 6, 1, 5)
    assert catch_up(scheduled, scheduled + late) is due


def test_missed_rules_come_only_from_the_label(bank: Bank) -> None:
    rules = {r.id: r for r in bank.doses}
    weekly = missed_rule(rules["alendronate"], Repeat.WEEKLY)
    assert weekly == rules["alendronate"].missed[DoseKind.WEEKLY]
    assert weekly is not None
    assert "morning after you remember" in weekly and "Never take two" in weekly
    assert missed_rule(rules["alendronate"], Repeat.DAILY) is None
    assert missed_rule(rules["alendronate"], Repeat.EVERY_N_DAYS) is None
    assert missed_rule(rules["zoledronic-acid"], Repeat.YEARLY) is None
    monthly = missed_rule(rules["ibandronate"], Repeat.MONTHLY) or ""
    assert "7 days" in monthly


# --- the one-line form ---------------------------------------------------------------------------

TODAY = date(2026, 6, 1)


def setup(args: str, catalogue: MedicineCatalogue, zone: str | None = "UTC") -> DoseSetup:
    command = parse_dose_command(args, zone, TODAY, catalogue)
    assert isinstance(command, DoseSetup)
    return command


def test_weekly_with_a_zone(catalogue: MedicineCatalogue) -> None:
    command = setup("alendronate weekly mon 07:00 Europe/Berlin", catalogue)
    assert command.rule.id == "alendronate"
    assert command.schedule == DoseSchedule(Repeat.WEEKLY, 7 * 60, BERLIN, weekday=0)
    assert not command.zone_assumed


def test_zone_defaults_to_the_subscriptions(catalogue: MedicineCatalogue) -> None:
    command = setup("risedronate monthly 15 08:00", catalogue, zone="America/New_York")
    assert command.schedule == DoseSchedule(
        Repeat.MONTHLY, 8 * 60, "America/New_York", month_day=15
    )
    assert command.zone_assumed
    assert any("Atelvia" in name for name in command.other_forms)


@pytest.mark.parametrize(
    ("args", "schedule"),
    [
        ("ibandronate monthly last 08:00", DoseSchedule(Repeat.MONTHLY, 480, "UTC", last_day=True)),
        ("alendronate daily 06:30", DoseSchedule(Repeat.DAILY, 390, "UTC")),
        ("Fosamax weekly Sunday 7am", DoseSchedule(Repeat.WEEKLY, 420, "UTC", weekday=6)),
        ("Actonel DR weekly thu 08:15", DoseSchedule(Repeat.WEEKLY, 495, "UTC", weekday=3)),
        ("binosto weekly tues 06:00 berlin", DoseSchedule(Repeat.WEEKLY, 360, BERLIN, weekday=1)),
        (
            "alendronate every 3 days 08:00",
            DoseSchedule(Repeat.EVERY_N_DAYS, 480, "UTC", every_days=3, anchor=TODAY),
        ),
        (
            "denosumab appointment 2027-03-01 09:00",
            DoseSchedule(Repeat.EVERY_6_MONTHS, 540, "UTC", anchor=date(2027, 3, 1)),
        ),
        (
            "Reclast appointment 2027-03-01 09:00 Europe/London",
            DoseSchedule(Repeat.YEARLY, 540, "Europe/London", anchor=date(2027, 3, 1)),
        ),
        (
            "zoledronic acid appointment every 2 years 2027-03-01 09:00",
            DoseSchedule(Repeat.EVERY_2_YEARS, 540, "UTC", anchor=date(2027, 3, 1)),
        ),
        (
            "Prolia appointment every 6 months 2027-03-01 09:00",
            DoseSchedule(Repeat.EVERY_6_MONTHS, 540, "UTC", anchor=date(2027, 3, 1)),
        ),
    ],
)
def test_one_line_forms(args: str, schedule: DoseSchedule, catalogue: MedicineCatalogue) -> None:
    assert setup(args, catalogue).schedule == schedule


def test_the_product_decides_the_rule(catalogue: MedicineCatalogue) -> None:
    assert setup("Actonel DR weekly thu 08:15", catalogue).rule.id == "atelvia"
    assert setup("Actonel weekly thu 08:15", catalogue).rule.id == "risedronate"
    assert setup("binosto weekly tue 06:00", catalogue).rule.id == "binosto"


def test_off(catalogue: MedicineCatalogue) -> None:
    assert isinstance(parse_dose_command("off", "UTC", TODAY, catalogue), DoseOff)
    assert isinstance(parse_dose_command(" OFF ", None, TODAY, catalogue), DoseOff)


#: Typed lines the parser refuses, each with part of its English message.
BAD_INPUTS = [
    ("", "Write the medicine"),
    ("alendronate", "Write the medicine"),
    ("weekly mon 07:00", "write the medicine's name first"),
    ("alendronate weekly 07:00", "07:00 is not a day of the week"),
    ("alendronate weekly", "add the day of the week"),
    ("alendronate weekly mo 25:00", "25:00 is not a time of day"),
    ("alendronate weekly xyz 07:00", "not a day of the week"),
    ("alendronate weekly t 07:00", "not a day of the week"),  # t: Tuesday or Thursday?
    ("alendronate daily", "add the time"),
    ("alendronate daily 7:30 Mars/Olympus", "I don't know the time zone Mars/Olympus"),
    ("alendronate daily 7:30 utc+25", "UTC offset runs from"),
    ("risedronate monthly 29 08:00", "not every month has a day 29"),
    ("risedronate monthly 31 08:00", "choose a date from 1 to 28, or last"),
    ("risedronate monthly 0 08:00", "not a date in the month"),
    ("risedronate monthly first 08:00", "not a date in the month"),
    ("risedronate monthly", "add the date, 1 to 28 or last"),
    ("ibandronate weekly mon 08:00", "gives a monthly schedule, not weekly"),
    ("atelvia daily 08:00", "gives a weekly schedule, not daily"),
    ("alendronate every 1 days 08:00", "from 2 to 90"),
    ("alendronate every three days 08:00", "from 2 to 90"),
    ("alendronate every 3 weeks 08:00", "write every N days"),
    ("denosumab weekly mon 09:00", "appointment YYYY-MM-DD HH:MM"),
    ("denosumab appointment 2027-02-30 09:00", "is not a date"),
    ("denosumab appointment next-month 09:00", "appointment YYYY-MM-DD HH:MM"),
    ("denosumab appointment 2027-3-1 09:00", "write it as YYYY-MM-DD"),
    ("denosumab appointment yearly 2027-03-01 09:00", "gives appointments every 6 months"),
    ("reclast appointment monthly 2027-03-01 09:00", "not an interval I know"),
    ("alendronate appointment 2027-03-01 09:00", "is taken at home"),
    ("omeprazole daily 08:00", "I have no label rule for omeprazole; ask your pharmacist"),
    ("vitamin d daily 08:00", "I have no label rule for vitamin d"),
    ("alendronate daily 7:30 Berlinn", "I don't know the time zone Berlinn."),
    ("alendronate every 3 days 08:00 Mars/Olympus", "I don't know the time zone Mars"),
]


@pytest.mark.parametrize(("args", "needle"), BAD_INPUTS)
def test_bad_input_gets_a_clear_message(
    args: str, needle: str, catalogue: MedicineCatalogue
) -> None:
    with pytest.raises(DoseInputError) as info:
        parse_dose_command(args, "UTC", TODAY, catalogue)
    assert needle in str(info.value)


def test_no_zone_anywhere_asks_for_one(catalogue: MedicineCatalogue) -> None:
    with pytest.raises(DoseInputError, match="add your time zone"):
        parse_dose_command("alendronate daily 06:30", None, TODAY, catalogue)


@pytest.mark.parametrize("lang", ["es", "de", "ru"])
def test_every_bad_input_message_is_in_each_language(
    lang: str, catalogue: MedicineCatalogue
) -> None:
    """Each refusal, its pieces (the usage, a label's schedules) and the time and zone errors it
    passes on are all in the catalogue: none falls back to English (FALLBACKS counts those)."""
    t = Translator(lang)
    for args, _needle in [*BAD_INPUTS, ("alendronate daily 06:30", "")]:
        zone = None if args == "alendronate daily 06:30" else "UTC"
        with pytest.raises(DoseInputError) as info:
            parse_dose_command(args, zone, TODAY, catalogue)
        before = FALLBACKS[lang]
        shown = t.reason(info.value)
        assert FALLBACKS[lang] == before, (args, shown)
        assert shown != str(info.value), args


def test_a_refusal_is_translated_whole_with_its_values(catalogue: MedicineCatalogue) -> None:
    with pytest.raises(DoseInputError) as info:
        parse_dose_command("atelvia daily 08:00", "UTC", TODAY, catalogue)
    shown = Translator("de").reason(info.value)
    assert shown.startswith(
        "Der Beipackzettel von Risedronate delayed-release tablets (Atelvia, Actonel DR) sieht "
        "die Einnahme wöchentlich vor, nicht täglich."
    )
    with pytest.raises(DoseInputError) as info:
        parse_dose_command("risedronate monthly 30 08:00", "UTC", TODAY, catalogue)
    assert Translator("es").reason(info.value).startswith("no todos los meses tienen día 30:")


@pytest.mark.parametrize(
    "args",
    [
        "alendronate daily 06:30",
        "alendronate weekly wed 07:00",
        "risedronate monthly 15 08:00",
        "ibandronate monthly last 08:00",
        "alendronate every 3 days 08:00",
        "alendronate every 21 days 08:00",
        "denosumab appointment 2027-03-01 09:00",
        "reclast appointment yearly 2027-03-01 09:00",
        "reclast appointment every 2 years 2027-03-01 09:00",
    ],
)
@pytest.mark.parametrize("lang", ["es", "de", "ru"])
def test_every_plan_description_is_in_each_language(
    args: str, lang: str, catalogue: MedicineCatalogue
) -> None:
    schedule = setup(f"{args} Europe/Berlin", catalogue).schedule
    before = FALLBACKS[lang]
    shown = schedule.describe(Translator(lang))
    assert FALLBACKS[lang] == before, shown
    assert english_left(shown) == [], shown
    assert "Europe/Berlin" in shown and format_minute(schedule.minute) in shown


def test_describe_in_german_and_russian(catalogue: MedicineCatalogue) -> None:
    weekly = setup("alendronate weekly mon 07:00 Europe/Berlin", catalogue).schedule
    assert weekly.describe(Translator("de")) == "jeden Montag um 07:00 (Europe/Berlin)"
    every = setup("alendronate every 21 days 08:00 UTC", catalogue).schedule
    assert every.describe(Translator("ru")).startswith("каждый 21 день")  # Russian plural
    every = setup("alendronate every 22 days 08:00 UTC", catalogue).schedule
    assert every.describe(Translator("ru")).startswith("каждые 22 дня")


def test_describe(catalogue: MedicineCatalogue) -> None:
    assert (
        setup("alendronate weekly mon 07:00 Europe/Berlin", catalogue).schedule.describe()
        == "every Monday at 07:00 (Europe/Berlin)"
    )
    assert (
        "the last day of each month"
        in setup("ibandronate monthly last 08:00", catalogue).schedule.describe()
    )


def test_monthly_last_day_on_a_spring_forward_day() -> None:
    # 31 March 2024 was both the last day of the month and the day Berlin moved to CEST.
    schedule = DoseSchedule(Repeat.MONTHLY, 2 * 60 + 30, BERLIN, last_day=True)
    march = next_occurrence(schedule, utc(2024, 3, 15))
    assert march.local_date == date(2024, 3, 31)
    assert march.at == utc(2024, 3, 31, 1, 30)
    assert local(march.at) == datetime(2024, 3, 31, 3, 30)  # an hour later on the wall clock


def test_monthly_last_day_on_a_fall_back_day() -> None:
    # 31 October 2027 is both the last day of the month and the day Berlin returns to CET.
    schedule = DoseSchedule(Repeat.MONTHLY, 2 * 60 + 30, BERLIN, last_day=True)
    october = list(islice(occurrences(schedule, utc(2027, 10, 15)), 2))
    assert october[0].at == utc(2027, 10, 31, 0, 30)  # the first 02:30, CEST
    assert october[1].local_date == date(2027, 11, 30)  # once, then next month


def test_an_appointment_less_than_a_week_away_has_no_reminder_left() -> None:
    schedule = DoseSchedule(Repeat.EVERY_6_MONTHS, 9 * 60, "UTC", anchor=date(2026, 6, 5))
    first = next_occurrence(schedule, utc(2026, 6, 1, 12))  # the 29 May reminder is past
    assert first.appointment == date(2026, 12, 5)
    assert first.local_date == date(2026, 11, 28)
