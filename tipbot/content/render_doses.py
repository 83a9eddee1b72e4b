"""The dose companion's messages as Telegram HTML: the reminder with its label rule (cited), the
follow-up, the "wait is over" messages and the appointment reminder.

The label rules in tips/doses.yaml are English until the bank's tables are translated; every
function takes the reader's Translator and reads a rule's words through `rule_text`, the one
place to swap in a translated rule later. The fixed sentences around them are gettext messages
(tipbot/messages.py). Every dynamic string is escaped.
"""

from __future__ import annotations

from datetime import date, datetime

from tipbot import messages
from tipbot.companion.doses import AfterTaken, Repeat, missed_rule
from tipbot.content.models import Bank, DoseRule
from tipbot.content.render import esc, sources_block
from tipbot.delivery.schedule import as_aware, tz_from_key
from tipbot.i18n import Translator


def rule_text(rule: DoseRule, field: str, t: Translator) -> str:
    """One of a label rule's texts (`how_to_take`, `minerals`) in the reader's language: the
    bank's English for now (the tables are not translated yet), never a half-translation."""
    del t  # one place to look a translated rule up once the bank's tables have translations
    value = getattr(rule, field)
    return str(value)


def missed_text(rule: DoseRule, repeat: Repeat, t: Translator) -> str:
    """The label's missed-dose rule for this schedule, or the plain "ask your pharmacist"."""
    found = missed_rule(rule, repeat)
    if found is None:
        return esc(t.gettext(messages.DOSE_NO_MISSED_RULE))
    return f"{t.gettext(messages.DOSE_MISSED_RULE)} {esc(found)}"


def local_time(moment: datetime, zone: str, t: Translator) -> str:
    """A naive-UTC moment as the reader's clock time in `zone`."""
    return t.format_time(as_aware(moment), tz_from_key(zone))


def reminder(
    bank: Bank,
    rule: DoseRule,
    scheduled_at: datetime,
    zone: str,
    t: Translator,
    *,
    follow_up: bool = False,
) -> str:
    """The dose reminder (or its one follow-up): what the label says about taking it and about
    minerals, cited, and that it is a reminder, not advice."""
    title = messages.DOSE_FOLLOW_UP_TITLE if follow_up else messages.DOSE_REMINDER_TITLE
    parts = [
        t.gettext(title).format(name=esc(rule.name), time=esc(local_time(scheduled_at, zone, t))),
        f"{t.gettext(messages.DOSE_HOW)}\n{esc(rule_text(rule, 'how_to_take', t))}",
        f"{t.gettext(messages.DOSE_MINERALS)}\n{esc(rule_text(rule, 'minerals', t))}",
        t.gettext(messages.DOSE_REMINDER_NOTE),
        sources_block(bank, rule.sources, t),
    ]
    return "\n\n".join(parts)


def wait_over(rule: DoseRule, kind: AfterTaken, t: Translator) -> str:
    """ "The wait is over": breakfast, and calcium or magnesium where the label allows both."""
    if kind is AfterTaken.MINERALS:
        minutes = rule.minerals_wait_minutes
        text = messages.DOSE_WAIT_MINERALS
    else:
        minutes = rule.food_wait_minutes
        text = (
            messages.DOSE_WAIT_FOOD_AND_MINERALS
            if kind is AfterTaken.FOOD_AND_MINERALS
            else messages.DOSE_WAIT_FOOD
        )
    return t.gettext(text).format(minutes=minutes, name=esc(rule.name))


def appointment(bank: Bank, rule: DoseRule, repeat: Repeat, day: date, t: Translator) -> str:
    """The reminder a week before a denosumab or zoledronic acid appointment."""
    parts = [
        t.gettext(messages.DOSE_APPOINTMENT).format(
            name=esc(rule.name), day=esc(t.format_long_date(day))
        ),
        missed_text(rule, repeat, t),
        t.gettext(messages.DOSE_REMINDER_NOTE),
        sources_block(bank, rule.sources, t),
    ]
    return "\n\n".join(parts)
