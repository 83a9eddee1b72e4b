"""Daily-tip subscription: /subscribe (guided or in one message), /settings, /status, /pause,
/resume, /unsubscribe, /forget, and the my_chat_member updates sent when a user blocks the bot.

These are the Telegram handlers of the subscription concept and decide nothing themselves: the
rules are in `tipbot.subscriptions` and `tipbot.storage.subscriptions` applies them.

The guided flow keeps its step in `chat_data` (memory only). Buttons carry everything needed to
finish (`sub:z:<minute>:<zone>`), so a restart in the middle of the flow loses nothing important.
"""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from tipbot import chat_rights, messages, subscriptions
from tipbot.bot import doses, keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer, callback_part, command_args, is_cancel
from tipbot.bot.services import Services, services
from tipbot.content.render import esc
from tipbot.delivery.schedule import as_aware, format_minute, parse_minute, tz_from_key
from tipbot.delivery.zones import ZoneMatch
from tipbot.i18n import Translator, language_for
from tipbot.storage import deliveries, languages
from tipbot.storage import quiz as quiz_store
from tipbot.storage import subscriptions as subs
from tipbot.storage.tables import SubscriberState
from tipbot.subscriptions import Subscriber

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
FLOW = "flow"


def _set_flow(context: Context, step: dict[str, object] | None) -> None:
    """Remember (or, with None, forget) the question the guided flow is waiting on."""
    if context.chat_data is None:
        return
    if step is None:
        context.chat_data.pop(FLOW, None)
    else:
        context.chat_data[FLOW] = step


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def _topic(update: Update) -> int | None:
    """The forum topic the command (or the pressed button's message) is in, if any: a group's
    tips go where it subscribed. Replies in non-forum groups also carry a thread id; only a
    topic message's counts."""
    message = update.effective_message
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


async def _next_text(svc: Services, sub: Subscriber, t: Translator) -> str:
    """When the next tip comes, as the reader's language writes a date and a time (Babel): a
    tip already planned for the coming minute, or the next one the schedule gives."""
    planned = await deliveries.planned_tip(svc.engine, sub.chat_id, svc.clock())
    moment = subscriptions.next_tip_at(sub, sub.last_planned, planned)
    if moment is None:
        return t.gettext(messages.SUB_NOT_SCHEDULED)
    return t.format_datetime(as_aware(moment), tz_from_key(sub.tz))


async def _finish(update: Update, context: Context, minute: int, zone: str, assumed: bool) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    _set_flow(context, None)
    sub = await subs.subscribe(
        svc.engine, _chat_id(update), minute, zone, svc.clock(), thread_id=_topic(update)
    )
    if update.effective_user is not None and update.effective_user.language_code:
        # Daily tips come with no update to read the language from: remember it (a /language
        # choice, if any, is kept).
        language = language_for(update.effective_user.language_code)
        await languages.remember(svc.engine, sub.chat_id, language, svc.clock())
    text = t.gettext(messages.SUB_DONE).format(
        schedule=esc(subscriptions.describe_schedule(sub)), next=esc(await _next_text(svc, sub, t))
    )
    if assumed:
        text += t.gettext(messages.SUB_UTC_ASSUMED).format(time=format_minute(minute))
    text += "\n\n" + t.gettext(messages.SUB_MANAGE)
    await answer(update, text, keyboards.plain(t))


async def subscribe(update: Update, context: Context) -> None:
    args = command_args(context)
    chat = update.effective_chat
    t = await translator_for(update, context)
    if not args and chat is not None and chat.type != ChatType.PRIVATE:
        # The guided flow reads typed answers in private chats only (in a group they are talk).
        await answer(update, t.gettext(messages.CLINIC_SUBSCRIBE_USAGE), keyboards.plain(t))
        return
    if not args:
        await ask_time(update, context)
        return
    try:
        request = subscriptions.parse_subscribe_args(args)
    except subscriptions.SubscribeInputError as exc:
        await _bad_input(update, t, exc)
        return
    await _resolve_zone(
        update,
        context,
        request.minute,
        request.zone,
        request.zone_text,
        assumed=request.zone_assumed,
    )


