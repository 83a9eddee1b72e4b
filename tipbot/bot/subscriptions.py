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
from tipbot.bot.replies import answer, callback_part, command_args
from tipbot.bot.services import Services, services
from tipbot.content.render import esc
from tipbot.delivery.schedule import format_minute, parse_minute
from tipbot.delivery.zones import ZoneMatch
from tipbot.i18n import language_for
from tipbot.storage import languages
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


def _next_text(sub: Subscriber) -> str:
    moment = subscriptions.next_tip_at(sub, sub.last_planned)
    return subscriptions.describe_local(moment, sub.tz) if moment else "not scheduled"


async def _finish(update: Update, context: Context, minute: int, zone: str, assumed: bool) -> None:
    svc = services(context)
    _set_flow(context, None)
    sub = await subs.subscribe(
        svc.engine, _chat_id(update), minute, zone, svc.clock(), thread_id=_topic(update)
    )
    if update.effective_user is not None and update.effective_user.language_code:
        # Daily tips come with no update to read the language from: remember it (a /language
        # choice, if any, is kept).
        language = language_for(update.effective_user.language_code)
        await languages.remember(svc.engine, sub.chat_id, language, svc.clock())
    text = messages.SUB_DONE.format(
        schedule=esc(subscriptions.describe_schedule(sub)), next=esc(_next_text(sub))
    )
    if assumed:
        text += messages.SUB_UTC_ASSUMED.format(time=format_minute(minute))
    text += "\n\n" + messages.SUB_MANAGE
    await answer(update, text)


async def subscribe(update: Update, context: Context) -> None:
    args = command_args(context)
    chat = update.effective_chat
    if not args and chat is not None and chat.type != ChatType.PRIVATE:
        # The guided flow reads typed answers in private chats only (in a group they are talk).
        await answer(update, messages.CLINIC_SUBSCRIBE_USAGE)
        return
    if not args:
        await ask_time(update, context)
        return
    try:
        request = subscriptions.parse_subscribe_args(args)
    except subscriptions.SubscribeInputError as exc:
        await answer(update, messages.SUB_BAD_TIME.format(reason=esc(_sentence(exc))))
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
    elif match.choices:
        await answer(
            update,
            messages.SUB_ZONE_CHOICES.format(text=esc(typed[:64])),
            keyboards.pick_zone(minute, match.choices),
        )
    else:
        _set_flow(context, {"step": "zone", "minute": minute})
        await answer(update, messages.SUB_ZONE_UNKNOWN.format(text=esc(typed[:64])))


async def ask_time(update: Update, context: Context) -> None:
    _set_flow(context, {"step": "time"})
    await answer(update, messages.SUB_ASK_TIME, keyboards.pick_time())


async def subscribe_button(update: Update, context: Context) -> None:
    """`sub:t:<minute>`, `sub:type`, `sub:z:<minute>:<zone>`."""
    step = callback_part(update, 1)
    if step == "type":
        _set_flow(context, {"step": "time"})
        await answer(update, messages.SUB_TYPE_TIME)
    elif step == "t":
        minute = _minute(callback_part(update, 2))
        _set_flow(context, {"step": "zone", "minute": minute})
        await answer(
            update,
            messages.SUB_ASK_ZONE.format(time=format_minute(minute)),
            keyboards.pick_zone(minute),
            edit=True,
        )
    elif step == "z":
        minute = _minute(callback_part(update, 2, 3))
        zone = callback_part(update, 3, 3)
        match = subscriptions.parse_zone(zone)
        if match.key is None:
            await answer(update, messages.SUB_TYPE_ZONE)
            return
        await _finish(update, context, minute, match.key, assumed=False)


async def flow_text(update: Update, context: Context) -> None:
    """Free text: an answer to the flow's question if one is open, else a pointer to /help."""
    flow = (context.chat_data or {}).get(FLOW)
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not flow:
        await answer(update, messages.UNKNOWN_TEXT)
        return
    if text.strip().casefold() in {"cancel", "stop", "/cancel"}:
        _set_flow(context, None)
        await answer(update, messages.FLOW_CANCELLED)
        return
    try:
        if flow["step"] == "time":
            minute = parse_minute(text)
            _set_flow(context, {"step": "zone", "minute": minute})
            await answer(
                update,
                messages.SUB_ASK_ZONE.format(time=format_minute(minute)),
                keyboards.pick_zone(minute),
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
                    messages.SUB_ZONE_CHOICES.format(text=esc(text[:64])),
                    keyboards.set_zone(match.choices),
                )
            else:
                await answer(update, messages.SUB_ZONE_UNKNOWN.format(text=esc(text[:64])))
    except ValueError as exc:
        await answer(update, messages.SUB_BAD_TIME.format(reason=esc(_sentence(exc))))


