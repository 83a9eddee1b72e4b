"""Building the Application: every handler registered here, in order, in one visible place.

`tipbot run`, `tipbot console` and the tests all call `build_application`; only the request
object differs (real HTTP to a Bot API server, or the console's in-process one).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import re
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import BotCommand, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from tipbot import messages, tls
from tipbot.bot import (
    admin,
    doses,
    feedback,
    inline,
    keyboards,
    language,
    mydata,
    profile,
    quiz,
    reference,
    screens,
    subscriptions,
)
from tipbot.bot.chat_admins import admins_only
from tipbot.bot.composer import Composer
from tipbot.bot.replies import answer
from tipbot.bot.reply_limiter import RepliesBusy, ReplyLimiter
from tipbot.bot.services import KEY, Services, app_services
from tipbot.companion import selection
from tipbot.config import DeliveryHttp, Role, Settings
from tipbot.content.loader import bundled_bank_dir
from tipbot.content.lookup import MedicineIndex
from tipbot.content.models import Bank
from tipbot.content.translations import Translations, load_translations
from tipbot.delivery import share
from tipbot.delivery.budget import Budget
from tipbot.delivery.kinds import Planner
from tipbot.delivery.sender import Sender, SendFn
from tipbot.delivery.sweep import PLAN_AHEAD, Deliverer
from tipbot.delivery.telegram_client import BotApiClient, direct_route
from tipbot.i18n import LANGUAGES, Translator, language_for
from tipbot.observe import Metrics
from tipbot.storage import db
from tipbot.storage.tables import DeliveryKind

log = logging.getLogger(__name__)

DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)


def build_application(
    settings: Settings,
    bank: Bank,
    engine: AsyncEngine,
    *,
    request: BaseRequest | None = None,
    clock: Callable[[], datetime] = db.utcnow,
    metrics: Metrics | None = None,
    translations: Translations | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """`translations` default to the bank directory's `locales/` (already checked by `tipbot run`
    and `tipbot console`; a malformed file raises BankError here too)."""
    token = settings.token.get_secret_value() if settings.token else "0:console"
    metrics = metrics or Metrics()
    # One budget for everything this process sends: replies first, then deliveries.
    budget = Budget(settings.max_rate)
    limiter = ReplyLimiter(budget)
    limiter.on_given_up = lambda reason: metrics.replies_given_up.labels(reason).inc()
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_base_file_url)
        .defaults(DEFAULTS)
        .rate_limiter(limiter)
        .concurrent_updates(True)
    )
    httpx_kwargs = None
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        httpx_kwargs = httpx_options()
        replies = HTTPXRequest(
            connection_pool_size=32, pool_timeout=10.0, httpx_kwargs=httpx_kwargs
        )
        updates = HTTPXRequest(connection_pool_size=1, httpx_kwargs=httpx_kwargs)
        builder = builder.request(replies).get_updates_request(updates)
    application = builder.build()
    limiter.language_of = functools.partial(language.last_language, application)

    services = Services(
        settings, bank, engine, metrics, clock, MedicineIndex(bank.interactions), budget
    )
    services.translations = translations or load_translations(
        settings.tips_dir or bundled_bank_dir(), bank
    )
    application.bot_data[KEY] = services
    if Role.DELIVERY in settings.roles:
        composer = services.composer = Composer(bank, engine, services.translations)
        planners = register_kinds(services, composer)
        services.delivery_bot, services.delivery_client, services.deliverer = _build_deliverer(
            settings,
            engine,
            composer,
            metrics,
            clock,
            request,
            token,
            budget,
            services.owner,
            planners,
            httpx_kwargs=httpx_kwargs,
        )
    register_handlers(application, settings)
    return application


Callback = Callable[..., Coroutine[Any, Any, None]]

#: Inline buttons by kind: the first field of the callback data (`kind:arg:...`) picks the handler.
#: The kinds are also the only button labels /metrics knows, so forged data cannot add series.
BUTTONS: dict[str, Callback] = {
    keyboards.DISCLAIMER: reference.disclaimer,
    "menu": reference.menu,
    "foods": reference.food_group,
    "ix": reference.interaction_class,
    "in": reference.intake_button,
    # In groups and channels only the chat's admins change its subscription (clinic mode).
    "sub": admins_only(subscriptions.subscribe_button),
    "set": admins_only(subscriptions.settings_button),
    "forget": admins_only(subscriptions.forget_button),
    "bc": admin.broadcast_button,
    "lang": language.language_button,
    doses.BUTTON: doses.button,
    keyboards.FEEDBACK: feedback.vote,
    keyboards.PAGE: screens.page_button,
    keyboards.SOURCES: screens.sources_button,
    keyboards.FORM: screens.form_button,
}


class _ForAnotherBot(filters.MessageFilter):
    """`/start@otherbot`: in a group every bot sees it, and only the one it names should answer."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        return _addressed_elsewhere(message)


