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
from tipbot.bot import keyboards
from tipbot.bot import subscriptions as subscription_handlers
from tipbot.bot.charts import send_food_chart
from tipbot.bot.replies import answer, callback_part, command_args
from tipbot.bot.services import services
from tipbot.companion.profile import Profile, intake_person
from tipbot.content import intake as intake_domain
from tipbot.content import render
from tipbot.content.models import FoodGroup
from tipbot.storage import profiles
from tipbot.storage import subscriptions as subs

Context = ContextTypes.DEFAULT_TYPE


async def start(update: Update, context: Context) -> None:
    svc = services(context)
    user = update.effective_user
    await answer(update, render.welcome(user.first_name if user else None), keyboards.main_menu())
    chat = update.effective_chat
    if chat is not None:
        # A user who had blocked the bot and comes back gets their subscription back.
        done = await subs.change(svc.engine, chat.id, svc.clock(), subscriptions.unblocked)
        if done.after is not None and done.after.receiving:
            await answer(update, messages.SUB_WELCOME_BACK)


async def help_command(update: Update, context: Context) -> None:
    await answer(update, render.help_text(), keyboards.main_menu())


async def about(update: Update, context: Context) -> None:
    await answer(update, messages.ABOUT)


async def tip(update: Update, context: Context) -> None:
    bank = services(context).bank
    item = random.choice(bank.tips)
    await answer(update, render.tip(bank, item), keyboards.another_tip())


async def _profile(update: Update, context: Context) -> Profile | None:
    """The chat's profile, which picks the reference values shown (None: the defaults)."""
    chat = update.effective_chat
    return await profiles.get(services(context).engine, chat.id) if chat is not None else None


async def _region(update: Update, context: Context) -> str | None:
    profile = await _profile(update, context)
    return profile.region.value if profile is not None and profile.region is not None else None


async def foods(update: Update, context: Context) -> None:
    await send_food_chart(update, services(context))
    text = render.foods(services(context).bank, region=await _region(update, context))
    await answer(update, text, keyboards.foods(None))


async def forms(update: Update, context: Context) -> None:
    await answer(update, render.forms(services(context).bank))


async def interactions(update: Update, context: Context) -> None:
    svc = services(context)
    args = command_args(context)
    if not args:
        pages = render.interactions_overview(svc.bank)
        await answer(update, pages, keyboards.interactions(svc.bank))
        return
    query = " ".join(args)
    result = svc.medicines.lookup(query)
    pages = render.interaction_lookup(svc.bank, query, result)
    await answer(update, pages, keyboards.interaction_back())


async def sources(update: Update, context: Context) -> None:
    await answer(update, render.sources(services(context).bank))


async def intake(update: Update, context: Context) -> None:
    svc = services(context)
    args = command_args(context)
    profile = await _profile(update, context)
    region = profile.region.value if profile is not None and profile.region is not None else None
    from_profile = intake_person(profile)
    if not args and from_profile is None:
        await answer(update, messages.INTAKE_ASK_SEX, keyboards.intake_sex())
        return
    try:
        person = intake_domain.parse_person(" ".join(args)) if args else from_profile
        assert person is not None  # given, or from the profile
        result = intake_domain.answer(svc.bank.intakes, person)
    except intake_domain.IntakeInputError as exc:
        await answer(update, f"{render.esc(str(exc)).capitalize()}.\n{messages.INTAKE_USAGE}")
        return
    who = None
    if not args and profile is not None and profile.sex and profile.age_band:
        sex = messages.PROFILE_ANSWERS["sex"][profile.sex.value].lower()
        who = f"{sex}, {profile.age_band.value}"
    text = render.intake(svc.bank, result, region, who)
    if who is not None:
        text += "\n\n" + messages.INTAKE_FROM_PROFILE
    await answer(update, text)


async def disclaimer(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(messages.DISCLAIMER_SHORT, show_alert=True)


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
    """`foods:<group>` shows one group in place, `foods:every` the whole list (several
    messages), anything else (`foods:top`, an old `foods:all`) the richest foods again."""
    value = callback_part(update, 1)
    bank = services(context).bank
    region = await _region(update, context)
    if value == "every":
        await answer(update, render.foods_all(bank, region), keyboards.foods(None))
        return
    group = FoodGroup(value) if value in FoodGroup._value2member_map_ else None
    await answer(update, render.foods(bank, group, region), keyboards.foods(group), edit=True)


async def interaction_class(update: Update, context: Context) -> None:
    """`ix:<class id>`: one interaction class."""
    bank = services(context).bank
    cls = next((c for c in bank.interactions.classes if c.id == callback_part(update, 1)), None)
    if cls is None:
        await answer(update, render.interactions_overview(bank), keyboards.interactions(bank))
        return
    await answer(update, render.interaction(bank, cls), keyboards.interaction_back())


async def intake_button(update: Update, context: Context) -> None:
    """`in:s:<kind>` asks the age band; `in:a:<kind>:<age>` answers."""
    bank = services(context).bank
    step, kind = callback_part(update, 1), callback_part(update, 2)
    try:
        sex, stage = intake_domain.sex_and_stage(kind)
        if step == "s":
            bands = intake_domain.age_bands(bank.intakes, stage)
            keyboard = keyboards.intake_age(kind, bands)
            await answer(update, messages.INTAKE_ASK_AGE, keyboard, edit=True)
            return
        person = intake_domain.Person(int(callback_part(update, 3)), sex, stage)
        result = intake_domain.answer(bank.intakes, person)
    except (ValueError, intake_domain.IntakeInputError):
        await answer(update, messages.INTAKE_USAGE)
        return
    await answer(update, render.intake(bank, result, await _region(update, context)), edit=True)
