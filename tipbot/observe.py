"""Logging with secret redaction, and the Prometheus metrics.

The bot token is part of every Bot API URL, and httpx logs URLs at INFO; a leaked token lets anyone
impersonate the bot. So httpx is quietened *and* every line the log handler writes is masked after
it has been formatted: whatever logger, level or field produced the secret (message, arguments,
traceback, stack, `extra` fields), the finished text is what gets checked, so no field can slip
past the way a traceback formatted by the JSON formatter itself once did.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Anything shaped like a bot token: digits, a colon (or its URL escape), 30+ URL-safe characters.
TOKEN_PATTERN = re.compile(r"\d{5,}(?::|%3[Aa])[A-Za-z0-9_-]{30,}")
MASK = "<redacted>"


class Redactor:
    """Masks the configured secrets, their URL- and JSON-escaped spellings, and token shapes."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        spellings: set[str] = set()
        for secret in secrets:
            if secret:
                spellings |= {
                    secret,
                    quote(secret, safe=""),
                    json.dumps(secret, ensure_ascii=False)[1:-1],
                }
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted(spellings, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return TOKEN_PATTERN.sub(MASK, text)


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then masks secrets in the finished line.

    Masking the output rather than the record's fields is what makes it complete: a formatter is
    free to render `exc_info`, `stack_info` or any `extra` attribute itself, and all of it ends up
    in the one string checked here.
    """

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))


#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; `extra` fields become keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(
    level: str = "INFO", fmt: str = "text", secrets: Iterable[str | None] = ()
) -> None:
    """One stderr handler on the root logger, so records from every logger are masked."""
    handler = logging.StreamHandler(sys.stderr)
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(RedactingFormatter(inner, Redactor(secrets)))
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
