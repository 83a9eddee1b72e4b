"""Reference answers anyone can ask for: /start, /help, /about, /tip, /foods, /forms,
/interactions, /intake, /sources, and the menu buttons that lead to them.

Handlers stay thin: they read the input, call a plain function from `tipbot.content`, and answer.
"""

from __future__ import annotations

import random
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from tipbot import messages, subscriptions
from tipbot.bot import keyboards, screens
from tipbot.bot import subscriptions as subscription_handlers
from tipbot.bot.charts import send_food_chart
from tipbot.bot.language import language_of, translator_for
from tipbot.bot.replies import answer, callback_part, command_args
from tipbot.bot.services import services
from tipbot.bot.start_codes import remember_start_code
from tipbot.companion.profile import Profile, intake_person
from tipbot.content import intake as intake_domain
from tipbot.content import render, table_texts
from tipbot.content import screens as content_screens
from tipbot.content.models import FoodGroup
from tipbot.i18n import Translator
from tipbot.storage import profiles
from tipbot.storage import subscriptions as subs

Context = ContextTypes.DEFAULT_TYPE


async def start(update: Update, context: Context) -> None:
    svc = services(context)
    user = update.effective_user
    if update.effective_chat is not None:  # a deep link's code, before anything is answered
        await remember_start_code(svc, update.effective_chat.id, command_args(context))
    t = await translator_for(update, context)
    welcome = render.welcome(user.first_name if user else None, t)
    await answer(update, welcome, keyboards.main_menu(t))
    chat = update.effective_chat
    if chat is not None:
        # A user who had blocked the bot and comes back gets their subscription back.
        done = await subs.change(svc.engine, chat.id, svc.clock(), subscriptions.unblocked)
        if done.after is not None and done.after.receiving:
            await answer(update, t.gettext(messages.SUB_WELCOME_BACK))


async def help_command(update: Update, context: Context) -> None:
    await screens.show(update, context, "help")


async def about(update: Update, context: Context) -> None:
    await screens.show(update, context, "about")


async def tip(update: Update, context: Context) -> None:
    svc = services(context)
    lang = await language_of(update, context)
    t = Translator(lang)
    # The tip in the reader's language when a current translation exists, else in English
    # (that tip alone; the labels around it stay in the reader's language).
    item = svc.translations.tip(lang, random.choice(svc.bank.tips))
    await answer(update, render.tip(svc.bank, item, t), keyboards.another_tip(t))


async def _profile(update: Update, context: Context) -> Profile | None:
    """The chat's profile, which picks the reference values shown (None: the defaults)."""
    chat = update.effective_chat
    return await profiles.get(services(context).engine, chat.id) if chat is not None else None


async def foods(update: Update, context: Context) -> None:
    t = await translator_for(update, context)
    await send_food_chart(update, services(context), t)
    await screens.show(update, context, "foods.top", t=t)


async def forms(update: Update, context: Context) -> None:
    """One line per form; each form's button opens its details (`form:<id>`)."""
    await screens.show(update, context, "forms")


async def interactions(update: Update, context: Context) -> None:
    svc = services(context)
    t = await translator_for(update, context)
    bank = screens.bank_for(context, t)
    args = command_args(context)
    if not args:
        await screens.show(update, context, "ix", t=t)
        return
    query = " ".join(args)
    result = table_texts.lookup_in(bank, svc.medicines.lookup(query))
    if not result.matches:
        pages = render.interaction_lookup(bank, query, result, t)
        await answer(update, pages, keyboards.interaction_back(t))
        return
    for match in result.matches:  # each class the name belongs to, as its own answer
        asked = match.name if match.name.casefold() != match.generic.casefold() else None
        label = f"{match.name} ({match.generic})" if asked else match.name
        parts = render.interaction_parts(bank, match.interaction, label, t)
        first = content_screens.paged(bank, *parts, t)
        await screens.show(update, context, f"ix.{match.interaction.id}", first=first, t=t)


async def sources(update: Update, context: Context) -> None:
    await screens.show(update, context, "sources")