async def settings(update: Update, context: Context) -> None:
    svc = services(context)
    sub = await subs.get(svc.engine, _chat_id(update))
    if sub is None or sub.state is SubscriberState.UNSUBSCRIBED or sub.blocked:
        await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
        return
    text = messages.SETTINGS_TITLE + await _status_text(svc, sub)
    text += messages.SETTINGS_QUIET_ON if sub.quiet else messages.SETTINGS_QUIET_OFF
    weekly: bool | None = None
    t = await translator_for(update, context)
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


async def settings_button(update: Update, context: Context) -> None:
    """`set:show|time|zone|pause|resume|unsub`, `set:t:<minute>`, `set:z:<zone>`,
    `set:quiet:on|off`."""
    action = callback_part(update, 1)
    if action == "show":
        await settings(update, context)
    elif action == "time":
        await answer(
            update,
            messages.SUB_TYPE_TIME.replace("Type", "Pick or type"),
            keyboards.set_time(),
            edit=True,
        )
        _set_flow(context, {"step": "settime"})
    elif action == "zone":
        _set_flow(context, {"step": "setzone"})
        await answer(update, messages.SUB_TYPE_ZONE, keyboards.set_zone(keyboards.COMMON_ZONES))
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
            await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())


async def _change(
    update: Update, context: Context, *, minute: int | None = None, zone: str | None = None
) -> None:
    svc = services(context)
    _set_flow(context, None)
    done = await subs.change(
        svc.engine,
        _chat_id(update),
        svc.clock(),
        lambda sub, now: subscriptions.rescheduled(sub, now, minute=minute, tz=zone),
    )
    if done.after is None:  # no subscription, or a stale button after /unsubscribe
        await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
        return
    sub = done.after
    await answer(
        update,
        messages.SUB_CHANGED.format(
            schedule=esc(subscriptions.describe_schedule(sub)), next=esc(_next_text(sub))
        ),
    )


async def _status_text(svc: Services, sub: Subscriber) -> str:
    schedule = esc(subscriptions.describe_schedule(sub))
    if sub.state is SubscriberState.PAUSED:
        return messages.SUB_STATUS_PAUSED.format(schedule=schedule)
    if sub.state is SubscriberState.ACTIVE:
        return messages.SUB_STATUS.format(schedule=schedule, next=esc(_next_text(sub)))
    return messages.SUB_STATUS_STOPPED


async def status(update: Update, context: Context) -> None:
    svc = services(context)
    sub = await subs.get(svc.engine, _chat_id(update))
    streak = await _quiz_line(update, context)
    if sub is None:
        await answer(update, messages.SUB_NONE + streak, keyboards.subscribe_prompt())
        return
    await answer(update, await _status_text(svc, sub) + streak)


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
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.paused)
    now = done.after or done.before
    if now is None or now.state is not SubscriberState.PAUSED:
        await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
    else:
        await answer(update, messages.SUB_PAUSED)
    await doses.offer_pause(update, context)  # dose reminders: ask, never pause them silently


async def resume(update: Update, context: Context) -> None:
    svc = services(context)
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.resumed)
    if done.before is None or done.before.state is SubscriberState.UNSUBSCRIBED:
        await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
    elif done.after is None:
        await answer(update, messages.SUB_NOT_PAUSED)
    else:
        await answer(update, messages.SUB_RESUMED.format(next=esc(_next_text(done.after))))
    await doses.resume_reminders(update, context)  # paused dose reminders come back too


async def unsubscribe(update: Update, context: Context) -> None:
    svc = services(context)
    done = await subs.change(svc.engine, _chat_id(update), svc.clock(), subscriptions.unsubscribed)
    now = done.after or done.before
    if now is None or now.state is not SubscriberState.UNSUBSCRIBED:
        await answer(update, messages.SUB_NONE, keyboards.subscribe_prompt())
        return
    await answer(update, messages.SUB_UNSUBSCRIBED)


async def forget(update: Update, context: Context) -> None:
    await answer(update, messages.FORGET_ASK, keyboards.forget_confirm())


async def forget_button(update: Update, context: Context) -> None:
    if callback_part(update, 1) != "yes":
        await answer(update, messages.FORGET_CANCELLED, edit=True)
        return
    svc = services(context)
    await subs.forget(svc.engine, _chat_id(update))
    if context.chat_data is not None:
        context.chat_data.clear()
    await answer(update, messages.FORGET_DONE, edit=True)


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


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]
