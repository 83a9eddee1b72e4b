"""`tipbot run`: the Application's lifecycle, in the order that loses nothing.

Start: migrate, publish commands, then receive updates (long polling, or a webhook with a secret
token) and sweep deliveries. Stop (SIGTERM or SIGINT): stop receiving updates first, let in-flight
deliveries finish and be recorded (unstarted ones are handed back), stop the Application, and exit
with status 0 well within ten seconds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from tipbot.bot.app import build_application, close_services, start_services, stop_delivery
from tipbot.config import Role, Settings
from tipbot.content.models import Bank
from tipbot.storage import db
from tipbot.web import make_web_app, start_server

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0


class StartupError(Exception):
    """A reason the bot cannot start, phrased for the operator (no secrets)."""


async def serve(settings: Settings, bank: Bank) -> None:
    engine = db.create_engine(settings.effective_database_url)
    application = build_application(settings, bank, engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    try:
        await application.initialize()  # calls getMe: checks the token and the API URL
    except InvalidToken:
        raise StartupError("Telegram refused the token: check TELEGRAM_BOT_TOKEN") from None
    except NetworkError as exc:
        raise StartupError(
            f"cannot reach the Bot API at {settings.api_url}: {exc.message}"
        ) from None
    server = None
    try:
        await start_services(application)
        receiving = Role.UPDATES in settings.roles
        if receiving and settings.webhook_url:
            secret = (
                settings.webhook_secret.get_secret_value()
                if settings.webhook_secret
                else secrets.token_urlsafe(32)
            )
            path = urlsplit(settings.webhook_url).path or "/"
            web = make_web_app(application, webhook_path=path, secret=secret)
            server = start_server(web, settings.listen, settings.port)
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
            log.info(
                "receiving updates by webhook on %s:%d%s", settings.listen, settings.port, path
            )
        else:
            if receiving and application.updater is not None:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("receiving updates by long polling")
            if settings.health_port:
                web = make_web_app(application, webhook_path=None, secret=None)
                server = start_server(web, settings.listen, settings.health_port)
        await application.start()
        log.info("tipbot is running (roles: %s)", ", ".join(sorted(settings.roles)))
        await stop.wait()
        log.info("stopping: no new updates, finishing in-flight deliveries")
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if server is not None:
            server.stop()
        await stop_delivery(application, grace=SHUTDOWN_GRACE)
        if application.running:
            await application.stop()
        await application.shutdown()
        await close_services(application)
        log.info("stopped")
