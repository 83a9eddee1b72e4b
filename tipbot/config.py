"""One typed Settings object, read once from the environment.

Every variable is documented in the README; this module is the single place that knows their names,
defaults and limits, so a typo or an out-of-range value fails at start-up with a clear message.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Role(StrEnum):
    """What one process does: receive updates (one poller, or webhook replicas) and/or deliver."""

    UPDATES = "updates"
    DELIVERY = "delivery"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tipbot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIPBOT_", extra="ignore", frozen=True, populate_by_name=True
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

    roles: Annotated[frozenset[Role], NoDecode] = frozenset({Role.UPDATES, Role.DELIVERY})
    max_rate: float = Field(default=25.0, gt=0, le=1000)
    catchup_hours: float = Field(default=6.0, ge=0, le=24)
    sweep_seconds: float = Field(default=15.0, gt=0, le=30)
    claim_timeout_seconds: float = Field(default=60.0, gt=0)
    send_retry_seconds: float = Field(default=120.0, gt=0)
    #: Finished deliveries older than this are pruned (at least a day: today's row is what stops a
    #: second tip on the same local date).
    retention_days: int = Field(default=90, ge=1, le=3650)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0"  # noqa: S104 - a container must listen on all interfaces
    port: int = Field(default=8443, gt=0, lt=65536)
    health_port: int | None = Field(default=None, gt=0, lt=65536)

    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()

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
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(",", " ").split())
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(Role(part.strip()) for part in value.split(",") if part.strip())
        return value

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
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()
            env = "TELEGRAM_BOT_TOKEN" if name == "TOKEN" else f"TIPBOT_{name}"
            lines.append(f"{env}: {error['msg']}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
