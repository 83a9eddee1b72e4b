"""Sending a handler's answer: one or more pages, the keyboard under the last one.

A button press edits the message it came from when the answer fits in one page (menus feel
instant and the chat stays short); otherwise the answer is sent as new messages.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from tipbot.bot import keyboards
from tipbot.telegram_html import visible_text


async def answer(
    update: Update,
    pages: str | list[str],
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
    keyboard_on_every_page: bool = False,
) -> None:
    """`keyboard_on_every_page`: each page is a screen of its own (e.g. the sources of a long
    answer), so each carries the buttons (the disclaimer stays under every message)."""
    pages = [pages] if isinstance(pages, str) else pages
    keyboard = keyboard or keyboards.plain()
    query = update.callback_query
    if query is not None:
        await query.answer()
        shown = query.message
        if edit and len(pages) == 1 and isinstance(shown, Message):
            if shown.text == visible_text(pages[0]) and shown.reply_markup == keyboard:
                return  # the same button pressed twice: Telegram would answer "not modified"
            try:
                await query.edit_message_text(pages[0], reply_markup=keyboard)
                return
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return
                # The message may be too old to edit: fall through and send a new one.
    chat = update.effective_chat
    if chat is None:
        return
    # In a forum group, answer in the topic the command (or the button's message) came from.
    message = update.effective_message
    topic = message.message_thread_id if message and message.is_topic_message else None
    for number, page in enumerate(pages, start=1):
        await chat.send_message(
            page,
            reply_markup=keyboard if number == len(pages) or keyboard_on_every_page else None,
            message_thread_id=topic,
        )


def command_args(context: Any) -> list[str]:
    return list(context.args or [])


def callback_part(update: Update, index: int, maxsplit: int = -1) -> str:
    """Field `index` of the pressed button's callback data (`a:b:c`), or ""."""
    data = update.callback_query.data if update.callback_query else None
    parts = (data or "").split(keyboards.SEP, maxsplit)
    return parts[index] if index < len(parts) else ""
