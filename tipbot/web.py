"""The HTTP side: Telegram's webhook, `/healthz` and `/metrics`, on one Tornado server.

PTB's own webhook server serves only the webhook path, and the operator wants health and metrics
on the same port, so this small Tornado app (Tornado ships with PTB's webhook extra) does all
three. A webhook request without Telegram's secret token is refused with 403 before anything is
parsed, and updates are handed to the Application's queue exactly as PTB's server would.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApp
from tornado.web import RequestHandler

from tipbot.bot.services import Services, app_services
from tipbot.config import Role
from tipbot.storage import deliveries
from tipbot.storage import subscriptions as subscription_store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000
GAUGE_SECONDS = 30.0

PTBApp = Application[Any, Any, Any, Any, Any, Any]


class WebhookHandler(RequestHandler):
    def initialize(self, ptb_app: PTBApp, secret: str) -> None:
        self.ptb_app = ptb_app
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request refused: wrong or missing secret token")
            self.set_status(403)
            self.finish({"ok": False, "error": "forbidden"})
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.ptb_app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            self.finish({"ok": False, "error": "malformed update"})
            return
        await self.ptb_app.update_queue.put(update)
        self.set_status(200)
        self.finish()

    def log_exception(self, *args: Any) -> None:  # never log a request line (it holds paths only)
        log.error("webhook handler error", exc_info=args if len(args) == 3 else None)


#: The checks /healthz runs, and the label values of `tipbot_health_problem`.
HEALTH_CHECKS = ("database", "progress", "token", "recorder", "planner", "supervisor")
#: /healthz answers within this many seconds even when the database hangs (a locked SQLite file).
PING_SECONDS = 2.0


async def _ping(services: Services) -> None:
    async with services.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def database_problem(services: Services) -> str | None:
    """Ping the database without ever waiting longer than PING_SECONDS.

    A ping stuck behind a lock keeps running in the background (cancelling it could block on
    the same lock while the driver cleans up); later health checks wait for that one instead
    of piling up new ones.
    """
    task = services.health_ping
    if task is None or task.done():
        task = services.health_ping = asyncio.create_task(_ping(services), name="tipbot-ping")
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
    done, _ = await asyncio.wait({task}, timeout=PING_SECONDS)
    if not done:
        return f"no answer within {PING_SECONDS:.0f} s"
    if task.cancelled() or task.exception() is not None:
        return f"unavailable: {type(task.exception()).__name__}"
    return None


async def health(services: Services) -> tuple[bool, dict[str, Any]]:
    """Healthy when the database answers and, for a delivery process, delivery makes progress:
    due work is being sent and recorded, the token is accepted, the recorder and the planner
    can write, and the loop has not just crashed. Each problem also sets its metric."""
    problems: dict[str, Any] = {}
    db_problem = await database_problem(services)
    if db_problem:
        problems["database"] = db_problem
    deliverer = services.deliverer
    if Role.DELIVERY in services.settings.roles and deliverer is not None:
        problems.update(deliverer.health.problems(time.monotonic(), deliverer.stall_after()))
    for check in HEALTH_CHECKS:
        services.metrics.health_problem.labels(check).set(1 if check in problems else 0)
    body: dict[str, Any] = {"status": "ok" if not problems else "unhealthy"}
    if problems:
        body["problems"] = problems
    return not problems, body


async def refresh_gauges(services: Services) -> None:
    """Subscriber counts and sweep lag, read from the database at most every GAUGE_SECONDS:
    counting a million subscribers takes a third of a second, too much for every scrape."""
    metrics = services.metrics
    if time.monotonic() - metrics.gauges_read_at < GAUGE_SECONDS:
        return
    metrics.gauges_read_at = time.monotonic()
    counts = await subscription_store.count_by_state(services.engine)
    for state, count in counts.items():
        metrics.subscribers.labels(state.value).set(count)
    now = services.clock()
    oldest = await deliveries.oldest_due(services.engine, now)
    metrics.sweep_lag.set((now - oldest).total_seconds() if oldest else 0.0)


class HealthHandler(RequestHandler):
    def initialize(self, services: Services) -> None:
        self.services = services

    async def get(self) -> None:
        ok, body = await health(self.services)
        self.set_status(200 if ok else 503)
        self.finish(body)


class MetricsHandler(RequestHandler):
    def initialize(self, services: Services) -> None:
        self.services = services

    async def get(self) -> None:
        try:
            await refresh_gauges(self.services)
        except Exception as exc:  # still serve the counters when the database is away
            log.warning("metrics: cannot read the database: %s", type(exc).__name__)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self.services.metrics.registry))


def make_web_app(
    application: PTBApp, *, webhook_path: str | None, secret: str | None
) -> TornadoApp:
    services = app_services(application)
    routes: list[Any] = [
        (r"/healthz", HealthHandler, {"services": services}),
        (r"/metrics", MetricsHandler, {"services": services}),
    ]
    if webhook_path is not None and secret is not None:
        routes.append((webhook_path, WebhookHandler, {"ptb_app": application, "secret": secret}))
    return TornadoApp(routes, log_function=lambda _handler: None)


def start_server(app: TornadoApp, host: str, port: int) -> HTTPServer:
    server = HTTPServer(app, max_body_size=MAX_BODY)
    server.listen(port, address=host)
    return server
