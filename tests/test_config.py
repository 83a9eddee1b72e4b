"""Every setting is checked at start-up, and a bad one is reported by its variable's name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_cli import tipbot
from tipbot.config import ConfigError, Role, Settings, load_settings

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret12"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TIPBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name if name == "TELEGRAM_BOT_TOKEN" else f"TIPBOT_{name}", value)
    return load_settings()


def problem(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, **env)
    return str(error.value)


def test_the_defaults_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch)
    assert settings.catchup_hours == 6 and settings.sweep_seconds == 15
    assert settings.roles == {Role.UPDATES, Role.DELIVERY}
    assert settings.webhook_url is None and settings.webhook_secret is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CATCHUP_HOURS": "0"}, "TIPBOT_CATCHUP_HOURS: Input should be greater than 0"),
        ({"CATCHUP_HOURS": "-1"}, "TIPBOT_CATCHUP_HOURS: Input should be greater than 0"),
        ({"CATCHUP_HOURS": "nan"}, "TIPBOT_CATCHUP_HOURS: Input should be a finite number"),
        ({"SEND_RETRY_SECONDS": "inf"}, "TIPBOT_SEND_RETRY_SECONDS: Input should be a finite"),
        ({"CATCHUP_HOURS": "25"}, "TIPBOT_CATCHUP_HOURS: Input should be less than or equal"),
        ({"CATCHUP_HOURS": "soon"}, "TIPBOT_CATCHUP_HOURS: Input should be a valid number"),
        (
            {"CATCHUP_HOURS": "0.005"},  # 18 s: less than two 15 s sweeps
            "TIPBOT_CATCHUP_HOURS must cover at least two sweep intervals "
            "(2 x TIPBOT_SWEEP_SECONDS = 30 s)",
        ),
        ({"MAX_RATE": "0"}, "TIPBOT_MAX_RATE: Input should be greater than 0"),
        ({"MAX_RATE": "-3"}, "TIPBOT_MAX_RATE: Input should be greater than 0"),
        ({"MAX_RATE": "1001"}, "TIPBOT_MAX_RATE: Input should be less than or equal to 1000"),
        ({"SWEEP_SECONDS": "0"}, "TIPBOT_SWEEP_SECONDS: Input should be greater than or equal"),
        ({"SWEEP_SECONDS": "31"}, "TIPBOT_SWEEP_SECONDS: Input should be less than or equal to 30"),
        ({"SEND_RETRY_SECONDS": "0"}, "TIPBOT_SEND_RETRY_SECONDS: Input should be greater than 0"),
        ({"CLAIM_TIMEOUT_SECONDS": "0"}, "TIPBOT_CLAIM_TIMEOUT_SECONDS: Input should be greater"),
        (
            {"CLAIM_TIMEOUT_SECONDS": "20"},
            "TIPBOT_CLAIM_TIMEOUT_SECONDS must be at least two sweep intervals "
            "(2 x TIPBOT_SWEEP_SECONDS = 30 s)",
        ),
        (
            {"CLAIM_TIMEOUT_SECONDS": "1800", "CATCHUP_HOURS": "0.5"},
            "TIPBOT_CLAIM_TIMEOUT_SECONDS must be shorter than TIPBOT_CATCHUP_HOURS",
        ),
        ({"PORT": "0"}, "TIPBOT_PORT: Input should be greater than 0"),
        ({"PORT": "65536"}, "TIPBOT_PORT: Input should be less than 65536"),
        ({"PORT": "https"}, "TIPBOT_PORT: Input should be a valid integer"),
        ({"HEALTH_PORT": "-1"}, "TIPBOT_HEALTH_PORT: Input should be greater than 0"),
        ({"LISTEN": "my host!"}, "TIPBOT_LISTEN: must be an IP address or a host name"),
        (
            {"ADMIN_IDS": "12, abc"},
            "TIPBOT_ADMIN_IDS: 'abc' is not a Telegram user id (a positive whole number)",
        ),
        ({"ADMIN_IDS": "-5"}, "TIPBOT_ADMIN_IDS: '-5' is not a Telegram user id"),
        ({"ADMIN_IDS": "1.5"}, "TIPBOT_ADMIN_IDS: '1.5' is not a Telegram user id"),
        ({"ADMIN_IDS": "0"}, "TIPBOT_ADMIN_IDS: '0' is not a Telegram user id"),
        (
            {"ROLES": "updates,sender"},
            "TIPBOT_ROLES: unknown role 'sender': use updates, delivery (comma separated)",
        ),
        ({"ROLES": " , "}, "TIPBOT_ROLES: a process needs at least one role"),
        ({"LOG_LEVEL": "verbose"}, "TIPBOT_LOG_LEVEL: must be one of DEBUG"),
        ({"LOG_FORMAT": "xml"}, "TIPBOT_LOG_FORMAT: Input should be 'text' or 'json'"),
        ({"API_URL": "api.telegram.org"}, "TIPBOT_API_URL: must start with http://"),
        (
            {"DATABASE_URL": "postgresql://tipbot@db/tipbot"},
            "TIPBOT_DATABASE_URL: use sqlite+aiosqlite://... or postgresql+asyncpg://...",
        ),
        ({"DATABASE_URL": "tipbot.sqlite3"}, "TIPBOT_DATABASE_URL: is not a database URL"),
        ({"WEBHOOK_URL": "bot.example.org/hook"}, "TIPBOT_WEBHOOK_URL: must be a URL like"),
    ],
)
def test_a_bad_value_is_named_with_its_limit(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    assert expected in problem(monkeypatch, **env)


def test_every_bad_value_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    message = problem(monkeypatch, MAX_RATE="0", ADMIN_IDS="x", ROLES="everything")
    for name in ("TIPBOT_MAX_RATE", "TIPBOT_ADMIN_IDS", "TIPBOT_ROLES"):
        assert name in message


# --- the webhook secret -------------------------------------------------------------------------


def test_webhook_mode_requires_a_shared_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    message = problem(monkeypatch, WEBHOOK_URL="https://bot.example.org/telegram")
    assert "TIPBOT_WEBHOOK_SECRET is required with TIPBOT_WEBHOOK_URL" in message
    message = problem(monkeypatch, WEBHOOK_SECRET="")  # empty counts as unset
    assert "TIPBOT_WEBHOOK_SECRET is required" in message


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "naïve", "semi;colon", "a/b"])
def test_a_webhook_secret_telegram_would_refuse_is_named_but_not_shown(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    message = problem(
        monkeypatch, WEBHOOK_URL="https://bot.example.org/telegram", WEBHOOK_SECRET=secret
    )
    assert "TIPBOT_WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z, 0-9, _ and -" in message
    assert secret not in message


@pytest.mark.parametrize("secret", ["a", "Z" * 256, "replica-shared_Secret-0123"])
def test_a_valid_webhook_secret_is_kept_as_given(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    settings = load(
        monkeypatch, WEBHOOK_URL="https://bot.example.org/telegram", WEBHOOK_SECRET=secret
    )
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == secret


def test_a_delivery_only_process_needs_no_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, WEBHOOK_URL="https://bot.example.org/telegram", ROLES="delivery")
    assert settings.roles == {Role.DELIVERY}


# --- values that are accepted -------------------------------------------------------------------


def test_lists_are_read_leniently(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, ADMIN_IDS=" 1, 2 3,", ROLES=" Delivery , updates,")
    assert settings.admin_ids == {1, 2, 3}
    assert settings.roles == {Role.UPDATES, Role.DELIVERY}


def test_the_smallest_consistent_timings_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 s sweeps (as the drills run), a lease of two sweeps, a catch-up just longer than it.
    settings = load(
        monkeypatch, SWEEP_SECONDS="1", CLAIM_TIMEOUT_SECONDS="2", CATCHUP_HOURS=str(3 / 3600)
    )
    assert settings.catchup_hours * 3600 == pytest.approx(3)


def test_secrets_for_the_log_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(
        monkeypatch,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_URL="https://bot.example.org/telegram",
        WEBHOOK_SECRET="hook-secret",
        DATABASE_URL="postgresql+asyncpg://tipbot:db-pass@db:5432/tipbot",
    )
    assert sorted(settings.secrets) == sorted([TOKEN, "hook-secret", "db-pass"])


def test_the_command_line_names_the_variable_and_exits_2() -> None:
    for env, name in [
        ({"TIPBOT_WEBHOOK_URL": "https://bot.example.org/telegram"}, "TIPBOT_WEBHOOK_SECRET"),
        ({"TIPBOT_ADMIN_IDS": "12,@alice"}, "TIPBOT_ADMIN_IDS: '@alice' is not a Telegram user"),
        ({"TIPBOT_CATCHUP_HOURS": "0"}, "TIPBOT_CATCHUP_HOURS"),
    ]:
        result = tipbot("run", env={"TELEGRAM_BOT_TOKEN": TOKEN, **env})
        assert result.returncode == 2, result.stderr
        assert name in result.stderr
        assert "Traceback" not in result.stderr and TOKEN not in result.stderr


def test_the_cache_dir_defaults_to_the_xdg_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load(monkeypatch).cache_dir == Path(tmp_path) / "tipbot"
    assert load(monkeypatch, CACHE_DIR="~/tb-cache").cache_dir == Path.home() / "tb-cache"


def test_a_cache_dir_that_is_a_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    a_file = Path(tmp_path) / "cache"
    a_file.write_text("")
    assert "TIPBOT_CACHE_DIR: exists and is not a directory" in problem(
        monkeypatch, CACHE_DIR=str(a_file)
    )
