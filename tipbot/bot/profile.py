"""/profile: the optional profile, as a guided flow with buttons or in one line, and /mydata.

The rules live in `tipbot.companion.profile` (parsing, validation) and storage in
`tipbot.storage.profiles`; these handlers route and reply. The guided flow is a PTB
ConversationHandler so that a typed answer (an age, a medicine's name) reaches the question that
asked for it; every button carries its question and answer (`pf:s:age:71:g`), so a button pressed
after a restart or on an old message still does exactly what it says, and a forged one is ignored.

The profile is health data: nothing here logs an answer.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot import subscriptions as subscription_handlers
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer, callback_part, command_args, is_cancel
from tipbot.bot.services import Services, services
from tipbot.companion.profile import (
    NO_MEDICINE,
    AgeBand,
    ClearProfile,
    Diet,
    Kidney,
    Profile,
    ProfileInputError,
    Question,
    Region,
    SetAnswer,
    SexAnswer,
    ShowProfile,
    parse_profile_command,
)
from tipbot.content.render import esc
from tipbot.i18n import ENGLISH, Translator
from tipbot.storage import profiles

Context = ContextTypes.DEFAULT_TYPE
#: The conversation's one state: a question is open and a typed answer goes to it.
ASKING = "asking"
#: chat_data key: (question, guided) while a question waits for a typed answer.
OPEN_QUESTION = "profile_question"
#: The order of the guided flow.
ORDER = tuple(Question)
#: An open question is dropped after this long, so old free text is not read as an answer.
TIMEOUT_SECONDS = 30 * 60


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def answer_label(svc: Services, question: Question, value: str, t: Translator = ENGLISH) -> str:
    """How an answer is shown: its button label, the medicine's name, the age band."""
    if question is Question.AGE:
        return value
    if question is Question.MEDICINE:
        if value == NO_MEDICINE:
            return t.gettext(messages.PROFILE_NO_MEDICINE)
        rule = svc.bone_medicines.rule(value)
        return rule.name if rule is not None else value
    label = messages.PROFILE_ANSWERS[question.value].get(value)
    return t.gettext(label) if label is not None else value


def _label(question: Question, t: Translator) -> str:
    return t.gettext(messages.PROFILE_LABELS[question.value])


def _options(svc: Services, question: Question, t: Translator) -> list[tuple[str, str]]:
    """The buttons of one question as (label, value typed after `/profile set <question>`)."""
    if question is Question.AGE:
        return [(band.value, str(band.youngest)) for band in AgeBand]
    if question is Question.MEDICINE:
        rules = [(rule.name, rule.id) for rule in svc.bank.doses]
        return [*rules, (t.gettext(messages.PROFILE_NO_MEDICINE), NO_MEDICINE)]
    enum: dict[Question, Any] = {
        Question.SEX: SexAnswer,
        Question.REGION: Region,
        Question.KIDNEY: Kidney,
        Question.DIET: Diet,
    }
    return [(answer_label(svc, question, m.value, t), m.value) for m in enum[question]]


def profile_lines(svc: Services, profile: Profile | None, t: Translator = ENGLISH) -> list[str]:
    """One line per question, `not given` where there is no answer (also used by /mydata)."""
    lines = []
    for question in ORDER:
        value = profiles.answer_of(profile, question) if profile is not None else None
        shown = (
            f"<b>{esc(answer_label(svc, question, value, t))}</b>"
            if value is not None
            else f"<i>{t.gettext(messages.PROFILE_NOT_GIVEN)}</i>"
        )
        lines.append(f"• {_label(question, t)}: {shown}")
    return lines


def _overview_keyboard(profile: Profile | None, t: Translator) -> InlineKeyboardMarkup:
    labels = [(q.value, _label(q, t)) for q in ORDER]
    return keyboards.profile_overview(labels, profile is not None, t)


async def _show(update: Update, context: Context, prefix: str = "") -> None:
    svc = services(context)
    t = await translator_for(update, context)
    profile = await profiles.get(svc.engine, _chat_id(update))
    if profile is None:
        body = t.gettext(messages.PROFILE_EMPTY)
    else:
        body = "\n".join([t.gettext(messages.PROFILE_TITLE), *profile_lines(svc, profile, t)])
        body += "\n\n" + t.gettext(messages.PROFILE_WHY)
    text = f"{prefix}\n\n{body}" if prefix else body
    await answer(update, text, _overview_keyboard(profile, t), edit=True)


