"""One typed Settings object, read once from the environment.

Every variable is documented in the README; this module is the single place that knows their names,
defaults and limits, so a typo or an out-of-range value fails at start-up with a clear message.

The environment is read by `environment` below rather than by pydantic-settings, and the database
URL is parsed here rather than by SQLAlchemy: every command imports this module first, and those
two imports cost about a sixth of `tipbot run`'s start-up (bench/RESULTS.md).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, Self
from urllib.parse import unquote, urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_API_URL = "https://api.telegram.org"

#: What Telegram accepts as a webhook's `secret_token` (setWebhook): 1-256 of these characters.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: The async drivers the storage layer is built and tested with, per database.
DATABASE_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*")
#: Every setting's variable is TIPBOT_ and its name, except the token's: these, in this order.
TOKEN_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TIPBOT_TOKEN")
#: SQLAlchemy's URL grammar (sqlalchemy/engine/url.py `_parse_url`), so that a URL is accepted
#: or refused here exactly as `create_engine` will read it, without importing SQLAlchemy.
_DATABASE_URL = re.compile(
    r"""
    (?P<name>[\w+]+)://
    (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
    (?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.VERBOSE,
)


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class DeliveryHttp(StrEnum):
    """How deliveries reach Telegram: tipbot's lean sendMessage client, or PTB's own (the
    escape hatch; replies always use PTB). See tipbot/delivery/telegram_client.py."""

    LEAN = "lean"
    PTB = "ptb"


class Role(StrEnum):
    """What one process does: receive updates (one poller, or webhook replicas) and/or deliver."""

    UPDATES = "updates"
    DELIVERY = "delivery"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tipbot"


def default_cache_dir() -> Path:
    """Things tipbot can rebuild (the checked tip bank, /foods charts): the XDG cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tipbot"


class DatabaseUrl(NamedTuple):
    drivername: str
    password: str | None

    @property
    def backend(self) -> str:
        return self.drivername.split("+", 1)[0]


def parse_database_url(value: str) -> DatabaseUrl | None:
    """The parts of a database URL that settings check, or None where SQLAlchemy would refuse it
    (no `driver://`, or a port that is not a number)."""
    found = _DATABASE_URL.match(value)
    if found is None or not (found["port"] is None or found["port"].isdecimal()):
        return None
    password = found["password"]
    return DatabaseUrl(found["name"], None if password is None else unquote(password))


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings given in the environment, by field name: `TIPBOT_<NAME>` for each field and
    the token's two names. Names match whatever their case, as pydantic-settings matched them
    before; values stay strings for the fields' own validation."""
    environ = os.environ if environ is None else environ
    given = {name.lower(): value for name, value in environ.items()}
    found: dict[str, str] = {}
    for field in Settings.model_fields:
        names = TOKEN_VARIABLES if field == "token" else (f"TIPBOT_{field.upper()}",)
        value = next((given[n.lower()] for n in names if n.lower() in given), None)
        if value is not None:
            found[field] = value
    return found


class Settings(BaseModel):
    """Arguments first, then the environment, then the defaults: `Settings()` alone is what
    the environment says (`load_settings` adds the operator's error message)."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        allow_inf_nan=False,  # "nan" would pass no limit check and "inf" would mean "never"
    )

    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "TIPBOT_TOKEN")
    )
    api_url: str = DEFAULT_API_URL
    tips_dir: Path | None = None
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    #: The checked tip bank and the /foods charts; deleting it is always safe.
    cache_dir: Path = Field(default_factory=default_cache_dir)

    roles: frozenset[Role] = frozenset({Role.UPDATES, Role.DELIVERY})
    max_rate: float = Field(default=25.0, gt=0, le=1000)
    catchup_hours: float = Field(default=6.0, gt=0, le=24)
    sweep_seconds: float = Field(default=15.0, ge=0.5, le=30)
    claim_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    send_retry_seconds: float = Field(default=120.0, gt=0, le=3600)
    delivery_http: DeliveryHttp = DeliveryHttp.LEAN
    #: Finished deliveries older than this are pruned (at least a day: today's row is what stops a
    #: second tip on the same local date).
    retention_days: int = Field(default=90, ge=1, le=3650)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0"  # noqa: S104 - a container must listen on all interfaces
    port: int = Field(default=8443, gt=0, lt=65536)
    health_port: int | None = Field(default=None, gt=0, lt=65536)

    admin_ids: frozenset[int] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, values: object) -> object:
        if not isinstance(values, dict):
            return values
        return {**environment(), **values}

    @field_validator("api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("log_level")
    @classmethod
    def _level_name(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids = set()
        for part in value.replace(",", " ").split():
            if not part.isdigit() or int(part) == 0:
                raise ValueError(
                    f"{part[:32]!r} is not a Telegram user id (a positive whole number); "
                    "separate ids with commas or spaces"
                )
            ids.add(int(part))
        return frozenset(ids)

    @field_validator("admin_ids")
    @classmethod
    def _user_ids(cls, value: frozenset[int]) -> frozenset[int]:
        if any(uid <= 0 for uid in value):
            raise ValueError("Telegram user ids are positive whole numbers")
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        known = ", ".join(role.value for role in Role)
        roles = set()
        for part in (p.strip().lower() for p in value.split(",")):
            if not part:
                continue
            if part not in {role.value for role in Role}:
                raise ValueError(f"unknown role {part[:32]!r}: use {known} (comma separated)")
            roles.add(Role(part))
        return frozenset(roles)

    @field_validator("roles")
    @classmethod
    def _some_role(cls, value: frozenset[Role]) -> frozenset[Role]:
        if not value:
            raise ValueError("a process needs at least one role: updates, delivery")
        return value

    @field_validator("listen")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.fullmatch(value):
                raise ValueError("must be an IP address or a host name") from None
        return value

    @field_validator("cache_dir")
    @classmethod
    def _cache_dir(cls, value: Path) -> Path:
        """A typo pointing at a file is refused; a directory that cannot be created or written
        is not (the bot then works without the cache, a little slower to start)."""
        if not str(value).strip():
            raise ValueError("must be a directory path")
        value = value.expanduser()
        if value.exists() and not value.is_dir():
            raise ValueError("exists and is not a directory")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = parse_database_url(value)
        if url is None:
            raise ValueError("is not a database URL (e.g. postgresql+asyncpg://...)")
        wanted = DATABASE_DRIVERS.get(url.backend)
        if wanted is None or url.drivername != wanted:
            raise ValueError(f"use {' or '.join(f'{d}://...' for d in DATABASE_DRIVERS.values())}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a URL like https://bot.example.org/telegram")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None  # `TIPBOT_WEBHOOK_SECRET=` in a compose file means unset
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Limits that depend on two variables; each message names both."""
        sweep = self.sweep_seconds
        if self.catchup_hours * 3600 < 2 * sweep:
            raise ValueError(
                f"TIPBOT_CATCHUP_HOURS must cover at least two sweep intervals "
                f"(2 x TIPBOT_SWEEP_SECONDS = {2 * sweep:g} s), or due tips would be skipped"
            )
        if self.claim_timeout_seconds < 2 * sweep:
            raise ValueError(
                f"TIPBOT_CLAIM_TIMEOUT_SECONDS must be at least two sweep intervals "
                f"(2 x TIPBOT_SWEEP_SECONDS = {2 * sweep:g} s), or live claims would be taken over"
            )
        if self.claim_timeout_seconds >= self.catchup_hours * 3600:
            raise ValueError(
                "TIPBOT_CLAIM_TIMEOUT_SECONDS must be shorter than TIPBOT_CATCHUP_HOURS, or a "
                "stopped process's claims would be taken over only after their tips expired"
            )
        if Role.UPDATES in self.roles and self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "TIPBOT_WEBHOOK_SECRET is required with TIPBOT_WEBHOOK_URL: 1-256 characters of "
                "A-Z, a-z, 0-9, _ and -, the same for every replica"
            )
        return self

    @property
    def secrets(self) -> list[str]:
        """Values the logs must never show (see `observe.Redactor`)."""
        values = [self.token, self.webhook_secret]
        found = [v.get_secret_value() for v in values if v is not None]
        url = parse_database_url(self.database_url) if self.database_url else None
        if url is not None and url.password:
            found.append(url.password)
        return found

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'tipbot.sqlite3'}"

    @property
    def bot_base_url(self) -> str:
        """PTB appends the token to `base_url`: Telegram's layout is `{root}/bot<token>/<method>`.

        The root comes from TIPBOT_API_URL so a self-hosted Bot API server can be used.
        """
        return f"{self.api_url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"


class ConfigError(Exception):
    """A configuration problem, phrased for the operator (never includes secret values)."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a limit across variables: the message names them
                lines.append(message)
                continue
            name = "_".join(str(part) for part in error["loc"]).upper()
            env = "TELEGRAM_BOT_TOKEN" if name == "TOKEN" else f"TIPBOT_{name}"
            lines.append(f"{env}: {message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