async def _resolve_zone(
    update: Update,
    context: Context,
    minute: int,
    match: ZoneMatch,
    typed: str,
    *,
    assumed: bool = False,
) -> None:
    if match.key:
        await _finish(update, context, minute, match.key, assumed)
        return
    t = await translator_for(update, context)
    if match.choices:
        await answer(
            update,
            t.gettext(messages.SUB_ZONE_CHOICES).format(text=esc(typed[:64])),
            keyboards.pick_zone(minute, match.choices, t),
        )
    else:
        _set_flow(context, {"step": "zone", "minute": minute})
        await answer(
            update,
            t.gettext(messages.SUB_ZONE_UNKNOWN).format(text=esc(typed[:64])),
            keyboards.plain(t),
        )


async def ask_time(update: Update, context: Context) -> None:
    _set_flow(context, {"step": "time"})
    t = await translator_for(update, context)
    await answer(update, t.gettext(messages.SUB_ASK_TIME), keyboards.pick_time(t))


async def subscribe_button(update: Update, context: Context) -> None:
    """`sub:t:<minute>`, `sub:type`, `sub:z:<minute>:<zone>`."""
    step = callback_part(update, 1)
    t = await translator_for(update, context)
    if step == "type":
        _set_flow(context, {"step": "time"})
        await answer(update, t.gettext(messages.SUB_TYPE_TIME), keyboards.plain(t))
    elif step == "t":
        minute = _minute(callback_part(update, 2))
        _set_flow(context, {"step": "zone", "minute": minute})
        await answer(
            update,
            t.gettext(messages.SUB_ASK_ZONE).format(time=format_minute(minute)),
            keyboards.pick_zone(minute, t=t),
            edit=True,
        )
    elif step == "z":
        minute = _minute(callback_part(update, 2, 3))
        zone = callback_part(update, 3, 3)
        match = subscriptions.parse_zone(zone)
        if match.key is None:
            await answer(update, t.gettext(messages.SUB_TYPE_ZONE), keyboards.plain(t))
            return
        await _finish(update, context, minute, match.key, assumed=False)


async def flow_text(update: Update, context: Context) -> None:
    """Free text: an answer to the flow's question if one is open, else a pointer to /help."""
    flow = (context.chat_data or {}).get(FLOW)
    message = update.effective_message
    text = (message.text or "") if message else ""
    t = await translator_for(update, context)
    if not flow:
        await answer(update, t.gettext(messages.UNKNOWN_TEXT), keyboards.plain(t))
        return
    if is_cancel(text):
        _set_flow(context, None)
        await answer(update, t.gettext(messages.FLOW_CANCELLED), keyboards.plain(t))
        return
    try:
        if flow["step"] == "time":
            minute = parse_minute(text)
            _set_flow(context, {"step": "zone", "minute": minute})
            await answer(
                update,
                t.gettext(messages.SUB_ASK_ZONE).format(time=format_minute(minute)),
                keyboards.pick_zone(minute, t=t),
            )
        elif flow["step"] == "zone":
            match = subscriptions.parse_zone(text)
            await _resolve_zone(update, context, flow["minute"], match, text)
        elif flow["step"] == "settime":
            await _change(update, context, minute=parse_minute(text))
        elif flow["step"] == "setzone":
            match = subscriptions.parse_zone(text)
            if match.key:
                await _change(update, context, zone=match.key)
            elif match.choices:
                await answer(
                    update,
                    t.gettext(messages.SUB_ZONE_CHOICES).format(text=esc(text[:64])),
                    keyboards.set_zone(match.choices, t),
                )
            else:
                await answer(
                    update,
                    t.gettext(messages.SUB_ZONE_UNKNOWN).format(text=esc(text[:64])),
                    keyboards.plain(t),
                )
    except ValueError as exc:
        await _bad_input(update, t, exc)


async def _bad_input(update: Update, t: Translator, exc: Exception) -> None:
    """A time or zone that cannot be read: why, in the reader's language, and an example."""
    reason = esc(_sentence(t.reason(exc)))
    await answer(update, t.gettext(messages.SUB_BAD_TIME).format(reason=reason), keyboards.plain(t))