async def intake(update: Update, context: Context) -> None:
    t = await translator_for(update, context)
    args = command_args(context)
    profile = await _profile(update, context)
    region = profile.region.value if profile is not None and profile.region is not None else None
    from_profile = intake_person(profile)
    if not args and from_profile is None:
        await answer(update, t.gettext(messages.INTAKE_ASK_SEX), keyboards.intake_sex(t))
        return
    try:
        person = intake_domain.parse_person(" ".join(args)) if args else from_profile
        assert person is not None  # given, or from the profile
        bank = screens.bank_for(context, t)
        result = intake_domain.answer(bank.intakes, person)
    except intake_domain.IntakeInputError as exc:
        usage = t.gettext(messages.INTAKE_USAGE)
        await answer(update, f"{render.esc(str(exc)).capitalize()}.\n{usage}", keyboards.plain(t))
        return
    who = None
    if not args and profile is not None and profile.sex and profile.age_band:
        sex = t.gettext(messages.PROFILE_ANSWERS["sex"][profile.sex.value]).lower()
        who = f"{sex}, {profile.age_band.value}"
    paragraphs, cited = render.intake_parts(bank, result, t, region, who)
    if who is not None:  # right under the values, on the first screen
        paragraphs.insert(1, t.gettext(messages.INTAKE_FROM_PROFILE))
    first = content_screens.paged(bank, paragraphs, cited, t)
    key = content_screens.intake_key(person)
    await screens.show(update, context, key, first=first, t=t)


async def disclaimer(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is not None:
        t = await translator_for(update, context)
        await query.answer(t.gettext(messages.DISCLAIMER_SHORT), show_alert=True)


async def menu(update: Update, context: Context) -> None:
    """Main-menu buttons: `menu:<section>`."""
    section = callback_part(update, 1)
    targets: dict[str, Any] = {
        "foods": foods,
        "forms": forms,
        "ix": interactions,
        "tip": tip,
        "sources": sources,
        "help": help_command,
    }
    if section == "sub":
        await subscription_handlers.ask_time(update, context)
    elif section in targets:
        context.args = []
        await targets[section](update, context)
    elif update.callback_query:
        await update.callback_query.answer()


async def food_group(update: Update, context: Context) -> None:
    """`foods:<group>` shows one group in place, `foods:every` the whole list (a new message,
    paged), anything else (`foods:top`, an old `foods:all`) the richest foods again."""
    value = callback_part(update, 1)
    t = await translator_for(update, context)
    if value == "every":
        await screens.show(update, context, "foods.every", t=t)
        return
    group = FoodGroup(value) if value in FoodGroup._value2member_map_ else None
    await screens.show(update, context, f"foods.{group.value if group else 'top'}", edit=True, t=t)


async def interaction_class(update: Update, context: Context) -> None:
    """`ix:<class id>`: one interaction class."""
    t = await translator_for(update, context)
    bank = screens.bank_for(context, t)
    cls = next((c for c in bank.interactions.classes if c.id == callback_part(update, 1)), None)
    await screens.show(update, context, f"ix.{cls.id}" if cls else "ix", t=t)


async def intake_button(update: Update, context: Context) -> None:
    """`in:s:<kind>` asks the age band; `in:a:<kind>:<age>` answers."""
    t = await translator_for(update, context)
    bank = screens.bank_for(context, t)
    step, kind = callback_part(update, 1), callback_part(update, 2)
    try:
        sex, stage = intake_domain.sex_and_stage(kind)
        if step == "s":
            bands = intake_domain.age_bands(bank.intakes, stage)
            keyboard = keyboards.intake_age(kind, bands, t)
            await answer(update, t.gettext(messages.INTAKE_ASK_AGE), keyboard, edit=True)
            return
        person = intake_domain.Person(int(callback_part(update, 3)), sex, stage)
        intake_domain.answer(bank.intakes, person)  # raises for an age the table lacks
    except (ValueError, intake_domain.IntakeInputError):
        await answer(update, t.gettext(messages.INTAKE_USAGE), keyboards.plain(t))
        return
    key = content_screens.intake_key(person)
    await screens.show(update, context, key, edit=True, t=t)