async def _ask(
    update: Update, context: Context, question: Question, guided: bool, prefix: str = ""
) -> str:
    """Ask one question; typed answers go to it until it is answered, skipped or times out."""
    svc = services(context)
    t = await translator_for(update, context)
    profile = await profiles.get(svc.engine, _chat_id(update))
    stored = profile is not None and profiles.answer_of(profile, question) is not None
    keyboard = keyboards.profile_question(
        question.value, _options(svc, question, t), guided=guided, stored=stored, t=t
    )
    text = t.gettext(messages.PROFILE_ASK[question.value])
    # A button's answer replaces the message it was pressed on (`answer` sends a new message
    # for a command or typed text), so an answered question leaves no buttons behind.
    await answer(update, f"{prefix}\n\n{text}" if prefix else text, keyboard, edit=True)
    if context.chat_data is not None:
        context.chat_data[OPEN_QUESTION] = (question, guided)
        # The subscription flow's open question, if any, is superseded: the last flow wins.
        context.chat_data.pop(subscription_handlers.FLOW, None)
    return ASKING


def _end(context: Context) -> int:
    if context.chat_data is not None:
        context.chat_data.pop(OPEN_QUESTION, None)
    return ConversationHandler.END


async def _start_guided(update: Update, context: Context, first_time: bool) -> str:
    t = await translator_for(update, context)
    intro = t.gettext(messages.PROFILE_INTRO)
    if first_time:
        intro += "\n\n" + t.gettext(messages.PROFILE_FIRST_NOTE)
    return await _ask(update, context, ORDER[0], guided=True, prefix=intro)


async def _next(
    update: Update, context: Context, question: Question, guided: bool, done: str
) -> object:
    """After an answer: the next question of the guided flow, or the overview (a button's answer
    edits the message it was pressed on; a typed answer gets a new message)."""
    position = ORDER.index(question)
    if guided and position + 1 < len(ORDER):
        return await _ask(update, context, ORDER[position + 1], guided=True, prefix=done)
    await _show(update, context, done)
    return _end(context)


async def _apply(update: Update, context: Context, result: SetAnswer, *, first_note: bool) -> str:
    """Store (or clear) the one answer a SetAnswer changed; the confirmation to show, with the
    first-setup note when a one-line form creates the profile (the guided flow shows it when it
    starts)."""
    svc = services(context)
    t = await translator_for(update, context)
    question = result.question
    label = _label(question, t)
    value = profiles.answer_of(result.profile, question)
    if value is None:
        await profiles.clear_answer(svc.engine, _chat_id(update), question)
        return t.gettext(messages.PROFILE_CLEARED_ONE).format(label=label)
    await profiles.set_answer(svc.engine, _chat_id(update), question, value)
    shown = esc(answer_label(svc, question, value, t))
    done = t.gettext(messages.PROFILE_SAVED).format(label=label, value=shown)
    if result.other_forms:
        others = " / ".join(result.other_forms)
        done += " " + esc(t.gettext(messages.PROFILE_OTHER_FORMS).format(others=others))
    if first_note:
        done += "\n\n" + t.gettext(messages.PROFILE_FIRST_NOTE)
    return done


async def profile_command(update: Update, context: Context) -> object:
    """`/profile` (the overview, or the guided flow the first time) and the one-line forms."""
    svc = services(context)
    t = await translator_for(update, context)
    current = await profiles.get(svc.engine, _chat_id(update))
    args = " ".join(command_args(context))
    try:
        command = parse_profile_command(args, current or Profile(), svc.bone_medicines)
    except ProfileInputError as exc:
        await _bad_input(update, t, exc)
        return _end(context)
    if isinstance(command, ShowProfile):
        if current is None:
            return await _start_guided(update, context, first_time=True)
        await _show(update, context)
    elif isinstance(command, ClearProfile):
        gone = await profiles.clear(svc.engine, _chat_id(update))
        done = messages.PROFILE_CLEARED_ALL if gone else messages.PROFILE_NOTHING_TO_CLEAR
        await answer(update, t.gettext(done), keyboards.plain(t))
    else:
        await _show(
            update, context, await _apply(update, context, command, first_note=current is None)
        )
    return _end(context)


