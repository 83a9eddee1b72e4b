"""Showing long answers a screen at a time: the More/Back buttons (`pg:`), the Sources button
(`src:`) and the supplement forms' buttons (`form:`).

The answer is found again from its key on every press (tipbot.content.screens, rendered once
per language and region), so nothing is kept per chat.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, Update
from telegram.ext import ContextTypes

from tipbot import messages
from tipbot.bot import keyboards
from tipbot.bot.language import translator_for
from tipbot.bot.replies import answer, callback_part
from tipbot.bot.services import services
from tipbot.content.models import Bank, FoodGroup
from tipbot.content.screens import KEY_SEP, Reply, source_screens
from tipbot.i18n import Translator
from tipbot.storage import profiles

Context = ContextTypes.DEFAULT_TYPE
Rows = Sequence[Sequence[InlineKeyboardButton]]


async def region_of(update: Update, context: Context) -> str | None:
    """The profile's reference values (None: the defaults), which pick %DV or %NRV."""
    chat = update.effective_chat
    if chat is None:
        return None
    profile = await profiles.get(services(context).engine, chat.id)
    return profile.region.value if profile is not None and profile.region is not None else None


def bank_for(context: Context, t: Translator) -> Bank:
    """The bank with its tables in the reader's language (an entry not translated yet stays
    English, alone)."""
    return services(context).translations.bank_for(t.language)


def rows_for(answer_key: str, t: Translator, context: Context) -> Rows:
    """The buttons an answer carries besides paging and sources."""
    bank = bank_for(context, t)
    kind, _, rest = answer_key.partition(KEY_SEP)
    if kind == "foods":
        if rest == "every":
            return [keyboards.back_to(t.gettext("⬅️ Top foods"), "foods", "top")]
        group = FoodGroup(rest) if rest in FoodGroup._value2member_map_ else None
        return keyboards.foods_rows(group, t)
    if kind == "forms":
        return keyboards.forms_rows(bank)
    if kind == "form":
        return [keyboards.back_to(t.gettext("⬅️ All forms"), keyboards.PAGE, 0, "forms")]
    if kind == "ix" and not rest:
        return keyboards.interactions_rows(bank)
    if kind == "ix":
        return [keyboards.back_to(t.gettext("⬅️ All interactions"), "menu", "ix")]
    if kind == "help":
        return keyboards.main_menu(t).inline_keyboard[:-1]  # without its disclaimer row
    return []


async def show(
    update: Update,
    context: Context,
    answer_key: str,
    *,
    page: int = 0,
    edit: bool = False,
    first: Reply | None = None,
    t: Translator | None = None,
) -> None:
    """Screen `page` of the answer named by `answer_key` (`first`: that answer already
    rendered, e.g. with the medicine name the user typed), with its buttons."""
    t = t or await translator_for(update, context)
    reply = first or services(context).screens.reply_for(
        bank_for(context, t), answer_key, t, await region_of(update, context)
    )
    if reply is None:  # an old button for something no longer in the bank
        if update.callback_query is not None:
            await update.callback_query.answer(t.gettext(messages.SCREEN_GONE))
        return
    page = min(max(page, 0), len(reply.screens) - 1)
    keyboard = keyboards.screen(
        answer_key,
        page,
        len(reply.screens),
        bool(reply.sources),
        rows_for(answer_key, t, context),
        t,
    )
    await answer(update, reply.screens[page], keyboard, edit=edit)


async def page_button(update: Update, context: Context) -> None:
    """`pg:<page>:<answer key>`: another screen of the same answer, in place."""
    try:
        page = int(callback_part(update, 1))
    except ValueError:
        page = 0
    await show(update, context, callback_part(update, 2, 2), page=page, edit=True)


async def sources_button(update: Update, context: Context) -> None:
    """`src:<answer key>`: that answer's sources, in new messages under it (the answer stays
    on screen to read them against)."""
    t = await translator_for(update, context)
    bank = bank_for(context, t)
    key = callback_part(update, 1, 1)
    reply = services(context).screens.reply_for(bank, key, t, await region_of(update, context))
    if reply is None or not reply.sources:
        if update.callback_query is not None:
            await update.callback_query.answer(t.gettext(messages.SCREEN_GONE))
        return
    pages = source_screens(bank, reply.sources, t)
    await answer(update, pages, keyboards.plain(t), keyboard_on_every_page=True)


async def form_button(update: Update, context: Context) -> None:
    """`form:<form id>`: one supplement form's details and sources, in place of the list."""
    await show(update, context, f"form{KEY_SEP}{callback_part(update, 1)}", edit=True)
