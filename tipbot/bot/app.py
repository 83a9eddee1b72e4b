"""Building the Application: every handler registered here, in order, in one visible place.

`tipbot run`, `tipbot console` and the tests all call `build_application`; only the request
object differs (real HTTP to a Bot API server, or the console's in-process one).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from tipbot import messages
from tipbot.bot import admin, inline, keyboards, quiz, reference, subscription
from tipbot.bot.outbox import Composer
from tipbot.bot.services import KEY, Services, app_services
from tipbot.config import Role, Settings
from tipbot.content.lookup import MedicineIndex
from tipbot.content.models import Bank
from tipbot.delivery.sender import Sender, retry_after_seconds
from tipbot.delivery.sweep import Deliverer
from tipbot.observe import Metrics
from tipbot.storage import db

log = logging.getLogger(__name__)

DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)


class ReplyRateLimiter(BaseRateLimiter[None]):
    """Replies are few and urgent: send at once; on a 429 wait `retry_after`, then retry.

    PTB's AIORateLimiter would pause every request on one 429 and has no per-chat limit; the
    broadcast pacing lives in the delivery sender instead, so replies need only this.
    """

    MAX_TRIES = 4

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for attempt in range(1, self.MAX_TRIES + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.MAX_TRIES:
                    raise
                await asyncio.sleep(retry_after_seconds(exc) + 0.05)
        raise AssertionError("unreachable: the loop returns or raises")


def build_application(
    settings: Settings,
    bank: Bank,
    engine: AsyncEngine,
    *,
    request: BaseRequest | None = None,
    clock: Callable[[], datetime] = db.utcnow,
    metrics: Metrics | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    token = settings.token.get_secret_value() if settings.token else "0:console"
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_base_file_url)
        .defaults(DEFAULTS)
        .rate_limiter(ReplyRateLimiter())
        .concurrent_updates(True)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.connection_pool_size(32).pool_timeout(10.0)
    application = builder.build()

    metrics = metrics or Metrics()
    services = Services(settings, bank, engine, metrics, clock, MedicineIndex(bank.interactions))
    application.bot_data[KEY] = services
    if Role.DELIVERY in settings.roles:
        services.delivery_bot, services.deliverer = _build_deliverer(
            settings, bank, engine, metrics, clock, request, token
        )
    register_handlers(application, settings)
    return application


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    # Group -1 runs first for every update: count commands for /metrics (names only, never text).
    application.add_handler(TypeHandler(Update, _count_update, block=False), group=-1)

    # Admin commands exist only for configured admins; anyone else falls through to "unknown".
    admins = filters.User(user_id=settings.admin_ids, allow_empty=False)
    application.add_handler(CommandHandler("stats", admin.stats, filters=admins))
    application.add_handler(CommandHandler("broadcast", admin.broadcast, filters=admins))
    application.add_handler(CallbackQueryHandler(admin.broadcast_button, pattern=r"^bc:"))

    commands: list[tuple[str, Callable[..., Coroutine[Any, Any, None]]]] = [
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
        ("subscribe", subscription.subscribe),
        ("settings", subscription.settings),
        ("status", subscription.status),
        ("pause", subscription.pause),
        ("resume", subscription.resume),
        ("unsubscribe", subscription.unsubscribe),
        ("forget", subscription.forget),
    ]
    for name, callback in commands:
        application.add_handler(CommandHandler(name, callback))

    buttons: list[tuple[str, Callable[..., Coroutine[Any, Any, None]]]] = [
        (rf"^{keyboards.DISCLAIMER}$", reference.disclaimer),
        (r"^menu:", reference.menu),
        (r"^foods:", reference.food_group),
        (r"^ix:", reference.interaction_class),
        (r"^in:", reference.intake_button),
        (r"^sub:", subscription.subscribe_button),
        (r"^set:", subscription.settings_button),
        (r"^forget:", subscription.forget_button),
    ]
    for pattern, callback in buttons:
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_handler(InlineQueryHandler(inline.inline_query))

    application.add_handler(
        ChatMemberHandler(subscription.chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # Last: free text (the subscribe flow's answers) and any command not matched above.
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, subscription.flow_text))
    application.add_handler(MessageHandler(filters.COMMAND, _unknown_command))
    application.add_handler(MessageHandler(filters.ALL & ~filters.COMMAND & ~filters.TEXT, _other))
    application.add_error_handler(_on_error)


def delivery_concurrency(max_rate: float) -> int:
    """Sends kept in flight: enough to fill the rate at a ~250 ms round trip, and no more, since
    httpcore's pool bookkeeping grows with its connections (bench/RESULTS.md)."""
    return max(4, min(64, math.ceil(max_rate * 0.25)))


