"""/dose, /history and the dose reminders' buttons; the composer handlers and planner that make
the reminders go out through the outbox (issue 11).

The rules live in `tipbot.companion.doses` (schedules, the one-line parser, what follows a
press), `tipbot.companion.history` (log states, calendar, CSV) and
`tipbot.delivery.dose_planning` (catch-up); storage in `tipbot.storage.doses`. These handlers
route and reply.

Buttons carry their whole meaning (`dz:t:202612070600`: Taken for the dose scheduled then, in
UTC), so a press after a restart, or on an old reminder, does exactly what it says; a forged one
is only acknowledged. The guided setup is buttons only (`dz:m:` medicine, `dz:r:` how often,
`dz:d:` which day, `dz:h:` what time, `dz:w:` which zone), each carrying the answers so far;
anything else (another time, an appointment date) is typed in the one-line form.

The plan and the log are health data: nothing here logs them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.composer import Composer, Outgoing
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer, callback_part, command_args
from tipbot.bot.services import Services, services
from tipbot.companion import history
from tipbot.companion.doses import (
    WEEKDAYS,
    AfterTaken,
    DoseOff,
    DoseSetup,
    Repeat,
    parse_dose_command,
    weekday_name,
)
from tipbot.companion.history import DoseState, Press
from tipbot.content import render_doses
from tipbot.content.models import Bank, DoseRule, Timing
from tipbot.content.render import esc
from tipbot.content.translations import Translations
from tipbot.delivery.dose_planning import parse_key
from tipbot.delivery.kinds import Skip
from tipbot.delivery.schedule import as_aware, format_minute, local_date_of, tz_from_key
from tipbot.i18n import DEFAULT, Translator
from tipbot.storage import doses as store
from tipbot.storage import subscriptions as subs
from tipbot.storage.deliveries import ClaimedDelivery
from tipbot.storage.tables import DeliveryKind

Context = ContextTypes.DEFAULT_TYPE
#: Plans read per planning transaction.
PLAN_BATCH = 1000
#: The first field of every dose button's callback data.
BUTTON = "dz"
#: The presses on a reminder, by their callback code.
PRESSES = {"t": Press.TAKEN, "z": Press.SNOOZE, "s": Press.SKIP}
#: Times offered by the guided setup (minutes after midnight).
SETUP_TIMES = (6 * 60, 6 * 60 + 30, 7 * 60, 7 * 60 + 30, 8 * 60, 9 * 60)
#: Zones offered by the guided setup when the chat has no subscription zone.
SETUP_ZONES = keyboards.COMMON_ZONES
#: The zone button meaning "the zone of my daily tips".
TIPS_ZONE = "sub"


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def _language(job: ClaimedDelivery) -> Translator:
    return Translator(job.language or DEFAULT)


def reminder_keyboard(key: str, t: Translator) -> InlineKeyboardMarkup:
    """Taken / Snooze 15 min / Skip today for the dose `key`, then the disclaimer."""
    return keyboards.markup(
        [
            [keyboards.button(t.gettext(messages.DOSE_TAKEN_BUTTON), BUTTON, "t", key)],
            [
                keyboards.button(t.gettext(messages.DOSE_SNOOZE_BUTTON), BUTTON, "z", key),
                keyboards.button(t.gettext(messages.DOSE_SKIP_BUTTON), BUTTON, "s", key),
            ],
        ],
        t,
    )


# --------------------------------------------------------------------- the outbox's dose kinds


class DoseMessages:
    """Composes the dose kinds' rows (registered on the Composer) and plans them (a Planner).

    Each message checks the log first: a reminder or follow-up for a dose already taken or
    skipped, or a "wait is over" for a dose no longer taken (the press was corrected), is not
    sent but recorded as cancelled."""

    def __init__(self, bank: Bank, engine: AsyncEngine, translations: Translations) -> None:
        self.bank = bank
        self._engine = engine
        self._translations = translations
        self._rules = {rule.id: rule for rule in bank.doses}

    def _rule(self, rule_id: str, t: Translator) -> DoseRule | None:
        """The label rule in the reader's language (the English rule where not translated)."""
        rule = self._rules.get(rule_id)
        return None if rule is None else self._translations.dose_rule_text(rule, t.language)

    def register(self, composer: Composer) -> None:
        composer.register(DeliveryKind.DOSE, self.reminder)
        composer.register(DeliveryKind.DOSE_FOLLOWUP, self.follow_up)
        composer.register(DeliveryKind.DOSE_WAIT, self.wait)
        composer.register(DeliveryKind.APPOINTMENT, self.appointment)

    # The Planner protocol (delivery/kinds.py).
    async def plan(self, engine: AsyncEngine, now: datetime) -> int:
        added = 0
        while True:  # batches of PLAN_BATCH plans, until fewer were due
            rows, examined = await store.plan_due_doses(engine, now, PLAN_BATCH)
            added += rows
            if examined < PLAN_BATCH:
                return added

    async def next_due(self, engine: AsyncEngine) -> datetime | None:
        return await store.next_due(engine)

    async def reminder(self, job: ClaimedDelivery) -> Outgoing | None:
        return await self._reminder(job, follow_up=False)

    async def follow_up(self, job: ClaimedDelivery) -> Outgoing | None:
        return await self._reminder(job, follow_up=True)

    async def _reminder(self, job: ClaimedDelivery, *, follow_up: bool) -> Outgoing | None:
        t = _language(job)
        rule = self._rule(job.payload or "", t)
        key = (job.ref or "")[:12]
        at = parse_key(key)
        if rule is None or at is None:
            return None
        found = await store.dose_state(self._engine, job.chat_id, at)
        if found is None:
            return Skip("the dose is no longer in the log")
        state, zone = found
        if state in (DoseState.TAKEN, DoseState.SKIPPED):
            return Skip(f"already {state.value}")
        text = render_doses.reminder(self.bank, rule, at, zone, t, follow_up=follow_up)
        return text, reminder_keyboard(key, t)

    async def wait(self, job: ClaimedDelivery) -> Outgoing | None:
        medicine, _, kind = (job.payload or "").partition(":")
        t = _language(job)
        rule = self._rule(medicine, t)
        at = parse_key((job.ref or "")[:12])
        if rule is None or at is None or kind not in AfterTaken.__members__.values():
            return None
        found = await store.dose_state(self._engine, job.chat_id, at)
        if found is None or found[0] is not DoseState.TAKEN:
            return Skip("the dose is not logged as taken any more")
        return render_doses.wait_over(rule, AfterTaken(kind), t), keyboards.plain(t)

    async def appointment(self, job: ClaimedDelivery) -> Outgoing | None:
        t = _language(job)
        rule = self._rule(job.payload or "", t)
        plan = await store.get_plan(self._engine, job.chat_id)
        if rule is None:
            return None
        if plan is None or plan.medicine != rule.id or plan.paused:
            return Skip("no appointment plan any more")
        try:
            day = datetime.strptime(job.ref or "", "%Y-%m-%d").date()
        except ValueError:
            return None
        text = render_doses.appointment(self.bank, rule, plan.schedule.repeat, day, t)
        return text, keyboards.plain(t)


