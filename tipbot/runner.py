"""`tipbot run`: the Application's lifecycle, in the order that loses nothing.

Start: check the token (getMe), migrate, then receive updates (long polling, or a webhook with a
secret token) and sweep deliveries, publishing the command menu meanwhile. Stop (SIGTERM or
SIGINT): stop receiving updates first, let in-flight deliveries finish and be recorded (unstarted
ones are handed back), stop the Application, and exit with status 0 well within ten seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from tipbot.bot.app import (
    build_application,
    close_services,
    publish_profile,
    start_services,
    stop_delivery,
)
from tipbot.bot.services import Services, app_services
from tipbot.config import Role, Settings
from tipbot.content.models import Bank
from tipbot.content.translations import Translations
from tipbot.storage import db

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
#: SIGTERM always ends the process within ten seconds: the stop steps get this long in all.
STOP_LIMIT = 9.0


class StartupError(Exception):
    """A reason the bot cannot start, phrased for the operator (no secrets)."""


class Runner:
    """Starts and stops one tipbot process; `serve` adds signal handling around it."""

    def __init__(
        self,
        settings: Settings,
        bank: Bank,
        *,
        clock: Callable[[], datetime] = db.utcnow,
        schedule_sweeps: bool = True,
        translations: Translations | None = None,
    ) -> None:
        self.settings = settings
        self.engine = db.create_engine(settings.effective_database_url)
        self.application: Application[Any, Any, Any, Any, Any, Any] = build_application(
            settings, bank, self.engine, clock=clock, translations=translations
        )
        self.schedule_sweeps = schedule_sweeps
        self.server: HTTPServer | None = None
        self.webhook_secret: str | None = None

    @property
    def services(self) -> Services:
        return app_services(self.application)

    async def start(self) -> None:
        settings, application = self.settings, self.application
        try:
            await application.initialize()  # getMe: checks the token and the API URL
        except InvalidToken:
            raise StartupError("Telegram refused the token: check TELEGRAM_BOT_TOKEN") from None
        except NetworkError as exc:
            raise StartupError(
                f"cannot reach the Bot API at {settings.api_url}: {exc.message}"
            ) from None
        await start_services(application, schedule_sweeps=self.schedule_sweeps, publish=False)
        # The command menu and descriptions (twelve requests) answer no one: they are sent while
        # updates start to arrive, and start still fails if Telegram refuses them.
        publishing = asyncio.create_task(publish_profile(application), name="tipbot-profile")
        try:
            await self._receive()
            await application.start()
        except BaseException:
            publishing.cancel()
            raise
        await publishing
        # Everything loaded so far (the bank, PTB, SQLAlchemy) lives for the whole process: move
        # it out of the collector's sight so full collections stay short and never stall sends.
        # No collection first: start-up leaves ~1,500 unreachable objects, which are not worth
        # the 0.1-0.2 s that walking the other ~125,000 took, right before the first getUpdates.
        gc.freeze()
        gc.enable()  # paused during start-up by `python -m tipbot` (tipbot/__main__.py)
        log.info("tipbot is running (roles: %s)", ", ".join(sorted(settings.roles)))

    async def _receive(self) -> None:
        """Updates by webhook (with the replicas' shared secret) or by long polling, and the
        health server if asked for; deleteWebhook (PTB's) precedes polling."""
        settings, application = self.settings, self.application
        receiving = Role.UPDATES in settings.roles
        if receiving and settings.webhook_url:
            # Shared by every replica (config requires it): a secret made up here would differ
            # per process, and only the last one to call setWebhook would accept updates.
            if settings.webhook_secret is None:
                raise StartupError("webhook mode needs TIPBOT_WEBHOOK_SECRET")
            self.webhook_secret = settings.webhook_secret.get_secret_value()
            path = urlsplit(settings.webhook_url).path or "/"
            from tipbot.web import make_web_app, start_server  # Tornado: only a web server needs it

            web = make_web_app(application, webhook_path=path, secret=self.webhook_secret)
            self.server = start_server(web, settings.listen, settings.port)
            await application.bot.set_webhook(
                settings.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("receiving updates by webhook on %s:%d", settings.listen, settings.port)
            return
        if receiving and application.updater is not None:
            # PTB's start_polling calls deleteWebhook itself before its first getUpdates (tipbot
            # called it too: a second round trip before the first update).
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)
            log.info("receiving updates by long polling")
        if settings.health_port:
            from tipbot.web import make_web_app, start_server

            web = make_web_app(application, webhook_path=None, secret=None)
            self.server = start_server(web, settings.listen, settings.health_port)

    async def stop(self) -> None:
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if self.server is not None:
            self.server.stop()
        await stop_delivery(application, grace=SHUTDOWN_GRACE)
        if application.running:
            await application.stop()
        await application.shutdown()
        await close_services(application)
        log.info("stopped")


async def serve(settings: Settings, bank: Bank, translations: Translations | None = None) -> None:
    """`translations`: already loaded with the checked bank (see content/cache.py)."""
    runner = Runner(settings, bank, translations=translations)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runner.start()
        await stop.wait()
        log.info("stopping: no new updates, finishing in-flight deliveries")
    finally:
        try:
            async with asyncio.timeout(STOP_LIMIT):
                await runner.stop()
        except TimeoutError:
            log.error("stopping took longer than %.0f s; exiting anyway", STOP_LIMIT)