async def settings(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    sub = await subs.get(svc.engine, _chat_id(update))
    if sub is None or sub.state is SubscriberState.UNSUBSCRIBED or sub.blocked:
        await _not_subscribed(update, t)
        return
    text = t.gettext(messages.SETTINGS_TITLE) + await _status_text(svc, sub, t)
    quiet = messages.SETTINGS_QUIET_ON if sub.quiet else messages.SETTINGS_QUIET_OFF
    text += t.gettext(quiet)
    weekly: bool | None = None
    if sub.chat_id > 0:  # the weekly quiz is for private chats only
        weekly = await quiz_store.is_weekly(svc.engine, sub.chat_id)
        text += "\n" + t.gettext(
            messages.SETTINGS_QUIZ_ON if weekly else messages.SETTINGS_QUIZ_OFF
        )
    active = sub.state is SubscriberState.ACTIVE
    paused = sub.state is SubscriberState.PAUSED
    edit = update.callback_query is not None
    keyboard = keyboards.settings(active, paused, quiet=sub.quiet, weekly_quiz=weekly, t=t)
    await answer(update, text, keyboard, edit=edit)


async def _not_subscribed(update: Update, t: Translator, extra: str = "") -> None:
    await answer(update, t.gettext(messages.SUB_NONE) + extra, keyboards.subscribe_prompt(t))


async def settings_button(update: Update, context: Context) -> None:
    """`set:show|time|zone|pause|resume|unsub`, `set:t:<minute>`, `set:z:<zone>`,
    `set:quiet:on|off`."""
    action = callback_part(update, 1)
    t = await translator_for(update, context)
    if action == "show":
        await settings(update, context)
    elif action == "time":
        await answer(update, t.gettext(messages.SUB_PICK_TIME), keyboards.set_time(t), edit=True)
        _set_flow(context, {"step": "settime"})
    elif action == "zone":
        _set_flow(context, {"step": "setzone"})
        keyboard = keyboards.set_zone(keyboards.COMMON_ZONES, t)
        await answer(update, t.gettext(messages.SUB_TYPE_ZONE), keyboard)
    elif action == "t":
        await _change(update, context, minute=_minute(callback_part(update, 2)))
    elif action == "z":
        match = subscriptions.parse_zone(callback_part(update, 2, 2))
        if match.key:
            await _change(update, context, zone=match.key)
    elif action == "pause":
        await pause(update, context)
    elif action == "resume":
        await resume(update, context)
    elif action == "unsub":
        await unsubscribe(update, context)
    elif action == "quiz" and _chat_id(update) > 0:
        svc = services(context)
        wanted = callback_part(update, 2) == "on"
        if await quiz_store.set_weekly(svc.engine, _chat_id(update), wanted, svc.clock()):
            await settings(update, context)
        else:
            await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
    elif action == "quiet":
        svc = services(context)
        wanted = callback_part(update, 2) == "on"
        if await subs.set_quiet(svc.engine, _chat_id(update), wanted, svc.clock()):
            await settings(update, context)
        else:
            await _not_subscribed(update, t)


async def _change(
    update: Update, context: Context, *, minute: int | None = None, zone: str | None = None
) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    _set_flow(context, None)
    done = await subs.change(
        svc.engine,
        _chat_id(update),
        svc.clock(),
        lambda sub, now: subscriptions.rescheduled(sub, now, minute=minute, tz=zone),
    )
    if done.after is None:  # no subscription, or a stale button after /unsubscribe
        await _not_subscribed(update, t)
        return
    sub = done.after
    text = t.gettext(messages.SUB_CHANGED).format(
        schedule=esc(subscriptions.describe_schedule(sub)), next=esc(await _next_text(svc, sub, t))
    )
    await answer(update, text, keyboards.plain(t))


async def _status_text(svc: Services, sub: Subscriber, t: Translator) -> str:
    schedule = esc(subscriptions.describe_schedule(sub))
    if sub.state is SubscriberState.PAUSED:
        return t.gettext(messages.SUB_STATUS_PAUSED).format(schedule=schedule)
    if sub.state is SubscriberState.ACTIVE:
        return t.gettext(messages.SUB_STATUS).format(
            schedule=schedule, next=esc(await _next_text(svc, sub, t))
        )
    return t.gettext(messages.SUB_STATUS_STOPPED)


async def status(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    sub = await subs.get(svc.engine, _chat_id(update))
    streak = await _quiz_line(update, context)
    if sub is None:
        await _not_subscribed(update, t, streak)
        return
    await answer(update, await _status_text(svc, sub, t) + streak, keyboards.plain(t))


async def _quiz_line(update: Update, context: Context) -> str:
    """The user's own quiz streak for /status ("" before any quiz, and in groups)."""
    chat_id = _chat_id(update)
    if chat_id <= 0:
        return ""
    record = await quiz_store.record(services(context).engine, chat_id)
    if record.sent == 0:
        return ""
    t = await translator_for(update, context)
    return "\n\n" + t.gettext(messages.QUIZ_STATUS).format(
        right=record.right, answered=record.answered, streak=record.streak
    )


async def pause(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.paused)
    now = done.after or done.before
    if now is None or now.state is not SubscriberState.PAUSED:
        await _not_subscribed(update, t)
    else:
        await answer(update, t.gettext(messages.SUB_PAUSED), keyboards.plain(t))
    await doses.offer_pause(update, context)  # dose reminders: ask, never pause them silently


async def resume(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.resumed)
    if done.before is None or done.before.state is SubscriberState.UNSUBSCRIBED:
        await _not_subscribed(update, t)
    elif done.after is None:
        await answer(update, t.gettext(messages.SUB_NOT_PAUSED), keyboards.plain(t))
    else:
        next_text = await _next_text(svc, done.after, t)
        text = t.gettext(messages.SUB_RESUMED).format(next=esc(next_text))
        await answer(update, text, keyboards.plain(t))
    await doses.resume_reminders(update, context)  # paused dose reminders come back too


async def unsubscribe(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.unsubscribed)
    now = done.after or done.before
    if now is None or now.state is not SubscriberState.UNSUBSCRIBED:
        await _not_subscribed(update, t)
        return
    await answer(update, t.gettext(messages.SUB_UNSUBSCRIBED), keyboards.plain(t))


async def forget(update: Update, context: Context) -> None:
    t = await translator_for(update, context)
    await answer(update, t.gettext(messages.FORGET_ASK), keyboards.forget_confirm(t))


async def forget_button(update: Update, context: Context) -> None:
    # A "yes" has already deleted the /language choice (language.forget_choice runs first), so
    # "done" comes in the language Telegram reports.
    t = await translator_for(update, context)
    if callback_part(update, 1) != "yes":
        await answer(update, t.gettext(messages.FORGET_CANCELLED), keyboards.plain(t), edit=True)
        return
    svc = services(context)
    await subs.forget(svc.engine, _chat_id(update))
    if context.chat_data is not None:
        context.chat_data.clear()
    await answer(update, t.gettext(messages.FORGET_DONE), keyboards.plain(t), edit=True)


async def chat_member(update: Update, context: Context) -> None:
    """The bot's own membership changed: a user blocked or unblocked it in their private chat,
    or it was removed from, added to, restricted or promoted in a group or channel.

    Whether it can post now decides: if not, the chat's subscription stops (kept as it was
    chosen, like a block); if it can again, the subscription comes back. Added to a chat where
    it cannot post, it does nothing but log one line."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    svc = services(context)
    new = change.new_chat_member
    can_post = chat_rights.bot_can_post(
        change.chat.type,
        new.status,
        can_send_messages=getattr(new, "can_send_messages", None),
        can_post_messages=getattr(new, "can_post_messages", None),
    )
    rule = subscriptions.unblocked if can_post else subscriptions.blocked
    await subs.change(svc.engine, change.chat.id, svc.clock(), rule)
    if not can_post and chat_rights.just_added(change.old_chat_member.status, new.status):
        log.info("added to a %s where the bot cannot post; nothing to do", change.chat.type)


def _minute(value: str) -> int:
    minute = int(value)
    if not 0 <= minute < 24 * 60:
        raise ValueError("minute out of range")
    return minute


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
