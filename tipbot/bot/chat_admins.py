"""Clinic mode's guard: in a group, only its administrators change the chat's daily tip.

A private chat belongs to its user, and in a channel only admins can post at all, so the check
is only needed in groups and supergroups, and for buttons pressed under a channel's posts (any
reader can press those). An anonymous admin writes as the group itself (`sender_chat`), which
only admins can do; anyone else is looked up with getChatMember.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from tipbot import chat_rights, messages
from tipbot.bot import keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


async def may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat = update.effective_chat
    if chat is None:
        return False
    pressed = update.callback_query is not None
    if not pressed and not chat_rights.needs_admin(chat.type):
        return True  # a private chat, or a channel post (only admins post in a channel)
    if pressed and chat.type == "private":
        return True
    message = update.effective_message
    if not pressed and message is not None:
        sender_chat = message.sender_chat.id if message.sender_chat else None
        if chat_rights.posted_as_the_chat(chat.id, sender_chat):
            return True
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("could not check a chat administrator: %s", type(exc).__name__)
        return False
    return chat_rights.is_admin(member.status)


def admins_only(handler: Handler) -> Handler:
    """`handler`, run only for someone who may manage the chat; anyone else gets one short
    explanation (as a toast for a button, so the chat stays quiet)."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await may_manage(update, context):
            await handler(update, context)
            return
        t = await translator_for(update, context)
        if update.callback_query is not None:
            await update.callback_query.answer(t.gettext(messages.CLINIC_ADMINS_ONLY))
        else:
            await answer(update, t.gettext(messages.CLINIC_ADMINS_ONLY), keyboards.plain(t))

    return guarded