def _addressed_elsewhere(message: Message) -> bool:
    words = (message.text or "").split(maxsplit=1)
    _, _, addressee = (words[0] if words else "").partition("@")
    return bool(addressee) and addressee.casefold() != (message.get_bot().username or "").casefold()


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    # Group -1 runs first for every update: count commands for /metrics (names only, never text).
    application.add_handler(TypeHandler(Update, _count_update, block=False), group=-1)
    # /forget's confirmation also deletes the /language choice (before the subscription's own
    # handler answers "Done", so the promise "everything deleted" holds when it is read).
    forget_yes = rf"^forget{re.escape(keyboards.SEP)}yes$"
    application.add_handler(
        CallbackQueryHandler(language.forget_choice, pattern=forget_yes), group=-2
    )

    # Commands are answered in new messages only, in private chats and groups (`/help` or
    # `/help@thisbot`; PTB skips `/help@otherbot`); an edit or a channel post is not a request.
    fresh = filters.UpdateType.MESSAGE
    # Admin commands exist only for configured admins; anyone else falls through to "unknown".
    admins = filters.User(user_id=settings.admin_ids, allow_empty=False)
    application.add_handler(CommandHandler("stats", admin.stats, filters=fresh & admins))
    application.add_handler(CommandHandler("broadcast", admin.broadcast, filters=fresh & admins))
    # Health data (profile, dose plan and log) is set up and shown in private chats only: in a
    # group, the members would read it and a dose plan would remind the whole group.
    application.add_handler(
        CommandHandler(PRIVATE_COMMANDS, _private_only, filters=fresh & ~filters.ChatType.PRIVATE)
    )
    # /profile and its `pf:` buttons, and typed answers while one of its questions is open
    # (before the subscription flow's free-text handler below).
    application.add_handler(profile.conversation())

    commands: list[tuple[str, Callback]] = [
        ("start", reference.start),
        ("help", reference.help_command),
        ("about", reference.about),
        ("tip", reference.tip),
        ("quiz", quiz.quiz),
        ("foods", reference.foods),
        ("forms", reference.forms),
        ("interactions", reference.interactions),
        ("intake", reference.intake),
        ("sources", reference.sources),
        ("subscribe", admins_only(subscriptions.subscribe)),
        ("settings", admins_only(subscriptions.settings)),
        ("status", subscriptions.status),
        ("pause", admins_only(subscriptions.pause)),
        ("resume", admins_only(subscriptions.resume)),
        ("unsubscribe", admins_only(subscriptions.unsubscribe)),
        ("mydata", mydata.mydata),
        ("forget", admins_only(subscriptions.forget)),
        ("language", language.language_command),
        ("dose", doses.dose),
        ("history", doses.history_command),
    ]
    # Clinic mode: in a channel, where only admins post, these commands (bare, or addressed to
    # this bot: PTB skips `/status@otherbot`) run a channel's subscription; other posts are not.
    in_channels = {"subscribe", "unsubscribe", "pause", "resume", "status"}
    channel_post = filters.UpdateType.CHANNEL_POST
    for name, callback in commands:
        where = fresh | channel_post if name in in_channels else fresh
        application.add_handler(CommandHandler(name, callback, filters=where))

    for kind, callback in BUTTONS.items():
        pattern = rf"^{re.escape(kind)}(?:{re.escape(keyboards.SEP)}|$)"
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    # Answers to the bot's quiz polls (non-anonymous ones are reported), for the user's streak.
    application.add_handler(PollAnswerHandler(quiz.poll_answer))

    application.add_handler(
        ChatMemberHandler(subscriptions.chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # Last, and in private chats only: free text (the subscribe flow's answers), commands not
    # matched above, and anything else a person sent. In a group these are talk between its
    # members; edits, channel posts and service messages (members joining, a migration) are not
    # addressed to the bot at all, so none of them gets an answer.
    conversation = fresh & filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL
    application.add_handler(
        MessageHandler(conversation & filters.TEXT & ~filters.COMMAND, subscriptions.flow_text)
    )
    application.add_handler(
        MessageHandler(conversation & filters.COMMAND & ~_ForAnotherBot(), _unknown_command)
    )
    application.add_handler(MessageHandler(conversation & ~filters.COMMAND & ~filters.TEXT, _other))
    application.add_error_handler(_on_error)


def httpx_options() -> dict[str, Any]:
    """For PTB's four connection pools: one TLS context, as httpx makes it (certifi's bundle, or
    SSL_CERT_FILE), shared by all. Each pool made its own, and loading the bundle took 25-40 ms
    a time before the first getUpdates (bench/RESULTS.md). `tipbot run` loads it ahead, on
    another thread (tipbot/tls.py)."""
    return {"verify": tls.context()}


def delivery_concurrency(max_rate: float, *, lean: bool = True) -> int:
    """Sends kept in flight: enough to fill the rate at a ~250 ms round trip. Through PTB no
    more than 64, since httpcore's pool bookkeeping grows with its connections; the lean client's
    cost per request does not, so it may keep 250 in flight at 1,000/s (bench/RESULTS.md)."""
    return max(4, min(256 if lean else 64, math.ceil(max_rate * 0.25)))


def uses_lean_client(settings: Settings, request: BaseRequest | None) -> bool:
    """Deliveries take the lean client unless a request object is injected (the console's
    in-process one), TIPBOT_DELIVERY_HTTP=ptb asks for PTB, or a proxy applies to the API."""
    return (
        request is None
        and settings.delivery_http is DeliveryHttp.LEAN
        and direct_route(settings.api_url)
    )


def _build_deliverer(
    settings: Settings,
    engine: AsyncEngine,
    composer: Composer,
    metrics: Metrics,
    clock: Callable[[], datetime],
    request: BaseRequest | None,
    token: str,
    budget: Budget,
    owner: str,
    planners: Sequence[Planner] = (),
    *,
    httpx_kwargs: dict[str, Any] | None = None,
) -> tuple[ExtBot[None], BotApiClient | None, Deliverer]:
    """Deliveries use their own connections, so a broadcast never queues replies."""
    lean = uses_lean_client(settings, request)
    concurrency = delivery_concurrency(settings.max_rate, lean=lean)
    # PTB's pool stays at most 64 also beside the lean client: whatever the client does not send
    # (quiz polls, other delivery methods) still goes through this bot.
    delivery_request = request or HTTPXRequest(
        connection_pool_size=delivery_concurrency(settings.max_rate, lean=False),
        pool_timeout=30.0,
        read_timeout=15.0,
        httpx_kwargs=httpx_kwargs,
    )
    bot: ExtBot[None] = ExtBot(
        token,
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_base_file_url,
        request=delivery_request,
        # Never polls, but PTB would make its own pool (and TLS context) for getUpdates.
        get_updates_request=request or HTTPXRequest(1, httpx_kwargs=httpx_kwargs),
        defaults=DEFAULTS,
    )
    client: BotApiClient | None = None
    send_message: SendFn = bot.send_message
    if lean:
        previews = DEFAULTS.link_preview_options
        client = BotApiClient(
            settings.bot_base_url,
            token,
            connections=concurrency,
            parse_mode=DEFAULTS.parse_mode,
            link_preview_options=previews.to_dict() if previews else None,
            pool_timeout=30.0,
            read_timeout=15.0,
        )
        send_message = client.send_message
    sender = Sender(
        send_message, budget, settings.send_retry_seconds, metrics, send_poll=bot.send_poll
    )
    deliverer = Deliverer(
        engine,
        sender,
        composer,
        tuple(t.id for t in composer.bank.tips),
        metrics,
        clock=clock,
        catchup=timedelta(hours=settings.catchup_hours),
        lease=timedelta(seconds=settings.claim_timeout_seconds),
        concurrency=concurrency,
        sweep_interval=settings.sweep_seconds,
        max_rate=settings.max_rate,
        retention=timedelta(days=settings.retention_days),
        roles=tuple(sorted(settings.roles)),
        owner=owner,
        audiences=selection.audiences(composer.bank.tips),
        planners=planners,
        on_poll_sent=composer.poll_sent,
        plan_ahead=PLAN_AHEAD,
    )
    return bot, client, deliverer


def register_kinds(services: Services, composer: Composer) -> list[Planner]:
    """The outbox's newer kinds: each feature registers its composer handlers here and returns
    its planners, which the delivery loop runs beside the daily tips' planning (see
    tipbot/delivery/kinds.py). One line per feature keeps merges simple."""
    planners: list[Planner] = []
    # Dose reminders (issue 11), their label rules in the reader's language.
    dose_messages = doses.DoseMessages(services.bank, services.engine, services.translations)
    dose_messages.register(composer)
    planners.append(dose_messages)
    # The weekly quiz (issue 13): one quiz poll a week to each opted-in private chat.
    weekly = quiz.WeeklyQuiz(
        services.bank,
        services.engine,
        timedelta(hours=services.settings.catchup_hours),
        services.clock,
        services.translations,
    )
    composer.register(DeliveryKind.QUIZ, weekly.compose)
    composer.on_poll_sent(DeliveryKind.QUIZ, weekly.sent)
    planners.append(weekly)
    return planners


async def start_services(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    schedule_sweeps: bool = True,
    publish: bool = True,
) -> None:
    """After `initialize`: migrate the schema, publish the command menu (unless the caller does
    it alongside receiving updates, as `tipbot run` does), start delivering (or, without the
    delivery role, start renewing this process's share of the bot's rate)."""
    services = app_services(application)
    await db.migrate(services.engine)
    if publish:
        await publish_profile(application)
    if services.delivery_bot is not None and services.deliverer is not None:
        await services.delivery_bot.initialize()
        if schedule_sweeps:
            services.delivery_task = asyncio.create_task(
                services.deliverer.run(), name="tipbot-delivery"
            )
    elif schedule_sweeps:
        services.share_task = asyncio.create_task(
            share.keep_share(
                services.engine,
                services.owner,
                sorted(services.settings.roles),
                services.budget,
                services.settings.max_rate,
                services.clock,
            ),
            name="tipbot-rate-share",
        )


async def publish_profile(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu, description and short description: English for everyone, then each
    other language for users whose Telegram is set to it (Telegram picks by `language_code`)."""
    bot = application.bot
    for lang in LANGUAGES:
        t = Translator(lang)
        code = None if lang == "en" else lang
        commands = [BotCommand(c.name, t.gettext(c.description)) for c in messages.COMMANDS]
        await bot.set_my_commands(commands, language_code=code)
        await bot.set_my_description(t.gettext(messages.BOT_DESCRIPTION), language_code=code)
        await bot.set_my_short_description(
            t.gettext(messages.BOT_SHORT_DESCRIPTION), language_code=code
        )


async def stop_delivery(
    application: Application[Any, Any, Any, Any, Any, Any], grace: float = 5.0
) -> None:
    """Stop claiming deliveries; let in-flight sends finish and be recorded within `grace`."""
    services = app_services(application)
    if services.deliverer is not None:
        await services.deliverer.stop(grace=grace)
    for task in (services.delivery_task, services.share_task):
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 1.0)
    if services.share_task is not None:
        await share.leave(services.engine, services.owner)
    await services.budget.close()


async def close_services(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = app_services(application)
    if services.delivery_client is not None:
        await services.delivery_client.close()
    if services.delivery_bot is not None:
        await services.delivery_bot.shutdown()
    await services.engine.dispose()


async def _count_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = command_name(update)
    app_services(context.application).metrics.updates.labels(name).inc()
    log.debug("update: %s", name, extra={"command": name})


KNOWN_COMMANDS = frozenset({c.name for c in messages.COMMANDS} | {"start", "stats", "broadcast"})


def command_name(update: Update) -> str:
    """A label for metrics and logs, from fixed sets only: a known command, a known button kind,
    or a word for the update's type; never what the user wrote, so the series stay bounded."""
    if update.callback_query is not None:
        kind = (update.callback_query.data or "").split(keyboards.SEP, 1)[0]
        known = kind in BUTTONS or kind == keyboards.PROFILE
        return f"button:{kind}" if known else "button:other"
    message = update.message
    post = update.channel_post  # a channel's admins post commands (clinic mode); other posts
    if post is not None and (post.text or "").startswith("/"):  # are nobody's business here
        message = post
    if message is not None and message.text and message.text.startswith("/"):
        if _addressed_elsewhere(message):
            return "other"
        name = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        return name if name in KNOWN_COMMANDS else "unknown_command"
    if message is not None and message.text:
        return "text"
    if update.my_chat_member is not None:
        return "my_chat_member"
    return "other"


#: Commands about one person's health data, answered in private chats only.
PRIVATE_COMMANDS = ("profile", "dose", "history", "mydata")


async def _private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A health-data command typed in a group: one short pointer to a private chat."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0].lstrip("/").split("@")[0]
    t = await language.translator_for(update, context)
    text = t.gettext(messages.PRIVATE_ONLY).format(command=command)
    await answer(update, text, keyboards.plain(t))


async def _unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        t = await language.translator_for(update, context)
        await update.effective_chat.send_message(t.gettext(messages.UNKNOWN_COMMAND))


async def _other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice notes...: the same pointer to /help as free text."""
    if update.effective_chat is not None:
        t = await language.translator_for(update, context)
        await update.effective_chat.send_message(t.gettext(messages.UNKNOWN_TEXT))


async def _stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure once (redacted by the log filter) and tell the user, never with a trace.

    When the reply itself could not get through (the queue was full, or Telegram kept answering
    429 for a minute), an error notice would not get through either: the user was already told
    "busy", or will see their command unanswered and retry; either way, one log line.
    """
    error = context.error
    if isinstance(error, (RepliesBusy, RetryAfter)):
        log.warning("a reply was given up: %s", type(error).__name__)
        return
    log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        # The language the handler had found (a /language choice included), else Telegram's.
        shown = language.shown_language(context.application, update.effective_chat.id)
        t = Translator(shown or language_for(user.language_code if user else None))
        try:
            await update.effective_chat.send_message(t.gettext(messages.ERROR))
        except TelegramError:
            log.warning("could not send the error notice")