# --------------------------------------------------------------------- /dose


async def dose(update: Update, context: Context) -> None:
    """`/dose` shows the plan (or starts the guided setup); `/dose <one line>` sets it up;
    `/dose off` cancels every reminder."""
    svc = services(context)
    t = await translator_for(update, context)
    args = " ".join(command_args(context))
    if not args.strip():
        await _show(update, svc, t)
        return
    await _apply(update, svc, t, args)


async def _apply(update: Update, svc: Services, t: Translator, args: str) -> None:
    chat_id = _chat_id(update)
    sub = await subs.get(svc.engine, chat_id)
    zone = sub.tz if sub is not None else None
    now = svc.clock()
    today = local_date_of(now, tz_from_key(zone or "UTC"))
    try:
        command = parse_dose_command(args, zone, today, svc.bone_medicines)
    except ValueError as exc:  # DoseInputError, or a schedule the domain refuses
        await answer(update, t.gettext(messages.DOSE_BAD_INPUT).format(reason=esc(t.reason(exc))))
        return
    if isinstance(command, DoseOff):
        stopped = await store.stop(svc.engine, chat_id, now)
        await answer(update, t.gettext(messages.DOSE_OFF if stopped else messages.DOSE_OFF_NONE))
        return
    await _set_up(update, svc, t, command)