def _build_deliverer(
    settings: Settings,
    bank: Bank,
    engine: AsyncEngine,
    metrics: Metrics,
    clock: Callable[[], datetime],
    request: BaseRequest | None,
    token: str,
) -> tuple[ExtBot[None], Deliverer]:
    """Deliveries use their own bot and connection pool, so a broadcast never queues replies."""
    concurrency = delivery_concurrency(settings.max_rate)
    delivery_request = request or HTTPXRequest(
        connection_pool_size=concurrency, pool_timeout=30.0, read_timeout=15.0
    )
    bot: ExtBot[None] = ExtBot(
        token,
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_base_file_url,
        request=delivery_request,
        defaults=DEFAULTS,
    )
    sender = Sender(bot.send_message, settings.max_rate, settings.send_retry_seconds, metrics)
    deliverer = Deliverer(
        engine,
        sender,
        Composer(bank, engine),
        tuple(t.id for t in bank.tips),
        metrics,
        clock=clock,
        catchup=timedelta(hours=settings.catchup_hours),
        lease=timedelta(seconds=settings.claim_timeout_seconds),
        concurrency=concurrency,
    )
    return bot, deliverer


async def start_services(
    application: Application[Any, Any, Any, Any, Any, Any], *, schedule_sweeps: bool = True
) -> None:
    """After `initialize`: migrate the schema, publish the command menu, schedule the sweep."""
    services = app_services(application)
    await db.migrate(services.engine)
    commands = [BotCommand(c.name, c.description) for c in messages.COMMANDS]
    await application.bot.set_my_commands(commands)
    if services.delivery_bot is not None:
        await services.delivery_bot.initialize()
        if schedule_sweeps and application.job_queue is not None:
            application.job_queue.run_repeating(
                _sweep_tick,
                interval=services.settings.sweep_seconds,
                first=0.5,
                name="delivery-sweep",
                job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )


async def _sweep_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a sweep unless one is running (it continues until nothing is due)."""
    services = app_services(context.application)
    services.last_tick = services.clock()
    deliverer = services.deliverer
    if deliverer is not None and not deliverer.running:
        context.application.create_task(deliverer.sweep(), name="tipbot-sweep")


async def stop_delivery(
    application: Application[Any, Any, Any, Any, Any, Any], grace: float = 5.0
) -> None:
    """Stop claiming deliveries; let in-flight sends finish and be recorded within `grace`."""
    if application.job_queue is not None:
        for job in application.job_queue.get_jobs_by_name("delivery-sweep"):
            job.schedule_removal()
    deliverer = app_services(application).deliverer
    if deliverer is not None:
        await deliverer.stop(grace=grace)


async def close_services(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = app_services(application)
    if services.delivery_bot is not None:
        await services.delivery_bot.shutdown()
    await services.engine.dispose()


async def _count_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = command_name(update)
    app_services(context.application).metrics.updates.labels(name).inc()
    log.debug("update: %s", name, extra={"command": name})


KNOWN_COMMANDS = frozenset({c.name for c in messages.COMMANDS} | {"start", "stats", "broadcast"})


def command_name(update: Update) -> str:
    """A label for metrics and logs: the command or button kind, never what the user wrote."""
    message = update.effective_message
    if update.callback_query is not None:
        return "button:" + (update.callback_query.data or "").split(keyboards.SEP, 1)[0][:16]
    if message is not None and message.text and message.text.startswith("/"):
        name = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        return name if name in KNOWN_COMMANDS else "unknown_command"
    if update.my_chat_member is not None:
        return "my_chat_member"
    return "text"


async def _unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(messages.UNKNOWN_COMMAND)


async def _other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice notes...: the same pointer to /help as free text."""
    if update.effective_chat is not None:
        await update.effective_chat.send_message(messages.UNKNOWN_TEXT)


async def _stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (redacted by the log filter) and tell the user, never with a trace."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await update.effective_chat.send_message(messages.ERROR)
        except TelegramError:
            log.warning("could not send the error notice")
