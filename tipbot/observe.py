"""Logging with token redaction, and the Prometheus metrics.

The bot token is part of every Bot API URL, and httpx logs URLs at INFO; a leaked token lets anyone
impersonate the bot. So httpx is quietened *and* every log record passes through a filter that
masks the token and anything shaped like one, whatever logger or level produced it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Anything shaped like a bot token: digits, a colon, 30+ URL-safe characters.
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
MASK = "<redacted>"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets masked."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return TOKEN_PATTERN.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("command", "chat_id", "delivery_id", "event"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # Filters on a handler see records from every logger, including third-party ones.
    handler.addFilter(RedactingFilter(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs each request URL (with the token) at INFO; keep it quiet even at DEBUG.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # PTB logs whole updates (what users wrote) and request payloads at DEBUG; tipbot logs only
    # command names, so PTB stays at INFO or above whatever the level.
    numeric = logging.getLevelName(level)
    logging.getLogger("telegram").setLevel(max(numeric, logging.INFO))
    for chatty in ("apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(chatty).setLevel(max(numeric, logging.INFO))


class Metrics:
    """All metrics live in one registry per Application, so tests can read them in isolation."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.subscribers = Gauge(
            "tipbot_subscribers", "Subscribers by state", ["state"], registry=r
        )
        self.delivered = Counter(
            "tipbot_deliveries_sent",
            "Messages delivered by the delivery pipeline",
            ["kind"],
            registry=r,
        )
        self.failed = Counter(
            "tipbot_deliveries_failed",
            "Delivery attempts that did not succeed",
            ["reason"],
            registry=r,
        )
        self.retry_after = Counter(
            "tipbot_telegram_429", "HTTP 429 (Too Many Requests) answers received", registry=r
        )
        self.send_latency = Histogram(
            "tipbot_send_latency_seconds",
            "Time for one sendMessage call of the delivery pipeline",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.sweep_lag = Gauge(
            "tipbot_sweep_lag_seconds", "How late the oldest due tip or delivery is", registry=r
        )
        self.last_sweep = Gauge(
            "tipbot_last_sweep_timestamp", "Unix time the last delivery sweep finished", registry=r
        )
        #: When the database-backed gauges were last read (monotonic seconds; see web.py).
        self.gauges_read_at = float("-inf")
        self.updates = Counter(
            "tipbot_updates_handled", "Updates handled, by command", ["command"], registry=r
        )
        self.health_problem = Gauge(
            "tipbot_health_problem",
            "1 while a /healthz check fails (database, progress, token, recorder, planner, "
            "supervisor)",
            ["check"],
            registry=r,
        )
        self.delivery_restarts = Counter(
            "tipbot_delivery_restarts",
            "Restarts of the delivery loop after an unexpected failure, by exception type",
            ["error"],
            registry=r,
        )
        self.replies_given_up = Counter(
            "tipbot_replies_given_up",
            "Replies not sent: the queue was full, or Telegram refused them for a minute",
            ["reason"],
            registry=r,
        )