async def _set_up(update: Update, svc: Services, t: Translator, setup: DoseSetup) -> None:
    plan, first = await store.save_plan(
        svc.engine, _chat_id(update), setup.rule.id, setup.schedule, svc.clock()
    )
    zone = setup.schedule.zone
    assert plan.next_due_at is not None
    lines = [
        t.gettext(messages.DOSE_SET).format(
            name=esc(setup.rule.name),
            schedule=esc(setup.schedule.describe(t)),
            next=esc(_when(plan.next_due_at, zone, t)),
        )
    ]
    if setup.zone_assumed:
        lines.append(esc(t.gettext(messages.DOSE_ZONE_ASSUMED).format(zone=zone)))
    if setup.other_forms:
        lines.append(
            esc(t.gettext(messages.DOSE_OTHER_FORMS).format(others=", ".join(setup.other_forms)))
        )
    if setup.rule.timing is not Timing.APPOINTMENT:
        lines.append(render_doses.missed_text(setup.rule, setup.schedule.repeat, t))
    if first:
        lines.append(t.gettext(messages.DOSE_FIRST_NOTE))
    await answer(update, "\n\n".join(lines), _plan_keyboard(t))


def _when(moment: datetime, zone: str, t: Translator) -> str:
    return t.format_datetime(as_aware(moment), tz_from_key(zone))


def _plan_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return keyboards.markup(
        [[keyboards.button(t.gettext(messages.DOSE_OFF_BUTTON), BUTTON, "off")]], t
    )


async def _show(update: Update, svc: Services, t: Translator) -> None:
    plan = await store.get_plan(svc.engine, _chat_id(update))
    rule = svc.bone_medicines.rule(plan.medicine) if plan is not None else None
    if plan is None or rule is None:
        await answer(update, t.gettext(messages.DOSE_NONE), _medicine_keyboard(svc.bank, t))
        return
    schedule = esc(plan.schedule.describe(t))
    if plan.paused or plan.next_due_at is None:
        text = t.gettext(messages.DOSE_PLAN_PAUSED).format(name=esc(rule.name), schedule=schedule)
    else:
        text = t.gettext(messages.DOSE_PLAN).format(
            name=esc(rule.name),
            schedule=schedule,
            next=esc(_when(plan.next_due_at, plan.schedule.zone, t)),
        )
    await answer(update, text, _plan_keyboard(t))


# --------------------------------------------------------------------- the guided setup


def _medicine_keyboard(bank: Bank, t: Translator) -> InlineKeyboardMarkup:
    rows = [[keyboards.button(rule.name, BUTTON, "m", rule.id)] for rule in bank.doses]
    return keyboards.markup(rows, t)


_REPEAT_LABELS = {
    Repeat.DAILY: messages.DOSE_DAILY,
    Repeat.WEEKLY: messages.DOSE_WEEKLY,
    Repeat.MONTHLY: messages.DOSE_MONTHLY,
}


async def _guided(update: Update, svc: Services, t: Translator) -> None:
    """One step of the guided setup: each button carries the answers so far."""
    step = callback_part(update, 1)
    rule = svc.bone_medicines.rule(callback_part(update, 2))
    if rule is None:
        await answer(update, t.gettext(messages.DOSE_NONE), _medicine_keyboard(svc.bank, t))
        return
    name = esc(rule.name)
    if step == "m":
        if rule.timing is Timing.APPOINTMENT:
            text = t.gettext(messages.DOSE_APPOINTMENT_HOW).format(
                name=name, generic=esc(rule.generic)
            )
            await answer(update, text)
            return
        repeats = [Repeat(kind.value) for kind in rule.schedules if kind.value in _REPEAT_LABELS]
        rows = [
            [keyboards.button(t.gettext(_REPEAT_LABELS[r]), BUTTON, "r", rule.id, r.value)]
            for r in repeats
        ]
        await answer(
            update,
            t.gettext(messages.DOSE_PICK_SCHEDULE).format(name=name),
            keyboards.markup(rows, t),
        )
        return
    repeat = callback_part(update, 3)
    if repeat not in (r.value for r in _REPEAT_LABELS):
        return
    if step == "r":
        if repeat == Repeat.DAILY.value:
            await _pick_time(update, t, rule, repeat, "-")
            return
        if repeat == Repeat.WEEKLY.value:
            days = [
                keyboards.button(
                    weekday_name(n, t, "abbreviated"), BUTTON, "d", rule.id, repeat, d[:3]
                )
                for n, d in enumerate(WEEKDAYS)
            ]
            rows = [days[:4], days[4:]]
            text = messages.DOSE_PICK_WEEKDAY
        else:
            dates = [
                keyboards.button(str(n), BUTTON, "d", rule.id, repeat, n) for n in range(1, 29)
            ]
            rows = [dates[i : i + 7] for i in range(0, 28, 7)]
            rows.append(
                [
                    keyboards.button(
                        t.gettext(messages.DOSE_LAST_DAY), BUTTON, "d", rule.id, repeat, "last"
                    )
                ]
            )
            text = messages.DOSE_PICK_MONTH_DAY
        await answer(update, t.gettext(text), keyboards.markup(rows, t))
        return
    day = callback_part(update, 4)
    if step == "d":
        await _pick_time(update, t, rule, repeat, day)
        return
    minute = callback_part(update, 5)
    if step == "h":
        sub = await subs.get(svc.engine, _chat_id(update))
        zones = [(TIPS_ZONE, sub.tz)] if sub is not None else []
        zones += [(str(i), z) for i, z in enumerate(SETUP_ZONES)]
        rows = [
            [keyboards.button(label, BUTTON, "w", rule.id, repeat, day, minute, code)]
            for code, label in zones
        ]
        example = "/dose " + _one_line(rule, repeat, day, minute, "Europe/Berlin")
        await answer(
            update,
            t.gettext(messages.DOSE_PICK_ZONE).format(example=esc(example)),
            keyboards.markup(rows, t),
        )
        return
    if step == "w":
        code = callback_part(update, 6)
        zone: str | None = None
        if code == TIPS_ZONE:
            sub = await subs.get(svc.engine, _chat_id(update))
            zone = sub.tz if sub is not None else None
        elif code.isdigit() and int(code) < len(SETUP_ZONES):
            zone = SETUP_ZONES[int(code)]
        if zone is None or not minute.isdigit():
            return
        await _apply(update, svc, t, _one_line(rule, repeat, day, minute, zone))