async def profile_button(update: Update, context: Context) -> object:
    """`pf:g` all questions, `pf:q:<q>` one, `pf:s:<q>:<value>[:g]` an answer, `pf:k:<q>:g`
    skip, `pf:c:<q>` clear one, `pf:x` clear all, `pf:show` the overview. Anything else (an old
    or forged button) is only acknowledged."""
    svc = services(context)
    action = callback_part(update, 1)
    question = _question(callback_part(update, 2))
    guided = callback_part(update, 4 if action == "s" else 3) == "g"
    current = await profiles.get(svc.engine, _chat_id(update))
    if action == "g":
        return await _start_guided(update, context, first_time=current is None)
    if action == "show":
        await _show(update, context)
        return _end(context)
    if action == "x":
        gone = await profiles.clear(svc.engine, _chat_id(update))
        done = messages.PROFILE_CLEARED_ALL if gone else messages.PROFILE_NOTHING_TO_CLEAR
        t = await translator_for(update, context)
        await _show(update, context, t.gettext(done))
        return _end(context)
    if question is None:
        return await _stale(update, context)
    if action == "q":
        return await _ask(update, context, question, guided=False)
    if action == "k":
        return await _next(update, context, question, guided, "")
    value = callback_part(update, 3)
    if action == "c":
        words = f"clear {question.value}"
    elif action == "s" and value:
        words = f"set {question.value} {value}"
    else:
        return await _stale(update, context)
    try:
        result = parse_profile_command(words, current or Profile(), svc.bone_medicines)
    except ProfileInputError:
        return await _stale(update, context)
    if not isinstance(result, SetAnswer):
        return await _stale(update, context)
    # The button named one product exactly: no "did you mean another form" note.
    done = await _apply(update, context, replace(result, other_forms=()), first_note=False)
    return await _next(update, context, question, guided, done)


async def typed_answer(update: Update, context: Context) -> object:
    """Free text while a question is open: the answer to it, validated like `/profile set`."""
    chat_data = context.chat_data or {}
    open_question = chat_data.get(OPEN_QUESTION)
    message = update.effective_message
    text = (message.text or "").strip() if message else ""
    if open_question is None or chat_data.get(subscription_handlers.FLOW):
        # Another flow was started after this one (or the bot restarted): it gets the text.
        _end(context)
        await subscription_handlers.flow_text(update, context)
        return ConversationHandler.END
    question, guided = open_question
    t = await translator_for(update, context)
    if is_cancel(text):
        await answer(update, t.gettext(messages.FLOW_CANCELLED), keyboards.plain(t))
        return _end(context)
    svc = services(context)
    current = await profiles.get(svc.engine, _chat_id(update))
    try:
        result = parse_profile_command(
            f"set {question.value} {text}", current or Profile(), svc.bone_medicines
        )
    except ProfileInputError as exc:
        await _bad_input(update, t, exc)
        return ASKING
    assert isinstance(result, SetAnswer)  # "set <question> <text>" with text is always one
    done = await _apply(update, context, result, first_note=False)
    return await _next(update, context, question, guided, done)


async def _stale(update: Update, context: Context) -> object:
    if update.callback_query is not None:
        await update.callback_query.answer()
    return _end(context)


def _question(value: str) -> Question | None:
    return Question(value) if value in Question._value2member_map_ else None


async def _bad_input(update: Update, t: Translator, exc: ProfileInputError) -> None:
    """Why the answer cannot be stored, in the reader's language."""
    reason = esc(_sentence(t.reason(exc)))
    await answer(
        update, t.gettext(messages.PROFILE_BAD_INPUT).format(reason=reason), keyboards.plain(t)
    )


def _sentence(text: str) -> str:
    text = text.rstrip(".")
    return text[:1].upper() + text[1:]


def conversation() -> ConversationHandler[Any]:
    """The /profile conversation. Its buttons are entry points too, so they work without it."""
    buttons = CallbackQueryHandler(profile_button, pattern=rf"^{keyboards.PROFILE}(?::|$)")
    command = CommandHandler("profile", profile_command, filters=filters.UpdateType.MESSAGE)
    text = MessageHandler(
        filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
        typed_answer,
    )
    with warnings.catch_warnings():
        # PTB warns that with per_message=False a button is tracked per chat, not per message:
        # that is intended, since every button carries its whole meaning in its data.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[command, buttons],
            states={ASKING: [buttons, text]},
            fallbacks=[],
            allow_reentry=True,
            conversation_timeout=TIMEOUT_SECONDS,
            name="profile",
        )
