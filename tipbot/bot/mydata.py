"""/mydata: everything the bot stores about this chat, in one message (issue 11's privacy rule:
the person can see what is kept, and /forget deletes all of it)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from tipbot import messages, subscriptions
from tipbot.bot import keyboards
from tipbot.bot.doses import medicine_name
from tipbot.bot.language import translator_for
from tipbot.bot.profile import profile_lines
from tipbot.bot.replies import answer
from tipbot.bot.services import services
from tipbot.content.render import esc
from tipbot.storage import doses as dose_store
from tipbot.storage import quiz as quiz_store
from tipbot.storage.mydata import stored_about


async def mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    t = await translator_for(update, context)
    _ = t.gettext
    data = await stored_about(svc.engine, chat.id)
    lines = [_(messages.MYDATA_TITLE), ""]
    if data.subscriber is None:
        lines.append(_(messages.MYDATA_NO_SUBSCRIPTION))
    else:
        sub = data.subscriber
        lines.append(
            _(messages.MYDATA_SUBSCRIPTION).format(
                standing=_(messages.MYDATA_STANDING[sub.standing.value]),
                schedule=esc(subscriptions.describe_schedule(sub)),
            )
        )
        lines.append(_(messages.MYDATA_ROTATION).format(count=data.tips_this_round))
    lines.append(_(messages.MYDATA_DELIVERIES).format(count=data.deliveries))
    record = await quiz_store.record(svc.engine, chat.id)
    weekly = await quiz_store.is_weekly(svc.engine, chat.id)
    if record.sent or weekly:
        lines.append(
            _(messages.MYDATA_QUIZ).format(
                weekly=_(messages.MYDATA_QUIZ_ON if weekly else messages.MYDATA_QUIZ_OFF),
                sent=record.sent,
                answered=record.answered,
            )
        )
    lines.append("")
    if data.profile is None:
        lines.append(_(messages.MYDATA_NO_PROFILE))
    else:
        lines += [_(messages.MYDATA_PROFILE), *profile_lines(svc, data.profile, t)]
    lines.append("")
    plan = await dose_store.get_plan(svc.engine, chat.id)
    if plan is None:
        lines.append(_(messages.MYDATA_NO_DOSE_PLAN))
    else:
        lines.append(
            _(messages.MYDATA_DOSE_PLAN).format(
                name=esc(medicine_name(svc, plan.medicine)),
                schedule=esc(plan.schedule.describe(t)),
            )
        )
    logged, _count = await dose_store.log_size(svc.engine, chat.id)
    lines.append(_(messages.MYDATA_DOSE_LOG).format(count=logged))
    lines += ["", _(messages.MYDATA_FOOTER)]
    await answer(update, "\n".join(lines), keyboards.plain(t))