async def _pick_time(update: Update, t: Translator, rule: DoseRule, repeat: str, day: str) -> None:
    times = [
        keyboards.button(format_minute(m), BUTTON, "h", rule.id, repeat, day, m)
        for m in SETUP_TIMES
    ]
    example = "/dose " + _one_line(rule, repeat, day, str(7 * 60 + 15), "")
    await answer(
        update,
        t.gettext(messages.DOSE_PICK_TIME).format(example=esc(example)),
        keyboards.markup([times[:3], times[3:]], t),
    )


def _one_line(rule: DoseRule, repeat: str, day: str, minute: str, zone: str) -> str:
    """The guided answers as the one-line form, so both go through the same parser."""
    words = [rule.id, repeat]
    if day != "-":
        words.append(day)
    words.append(format_minute(int(minute)) if minute.isdigit() else minute)
    if zone:
        words.append(zone)
    return " ".join(words)


# --------------------------------------------------------------------- buttons


async def button(update: Update, context: Context) -> None:
    """Every `dz:` button: a press on a reminder, the guided setup, /dose off, the pause
    question, the CSV."""
    svc = services(context)
    t = await translator_for(update, context)
    action = callback_part(update, 1)
    if action in PRESSES:
        await _press(update, svc, t, PRESSES[action])
    elif action in ("m", "r", "d", "h", "w"):
        await _guided(update, svc, t)
    elif action == "off":
        stopped = await store.stop(svc.engine, _chat_id(update), svc.clock())
        await answer(update, t.gettext(messages.DOSE_OFF if stopped else messages.DOSE_OFF_NONE))
    elif action == "p":
        await _pause_answer(update, svc, t, callback_part(update, 2) == "y")
    elif action == "csv":
        await _send_csv(update, svc, t)
    elif update.callback_query is not None:
        await update.callback_query.answer()


async def _press(update: Update, svc: Services, t: Translator, pressed: Press) -> None:
    at = parse_key(callback_part(update, 2))
    if at is None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    now = svc.clock()
    rules = {rule.id: rule for rule in svc.bank.doses}
    result = await store.press(svc.engine, _chat_id(update), at, pressed, now, rules)
    if result.state is None:
        await answer(update, t.gettext(messages.DOSE_GONE))
        return
    if not result.changed:
        shown = t.gettext(history.DESCRIPTIONS[result.state])
        await answer(update, t.gettext(messages.DOSE_ALREADY).format(state=esc(shown)))
        return
    zone = result.tz
    if result.state is DoseState.SNOOZED:
        assert result.snoozed_until is not None
        until = render_doses.local_time(result.snoozed_until, zone, t)
        await answer(update, t.gettext(messages.DOSE_SNOOZED).format(time=esc(until)))
        return
    rule = rules.get(result.medicine or "")
    if result.state is DoseState.TAKEN:
        lines = [
            t.gettext(messages.DOSE_TAKEN).format(time=esc(render_doses.local_time(now, zone, t)))
        ]
        if result.waits:
            first = render_doses.local_time(result.waits[0][1], zone, t)
            lines.append(t.gettext(messages.DOSE_WAIT_PLANNED).format(time=esc(first)))
        await answer(update, " ".join(lines))
        return
    plan = await store.get_plan(svc.engine, _chat_id(update))
    lines = [t.gettext(messages.DOSE_SKIPPED)]
    if rule is not None and plan is not None:
        lines.append(render_doses.missed_text(rule, plan.schedule.repeat, t))
    await answer(update, "\n\n".join(lines))


