"""The user's language: a choice made with /language, else Telegram's `language_code`.

Handlers ask `translator_for(update, context)` and pass the Translator to `render` and
`keyboards`; they never look at language codes themselves. The stored choice is cached in
`chat_data` (PTB keeps it in memory), so most commands cost no database read; after a restart
the first command reads it again.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.replies import answer, callback_part, command_args
from tipbot.bot.services import services
from tipbot.content import render
from tipbot.i18n import DEFAULT, LANGUAGES, NATIVE_NAMES, Translator, language_for
from tipbot.storage import languages as store

Context = ContextTypes.DEFAULT_TYPE
_CACHE_KEY = "language"
_NOT_CHOSEN = ""
#: The language the chat was last answered in, for the reply limiter's busy notice.
_SHOWN_KEY = "language_shown"


async def language_of(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> str:
    """The chat's chosen language if any, else the user's `language_code` mapped (es-MX -> es)."""
    chat = update.effective_chat
    user = update.effective_user
    chosen: str | None = None
    if chat is not None:
        cache = context.chat_data if context.chat_data is not None else {}
        if _CACHE_KEY not in cache:
            cache[_CACHE_KEY] = (
                await store.get(services(context).engine, chat.id, chosen_only=True) or _NOT_CHOSEN
            )
        chosen = cache[_CACHE_KEY] or None
    elif user is not None:  # an inline query has no chat: the user's private chat's choice
        chosen = await store.get(services(context).engine, user.id, chosen_only=True)
    language = str(chosen) if chosen in LANGUAGES else None
    language = language or language_for(user.language_code if user else None)
    if chat is not None and context.chat_data is not None:
        context.chat_data[_SHOWN_KEY] = language
    return language


def last_language(application: Application[Any, Any, Any, Any, Any, Any], chat_id: int) -> str:
    """The language `chat_id` was last answered in (English if it never was), for messages
    sent where no update says who reads them (the reply limiter's busy notice)."""
    return shown_language(application, chat_id) or DEFAULT


def shown_language(
    application: Application[Any, Any, Any, Any, Any, Any], chat_id: int
) -> str | None:
    """The language `chat_id` was last answered in by this process, if it was."""
    data = application.chat_data.get(chat_id) or {}
    shown = data.get(_SHOWN_KEY)
    return str(shown) if shown in LANGUAGES else None


async def translator_for(
    update: Update, context: CallbackContext[Any, Any, Any, Any]
) -> Translator:
    return Translator(await language_of(update, context))


def parse_choice(text: str) -> str | None:
    """`de`, `DE`, `de-AT`, `Deutsch`, `german`... -> "de"; anything else -> None (never English
    by default: the user asked for something specific)."""
    word = text.strip().casefold()
    for code, name in NATIVE_NAMES.items():
        if word == name.casefold():
            return code
    english_names = {"english": "en", "spanish": "es", "german": "de", "russian": "ru"}
    if word in english_names:
        return english_names[word]
    primary = word.replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


async def language_command(update: Update, context: Context) -> None:
    """`/language` shows the buttons; `/language de` switches at once; `/language xx` lists."""
    args = command_args(context)
    if not args:
        t = await translator_for(update, context)
        current = await language_of(update, context)
        await answer(update, t.gettext(messages.LANGUAGE_ASK), keyboards.languages(current, t))
        return
    choice = parse_choice(" ".join(args))
    if choice is None:
        t = await translator_for(update, context)
        listed = ", ".join(f"{name} (<code>{code}</code>)" for code, name in NATIVE_NAMES.items())
        text = t.gettext(messages.LANGUAGE_UNKNOWN).format(
            code=render.esc(" ".join(args)[:32]), languages=listed
        )
        current = await language_of(update, context)
        await answer(update, text, keyboards.languages(current, t))
        return
    await _choose(update, context, choice, edit=False)


async def language_button(update: Update, context: Context) -> None:
    """`lang:<code>`: a language button."""
    choice = callback_part(update, 1)
    if choice not in LANGUAGES:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    await _choose(update, context, choice, edit=True)


async def _choose(update: Update, context: Context, language: str, *, edit: bool) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    await store.choose(svc.engine, chat.id, language, svc.clock())
    if context.chat_data is not None:
        context.chat_data[_CACHE_KEY] = language
    t = Translator(language)
    await answer(update, t.gettext(messages.LANGUAGE_SET), keyboards.main_menu(t), edit=edit)


async def forget_choice(update: Update, context: Context) -> None:
    """/forget's "yes" also deletes the language choice ("everything the bot stores about you").

    Registered in its own handler group so the subscription module's /forget (maintained
    separately) runs unchanged after it.
    """
    chat = update.effective_chat
    if chat is None:
        return
    await store.forget(services(context).engine, chat.id)
    if context.chat_data is not None:
        context.chat_data.pop(_CACHE_KEY, None)