# --------------------------------------------------------------------- /pause, /resume


async def offer_pause(update: Update, context: Context) -> None:
    """After /pause: if the chat has dose reminders running, ask whether to pause them too."""
    svc = services(context)
    plan = await store.get_plan(svc.engine, _chat_id(update))
    if plan is None or plan.paused:
        return
    t = await translator_for(update, context)
    keyboard = keyboards.markup(
        [
            [
                keyboards.button(t.gettext(messages.DOSE_PAUSE_YES), BUTTON, "p", "y"),
                keyboards.button(t.gettext(messages.DOSE_PAUSE_NO), BUTTON, "p", "n"),
            ]
        ],
        t,
    )
    await answer(update, t.gettext(messages.DOSE_PAUSE_ASK), keyboard)


async def _pause_answer(update: Update, svc: Services, t: Translator, pause: bool) -> None:
    if pause:
        await store.set_paused(svc.engine, _chat_id(update), True, svc.clock())
        await answer(update, t.gettext(messages.DOSE_PAUSED), edit=True)
    else:
        await answer(update, t.gettext(messages.DOSE_KEPT), edit=True)


async def resume_reminders(update: Update, context: Context) -> None:
    """After /resume: paused dose reminders come back too."""
    svc = services(context)
    chat_id = _chat_id(update)
    if not await store.set_paused(svc.engine, chat_id, False, svc.clock()):
        return
    plan = await store.get_plan(svc.engine, chat_id)
    if plan is None or plan.next_due_at is None:
        return
    t = await translator_for(update, context)
    when = _when(plan.next_due_at, plan.schedule.zone, t)
    await answer(update, t.gettext(messages.DOSE_RESUMED).format(next=esc(when)))


# --------------------------------------------------------------------- /history


async def history_command(update: Update, context: Context) -> None:
    """The last 12 weeks as a calendar with the adherence rate, and a button for the CSV."""
    svc = services(context)
    t = await translator_for(update, context)
    chat_id = _chat_id(update)
    found = await store.records(svc.engine, chat_id)
    if not found:
        await answer(update, t.gettext(messages.HISTORY_EMPTY))
        return
    plan = await store.get_plan(svc.engine, chat_id)
    zone = plan.schedule.zone if plan is not None else "UTC"
    today = local_date_of(svc.clock(), tz_from_key(zone))
    calendar = history.calendar_text(found, today, zone, t=t)
    text = f"{t.gettext(messages.HISTORY_TITLE).format(zone=esc(zone))}\n<pre>{esc(calendar)}</pre>"
    keyboard = keyboards.markup(
        [[keyboards.button(t.gettext(messages.HISTORY_CSV_BUTTON), BUTTON, "csv")]], t
    )
    await answer(update, text, keyboard)


async def _send_csv(update: Update, svc: Services, t: Translator) -> None:
    chat = update.effective_chat
    if update.callback_query is not None:
        await update.callback_query.answer()
    if chat is None:
        return
    found = await store.records(svc.engine, chat.id)
    if not found:
        await chat.send_message(t.gettext(messages.HISTORY_EMPTY))
        return
    plan = await store.get_plan(svc.engine, chat.id)
    zone = plan.schedule.zone if plan is not None else "UTC"
    data = history.to_csv(found, zone).encode()
    caption = t.gettext(messages.HISTORY_CSV_CAPTION).format(count=len(found))
    await chat.send_document(
        InputFile(data, filename="dose-log.csv"),
        caption=caption,
        reply_markup=keyboards.plain(t),
    )


def medicine_name(svc: Services, medicine: str) -> str:
    rule = svc.bone_medicines.rule(medicine)
    return rule.name if rule is not None else medicine
